"""API for tasking: shift patterns, shifts and capacity, plans, visits, the supervisor map's
data, officers' own visits and problem-solving records. Thin: services do the work."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.gis.db.models.functions import Centroid, Transform
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import actor_of, areas_visible, teams_visible, users_visible
from core.api import DateField, DateTimeField, ScopedId, ScopedSerializer
from core.params import date_param, whole_number
from core.permissions import RolePermission
from hotspots.selectors import hotspots_visible

from . import selectors, services
from .errors import TaskingInputError
from .models import PatrolTask, ProblemSolving, Shift, ShiftPattern, TaskingPlan

# Types only: views and APIs read other apps' models through their selectors.
if TYPE_CHECKING:
    from hotspots.models import Hotspot


def _no_team(pk: int) -> TaskingInputError:
    return TaskingInputError(f"no team {pk} in your areas")


def _no_officer(pk: int) -> TaskingInputError:
    return TaskingInputError(f"no officer {pk} in your areas")


class CapacityInput(ScopedSerializer):
    team = ScopedId(scope=teams_visible, missing=_no_team)
    minutes = serializers.IntegerField(min_value=0, max_value=100_000)


class PatternOutput(serializers.ModelSerializer):
    days = serializers.SerializerMethodField()
    capacities = serializers.SerializerMethodField()

    class Meta:
        model = ShiftPattern
        fields = ("id", "area", "name", "start_time", "duration_minutes", "days", "active",
                  "capacities")

    def get_days(self, obj: ShiftPattern) -> list[str]:
        return obj.day_names()

    def get_capacities(self, obj: ShiftPattern) -> list[dict[str, int]]:
        return [{"team": c.team_id, "minutes": c.minutes} for c in obj.capacities.all()]


class PatternInput(ScopedSerializer):
    area = ScopedId(scope=areas_visible)
    name = serializers.CharField(max_length=40)
    start_time = serializers.TimeField(help_text="Local time, HH:MM")
    duration_minutes = serializers.IntegerField(help_text="Wall-clock minutes, at most 1440")
    days = serializers.ListField(child=serializers.CharField(max_length=10), required=False,
                                 help_text="Weekdays worked, e.g. ['Mon','Tue']; all by default")
    capacities = CapacityInput(many=True, required=False)


class PatternListView(generics.ListAPIView):
    """Shift patterns of the areas the user can see."""

    serializer_class = PatternOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("tasking.view_shiftpattern",),
                      "POST": ("tasking.add_shiftpattern",)}

    def get_queryset(self) -> QuerySet[ShiftPattern]:
        return (selectors.shift_patterns_visible(user=self.request.user)
                .prefetch_related("capacities").order_by("area_id", "start_time"))

    @extend_schema(request=PatternInput, responses={201: PatternOutput},
                   summary="Add a shift pattern (refused over 24 h or overlapping another)")
    def post(self, request: Request) -> Response:
        data = PatternInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        area = v["area"]
        caps = {c["team"]: c["minutes"] for c in v.get("capacities", [])}
        days = services.days_mask(v["days"]) if "days" in v else 0b1111111
        pattern = services.shift_pattern_create(
            area=area, name=v["name"], start_time=v["start_time"],
            duration_minutes=v["duration_minutes"], days=days, capacities=caps,
            actor=actor_of(request))
        return Response(PatternOutput(pattern).data, status=status.HTTP_201_CREATED)


class ShiftOutput(serializers.ModelSerializer):
    pattern_name = serializers.CharField(source="pattern.name")
    capacities = serializers.SerializerMethodField()

    class Meta:
        model = Shift
        fields = ("id", "area", "pattern", "pattern_name", "date", "starts_at", "ends_at",
                  "capacities")

    def get_capacities(self, obj: Shift) -> list[dict[str, int]]:
        return [{"team": c.team_id, "minutes": c.minutes} for c in obj.capacities.all()]


class ShiftListView(generics.ListAPIView):
    """Dated shifts (times in UTC) in the user's areas; `?area=` and `?week=YYYY-MM-DD`."""

    serializer_class = ShiftOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("tasking.view_shift",)}

    @extend_schema(parameters=[
        OpenApiParameter("area", int), OpenApiParameter("week", OpenApiTypes.DATE)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Shift]:
        qs = selectors.shifts_visible(user=self.request.user)
        params = self.request.query_params
        if (area := whole_number(params.get("area"))) is not None:
            qs = qs.filter(area_id=area)
        if params.get("week"):
            monday = services.week_monday(date_param(params["week"], "week"))
            qs = qs.filter(date__gte=monday, date__lt=monday.fromordinal(monday.toordinal() + 7))
        return qs.select_related("pattern").prefetch_related("capacities").order_by("starts_at")


class ShiftCapacityView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"PUT": ("tasking.change_shiftcapacity",)}

    @extend_schema(request=CapacityInput, responses=ShiftOutput,
                   summary="Set a team's patrol minutes for one shift")
    def put(self, request: Request, pk: int) -> Response:
        shift = get_object_or_404(selectors.shifts_visible(user=request.user), pk=pk)
        data = CapacityInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.shift_capacity_set(shift=shift, team=data.validated_data["team"],
                                    minutes=data.validated_data["minutes"], actor=actor_of(request))
        fresh = Shift.objects.select_related("pattern").prefetch_related("capacities").get(
            pk=pk)
        return Response(ShiftOutput(fresh).data)


