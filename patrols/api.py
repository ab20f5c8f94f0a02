"""API for tracking: GPS ping batches from devices (their own tokens), devices, officers'
visits (exactly once by the phone's id), dosage, the live view and individual tracks."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import actor_of, areas_visible, teams_visible, users_visible
from core.api import (
    DateTimeField,
    JSONParser,
    ScopedId,
    ScopedSerializer,
    refuse_other_officer,
)
from core.params import datetime_param
from core.permissions import RolePermission
from hotspots.selectors import hotspots_visible
from tasking.selectors import tasks_loggable

from . import selectors, services
from .models import Device, Visit


class DeviceAuthentication(BaseAuthentication):
    """`Authorization: Device <token>`: the request is the device's, not a person's."""

    keyword = b"device"

    def authenticate(self, request: Any) -> tuple[Any, Device] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("send `Authorization: Device <token>`")
        device = services.device_by_token(parts[1].decode(errors="replace"))
        if device is None:
            raise AuthenticationFailed("unknown device token")
        if not device.active:
            raise PermissionDenied("this device is disabled; its pings are not accepted")
        return AnonymousUser(), device

    def authenticate_header(self, request: Any) -> str:
        return "Device"


class DeviceAuthScheme(OpenApiAuthenticationExtension):
    target_class = "patrols.api.DeviceAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Device <token>`, the token given when the device was added"}


class IsDevice(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return isinstance(request.auth, Device)


class PingBatchOutput(serializers.Serializer):
    received = serializers.IntegerField()
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rejections = serializers.ListField(child=serializers.DictField())


class PingBatchView(APIView):
    """A batch of pings from one device, as JSON (`{"pings": [{"t", "lat", "lon",
    "accuracy"}]}`) or CSV (`t,lat,lon,accuracy`). Idempotent on (device, time)."""

    authentication_classes = [DeviceAuthentication]
    permission_classes = [IsDevice]

    @extend_schema(request={"application/json": OpenApiTypes.OBJECT,
                            "text/csv": OpenApiTypes.STR},
                   responses={200: PingBatchOutput}, summary="Send a batch of GPS pings")
    def post(self, request: Request) -> Response:
        try:
            body = request.body
        except RequestDataTooBig:
            return Response({"detail": "the batch is too large; send at most "
                             "10,000 pings per request"},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        kind = (request.content_type or "").split(";")[0].strip().lower()
        if kind == "text/csv":
            pings = services.pings_parse_csv(body)
        elif kind in ("application/json", ""):
            pings = services.pings_parse_json(body)
        else:
            return Response({"detail": "send application/json or text/csv"},
                            status=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
        device = request.auth
        assert isinstance(device, Device)  # IsDevice let the request through
        result = services.pings_ingest(device=device, pings=pings)
        return Response(result.as_dict())


class DeviceOutput(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ("id", "name", "kind", "area", "team", "holder", "active", "created_at")


class DeviceInput(ScopedSerializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Device.Kind.choices)
    area = ScopedId(scope=areas_visible)
    team = ScopedId(scope=teams_visible, required=False, allow_null=True)
    holder = ScopedId(scope=users_visible, required=False, allow_null=True)


class DeviceCreatedOutput(serializers.ModelSerializer):
    token = serializers.CharField(help_text="Shown once; only its hash is kept")

    class Meta:
        model = Device
        fields = ("id", "name", "kind", "area", "team", "holder", "active", "created_at",
                  "token")


class DeviceListView(generics.ListAPIView):
    serializer_class = DeviceOutput
    queryset = Device.objects.none()
    permission_classes = [RolePermission]
    required_perms = {"GET": ("patrols.view_device",), "POST": ("patrols.add_device",)}

    def get_queryset(self) -> QuerySet[Device]:
        return selectors.devices_visible(user=self.request.user).order_by("name")

    @extend_schema(request=DeviceInput, responses={201: DeviceCreatedOutput},
                   summary="Add a device; its token is in this answer only")
    def post(self, request: Request) -> Response:
        data = DeviceInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        device, token = services.device_create(name=v["name"], kind=v["kind"], area=v["area"],
                                               team=v.get("team"), holder=v.get("holder"),
                                               actor=actor_of(request))
        return Response({**DeviceOutput(device).data, "token": token},
                        status=status.HTTP_201_CREATED)


class DeviceActiveInput(serializers.Serializer):
    active = serializers.BooleanField()


class DeviceDetailView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"PATCH": ("patrols.change_device",)}

    @extend_schema(request=DeviceActiveInput, responses=DeviceOutput,
                   summary="Disable or enable a device")
    def patch(self, request: Request, pk: int) -> Response:
        device = get_object_or_404(selectors.devices_visible(user=request.user), pk=pk)
        data = DeviceActiveInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.device_set_active(device=device, active=data.validated_data["active"],
                                   actor=actor_of(request))
        return Response(DeviceOutput(device).data)


class FixInput(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    accuracy = serializers.FloatField(min_value=0, required=False, allow_null=True)


def _no_hotspot(pk: int) -> services.TrackingInputError:
    return services.TrackingInputError(f"no hot spot {pk} in your areas")


def _not_given(pk: int) -> services.TrackingInputError:
    return services.TrackingInputError("that visit was not given to you at this hot spot")


class VisitInput(ScopedSerializer):
    id = serializers.UUIDField(help_text="Made by the phone: the same visit sent twice is "
                                         "stored once")
    hotspot = ScopedId(scope=hotspots_visible, missing=_no_hotspot)
    task = ScopedId(scope=tasks_loggable, missing=_not_given, required=False, allow_null=True)
    started_at = DateTimeField()
    ended_at = DateTimeField(required=False, allow_null=True)
    start = FixInput(required=False, allow_null=True)
    end = FixInput(required=False, allow_null=True)
    activities = serializers.ListField(child=serializers.ChoiceField(
        choices=Visit.Activity.choices), required=False)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    retrospective = serializers.BooleanField(default=False)
    officer = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1,
        help_text="Who logged it on the phone (shared phones): a visit sent while someone "
                  "else is signed in is refused with 403, and the phone keeps it for them")


class VisitOutput(serializers.ModelSerializer):
    hotspot_key = serializers.CharField(source="hotspot.key")
    hotspot_name = serializers.CharField(source="hotspot.name")
    officer = serializers.SerializerMethodField(
        help_text="The officer's id: null unless the caller may see who made the visit (their "
                  "own, or a role with the visit identities permission)")
    task = serializers.SerializerMethodField(
        help_text="The task the visit answered: null on the same terms as officer (a task "
                  "names whom it was assigned to)")

    def _identified(self, visit: Visit) -> bool:
        # Location with a name is personal data: an analyst counts visits, not people.
        user = self.context["request"].user if "request" in self.context else None
        return user is not None and (visit.officer_id == user.pk
                                     or user.has_perm("patrols.export_visit_identities"))

    def get_officer(self, visit: Visit) -> int | None:
        return visit.officer_id if self._identified(visit) else None

    def get_task(self, visit: Visit) -> int | None:
        return visit.task_id if self._identified(visit) else None

    class Meta:
        model = Visit
        fields = ("id", "officer", "hotspot", "hotspot_key", "hotspot_name", "task",
                  "started_at", "ended_at", "start_inside", "end_inside", "activities", "notes",
                  "retrospective", "received_at")


class VisitListView(generics.ListAPIView):
    """Officers see their own visits; supervisors and analysts every visit in their areas."""

    serializer_class = VisitOutput
    queryset = Visit.objects.none()
    permission_classes = [RolePermission]
    required_perms = {"GET": ("patrols.view_visit",), "POST": ("patrols.add_visit",)}
    # JSON only: the stored body is the one the phone sent (its hash makes a resend
    # idempotent), and a form body's values are lists that slipped past the checks.
    parser_classes = [JSONParser]

    def get_queryset(self) -> QuerySet[Visit]:
        return selectors.visits_visible(user=self.request.user).order_by("-started_at")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        selectors.visits_list_record(
            user=request.user, query={k: str(v) for k, v in request.query_params.items()},
            count=response.data.get("count") if isinstance(response.data, dict) else None)
        return response

    @extend_schema(request=VisitInput, responses={201: VisitOutput, 200: VisitOutput},
                   summary="Log a visit (201; 200 if this id was already stored; 409 if "
                           "it was stored with a different body)")
    def post(self, request: Request) -> Response:
        data = VisitInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        refuse_other_officer(request, v)
        hotspot, task = v["hotspot"], v.get("task")
        officer: Any = request.user  # RolePermission refuses anonymous callers
        if task is not None and task.hotspot_id != hotspot.pk:
            raise _not_given(task.pk)
        body = {**request.data} if isinstance(request.data, dict) else {}
        visit, created = services.visit_record(
            officer=officer, visit_id=uuid.UUID(str(v["id"])), body=body, hotspot=hotspot,
            task=task, started_at=v["started_at"], ended_at=v.get("ended_at"))
        return Response(VisitOutput(visit, context={"request": request}).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ArrivalInput(ScopedSerializer):
    hotspot = ScopedId(scope=hotspots_visible, missing=_no_hotspot)


class ArrivalView(APIView):
    """An officer has checked in at a hot spot (the visit itself is sent at check-out, or
    later with no signal): its open alarm clears now. Records nothing else."""

    permission_classes = [RolePermission]
    required_perms = {"POST": ("patrols.add_visit",)}
    parser_classes = [JSONParser]

    @extend_schema(request=ArrivalInput, responses={200: inline_serializer(
        "ArrivalOutput", {"cleared": serializers.IntegerField()})},
        summary="Say an officer has arrived at a hot spot (clears its alarm)")
    def post(self, request: Request) -> Response:
        data = ArrivalInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        cleared = services.alarms_clear_on_arrival(hotspot_id=data.validated_data["hotspot"].pk,
                                                   at=timezone.now())
        return Response({"cleared": cleared})


def _window(request: Request) -> tuple[datetime, datetime]:
    """`?from=&to=` (ISO 8601), by default the last 7 days."""
    now = timezone.now()
    params = request.query_params
    start = datetime_param(params["from"], "from") if params.get("from") \
        else now - timedelta(days=7)
    end = datetime_param(params["to"], "to") if params.get("to") else now
    if end <= start or end - start > timedelta(days=400):
        raise services.TrackingInputError("to must be after from, and at most 400 days on")
    return start, end


WINDOW_PARAMS = [OpenApiParameter("from", OpenApiTypes.DATETIME),
                 OpenApiParameter("to", OpenApiTypes.DATETIME)]


class DosageView(APIView):
    """Person-minutes at hot spots from GPS presence and check-in visits, aggregated; each
    person's minute counts once, so the results add up to `total` in every grouping."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ("patrols.view_presence",)}

    @extend_schema(parameters=[*WINDOW_PARAMS, OpenApiParameter(
        "by", str, enum=["hotspot", "team", "role", "shift"])],
        responses={200: OpenApiTypes.OBJECT},
        summary="Dosage by hot spot, team, role or shift, with the total it adds up to")
    def get(self, request: Request) -> Response:
        start, end = _window(request)
        by = request.query_params.get("by", "hotspot")
        if by not in selectors.GROUPS:
            raise services.TrackingInputError(f"by is one of {', '.join(selectors.GROUPS)}")
        data = selectors.dosage_grouped(user=request.user, start=start, end=end, by=by)
        return Response({"from": start, "to": end, **data})


