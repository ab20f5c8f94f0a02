from typing import Any

from django.contrib.gis.db.models.functions import Transform
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from config.api import GeoPagination, Wgs84GeometryField, WgsInBBoxFilter

from .models import Area, Team
from .permissions import RolePermission
from .roles import user_role
from .selectors import areas_visible, teams_visible


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    role = serializers.CharField(allow_null=True)
    area = serializers.IntegerField(allow_null=True)
    team = serializers.IntegerField(allow_null=True)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeOutput, summary="The signed-in user, with role and area")
    def get(self, request: Request) -> Response:
        user: Any = request.user
        return Response(MeOutput({
            "id": user.pk, "username": user.username,
            "name": user.get_full_name() or user.username, "role": user_role(user),
            "area": user.area_id, "team": user.team_id,
        }).data)


class AreaOutput(GeoFeatureModelSerializer):
    # Stored in the metric CRS; GeoJSON is WGS84, so the field reads the transformed copy.
    geom = Wgs84GeometryField(source="geom_wgs84")

    class Meta:
        model = Area
        geo_field = "geom"
        fields = ("id", "name", "code", "level", "parent")


class AreaListView(generics.ListAPIView):
    """Areas the user may see, as GeoJSON in WGS84; `in_bbox` filters by bounding box."""

    serializer_class = AreaOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("accounts.view_area",)}
    filter_backends = [WgsInBBoxFilter]
    bbox_filter_field = "geom"
    pagination_class = GeoPagination
    bbox_filter_include_overlapping = True

    def get_queryset(self) -> QuerySet[Area]:
        return areas_visible(user=self.request.user).annotate(
            geom_wgs84=Transform("geom", 4326)).order_by("level", "name")


class TeamOutput(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ("id", "name", "callsign", "area")


class TeamListView(generics.ListAPIView):
    serializer_class = TeamOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("accounts.view_team",)}

    def get_queryset(self) -> QuerySet[Team]:
        return teams_visible(user=self.request.user).order_by("name", "id")
