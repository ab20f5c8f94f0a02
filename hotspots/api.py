from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from accounts.selectors import actor_of
from core.api import IsoDateTimeFilter
from core.geo import GeoPagination, Wgs84GeometryField, WgsInBBoxFilter
from core.permissions import RolePermission

from .importers.errors import ImportInputError
from .importers.layouts import mapping_from_json
from .models import Crime, ImportJob, OffenceType
from .selectors import crime_density, crimes_for_map, import_jobs_visible, offence_types_all
from .services import import_job_create, offence_type_update


class OffenceTypeOutput(serializers.ModelSerializer):
    crime_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = OffenceType
        fields = ("id", "code", "name", "category", "harm_weight", "weight_source",
                  "include_in_targeting", "crime_count")


class OffenceTypeInput(serializers.Serializer):
    harm_weight = serializers.FloatField(min_value=0, max_value=1_000_000)
    include_in_targeting = serializers.BooleanField()
    weight_source = serializers.CharField(max_length=300, allow_blank=True, required=False)


class OffenceTypeListView(generics.ListAPIView):
    serializer_class = OffenceTypeOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("hotspots.view_offencetype",)}
    pagination_class = None

    def get_queryset(self) -> QuerySet[OffenceType]:
        return offence_types_all()


class OffenceTypeDetailView(generics.RetrieveAPIView):
    serializer_class = OffenceTypeOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("hotspots.view_offencetype",),
                      "PUT": ("hotspots.change_offencetype",)}

    def get_queryset(self) -> QuerySet[OffenceType]:
        return offence_types_all()

    @extend_schema(request=OffenceTypeInput, responses=OffenceTypeOutput,
                   summary="Set an offence type's harm weight and whether it counts in targeting")
    def put(self, request: Request, pk: int) -> Response:
        offence_type = self.get_object()
        data = OffenceTypeInput(data=request.data)
        data.is_valid(raise_exception=True)
        offence_type_update(
            offence_type=offence_type, actor=actor_of(request),
            harm_weight=data.validated_data["harm_weight"],
            include_in_targeting=data.validated_data["include_in_targeting"],
            weight_source=data.validated_data.get("weight_source", offence_type.weight_source),
        )
        return Response(OffenceTypeOutput(self.get_object()).data)


class CrimeOutput(GeoFeatureModelSerializer):
    location = Wgs84GeometryField(source="location_wgs84")
    offence_type = serializers.CharField(source="offence_type.code", read_only=True)

    class Meta:
        model = Crime
        geo_field = "location"
        fields = ("id", "source", "reference", "offence_type", "occurred_from", "occurred_to",
                  "area", "location_text", "lsoa_code", "outcome")


class CrimeFilter(filters.FilterSet):
    offence_type = filters.CharFilter(field_name="offence_type__code")
    category = filters.ChoiceFilter(field_name="offence_type__category",
                                    choices=OffenceType.Category.choices,
                                    help_text="crime or asb: anti-social behaviour in or out")
    occurred_after = IsoDateTimeFilter(field_name="occurred_to", lookup_expr="gte")
    occurred_before = IsoDateTimeFilter(field_name="occurred_from", lookup_expr="lt")
    area = filters.NumberFilter(field_name="area_id")

    class Meta:
        model = Crime
        fields = ("offence_type", "area")


class CrimeListView(generics.ListAPIView):
    """Crimes in the user's areas as GeoJSON points (WGS84), newest first."""

    serializer_class = CrimeOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("hotspots.view_crime",)}
    filter_backends = [WgsInBBoxFilter, filters.DjangoFilterBackend]
    filterset_class = CrimeFilter
    bbox_filter_field = "location"
    pagination_class = GeoPagination

    def get_queryset(self) -> QuerySet[Crime]:
        return crimes_for_map(user=self.request.user)


class CrimeDensityView(APIView):
    """Crime in the user's areas counted in 250 m squares: the overview's map, bounded in
    size whatever the data (10,000 points were 4.4 MB and 11 s)."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ("hotspots.view_crime",)}

    @extend_schema(responses={200: OpenApiTypes.OBJECT},
                   summary="Crime counted in squares (the densest 4,000), WGS84 centres")
    def get(self, request: Request) -> Response:
        return Response(crime_density(user=request.user))


class ImportJobOutput(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    phase = serializers.ChoiceField(choices=["", "reading", "saving"], read_only=True,
                                    help_text="While running: reading the files, then saving")
    summary = serializers.CharField(read_only=True)
    # Imports from the command line have no user.
    created_by = serializers.CharField(source="created_by.username", default=None,
                                       read_only=True, allow_null=True)

    class Meta:
        model = ImportJob
        fields = ("id", "created_at", "created_by", "status", "format", "source", "mapping",
                  "original_name", "bytes_total", "bytes_read", "progress_percent",
                  "phase", "started_at", "finished_at", "rows_read", "rows_inserted",
                  "rows_duplicate", "rows_rejected", "rejects_by_reason", "rejects_sample",
                  "warnings", "error", "summary")


class ImportJobInput(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=ImportJob.Format.choices,
                                     default=ImportJob.Format.POLICE_UK)
    # The API calls it "source"; DRF takes declared fields off the class, so no clash.
    source = serializers.CharField(max_length=64, required=False)  # type: ignore[assignment]
    mapping = serializers.CharField(required=False, allow_blank=True,
                                    help_text="JSON column mapping for the generic format")

    def validate_mapping(self, value: str) -> dict[str, Any]:
        try:
            return mapping_from_json(value)
        except ImportInputError as exc:
            raise serializers.ValidationError(str(exc)) from None


class ImportJobListView(generics.ListAPIView):
    serializer_class = ImportJobOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("hotspots.view_importjob",), "POST": ("hotspots.add_importjob",)}
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[ImportJob]:
        return import_jobs_visible(user=self.request.user)

    @extend_schema(request={"multipart/form-data": ImportJobInput},
                   responses={202: ImportJobOutput},
                   summary="Upload a crime file; it is imported in the background")
    def post(self, request: Request) -> Response:
        data = ImportJobInput(data=request.data)
        data.is_valid(raise_exception=True)
        fmt = data.validated_data["format"]
        job = import_job_create(
            actor=actor_of(request), upload=data.validated_data["file"], format=fmt,
            source=data.validated_data.get("source")
            or ("police.uk" if fmt == ImportJob.Format.POLICE_UK else "force"),
            mapping=data.validated_data.get("mapping") or {},
        )
        return Response(ImportJobOutput(job).data, status=status.HTTP_202_ACCEPTED)


class ImportJobDetailView(generics.RetrieveAPIView):
    serializer_class = ImportJobOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("hotspots.view_importjob",)}

    def get_queryset(self) -> QuerySet[ImportJob]:
        return import_jobs_visible(user=self.request.user)