class ComplianceView(APIView):
    """Per hot spot: minutes planned in published plans against minutes delivered."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ("patrols.view_presence",)}

    @extend_schema(parameters=[*WINDOW_PARAMS, OpenApiParameter("under", float)],
                   responses={200: OpenApiTypes.OBJECT},
                   summary="Planned against delivered; `under=0.5` lists the under-dosed")
    def get(self, request: Request) -> Response:
        start, end = _window(request)
        under = request.query_params.get("under")
        if under is not None:
            try:
                below = float(under)
            except ValueError:
                below = float("nan")
            # NaN and infinities compare false with everything: an empty answer, not an error.
            if not 0 <= below <= 10:
                raise services.TrackingInputError("under is a share of the planned minutes, "
                                                  "0 to 10, e.g. 0.5")
            rows = selectors.under_dosed(user=request.user, start=start, end=end, below=below)
        else:
            rows = selectors.planned_against_delivered(user=request.user, start=start, end=end)
        return Response({"from": start, "to": end, "results": rows})


class LiveView(APIView):
    """Where each device in your areas was last seen (last 10 minutes). Audited."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ("patrols.view_track",)}

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="Live positions (audited)")
    def get(self, request: Request) -> Response:
        return Response({"results": selectors.live_view(user=request.user)})


class TrackView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"GET": ("patrols.view_track",)}

    @extend_schema(parameters=WINDOW_PARAMS, responses={200: OpenApiTypes.OBJECT},
                   summary="One device's track (personal data; audited)")
    def get(self, request: Request, pk: int) -> Response:
        device = get_object_or_404(selectors.devices_visible(user=request.user), pk=pk)
        start, end = _window(request)
        return Response({"device": device.pk, "results": selectors.device_track(
            user=request.user, device=device, start=start, end=end)})