class PlanOutput(serializers.ModelSerializer):
    stale_visits = serializers.SerializerMethodField()

    class Meta:
        model = TaskingPlan
        fields = ("id", "area", "week_start", "status", "version", "seed", "rules", "warnings",
                  "stale_visits", "created_at", "updated_at", "published_at")

    def get_stale_visits(self, obj: TaskingPlan) -> list[int]:
        prefetched = getattr(obj, "stale_tasks", None)  # selectors.plans_with_stale_tasks
        if prefetched is not None:
            return [t.pk for t in prefetched]
        return [t.pk for t in services.plan_stale_tasks(plan=obj)]


class GenerateInput(ScopedSerializer):
    area = ScopedId(scope=areas_visible)
    week_start = DateField(help_text="A Monday")
    rules = serializers.DictField(required=False, help_text=(
        "visit_minutes (10-20, default 15), max_visits_per_shift (3), min_gap_minutes (60), "
        "max_visits_per_week (21)"))
    seed = serializers.IntegerField(required=False, min_value=0)
    version = serializers.IntegerField(required=False,
                                       help_text="To regenerate an existing draft")


class PlanListView(generics.ListAPIView):
    serializer_class = PlanOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("tasking.view_taskingplan",),
                      "POST": ("tasking.add_taskingplan",)}

    def get_queryset(self) -> QuerySet[TaskingPlan]:
        return selectors.plans_with_stale_tasks(user=self.request.user)

    @extend_schema(request=GenerateInput, responses={201: PlanOutput},
                   summary="Generate (or regenerate a draft of) a week's plan for an area")
    def post(self, request: Request) -> Response:
        data = GenerateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        plan = services.plan_generate(area=v["area"], week_start=v["week_start"],
                                      actor=actor_of(request), rules=v.get("rules"),
                                      seed=v.get("seed"),
                                      version=v.get("version"))
        return Response(PlanOutput(plan).data, status=status.HTTP_201_CREATED)


class PlanDetailView(generics.RetrieveAPIView):
    serializer_class = PlanOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("tasking.view_taskingplan",)}

    def get_queryset(self) -> QuerySet[TaskingPlan]:
        return selectors.plans_visible(user=self.request.user)


class VersionInput(serializers.Serializer):
    version = serializers.IntegerField(help_text="The plan version the change was made on")


