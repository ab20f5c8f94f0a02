"""API for trials: design and randomise, start (locks), read assignments, outcome."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import actor_of, areas_visible
from core.api import DateField, ScopedId, ScopedIds, ScopedSerializer
from core.permissions import RolePermission
from hotspots.selectors import hotspots_visible

from . import selectors, services
from .models import Trial


class TrialOutput(serializers.ModelSerializer):
    places = serializers.SerializerMethodField()

    class Meta:
        model = Trial
        fields = ("id", "area", "name", "design", "arms", "seed", "start_date", "end_date",
                  "status", "hourly_cost", "created_at", "started_at", "places")

    def get_places(self, obj: Trial) -> list[dict[str, Any]]:
        return [{"hotspot": p.hotspot_id, "key": p.hotspot.key, "harm": p.harm,
                 "block": p.block, "arm": p.arm}
                for p in obj.places.select_related("hotspot").order_by("block", "hotspot_id")]


def _not_yours(pks: list[int]) -> services.TrialInputError:
    return services.TrialInputError("some of those hot spots are not in your areas")


class TrialInput(ScopedSerializer):
    area = ScopedId(scope=areas_visible)
    name = serializers.CharField(max_length=200)
    design = serializers.ChoiceField(choices=Trial.Design.choices)
    arms = serializers.ListField(child=serializers.DictField(), help_text=(
        'e.g. [{"name": "15 min PC", "visit_minutes": 15, "role": "pc"}, '
        '{"name": "control", "control": true}]'))
    start_date = DateField()
    end_date = DateField()
    hotspots = ScopedIds(scope=hotspots_visible, missing=_not_yours, required=False,
                         help_text="Eligible hot spots; all approved by default")
    seed = serializers.IntegerField(required=False, min_value=0)
    hourly_cost = serializers.DictField(required=False, help_text='e.g. {"pc": 42.5}')


class TrialListView(generics.ListAPIView):
    serializer_class = TrialOutput
    queryset = Trial.objects.none()
    permission_classes = [RolePermission]
    required_perms = {"GET": ("evaluation.view_trial",), "POST": ("evaluation.add_trial",)}

    def get_queryset(self) -> QuerySet[Trial]:
        return selectors.trials_visible(user=self.request.user)

    @extend_schema(request=TrialInput, responses={201: TrialOutput},
                   summary="Design a trial and randomise it (seeded)")
    def post(self, request: Request) -> Response:
        data = TrialInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        v = data.validated_data
        trial = services.trial_create(
            area=v["area"], name=v["name"], design=v["design"], arms=v["arms"],
            start_date=v["start_date"], end_date=v["end_date"], actor=actor_of(request),
            hotspots=v.get("hotspots"), seed=v.get("seed"), hourly_cost=v.get("hourly_cost"))
        return Response(TrialOutput(trial).data, status=status.HTTP_201_CREATED)


class TrialDetailView(generics.RetrieveAPIView):
    serializer_class = TrialOutput
    permission_classes = [RolePermission]
    required_perms = {"GET": ("evaluation.view_trial",)}

    def get_queryset(self) -> QuerySet[Trial]:
        return selectors.trials_visible(user=self.request.user)


class TrialStartView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"POST": ("evaluation.start_trial",)}

    @extend_schema(request=None, responses=TrialOutput,
                   summary="Start a trial: tasking follows it, its randomisation is locked")
    def post(self, request: Request, pk: int) -> Response:
        trial = get_object_or_404(selectors.trials_visible(user=request.user), pk=pk)
        started = services.trial_start(trial=trial, actor=actor_of(request))
        return Response(TrialOutput(started).data)


class TrialOutcomeView(APIView):
    permission_classes = [RolePermission]
    required_perms = {"GET": ("evaluation.view_trial", "patrols.view_presence")}

    @extend_schema(responses={200: OpenApiTypes.OBJECT},
                   summary="Effect (rate ratio, randomisation p), displacement (WDD, WDQ), "
                           "patrol activity, dosage and cost",
                   description=(
                       "The outcome counts only the offence types targeting counts; the types "
                       "patrols find themselves are reported apart as activity. An analysis "
                       "the data cannot support is answered with {\"error\": why} in its "
                       "place; a comparison the design or the data rule out altogether (a "
                       "parallel trial with no control arm, a crossover on month-only "
                       "dates) also sets `refused` to the reason. The WDQ comes with its "
                       "reading, which depends on whether the treated places improved."))
    def get(self, request: Request, pk: int) -> Response:
        trial = get_object_or_404(selectors.trials_visible(user=request.user), pk=pk)
        return Response(selectors.trial_outcome(trial=trial, user=request.user))
