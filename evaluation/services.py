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
from core.errors import InputError
from core.text import markup_problem
from hotspots.models import Hotspot, OffenceType

from . import analysis
from .models import CrossoverDay, Trial, TrialHotspot

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
        if not rate > 0:
            raise TrialInputError(f"the hourly cost for {role} must be above zero; leave the "
                                  "role out if it has no cost")
        if not rate <= MAX_HOURLY_COST:  # also refuses infinity and NaN
            raise TrialInputError(f"the hourly cost for {role} is at most "
                                  f"£{MAX_HOURLY_COST:,.0f}")
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


# Per place: the outcome (crime of the types targeting counts, and its harm) and, apart,
# the types patrols find themselves (drugs, possession of weapons: include_in_targeting is
# False). Those rise because officers are there, so counting them would make a patrolled
# place look worse; they are reported as activity, never as the outcome.
COUNTS_SQL = """
SELECT h.id,
       count(*) FILTER (WHERE o.include_in_targeting AND c.occurred_from < %(b1)s),
       count(*) FILTER (WHERE o.include_in_targeting AND c.occurred_from >= %(a0)s),
       COALESCE(sum(o.harm_weight) FILTER (WHERE o.include_in_targeting
                                           AND c.occurred_from < %(b1)s), 0),
       COALESCE(sum(o.harm_weight) FILTER (WHERE o.include_in_targeting
                                           AND c.occurred_from >= %(a0)s), 0),
       count(*) FILTER (WHERE NOT o.include_in_targeting AND c.occurred_from < %(b1)s),
       count(*) FILTER (WHERE NOT o.include_in_targeting AND c.occurred_from >= %(a0)s)
FROM hotspots_hotspot h
LEFT JOIN (hotspots_crime c JOIN hotspots_offencetype o ON o.id = c.offence_type_id)
     ON ST_Intersects(h.geom, c.location)
     AND c.occurred_from >= %(b0)s AND c.occurred_from < %(a1)s
WHERE h.id = ANY(%(ids)s)
GROUP BY h.id ORDER BY h.id
"""

# Displacement rings, one area per side (treated, control): everything within `ring` of
# the side's places, less every place in the trial. A crime inside any trial place,
# control or treated, is that place's outcome and never another place's ring (selected
# cells are often within 150 m of each other). A crime in the rings of two places of one
# side counts once for that side.
RINGS_SQL = """
WITH places AS (
    SELECT h.id, h.geom, p.treated
    FROM unnest(%(ids)s::bigint[], %(treated)s::boolean[]) AS p(id, treated)
    JOIN hotspots_hotspot h ON h.id = p.id
)
SELECT p.treated,
       count(DISTINCT c.id) FILTER (WHERE c.occurred_from < %(b1)s),
       count(DISTINCT c.id) FILTER (WHERE c.occurred_from >= %(a0)s)
FROM places p
JOIN hotspots_crime c ON ST_DWithin(p.geom, c.location, %(ring)s)
     AND c.occurred_from >= %(b0)s AND c.occurred_from < %(a1)s
JOIN hotspots_offencetype o ON o.id = c.offence_type_id AND o.include_in_targeting
WHERE NOT EXISTS (SELECT 1 FROM places q WHERE ST_Intersects(q.geom, c.location))
GROUP BY p.treated
"""


def _activity_types() -> list[str]:
    return list(OffenceType.objects.filter(include_in_targeting=False)
                .order_by("name").values_list("name", flat=True))


def trial_outcome(*, trial: Trial, user: Any, ring_m: float = 150.0) -> dict[str, Any]:
    """Crime and harm in treated against control places over the trial, beside the same
    length of time just before it: a rate ratio with its 95% interval (robust to places
    differing, adjusted for each place's count before) and a randomisation p-value, WDD and
    WDQ over rings of `ring_m` around the places, the types patrols find themselves apart as
    activity, patrol minutes delivered per arm, and the cost of the treated arms' patrol."""
    from patrols.selectors import dosage

    places = list(trial.places.select_related("hotspot").order_by("hotspot_id"))
    ids = [p.hotspot_id for p in places]
    a0, a1 = _local_midnight(trial.start_date), _local_midnight(trial.end_date + timedelta(1))
    b0, b1 = a0 - (a1 - a0), a0
    window = {"a0": a0, "a1": a1, "b0": b0, "b1": b1}
    result: dict[str, Any] = {
        "trial": trial.pk, "design": trial.design, "window": [a0, a1],
        "before_window": [b0, b1], "places": len(places), "ring_m": ring_m,
        "activity_types": _activity_types(),
    }
    if trial.design == Trial.Design.PARALLEL:
        result.update(_parallel_outcome(trial, places, window, ring_m))
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


def _error(exc: Exception) -> dict[str, str]:
    return {"error": str(exc)}