class PlanPublishView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"POST": ("tasking.publish_taskingplan",)}

    @extend_schema(request=VersionInput, responses=PlanOutput,
                   summary="Publish a plan to its officers")
    def post(self, request: Request, pk: int) -> Response:
        plan = get_object_or_404(selectors.plans_visible(user=request.user), pk=pk)
        data = VersionInput(data=request.data)
        data.is_valid(raise_exception=True)
        plan = services.plan_publish(plan=plan, version=data.validated_data["version"],
                                     actor=actor_of(request))
        return Response(PlanOutput(plan).data)


class PlanMapView(APIView):
    """The supervisor map's data for one shift: hot spots (GeoJSON, WGS84) ranked by their
    harm in the shift's hours, each with its visits."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ("tasking.view_taskingplan",)}

    @extend_schema(parameters=[OpenApiParameter("shift", int, required=True)],
                   responses={200: OpenApiTypes.OBJECT}, summary="Supervisor map data")
    def get(self, request: Request, pk: int) -> HttpResponse:
        plan = get_object_or_404(selectors.plans_visible(user=request.user), pk=pk)
        shift_id = whole_number(request.query_params.get("shift"))
        if shift_id is None:
            raise TaskingInputError("give the shift: ?shift=<id>")
        shift = get_object_or_404(Shift.objects.select_related("pattern"), pk=shift_id,
                                  area_id=plan.area_id)
        return HttpResponse(selectors.plan_map_data(plan=plan, shift=shift),
                            content_type="application/json")


class TaskOutput(serializers.ModelSerializer):
    hotspot_key = serializers.CharField(source="hotspot.key")
    hotspot_name = serializers.CharField(source="hotspot.name")
    plan_version = serializers.IntegerField(
        source="plan.version", read_only=True,
        help_text="The plan's version after this change (unchanged when the change changed "
                  "nothing): send it with the next edit")

    class Meta:
        model = PatrolTask
        fields: tuple[str, ...] = (
                  "id", "plan", "shift", "hotspot", "hotspot_key", "hotspot_name", "starts_at",
                  "minutes",
                  "assignee_user", "assignee_team", "callsign", "why", "source", "status",
                  "changed_after_publish", "plan_version")


class TaskChangedOutput(TaskOutput):
    training_warning = serializers.SerializerMethodField(
        help_text="Set when the visit's officer lacks a current pass of a module their role "
                  "requires (the change is made; a setting can refuse it instead)")

    class Meta(TaskOutput.Meta):
        fields = (*TaskOutput.Meta.fields, "training_warning")

    def get_training_warning(self, task: PatrolTask) -> str | None:
        return selectors.training_warning(user=task.assignee_user)


class TaskInput(ScopedSerializer):
    version = serializers.IntegerField()
    shift = ScopedId(scope=selectors.shifts_visible)
    hotspot = ScopedId(scope=hotspots_visible)
    starts_at = DateTimeField()
    minutes = serializers.IntegerField(default=15)
    assignee_user = ScopedId(scope=users_visible, missing=_no_officer, required=False,
                             allow_null=True)
    assignee_team = ScopedId(scope=teams_visible, missing=_no_team, required=False,
                             allow_null=True)
    callsign = serializers.CharField(max_length=32, required=False, allow_blank=True)
    confirm_published = serializers.BooleanField(default=False)


class TaskChangeInput(ScopedSerializer):
    version = serializers.IntegerField()
    starts_at = DateTimeField(required=False)
    minutes = serializers.IntegerField(required=False)
    assignee_user = ScopedId(scope=users_visible, missing=_no_officer, required=False,
                             allow_null=True)
    assignee_team = ScopedId(scope=teams_visible, missing=_no_team, required=False,
                             allow_null=True)
    callsign = serializers.CharField(max_length=32, required=False, allow_blank=True)
    confirm_published = serializers.BooleanField(default=False)

    def validate(self, attrs: Any) -> Any:
        # A field this edit cannot change (a visit's shift or hot spot) is refused, not
        # dropped: the caller would think it had moved the visit.
        given = set(self.initial_data) if isinstance(self.initial_data, dict) else set()
        unknown = sorted(given - set(self.fields))
        if unknown:
            raise TaskingInputError(
                f"a visit's {', '.join(unknown)} cannot be changed; remove it and add a new "
                "visit instead" if unknown in (["shift"], ["hotspot"], ["hotspot", "shift"])
                else f"unknown field(s): {', '.join(unknown)}")
        return super().validate(attrs)


class PlanTaskListView(generics.ListAPIView):
    serializer_class = TaskOutput
    queryset = PatrolTask.objects.none()  # for the schema; get_queryset scopes the real one
    permission_classes = [RolePermission]
    required_perms = {"GET": ("tasking.view_taskingplan",), "POST": ("tasking.add_patroltask",)}

    def get_queryset(self) -> QuerySet[PatrolTask]:
        plan = get_object_or_404(selectors.plans_visible(user=self.request.user),
                                 pk=self.kwargs["pk"])
        qs = plan.tasks.select_related("hotspot").order_by("starts_at", "id")
        if (shift := whole_number(self.request.query_params.get("shift"))) is not None:
            qs = qs.filter(shift_id=shift)
        return qs

    @extend_schema(request=TaskInput, responses={201: TaskChangedOutput}, summary="Add a visit")
    def post(self, request: Request, pk: int) -> Response:
        plan = get_object_or_404(selectors.plans_visible(user=request.user), pk=pk)
        data = TaskInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        # A shift the caller may see, and also the plan's: another area's reads as missing.
        if v["shift"].area_id != plan.area_id:
            raise Http404("No Shift matches the given query.")
        task = services.task_add(
            plan=plan, version=v["version"], shift=v["shift"], hotspot=v["hotspot"],
            starts_at=v["starts_at"], minutes=v["minutes"], actor=actor_of(request),
            user=v.get("assignee_user"), team=v.get("assignee_team"),
            callsign=v.get("callsign", ""), confirm_published=v["confirm_published"])
        return Response(TaskChangedOutput(task).data, status=status.HTTP_201_CREATED)


class TaskDetailView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"PATCH": ("tasking.change_patroltask",),
                      "DELETE": ("tasking.delete_patroltask",)}

    def _task(self, request: Request, pk: int) -> PatrolTask:
        plans = selectors.plans_visible(user=request.user)
        return get_object_or_404(PatrolTask.objects.select_related("plan", "hotspot"),
                                 pk=pk, plan__in=plans)

    @extend_schema(request=TaskChangeInput, responses=TaskChangedOutput,
                   summary="Reassign or retime a visit")
    def patch(self, request: Request, pk: int) -> Response:
        task = self._task(request, pk)
        data = TaskChangeInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        changes: dict[str, Any] = {}
        if "assignee_user" in v or "assignee_team" in v:
            changes["user"] = v.get("assignee_user")
            changes["team"] = v.get("assignee_team")
        for name in ("starts_at", "minutes", "callsign"):
            if name in v:
                changes[name] = v[name]
        task = services.task_update(task=task, version=v["version"], actor=actor_of(request),
                                    confirm_published=v["confirm_published"], **changes)
        return Response(TaskChangedOutput(task).data)

    @extend_schema(parameters=[OpenApiParameter("version", int, required=True),
                               OpenApiParameter("confirm_published", bool)],
                   responses={204: None}, summary="Remove a visit (cancelled once published)")
    def delete(self, request: Request, pk: int) -> Response:
        task = self._task(request, pk)
        version = whole_number(request.query_params.get("version"))
        if version is None:
            raise TaskingInputError("give the plan version: ?version=<n>")
        services.task_remove(task=task, version=version, actor=actor_of(request),
                             confirm_published=request.query_params.get(
                                 "confirm_published") in ("1", "true"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyTaskOutput(TaskOutput):
    hotspot_lat = serializers.SerializerMethodField()
    hotspot_lon = serializers.SerializerMethodField()
    shift_name = serializers.CharField(source="shift.pattern.name")
    shift_starts_at = serializers.DateTimeField(source="shift.starts_at")
    shift_ends_at = serializers.DateTimeField(source="shift.ends_at")

    class Meta:
        model = PatrolTask
        fields = ("id", "plan", "shift", "hotspot", "hotspot_key", "hotspot_name", "starts_at",
                  "minutes",
                  "assignee_user", "assignee_team", "callsign", "why", "source", "status",
                  "changed_after_publish", "hotspot_lat", "hotspot_lon", "shift_name",
                  "shift_starts_at", "shift_ends_at")

    def get_hotspot_lat(self, obj: Any) -> float:
        return round(obj.centre.y, 6)

    def get_hotspot_lon(self, obj: Any) -> float:
        return round(obj.centre.x, 6)


class MyTaskListView(generics.ListAPIView):
    """The signed-in officer's visits in published plans (theirs, or their team's), with
    where each hot spot is, for the phone's map."""

    serializer_class = MyTaskOutput
    queryset = PatrolTask.objects.none()  # for the schema; get_queryset scopes the real one
    permission_classes = [RolePermission]
    required_perms = {"GET": ("tasking.view_patroltask",)}

    def get_queryset(self) -> QuerySet[PatrolTask]:
        return selectors.tasks_for_officer(user=self.request.user).annotate(
            centre=Transform(Centroid("hotspot__geom"), 4326))


