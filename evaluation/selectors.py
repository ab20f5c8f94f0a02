"""Reads for evaluation: trials a user may see, what running trials ask of tasking, and a
trial's outcome (counts, WDD and WDQ, the rate ratio, dosage and cost)."""

from dataclasses import asdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from accounts.selectors import area_scope_q, area_subtree_ids
from hotspots.models import OffenceType
from patrols.selectors import dosage, visits_count
from tasking.constraints import PatrolConstraints
from training.figures import Figure

from . import analysis
from .models import CrossoverDay, Trial, TrialHotspot


def trials_visible(*, user: Any) -> QuerySet[Trial]:
    return Trial.objects.filter(area_scope_q(user=user)).select_related("area")


def crossover_calendar(*, trial: Trial) -> dict[str, Any]:
    """A crossover trial's schedule as a grid: its days, and for each place whether it is
    patrolled on each (issue 18, item 18: the page showed only "daily crossover")."""
    days = [trial.start_date + timedelta(days=d)
            for d in range((trial.end_date - trial.start_date).days + 1)]
    on = {(h, day): patrolled for h, day, patrolled in
          CrossoverDay.objects.filter(trial=trial).values_list("hotspot_id", "day", "patrolled")}
    rows = []
    for place in trial.places.select_related("hotspot").order_by("block", "hotspot_id"):
        spot = place.hotspot
        rows.append({"name": spot.name or spot.key,
                     "cells": [on.get((spot.pk, day)) for day in days]})
    return {"days": days, "rows": rows}


def trial_phase(*, trial: Trial, today: date) -> str:
    """Where a trial stands, in words: its stored status says whether randomisation is
    locked, the calendar whether it has begun or ended (a running trial past its end date
    had read "Running" for ever)."""
    if trial.status == Trial.Status.DRAFT:
        return "Draft"
    if trial.status == Trial.Status.FINISHED or today > trial.end_date:
        return f"Ended {trial.end_date:%-d %b %Y}"
    if today < trial.start_date:
        return f"Starts {trial.start_date:%-d %b %Y} (randomisation locked)"
    return "Running (randomisation locked)"


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
    visits = visits_count(hotspot_ids=places, start=a0, end=a1)
    try:
        cost = analysis.patrol_cost(hours_by_role=hours, rate_by_role=trial.hourly_cost,
                                    visits=visits, harm_prevented=prevented)
    except analysis.AnalysisInputError as exc:
        return {"error": str(exc)}
    return {**asdict(cost), "harm_prevented": prevented, "visits": visits,
            "unattributed_hours": unpriced}



def finished_trials(*, area_ids: list[int] | None, today: date) -> QuerySet[Trial]:
    """Trials that have ended (finished, or running past their end date), newest first;
    every area's with None."""
    found = Trial.objects.exclude(status=Trial.Status.DRAFT).filter(end_date__lt=today)
    if area_ids is not None:
        found = found.filter(area_id__in=area_ids)
    return found.select_related("area").order_by("-end_date", "-id")


def trial_sentence(*, trial: Trial, user: Any) -> str:
    """A finished trial's result in one plain sentence for officers: the rate ratio as a
    percentage and whether its 95% interval rules out chance."""
    rr = trial_outcome(trial=trial, user=user).get("rate_ratio", {})
    head = f"{trial.name} ({trial.start_date:%-d %b %Y} to {trial.end_date:%-d %b %Y})"
    if rr.get("error") or rr.get("ratio") is None:
        return f"{head}: no result: {rr.get('error') or 'too little crime to compare'}."

    def pct(x: float) -> str:
        return f"{abs(1 - x) * 100:.0f}% {'lower' if x < 1 else 'higher'}"

    ratio, low, high = float(rr["ratio"]), float(rr["ci_low"]), float(rr["ci_high"])
    said = (f"{head}: crime in the patrolled hot spots was {pct(ratio)} than in those left "
            "as usual")
    if high < 1 or low > 1:
        return (f"{said} (95% interval {pct(low)} to {pct(high)}), a difference chance "
                "alone would seldom give.")
    return (f"{said}, but the 95% interval runs from {pct(low)} to {pct(high)}: the trial "
            "cannot tell this from chance.")


def last_trial_figure(area: Any, user: Any) -> Figure:
    """The training figure `last_trial`: the latest finished trial of the reader's area, of
    an area above it or below it, in one sentence."""
    ids = [int(x) for x in area.path.strip("/").split("/") if x]
    ids += area_subtree_ids(area=area)
    today = timezone.localdate()
    trial = finished_trials(area_ids=ids, today=today).first()
    if trial is None:
        return Figure("No trial has finished here yet.", today)
    return Figure(f"The last finished trial: {trial_sentence(trial=trial, user=user)}", today)
