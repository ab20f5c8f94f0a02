"""Writes for evaluation: trials designed, randomised with a stored seed, and locked when
they start. The outcome, a read, is in selectors.py."""

import math
import secrets
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from accounts.models import Area
from accounts.selectors import area_subtree_ids
from audit.services import audit_record
from core.errors import InputError
from core.text import markup_problem
from hotspots.models import Hotspot

from . import analysis
from .models import CrossoverDay, Trial, TrialHotspot

if TYPE_CHECKING:
    from accounts.models import User

ROLES = ("pc", "pcso", "special", "sergeant", "inspector", "staff")


class TrialInputError(InputError):
    """The trial cannot be made or changed as asked; the message says why (HTTP 400)."""


def _check_arms(design: str, arms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(arms, list) or not all(isinstance(a, dict) for a in arms):
        raise TrialInputError('arms are a list such as [{"name": "15 min", "visit_minutes": '
                              '15}, {"name": "control", "control": true}]')
    clean = []
    for arm in arms:
        name = str(arm.get("name", "")).strip()[:60]
        if not name:
            raise TrialInputError("every arm needs a name")
        if problem := markup_problem("an arm's name", name):
            raise TrialInputError(problem)
        control = bool(arm.get("control", False))
        minutes = arm.get("visit_minutes")
        if not control and minutes is not None and (
                isinstance(minutes, bool) or not isinstance(minutes, int)
                or not 5 <= minutes <= 60):
            raise TrialInputError(f"arm {name}: a visit lasts 5 to 60 minutes")
        role = arm.get("role")
        if role is not None and role not in ROLES:
            raise TrialInputError(f"arm {name}: role is one of {', '.join(ROLES)}")
        clean.append({"name": name, "control": control,
                      **({"visit_minutes": minutes} if minutes and not control else {}),
                      **({"role": role} if role else {})})
    if design == Trial.Design.PARALLEL:
        if len(clean) < 2:
            raise TrialInputError("a parallel trial needs at least two arms (one may be the "
                                  "control)")
    elif design == Trial.Design.CROSSOVER:
        if len(clean) != 1 or clean[0]["control"]:
            raise TrialInputError("a crossover trial has one patrol condition; the days off "
                                  "are its control")
    else:
        raise TrialInputError("design is parallel or crossover")
    return clean


# Pounds an hour for one person: far above any officer's, and finite (infinity reached
# PostgreSQL's JSON as Infinity: a 500).
MAX_HOURLY_COST = 10_000.0


def _check_costs(costs: dict[str, Any]) -> dict[str, float]:
    out = {}
    for role, value in (costs or {}).items():
        if role not in ROLES:
            raise TrialInputError(f"hourly cost: role is one of {', '.join(ROLES)}")
        try:
            rate = float(value)
        except (TypeError, ValueError):
            raise TrialInputError(f"hourly cost for {role} must be a number") from None
        if not math.isfinite(rate):  # "inf", "nan" and 1e999 all pass float()
            raise TrialInputError(f"hourly cost for {role} must be a number")
        if not rate > 0:
            raise TrialInputError(f"the hourly cost for {role} must be above zero; leave the "
                                  "role out if it has no cost")
        if rate > MAX_HOURLY_COST:
            raise TrialInputError(f"the hourly cost for {role} is at most "
                                  f"£{MAX_HOURLY_COST:,.0f}")
        out[role] = rate
    return out


@transaction.atomic
def trial_create(*, area: Area, name: str, design: str, arms: list[dict[str, Any]],
                 start_date: date, end_date: date, actor: "User | None",
                 hotspots: list[Hotspot] | None = None, seed: int | None = None,
                 hourly_cost: dict[str, Any] | None = None) -> Trial:
    """Design a trial over eligible (approved) hot spots and randomise it."""
    if problem := markup_problem("the trial's name", name):
        raise TrialInputError(problem)
    arms = _check_arms(design, arms)
    costs = _check_costs(hourly_cost or {})
    if end_date < start_date:
        raise TrialInputError("the trial ends before it starts")
    if (end_date - start_date).days > 730:
        raise TrialInputError("a trial lasts at most two years")
    if start_date > timezone.localdate() + timedelta(days=366):
        raise TrialInputError("a trial can start at most a year ahead: its hot spots are "
                              "chosen from today's")
    scope = area_subtree_ids(area=area)
    eligible = (list(Hotspot.objects.filter(area_id__in=scope, status=Hotspot.Status.APPROVED)
                     .order_by("id")) if hotspots is None else hotspots)
    outside = [h.key for h in eligible if h.area_id not in scope
               or h.status != Hotspot.Status.APPROVED]
    if outside:
        raise TrialInputError(f"only approved hot spots in {area.name} can be in its trial: "
                              f"{', '.join(outside[:5])}")
    needed = len(arms) if design == Trial.Design.PARALLEL else 2
    if len(eligible) < needed:
        raise TrialInputError(f"{len(eligible)} hot spot(s) cannot fill this design: it needs "
                              f"at least {needed}")
    # A hot spot is in one trial at a time: two would confound each other's effect.
    clash = (TrialHotspot.objects.filter(hotspot__in=eligible)
             .exclude(trial__status=Trial.Status.FINISHED)
             .filter(trial__start_date__lte=end_date, trial__end_date__gte=start_date)
             .select_related("trial", "hotspot").first())
    if clash is not None:
        raise TrialInputError(f"hot spot {clash.hotspot.key} is already in trial "
                              f"{clash.trial.name} over those dates")
    seed = secrets.randbelow(2**31) if seed is None else seed
    trial = Trial.objects.create(area=area, name=name.strip()[:200] or "Trial", design=design,
                                 arms=arms, seed=seed, start_date=start_date,
                                 end_date=end_date, hourly_cost=costs, created_by=actor)
    _randomise(trial, eligible)
    audit_record(actor=actor, action="trial.create", target=trial,
                 detail={"design": design, "arms": arms, "seed": seed,
                         "hotspots": len(eligible)})
    return trial


def _randomise(trial: Trial, places: list[Hotspot]) -> None:
    harm = np.array([float(h.stats.get("harm", 0.0)) for h in places])
    order = np.argsort(-harm, kind="stable")
    block = np.empty(len(places), dtype=np.int64)
    block[order] = np.arange(len(places)) // max(len(trial.arms), 1)
    if trial.design == Trial.Design.PARALLEL:
        arm = analysis.block_randomise(harm, len(trial.arms), trial.seed)
        TrialHotspot.objects.bulk_create([
            TrialHotspot(trial=trial, hotspot=h, harm=float(harm[i]), block=int(block[i]),
                         arm=int(arm[i])) for i, h in enumerate(places)])
        return
    TrialHotspot.objects.bulk_create([
        TrialHotspot(trial=trial, hotspot=h, harm=float(harm[i]), block=int(block[i]))
        for i, h in enumerate(places)])
    days = analysis.trial_days(trial.start_date, trial.end_date)
    schedule = analysis.crossover_schedule(len(places), len(days), trial.seed)
    CrossoverDay.objects.bulk_create([
        CrossoverDay(trial=trial, hotspot=h, day=day, patrolled=bool(schedule[d, i]))
        for d, day in enumerate(days) for i, h in enumerate(places)])


@transaction.atomic
def trial_randomise_again(*, trial: Trial, seed: int, actor: "User | None") -> Trial:
    """A draft trial randomised with another seed; refused once it has started."""
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    if trial.status != Trial.Status.DRAFT:
        raise TrialInputError("this trial has started: its randomisation is locked")
    places = [p.hotspot for p in trial.places.select_related("hotspot").order_by("hotspot_id")]
    trial.places.all().delete()
    trial.days.all().delete()
    trial.seed = seed
    trial.save(update_fields=["seed"])
    _randomise(trial, places)
    audit_record(actor=actor, action="trial.randomise", target=trial, detail={"seed": seed})
    return trial


@transaction.atomic
def trial_start(*, trial: Trial, actor: "User | None") -> Trial:
    """Lock the randomisation: from now on tasking follows it and it cannot change."""
    trial = Trial.objects.select_for_update().get(pk=trial.pk)
    if trial.status != Trial.Status.DRAFT:
        raise TrialInputError(f"this trial is already {trial.get_status_display().lower()}")
    trial.status = Trial.Status.RUNNING
    trial.started_at = timezone.now()
    trial.save(update_fields=["status", "started_at"])
    audit_record(actor=actor, action="trial.start", target=trial)
    return trial


# --- Outcome ---------------------------------------------------------------------------