class ProblemSolvingOutput(serializers.ModelSerializer):
    history = serializers.SerializerMethodField()
    # A hot spot with no record yet is answered with an unsaved one: no time.
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = ProblemSolving
        fields = ("hotspot", "scanning", "analysis", "response", "assessment", "owner",
                  "status", "version", "updated_at", "history")

    def get_history(self, obj: ProblemSolving) -> list[dict[str, Any]]:
        return [{"at": h.at.isoformat(), "actor": h.actor_id, "changes": h.changes}
                for h in obj.history.all()[:100]]


class ProblemSolvingInput(ScopedSerializer):
    version = serializers.IntegerField(required=False, allow_null=True)
    scanning = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    analysis = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    response = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    assessment = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=ProblemSolving.Status.choices, required=False)
    owner = ScopedId(scope=users_visible, missing=_no_officer, required=False, allow_null=True)


class ProblemSolvingView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"GET": ("tasking.view_problemsolving",),
                      "PUT": ("tasking.change_problemsolving",)}

    def _hotspot(self, request: Request, pk: int) -> Hotspot:
        return get_object_or_404(hotspots_visible(user=request.user), pk=pk)

    @extend_schema(responses=ProblemSolvingOutput, summary="A hot spot's problem solving")
    def get(self, request: Request, pk: int) -> Response:
        hotspot = self._hotspot(request, pk)
        record = ProblemSolving.objects.filter(hotspot=hotspot).first() or ProblemSolving(
            hotspot=hotspot, version=0)
        return Response(ProblemSolvingOutput(record).data if record.pk else {
            **{k: "" for k in ("scanning", "analysis", "response", "assessment")},
            "hotspot": hotspot.pk, "owner": None, "status": "scanning", "version": 0,
            "updated_at": None, "history": []})

    @extend_schema(request=ProblemSolvingInput, responses=ProblemSolvingOutput,
                   summary="Save a hot spot's problem-solving notes")
    def put(self, request: Request, pk: int) -> Response:
        hotspot = self._hotspot(request, pk)
        data = ProblemSolvingInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        version = v.pop("version", None)
        record = services.problem_solving_update(hotspot=hotspot, actor=actor_of(request),
                                                 version=version or None, **v)
        return Response(ProblemSolvingOutput(record).data)
