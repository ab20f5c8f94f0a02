from typing import Any

from django.contrib.auth import authenticate
from django.contrib.gis.db.models.functions import Transform
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from config.api import GeoPagination, Wgs84GeometryField, WgsInBBoxFilter

from .models import Area, Team
from .permissions import RolePermission
from .roles import needs_second_factor, user_role
from .second_factor import confirmed_device, second_factor_check
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


class TokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    otp = serializers.CharField(max_length=8, required=False, allow_blank=True,
                                help_text="The authenticator code; required for supervisors, "
                                          "analysts, admins and auditors.")


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class TokenView(APIView):
    """An API token for a username and password, plus the authenticator code for roles that
    sign in with one: a token must not be a way round the second factor."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes: list[Any] = []

    @extend_schema(request=TokenInput, responses={200: TokenOutput},
                   summary="Get an API token (password and, for staff roles, a TOTP code)")
    def post(self, request: Request) -> Response:
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user: Any = authenticate(request._request, username=data.validated_data["username"],
                                 password=data.validated_data["password"])
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                {"non_field_errors": ["Unable to sign in with those details."]})
        if needs_second_factor(user):
            # Enrolment happens on the web page, where the QR code is shown.
            if confirmed_device(user) is None:
                raise serializers.ValidationError({"otp": [
                    "Set up your authenticator app by signing in to the web site first."]})
            code = data.validated_data.get("otp", "")
            if not code.strip():
                raise serializers.ValidationError({"otp": [
                    "This account needs the code from its authenticator app."]})
            result, _ = second_factor_check(user=user, code=code)
            if not result.ok:
                raise serializers.ValidationError({"otp": [result.message]})
        token, _ = Token.objects.get_or_create(user=user)
        return Response(TokenOutput({"token": token.key}).data)
