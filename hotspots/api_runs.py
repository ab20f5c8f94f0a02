"""API for hot spot runs and hot spots."""

import io
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.gis.db.models.functions import Transform
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from accounts.selectors import actor_of, areas_visible
from core.api import DateField, GeoJSONRenderer, JSONField, ScopedId, ScopedSerializer
from core.geo import GeoPagination, Wgs84GeometryField, WgsInBBoxFilter
from core.permissions import RolePermission

from .exports import LAYERS, run_cells_csv, run_cells_geojson, run_cells_gpkg
from .models import ExclusionArea, Hotspot, HotspotRun
from .recompute import (
    RunInputError,
    exclusion_area_create,
    exclusion_area_delete,
    exclusion_area_update,
    hotspot_rename,
    hotspot_review,
    hotspot_run_queue,
)
from .selectors import exclusions_visible, hotspots_visible, runs_visible


class HotspotOutput(GeoFeatureModelSerializer):
    geom = Wgs84GeometryField(source="geom_wgs84")

    class Meta:
        model = Hotspot
        geo_field = "geom"
        fields = ("id", "key", "name", "named_by", "area", "run_area", "status", "stats",
                  "profile", "first_run", "last_selected_run", "dropped_by_run", "updated_at")


class HotspotFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Hotspot.Status.choices)
    dropped = filters.BooleanFilter(field_name="dropped_by_run", lookup_expr="isnull",
                                    exclude=True, help_text="flagged by a later run")

    class Meta:
        model = Hotspot
        fields = ("status", "area", "run_area")


class HotspotListView(generics.ListAPIView):
    """Hot spots in the user's areas as GeoJSON cells (WGS84); `in_bbox` filters."""

    serializer_class = HotspotOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("hotspots.view_hotspot",)}
    filter_backends = [WgsInBBoxFilter, filters.DjangoFilterBackend]
    filterset_class = HotspotFilter
    bbox_filter_field = "geom"
    bbox_filter_include_overlapping = True
    pagination_class = GeoPagination

    def get_queryset(self) -> QuerySet[Hotspot]:
        return (hotspots_visible(user=self.request.user)
                .annotate(geom_wgs84=Transform("geom", 4326)).order_by("run_area_id", "id"))


class ReviewInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=["approve", "suppress", "retire"])
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class HotspotReviewView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"POST": ("hotspots.review_hotspot",)}

    @extend_schema(request=ReviewInput, responses=HotspotOutput,
                   summary="Approve, suppress or retire a hot spot")
    def post(self, request: Request, pk: int) -> Response:
        hotspot = get_object_or_404(hotspots_visible(user=request.user), pk=pk)
        data = ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        hotspot_review(hotspot=hotspot, actor=actor_of(request),
                       action=data.validated_data["action"],
                       note=data.validated_data.get("note", ""))
        fresh = Hotspot.objects.annotate(geom_wgs84=Transform("geom", 4326)).get(pk=pk)
        return Response(HotspotOutput(fresh).data)


class RenameInput(serializers.Serializer):
    name = serializers.CharField(max_length=120, allow_blank=True, help_text=(
        "The name people know the place by; empty hands naming back to the runs"))


class HotspotRenameView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"PUT": ("hotspots.review_hotspot",)}

    @extend_schema(request=RenameInput, responses=HotspotOutput,
                   summary="Name a hot spot (kept by later runs; audited)")
    def put(self, request: Request, pk: int) -> Response:
        hotspot = get_object_or_404(hotspots_visible(user=request.user), pk=pk)
        data = RenameInput(data=request.data)
        data.is_valid(raise_exception=True)
        hotspot_rename(hotspot=hotspot, actor=actor_of(request),
                       name=data.validated_data["name"])
        fresh = Hotspot.objects.annotate(geom_wgs84=Transform("geom", 4326)).get(pk=pk)
        return Response(HotspotOutput(fresh).data)


class RunOutput(serializers.ModelSerializer):
    class Meta:
        model = HotspotRun
        fields = ("id", "area", "status", "trigger", "created_at", "parameters", "window_start",
                  "window_end", "started_at", "finished_at", "timings", "metrics", "error")


class RunInput(ScopedSerializer):
    area = ScopedId(scope=areas_visible)
    until = DateField(required=False)
    parameters = serializers.DictField(required=False)


class RunListView(generics.ListAPIView):
    serializer_class = RunOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("hotspots.view_hotspotrun",),
                      "POST": ("hotspots.add_hotspotrun",)}

    def get_queryset(self) -> QuerySet[HotspotRun]:
        return runs_visible(user=self.request.user)

    @extend_schema(request=RunInput, responses={202: RunOutput},
                   summary="Queue a hot spot run for an area")
    def post(self, request: Request) -> Response:
        data = RunInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        area = data.validated_data["area"]
        until = data.validated_data.get("until")
        end = (datetime(until.year, until.month, until.day, tzinfo=ZoneInfo(settings.TIME_ZONE))
               if until else None)
        try:
            run = hotspot_run_queue(area=area, trigger=HotspotRun.Trigger.ANALYST,
                                    actor=actor_of(request), window_end=end,
                                    parameters=data.validated_data.get("parameters"))
        except RunInputError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(RunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class RunDetailView(generics.RetrieveAPIView):
    serializer_class = RunOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("hotspots.view_hotspotrun",)}

    def get_queryset(self) -> QuerySet[HotspotRun]:
        return runs_visible(user=self.request.user)