def _parallel_outcome(trial: Trial, places: list[TrialHotspot], window: dict[str, datetime],
                      ring_m: float) -> dict[str, Any]:
    """Treated against control: counts, rings and activity by side, the rate ratio, the
    randomisation p, WDD and WDQ; the comparisons refused when there is no control arm."""
    ids = [p.hotspot_id for p in places]
    control_arm = np.array([bool(a.get("control")) for a in trial.arms])
    arm = np.array([p.arm or 0 for p in places], dtype=np.int64)
    treated = ~control_arm[arm]
    with connection.cursor() as cur:
        cur.execute(COUNTS_SQL, {"ids": ids, **window})
        rows = {r[0]: r[1:] for r in cur.fetchall()}
        cur.execute(RINGS_SQL, {"ids": ids, "treated": treated.tolist(), "ring": ring_m,
                                **window})
        rings = {bool(r[0]): (int(r[1]), int(r[2])) for r in cur.fetchall()}
    counts = np.array([rows[i] for i in ids], dtype=float).reshape(len(ids), 6)
    out: dict[str, Any] = {}
    for label, side in (("treated", treated), ("control", ~treated)):
        ring = rings.get(label == "treated", (0, 0))
        out[label] = {"places": int(side.sum()), "before": int(counts[side, 0].sum()),
                      "after": int(counts[side, 1].sum()),
                      "harm_before": float(counts[side, 2].sum()),
                      "harm_after": float(counts[side, 3].sum()),
                      "ring_before": ring[0], "ring_after": ring[1],
                      "activity_before": int(counts[side, 4].sum()),
                      "activity_after": int(counts[side, 5].sum())}
    t, c = out["treated"], out["control"]
    has_control = bool((~treated).any())
    try:
        out["wdd"] = asdict(analysis.wdd(
            control=(c["before"], c["after"]) if has_control else None,
            treated=(t["before"], t["after"]),
            disp_control=(c["ring_before"], c["ring_after"]),
            disp_treated=(t["ring_before"], t["ring_after"])))
    except analysis.AnalysisInputError as exc:
        out["wdd"] = _error(exc)
    if not has_control:
        # A trial of patrol lengths against each other is allowed, but none of these
        # comparisons is: each would be a before/after change presented as an effect.
        refused = {"error": analysis.NO_CONTROL}
        return {**out, "refused": analysis.NO_CONTROL, "rate_ratio": refused,
                "randomisation": refused, "wdq": refused}
    try:
        out["rate_ratio"] = asdict(analysis.rate_ratio(
            counts=counts[:, 1], treated=treated.astype(int), before=counts[:, 0]))
    except analysis.AnalysisInputError as exc:
        out["rate_ratio"] = _error(exc)
    try:
        out["randomisation"] = {
            "p": analysis.block_permutation_p(
                counts=counts[:, 1], before=counts[:, 0], seed=trial.seed, arms=arm,
                blocks=np.array([p.block for p in places]), control=control_arm),
            "permutations": analysis.PERMUTATIONS,
            "scheme": "arms dealt again within the trial's blocks"}
    except analysis.AnalysisInputError as exc:
        out["randomisation"] = _error(exc)
    try:
        out["wdq"] = asdict(analysis.wdq_read(response=(t["before"], t["after"]),
                                              buffer=(t["ring_before"], t["ring_after"]),
                                              control=(c["before"], c["after"])))
    except analysis.AnalysisInputError as exc:
        out["wdq"] = _error(exc)
    return out


# A police.uk crime knows only its month: the importer stores the month as its window
# (local midnight on the 1st to the next month; some sources end it on the last day), so
# it starts on the 1st at midnight and is four weeks or more long.
MONTH_ONLY_SQL = """
SELECT count(*) FILTER (WHERE c.occurred_to - c.occurred_from >= interval '27 days'
                        AND (c.occurred_from AT TIME ZONE %(tz)s)::time = '00:00'
                        AND extract(day FROM c.occurred_from AT TIME ZONE %(tz)s) = 1),
       count(*)
FROM hotspots_hotspot h
JOIN hotspots_crime c ON ST_Intersects(h.geom, c.location)
WHERE h.id = ANY(%(ids)s)
  AND c.occurred_from >= %(a0)s - interval '32 days' AND c.occurred_from < %(a1)s
  AND (c.occurred_from >= %(a0)s OR c.occurred_to > %(a0)s)
"""

CROSSOVER_SQL = """
SELECT h.id, (c.occurred_from AT TIME ZONE %(tz)s)::date,
       count(*) FILTER (WHERE o.include_in_targeting),
       count(*) FILTER (WHERE NOT o.include_in_targeting)
FROM hotspots_hotspot h
JOIN hotspots_crime c ON ST_Intersects(h.geom, c.location)
JOIN hotspots_offencetype o ON o.id = c.offence_type_id
WHERE h.id = ANY(%(ids)s) AND c.occurred_from >= %(a0)s AND c.occurred_from < %(a1)s
GROUP BY 1, 2
"""


