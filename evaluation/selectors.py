"""Reads for evaluation: trials a user may see, and what running trials ask of tasking."""

from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet

from accounts.selectors import area_scope_q
from tasking.constraints import PatrolConstraints

from .models import CrossoverDay, Trial, TrialHotspot


def trials_visible(*, user: Any) -> QuerySet[Trial]:
    return Trial.objects.filter(area_scope_q(user=user)).select_related("area")


def patrol_constraints(*, hotspot_ids: list[int], week_start: date) -> PatrolConstraints:
    """For the hot spots and week: control places get no patrol, crossover places none on
    their days off, and treated places visits of their arm's length. Only running (locked)
    trials steer tasking: a draft may still be randomised again."""
    week_end = week_start + timedelta(days=6)
    out = PatrolConstraints()
    places = (TrialHotspot.objects.filter(
        hotspot_id__in=hotspot_ids, trial__status=Trial.Status.RUNNING,
        trial__start_date__lte=week_end, trial__end_date__gte=week_start)
        .select_related("trial"))
    crossover_trials = set()
    for place in places:
        trial = place.trial
        if trial.design == Trial.Design.CROSSOVER:
            crossover_trials.add(trial.pk)
            arm = trial.arms[0] if trial.arms else {}
        else:
            arm = trial.arms[place.arm] if place.arm is not None else {}
            if arm.get("control"):
                out.excluded[place.hotspot_id] = f"control in trial {trial.name}"
                continue
        if arm.get("visit_minutes"):
            out.minutes[place.hotspot_id] = int(arm["visit_minutes"])
        out.notes[place.hotspot_id] = f"trial {trial.name}: {arm.get('name', 'patrol')}"
    for hotspot_id, day in CrossoverDay.objects.filter(
            trial_id__in=crossover_trials, hotspot_id__in=hotspot_ids, patrolled=False,
            day__gte=week_start, day__lte=week_end).values_list("hotspot_id", "day"):
        out.off_days.setdefault(hotspot_id, set()).add(day)
    return out
