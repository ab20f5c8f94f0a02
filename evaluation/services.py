"""Writes for evaluation: trials (designed, randomised with a stored seed, locked when they
start) and the outcome analysis of a trial."""

import secrets
from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Area
from accounts.selectors import area_subtree_ids
from audit.services import audit_record
from config.text import markup_problem
from hotspots.models import Hotspot

from . import analysis
from .models import CrossoverDay, Trial, TrialHotspot

ROLES = ("pc", "pcso", "special", "sergeant", "inspector", "staff")


class TrialInputError(ValueError):
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


def _check_costs(costs: dict[str, Any]) -> dict[str, float]:
    out = {}
    for role, value in (costs or {}).items():
        if role not in ROLES:
            raise TrialInputError(f"hourly cost: role is one of {', '.join(ROLES)}")
        try:
            rate = float(value)
        except (TypeError, ValueError):
            raise TrialInputError(f"hourly cost for {role} must be a number") from None
        if not rate > 0:
            raise TrialInputError(f"the hourly cost for {role} must be above zero; leave the "
                                  "role out if it has no cost")
        out[role] = rate
    return out


@transaction.atomic
def trial_create(*, area: Area, name: str, design: str, arms: list[dict[str, Any]],
                 start_date: date, end_date: date, actor: Any,
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
def trial_randomise_again(*, trial: Trial, seed: int, actor: Any) -> Trial:
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
def trial_start(*, trial: Trial, actor: Any) -> Trial:
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

def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0)).replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


COUNTS_SQL = """
WITH places AS (
    SELECT h.id, h.geom, ST_Difference(ST_Buffer(h.geom, %(ring)s), h.geom) AS ring
    FROM hotspots_hotspot h WHERE h.id = ANY(%(ids)s)
)
SELECT p.id,
       count(*) FILTER (WHERE c.occurred_from >= %(b0)s AND c.occurred_from < %(b1)s
                        AND ST_Intersects(p.geom, c.location)) AS before_in,
       count(*) FILTER (WHERE c.occurred_from >= %(a0)s AND c.occurred_from < %(a1)s
                        AND ST_Intersects(p.geom, c.location)) AS after_in,
       count(*) FILTER (WHERE c.occurred_from >= %(b0)s AND c.occurred_from < %(b1)s
                        AND ST_Intersects(p.ring, c.location)) AS before_ring,
       count(*) FILTER (WHERE c.occurred_from >= %(a0)s AND c.occurred_from < %(a1)s
                        AND ST_Intersects(p.ring, c.location)) AS after_ring,
       COALESCE(sum(o.harm_weight) FILTER (WHERE c.occurred_from >= %(b0)s
                AND c.occurred_from < %(b1)s AND ST_Intersects(p.geom, c.location)), 0),
       COALESCE(sum(o.harm_weight) FILTER (WHERE c.occurred_from >= %(a0)s
                AND c.occurred_from < %(a1)s AND ST_Intersects(p.geom, c.location)), 0)
FROM places p
LEFT JOIN hotspots_crime c ON ST_DWithin(p.geom, c.location, %(ring)s)
     AND c.occurred_from >= %(b0)s AND c.occurred_from < %(a1)s
LEFT JOIN hotspots_offencetype o ON o.id = c.offence_type_id AND o.include_in_targeting
GROUP BY p.id ORDER BY p.id
"""


