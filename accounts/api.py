from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.contrib.gis.db.models.functions import Transform
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from core.geo import GeoPagination, Wgs84GeometryField, WgsInBBoxFilter
from core.permissions import RolePermission

from .models import Area, Team
from .roles import needs_second_factor, user_role
from .second_factor import confirmed_device, second_factor_check
from .selectors import actor_of, areas_visible, teams_visible, tokens_of, users_visible
from .tokens import token_issue, tokens_revoke


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.tokens.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token <token>`, from POST /api/v1/auth/token/. Each lasts "
                               "a fixed time (an officer's, a shift) and dies with a password "
                               "change."}


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
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`; shown "
                                            "only now.")
    expiry = serializers.DateTimeField()


# One answer for every failure: a wrong password must not be told from a right one with a
# missing or wrong code (issue 15, item 11).
SIGN_IN_REFUSED = ("Unable to sign in with those details. Supervisors, analysts, admins and "
                   "auditors also give the code from their authenticator app (set up on the "
                   "web site first).")


class TokenView(APIView):
    """An API token for a username and password, plus the authenticator code for roles that
    sign in with one: a token must not be a way round the second factor. Each sign-in gets
    a new token, which lasts a fixed time (an officer's, a shift)."""

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
        refused = serializers.ValidationError({"non_field_errors": [SIGN_IN_REFUSED]})
        if user is None or not user.is_active:
            raise refused
        if needs_second_factor(user):
            # Enrolment happens on the web page, where the QR code is shown.
            code = data.validated_data.get("otp", "")
            if confirmed_device(user) is None or not code.strip() or \
                    not second_factor_check(user=user, code=code)[0].ok:
                # A right password with no or a wrong code is a failed sign-in like a wrong
                # password: counted towards the lockout (which then answers both alike)
                # and audited.
                user_login_failed.send(sender=__name__, request=request._request,
                                       credentials={"username": user.get_username()})
                raise refused
        token, text = token_issue(user=user, with_second_factor=needs_second_factor(user))
        return Response(TokenOutput({"token": text, "expiry": token.expiry}).data)


class TokenRow(serializers.Serializer):
    key = serializers.CharField(help_text="The token's first 8 characters, to tell it apart")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    current = serializers.BooleanField(help_text="The token this request was sent with")


class RevokedOutput(serializers.Serializer):
    revoked = serializers.IntegerField()


def _own_tokens(request: Request) -> list[dict[str, Any]]:
    current = getattr(request.auth, "digest", None)
    return [{"key": t.token_key[:8], "created": t.created, "expiry": t.expiry,
             "current": t.digest == current}
            for t in tokens_of(user=request.user)]


class MyTokenListView(APIView):
    """Your API tokens: list them, or revoke them all (signing out every device)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=TokenRow(many=True), summary="Your live API tokens")
    def get(self, request: Request) -> Response:
        return Response(TokenRow(_own_tokens(request), many=True).data)

    @extend_schema(responses=RevokedOutput, summary="Revoke all your API tokens",
                   operation_id="v1_auth_tokens_revoke_all")
    def delete(self, request: Request) -> Response:
        user: Any = request.user
        revoked = tokens_revoke(actor=user, user=user, reason="revoked by their owner")
        return Response(RevokedOutput({"revoked": revoked}).data)


class MyTokenView(APIView):
    """Revoke one of your API tokens by its key (its first 8 characters)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RevokedOutput, summary="Revoke one of your API tokens",
                   operation_id="v1_auth_tokens_revoke")
    def delete(self, request: Request, key: str) -> Response:
        user: Any = request.user
        keys = [t.token_key for t in tokens_of(user=user) if t.token_key[:8] == key]
        if not keys:
            raise NotFound("You have no live token with that key.")
        revoked = tokens_revoke(actor=user, user=user, keys=keys, reason="revoked by their owner")
        return Response(RevokedOutput({"revoked": revoked}).data)


class UserTokensView(APIView):
    """An admin revokes every API token of a person in their areas (a lost phone, a leaver)."""

    permission_classes = [RolePermission]
    required_perms = {"DELETE": ("accounts.change_user",)}

    @extend_schema(responses=RevokedOutput, summary="Revoke all of a person's API tokens")
    def delete(self, request: Request, pk: int) -> Response:
        person = get_object_or_404(users_visible(user=request.user), pk=pk)
        revoked = tokens_revoke(actor=actor_of(request), user=person, reason="revoked by an admin")
        return Response(RevokedOutput({"revoked": revoked}).data)