def _crossover_outcome(trial: Trial, ids: list[int], a0: datetime, a1: datetime
                       ) -> dict[str, Any]:
    """Crimes per place-day, patrolled days against days off, as a rate ratio within places
    and a randomisation p-value; refused on month-only dates."""
    tz = str(ZoneInfo(settings.TIME_ZONE))
    days = list(CrossoverDay.objects.filter(trial=trial).order_by("day", "hotspot_id")
                .values_list("hotspot_id", "day", "patrolled"))
    column = {h: i for i, h in enumerate(ids)}
    row = {d: i for i, d in enumerate(sorted({d for _, d, _ in days}))}
    on = np.zeros((len(row), len(ids)), dtype=bool)
    for h, d, patrolled in days:
        on[row[d], column[h]] = patrolled
    out: dict[str, Any] = {"patrolled_days": int(on.sum()), "days_off": int((~on).sum())}
    with connection.cursor() as cur:
        cur.execute(MONTH_ONLY_SQL, {"tz": tz, "ids": ids, "a0": a0, "a1": a1})
        month_only, overlapping = cur.fetchone()
        if month_only:
            # Every such crime would land on the 1st, in whichever places were patrolled
            # that one day: the day-level comparison would be noise at best, bias at worst.
            message = (
                f"no day-level comparison: {month_only} of the {overlapping} crimes at these "
                "places in the trial's dates are dated only to their month (police.uk "
                "records every crime on the 1st), so they cannot be put on a patrolled day "
                "or a day off. A daily crossover needs crimes dated to the day: import the "
                "force's own records with their dates.")
            return {**out, "refused": message, "rate_ratio": {"error": message},
                    "randomisation": {"error": message}}
        cur.execute(CROSSOVER_SQL, {"tz": tz, "ids": ids, "a0": a0, "a1": a1})
        fetched = cur.fetchall()
    y = np.zeros(on.shape)
    activity = np.zeros(on.shape)
    for h, d, crimes, found in fetched:
        if d in row:
            y[row[d], column[h]] = crimes
            activity[row[d], column[h]] = found
    out.update({"crimes_patrolled": int(y[on].sum()), "crimes_off": int(y[~on].sum()),
                "activity_patrolled": int(activity[on].sum()),
                "activity_off": int(activity[~on].sum())})
    try:
        out["rate_ratio"] = asdict(analysis.crossover_rate_ratio(counts=y, patrolled=on))
    except analysis.AnalysisInputError as exc:
        out["rate_ratio"] = _error(exc)
    try:
        out["randomisation"] = {
            "p": analysis.crossover_permutation_p(counts=y, patrolled=on, seed=trial.seed),
            "permutations": analysis.PERMUTATIONS,
            "scheme": "each day's patrolled places drawn again among the trial's places"}
    except analysis.AnalysisInputError as exc:
        out["randomisation"] = _error(exc)
    return out


def _cost(trial: Trial, user: Any, a0: datetime, a1: datetime,
          result: dict[str, Any]) -> dict[str, Any]:
    from patrols.selectors import dosage

    if not trial.hourly_cost:
        return {"error": "no hourly costs set for this trial"}
    # The trial's own places only, and only minutes someone can be named for: a device
    # without a holder has no role to price, so its minutes are shown, not costed.
    places = list(trial.places.values_list("hotspot_id", flat=True))
    rows = dosage(user=user, start=a0, end=a1, by="role", hotspot_ids=places,
                  area_ids=list(trial.places.values_list("hotspot__area_id", flat=True)))
    hours: dict[str, float] = {}
    for r in rows:
        named = r["minutes"] - r["unattributed_minutes"]
        if named > 0:  # a named person with no rank recorded is costed as staff
            role = r["role"] or "staff"
            hours[role] = hours.get(role, 0.0) + named / 60
    unpriced = round(sum(r["unattributed_minutes"] for r in rows) / 60, 2)
    prevented = None
    if trial.design == Trial.Design.PARALLEL and result.get("control", {}).get("harm_before"):
        c, t = result["control"], result["treated"]
        # Harm the treated places would have had at the control places' rate of change.
        expected = t["harm_before"] * c["harm_after"] / c["harm_before"]
        prevented = expected - t["harm_after"]
    from patrols.selectors import visits_count

    visits = visits_count(hotspot_ids=places, start=a0, end=a1)
    try:
        cost = analysis.patrol_cost(hours_by_role=hours, rate_by_role=trial.hourly_cost,
                                    visits=visits, harm_prevented=prevented)
    except analysis.AnalysisInputError as exc:
        return {"error": str(exc)}
    return {**asdict(cost), "harm_prevented": prevented, "visits": visits,
            "unattributed_hours": unpriced}