def trial_outcome(*, trial: Trial, user: Any, ring_m: float = 150.0) -> dict[str, Any]:
    """Crime and harm in treated against control places over the trial, beside the same
    length of time just before it: a rate ratio with its 95% interval (Poisson, adjusted
    for each place's count before), WDD and WDQ over rings of `ring_m` around the places,
    patrol minutes delivered per arm, and the cost of the treated arms' patrol."""
    from patrols.selectors import dosage

    places = list(trial.places.select_related("hotspot").order_by("hotspot_id"))
    ids = [p.hotspot_id for p in places]
    a0, a1 = _local_midnight(trial.start_date), _local_midnight(trial.end_date + timedelta(1))
    b0, b1 = a0 - (a1 - a0), a0
    with connection.cursor() as cur:
        cur.execute(COUNTS_SQL, {"ids": ids, "ring": ring_m, "a0": a0, "a1": a1, "b0": b0,
                                 "b1": b1})
        rows = {r[0]: r[1:] for r in cur.fetchall()}
    if trial.design == Trial.Design.PARALLEL:
        treated = np.array([0 if trial.arms[p.arm or 0].get("control") else 1 for p in places])
    else:
        treated = np.ones(len(places), dtype=int)  # analysed by day below
    counts = np.array([rows[i] for i in ids], dtype=float).reshape(len(ids), 6)
    result: dict[str, Any] = {
        "trial": trial.pk, "design": trial.design, "window": [a0, a1],
        "before_window": [b0, b1], "places": len(places), "ring_m": ring_m,
    }
    if trial.design == Trial.Design.PARALLEL:
        t, c = treated == 1, treated == 0
        result["treated"] = {"places": int(t.sum()), "before": int(counts[t, 0].sum()),
                             "after": int(counts[t, 1].sum()),
                             "harm_before": float(counts[t, 4].sum()),
                             "harm_after": float(counts[t, 5].sum())}
        result["control"] = {"places": int(c.sum()), "before": int(counts[c, 0].sum()),
                             "after": int(counts[c, 1].sum()),
                             "harm_before": float(counts[c, 4].sum()),
                             "harm_after": float(counts[c, 5].sum())}
        try:
            rr = analysis.rate_ratio(counts=counts[:, 1], treated=treated, before=counts[:, 0])
            result["rate_ratio"] = asdict(rr)
        except (analysis.AnalysisInputError, ValueError, np.linalg.LinAlgError) as exc:
            result["rate_ratio"] = {"error": str(exc)}
        w = analysis.wdd(control=(counts[c, 0].sum(), counts[c, 1].sum()),
                         treated=(counts[t, 0].sum(), counts[t, 1].sum()),
                         disp_control=(counts[c, 2].sum(), counts[c, 3].sum()),
                         disp_treated=(counts[t, 2].sum(), counts[t, 3].sum()))
        result["wdd"] = asdict(w)
        try:
            result["wdq"] = analysis.wdq(
                response=(counts[t, 0].sum(), counts[t, 1].sum()),
                buffer=(counts[t, 2].sum(), counts[t, 3].sum()),
                control=(counts[c, 0].sum(), counts[c, 1].sum()))
        except analysis.AnalysisInputError as exc:
            result["wdq"] = {"error": str(exc)}
    else:
        result.update(_crossover_outcome(trial, ids, a0, a1))
    # Dosage delivered per arm (minutes), from GPS stays and visits merged per person.
    per_spot = {r["hotspot"]: r["minutes"] for r in dosage(user=user, start=a0, end=a1)}
    by_arm: dict[str, float] = {}
    for p in places:
        label = (trial.arms[p.arm]["name"] if trial.design == Trial.Design.PARALLEL
                 and p.arm is not None else trial.arms[0]["name"])
        by_arm[label] = by_arm.get(label, 0.0) + per_spot.get(p.hotspot_id, 0.0)
    result["minutes_by_arm"] = {k: round(v, 1) for k, v in by_arm.items()}
    result["cost"] = _cost(trial, user, a0, a1, result)
    return result


def _crossover_outcome(trial: Trial, ids: list[int], a0: datetime, a1: datetime
                       ) -> dict[str, Any]:
    """Crimes per place-day, patrolled days against days off, as a rate ratio."""
    tz = ZoneInfo(settings.TIME_ZONE)
    with connection.cursor() as cur:
        cur.execute("""
            SELECT h.id, (c.occurred_from AT TIME ZONE %s)::date, count(*)
            FROM hotspots_hotspot h JOIN hotspots_crime c ON ST_Intersects(h.geom, c.location)
            WHERE h.id = ANY(%s) AND c.occurred_from >= %s AND c.occurred_from < %s
            GROUP BY 1, 2""", [str(tz), ids, a0, a1])
        crimes = {(h, d): n for h, d, n in cur.fetchall()}
    days = list(CrossoverDay.objects.filter(trial=trial).values_list("hotspot_id", "day",
                                                                      "patrolled"))
    y = np.array([crimes.get((h, d), 0) for h, d, _ in days], dtype=float)
    on = np.array([1 if p else 0 for _, _, p in days])
    out: dict[str, Any] = {"patrolled_days": int(on.sum()), "days_off": int((1 - on).sum()),
                           "crimes_patrolled": int(y[on == 1].sum()),
                           "crimes_off": int(y[on == 0].sum())}
    try:
        out["rate_ratio"] = asdict(analysis.rate_ratio(counts=y, treated=on))
    except (analysis.AnalysisInputError, ValueError, np.linalg.LinAlgError) as exc:
        out["rate_ratio"] = {"error": str(exc)}
    return out


def _cost(trial: Trial, user: Any, a0: datetime, a1: datetime,
          result: dict[str, Any]) -> dict[str, Any]:
    from patrols.selectors import dosage

    if not trial.hourly_cost:
        return {"error": "no hourly costs set for this trial"}
    hours = {r["role"] or "staff": r["minutes"] / 60 for r in dosage(
        user=user, start=a0, end=a1, by="role",
        area_ids=list(trial.places.values_list("hotspot__area_id", flat=True)))}
    prevented = None
    if trial.design == Trial.Design.PARALLEL and result.get("control", {}).get("harm_before"):
        c, t = result["control"], result["treated"]
        # Harm the treated places would have had at the control places' rate of change.
        expected = t["harm_before"] * c["harm_after"] / c["harm_before"]
        prevented = expected - t["harm_after"]
    from patrols.models import Visit

    visits = Visit.objects.filter(hotspot_id__in=trial.places.values("hotspot_id"),
                                  started_at__gte=a0, started_at__lt=a1).count()
    try:
        cost = analysis.patrol_cost(hours_by_role=hours, rate_by_role=trial.hourly_cost,
                                    visits=visits, harm_prevented=prevented)
    except analysis.AnalysisInputError as exc:
        return {"error": str(exc)}
    return {**asdict(cost), "harm_prevented": prevented, "visits": visits}