class NoCellLayer(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "this run has no cell layer"


def _finished_run(request: Request, pk: int) -> HotspotRun:
    """A run the user may see that has finished, else 404 or 409."""
    run = get_object_or_404(runs_visible(user=request.user), pk=pk)
    if run.status != HotspotRun.Status.DONE or not run.cells:
        raise NoCellLayer(f"run {run.pk} is {run.status}: it has no cell layer")
    return run


class RunCellsCsvView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"GET": ("hotspots.view_hotspotrun",)}

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR},
                   summary="The run's whole cell layer as CSV")
    def get(self, request: Request, pk: int) -> Any:
        run = _finished_run(request, pk)
        out = io.StringIO()
        run_cells_csv(run, out)
        response = HttpResponse(out.getvalue(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-cells.csv"'
        return response


class RunCellsGpkgView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"GET": ("hotspots.view_hotspotrun",)}

    @extend_schema(responses={(200, "application/geopackage+sqlite3"): OpenApiTypes.BINARY},
                   summary="The run's whole cell layer as a GeoPackage")
    def get(self, request: Request, pk: int) -> Any:

        run = _finished_run(request, pk)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"run-{run.pk}-cells.gpkg"
            run_cells_gpkg(run, path)
            response = HttpResponse(path.read_bytes(),
                                    content_type="application/geopackage+sqlite3")
        response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-cells.gpkg"'
        return response


class RunCellsGeoJsonView(APIView):
    # application/json by default, as every answer of this API; application/geo+json for a
    # GIS client that asks for it by name (Accept).
    renderer_classes = [JSONRenderer, GeoJSONRenderer]
    permission_classes = [RolePermission]
    required_perms = {"GET": ("hotspots.view_hotspotrun",)}

    @extend_schema(parameters=[OpenApiParameter("layer", str, enum=list(LAYERS),
                                                description="harm (default), z or kde")],
                   responses={(200, "application/geo+json"): OpenApiTypes.OBJECT,
                              (200, "application/json"): OpenApiTypes.OBJECT},
                   summary="The cells of a run worth drawing, as WGS84 GeoJSON")
    def get(self, request: Request, pk: int) -> Response:
        layer = request.query_params.get("layer", "harm")
        if layer not in LAYERS:
            return Response({"detail": f"layer must be one of {', '.join(LAYERS)}"},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response(run_cells_geojson(_finished_run(request, pk), layer))


class ExclusionOutput(GeoFeatureModelSerializer):
    geom = Wgs84GeometryField(source="geom_wgs84")

    class Meta:
        model = ExclusionArea
        geo_field = "geom"
        fields = ("id", "area", "name", "reason", "created_at")


class ExclusionInput(ScopedSerializer):
    area = ScopedId(scope=areas_visible)
    name = serializers.CharField(max_length=200)
    reason = serializers.CharField(max_length=2000)
    geometry = JSONField(help_text="GeoJSON Polygon or MultiPolygon, WGS84")


class ExclusionListView(generics.ListAPIView):
    """Places ruled out of targeting, in the user's areas."""

    serializer_class = ExclusionOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("hotspots.view_exclusionarea",),
                      "POST": ("hotspots.add_exclusionarea",)}
    pagination_class = GeoPagination

    def get_queryset(self) -> QuerySet[ExclusionArea]:
        return (exclusions_visible(user=self.request.user)
                .annotate(geom_wgs84=Transform("geom", 4326)).order_by("id"))

    @extend_schema(request=ExclusionInput, responses={201: ExclusionOutput},
                   summary="Rule a place out of targeting")
    def post(self, request: Request) -> Response:
        data = ExclusionInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        area = data.validated_data["area"]
        try:
            created = exclusion_area_create(
                actor=actor_of(request), area=area, name=data.validated_data["name"],
                reason=data.validated_data["reason"],
                geometry=data.validated_data["geometry"])
        except RunInputError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        fresh = self.get_queryset().get(pk=created.pk)
        return Response(ExclusionOutput(fresh).data, status=status.HTTP_201_CREATED)


class ExclusionChange(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    reason = serializers.CharField(max_length=2000, required=False)
    geometry = JSONField(required=False, help_text="GeoJSON Polygon or MultiPolygon, WGS84")


class ExclusionDetailView(APIView):
    """Change or remove an exclusion area; each takes effect at the next run. Audited."""

    permission_classes = [RolePermission]
    required_perms = {"PATCH": ("hotspots.change_exclusionarea",),
                      "DELETE": ("hotspots.delete_exclusionarea",)}

    @extend_schema(request=ExclusionChange, responses=ExclusionOutput,
                   summary="Rename, re-explain or redraw an exclusion area")
    def patch(self, request: Request, pk: int) -> Response:
        exclusion = get_object_or_404(exclusions_visible(user=request.user), pk=pk)
        data = ExclusionChange(data=request.data)
        data.is_valid(raise_exception=True)
        if not data.validated_data:
            raise RunInputError("change the name, the reason or the shape")
        exclusion_area_update(actor=actor_of(request), exclusion=exclusion,
                              **data.validated_data)
        fresh = (exclusions_visible(user=request.user)
                 .annotate(geom_wgs84=Transform("geom", 4326)).get(pk=pk))
        return Response(ExclusionOutput(fresh).data)

    @extend_schema(request=None, responses={204: None},
                   summary="Remove an exclusion area: the place can be a hot spot again")
    def delete(self, request: Request, pk: int) -> Response:
        exclusion = get_object_or_404(exclusions_visible(user=request.user), pk=pk)
        exclusion_area_delete(actor=actor_of(request), exclusion=exclusion)
        return Response(status=status.HTTP_204_NO_CONTENT)
