"""Reads for reports: the monthly funding return and the neighbourhood summary."""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import Area, Team
from accounts.selectors import area_scope_ids, area_subtree_ids
from core.errors import InputError
from evaluation.models import Trial
from evaluation.selectors import finished_trials, trial_outcome, trial_sentence
from hotspots.selectors import (
    crime_at_hotspots,
    crime_data_span,
    data_last_day,
    hotspot_names,
    latest_done_run,
    run_lorenz_points,
)
from patrols.selectors import (
    dosage,
    dosage_of_people,
    dosage_total,
    observations_of,
    visits_of_people,
)
from tasking.models import PatrolTask, Shift, TaskingPlan
from tasking.selectors import tasked_for_people, tasked_to_teams
from training.selectors import readiness_at

# Serious violence as funders count it from police.uk categories: violence and sexual
# offences, robbery and possession of weapons.
SERIOUS_VIOLENCE = ("violence-and-sexual-offences", "robbery", "possession-of-weapons")
# Found by police activity: drugs and weapons possession.
ENFORCEMENT = ("drugs", "possession-of-weapons")

FUNDING_SQL = """
WITH months AS (
    SELECT m::date AS month,
           (m AT TIME ZONE %(tz)s) AS lo, ((m + interval '1 month') AT TIME ZONE %(tz)s) AS hi
    FROM generate_series(%(first)s::timestamp, %(last)s::timestamp, interval '1 month') m
), spots AS (
    SELECT id, geom FROM hotspots_hotspot
    WHERE area_id = ANY(%(areas)s) AND status IN ('approved', 'retired')
), crimes AS (
    SELECT DISTINCT ON (c.id) c.id, c.occurred_from, o.code, o.category
    FROM spots s JOIN hotspots_crime c ON ST_Intersects(s.geom, c.location)
    JOIN hotspots_offencetype o ON o.id = c.offence_type_id
    WHERE c.occurred_from >= %(start)s AND c.occurred_from < %(end)s
), visits AS (
    SELECT v.started_at, v.activities FROM patrols_visit v
    WHERE v.hotspot_id IN (SELECT id FROM spots)
      AND v.started_at >= %(start)s AND v.started_at < %(end)s
)
SELECT m.month,
       (SELECT count(*) FROM visits v WHERE v.started_at >= m.lo AND v.started_at < m.hi),
       (SELECT count(*) FROM visits v WHERE v.started_at >= m.lo AND v.started_at < m.hi
          AND v.activities ? 'stop'),
       (SELECT count(*) FROM crimes c WHERE c.occurred_from >= m.lo AND c.occurred_from < m.hi
          AND c.category = 'asb'),
       (SELECT count(*) FROM crimes c WHERE c.occurred_from >= m.lo AND c.occurred_from < m.hi
          AND c.code = ANY(%(sv)s)),
       (SELECT count(*) FROM crimes c WHERE c.occurred_from >= m.lo AND c.occurred_from < m.hi
          AND c.code = ANY(%(enf)s))
FROM months m ORDER BY m.month
"""

# Patrol hours are person-hours with every minute counted once (patrols.selectors.dosage):
# at approved hot spots, and apart, at hot spots not approved (candidate, suppressed or
# retired), so that nothing is claimed twice and nothing is hidden.
FUNDING_COLUMNS = ["month", "patrol_hours", "patrol_hours_not_approved_hot_spots", "visits",
                   "stops_on_visits", "asb_in_hot_spots", "serious_violence_in_hot_spots",
                   "drugs_and_weapons_found_in_hot_spots", "staff_trained_percent"]


def _month_start(day: date) -> date:
    return day.replace(day=1)


def funding_return(*, user: Any, area: Area, first: date, last: date) -> list[list[Any]]:
    """One row a month from `first` to `last` (months): patrol hours at approved hot spots
    and, apart, at those not approved (each person's minute once), visits, stops recorded
    on visits, ASB and serious violence inside hot spots, and drugs and weapons offences
    found there."""

    if last < first:
        raise InputError("the last month is before the first")
    if (last.year - first.year) * 12 + last.month - first.month > 35:
        raise InputError("a funding return covers at most 36 months")
    scope = area_scope_ids(user=user)
    if scope is not None and area.pk not in scope:
        raise InputError("that area is outside yours")
    tz = ZoneInfo(settings.TIME_ZONE)
    first, last = _month_start(first), _month_start(last)
    start = datetime.combine(first, time(0), tz)
    end_month = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
    end = datetime.combine(end_month, time(0), tz)
    areas = area_subtree_ids(area=area)
    with connection.cursor() as cur:
        cur.execute(FUNDING_SQL, {"tz": settings.TIME_ZONE, "first": first, "last": last,
                                  "areas": areas, "start": start, "end": end,
                                  "sv": list(SERIOUS_VIOLENCE), "enf": list(ENFORCEMENT)})
        rows = cur.fetchall()
    out = []
    for month, visits, stops, asb, sv, enf in rows:
        lo = datetime.combine(month, time(0), tz)
        nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        hi = datetime.combine(nxt, time(0), tz)
        # A month's total, not a sum over hot spots: a minute in two hot spots' reach or
        # two shifts is one minute.
        total = dosage_total(user=user, start=lo, end=hi, area_ids=areas)
        elsewhere = total["not_approved_minutes"]
        # Training (issue 19): the share of the area's people holding every module their
        # role requires, at the month's end (now, for the month under way).
        ready, people = readiness_at(area_ids=areas, at=min(hi, timezone.now()))
        out.append([month.strftime("%Y-%m"), round((total["minutes"] - elsewhere) / 60, 1),
                    round(elsewhere / 60, 1), visits, stops, asb, sv, enf,
                    round(100 * ready / people, 1) if people else ""])
    return out


def neighbourhood_summary(*, user: Any, end: datetime | None = None) -> list[dict[str, Any]]:
    """For each neighbourhood: patrol hours at its hot spots over the last 365 days and its
    recorded crime, against the 365 days before. Aggregated, with no hot spot locations:
    fit for publishing to residents."""

    end = end or timezone.now()
    start = end - timedelta(days=365)
    scope = area_scope_ids(user=user)
    hoods = Area.objects.filter(level=Area.Level.NEIGHBOURHOOD)
    if scope is not None:
        hoods = hoods.filter(pk__in=scope)
    # Crime is compared over two years that end where its data end, not today: police.uk
    # arrives two months late, and counting to today read as a fall of 100% (issue 18,
    # item 19). Patrol hours are live, so theirs is the last 365 days.
    data_start, data_end = crime_data_span(area_ids=[a.pk for a in hoods])
    # The window includes the last crime itself (an instant's window ends at its start).
    crime_end = min(end, data_end + timedelta(microseconds=1)) if data_end is not None else end
    crime_start = crime_end - timedelta(days=365)
    before_start, before_end = crime_start - timedelta(days=365), crime_start
    # Data that begin inside the year before (a force's first import, the demo's one real
    # year) leave that year short: it is shown as no data, not as a count to compare with.
    # A month's grace, as monthly data begin on the 1st and the year on any day.
    compared = data_start is not None and data_start <= before_start + timedelta(days=31)
    minutes: dict[int, float] = {}
    with connection.cursor() as cur:
        cur.execute("SELECT id, area_id FROM hotspots_hotspot WHERE area_id = ANY(%s)",
                    [[a.pk for a in hoods]])
        spot_area = dict(cur.fetchall())
        cur.execute("""
            SELECT area_id,
                   count(*) FILTER (WHERE occurred_from >= %s AND occurred_from < %s),
                   count(*) FILTER (WHERE occurred_from >= %s AND occurred_from < %s)
            FROM hotspots_crime WHERE area_id = ANY(%s) GROUP BY area_id""",
                    [crime_start, crime_end, before_start, before_end, [a.pk for a in hoods]])
        crimes = {a: (now, then) for a, now, then in cur.fetchall()}
    for row in dosage(user=user, start=start, end=end):
        area_id = spot_area.get(row["hotspot"])
        if area_id is not None:
            minutes[area_id] = minutes.get(area_id, 0.0) + row["minutes"]
    out = []
    for hood in hoods.order_by("name"):
        now, then = crimes.get(hood.pk, (0, 0))
        before = then if compared else None
        out.append({"area": hood.name, "patrol_hours": round(minutes.get(hood.pk, 0.0) / 60),
                    "crimes": now, "crimes_year_before": before,
                    "change": round(100 * (now - then) / then) if before else None,
                    "crime_data_to": data_last_day(data_end),
                    "crime_data_from": (timezone.localtime(data_start).date()
                                        if data_start is not None else None)})
    return out


WEEKLY_CRIME_SQL = """
WITH weeks AS (
    SELECT w AS lo, w + interval '7 days' AS hi
    FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz - interval '1 second',
                         interval '7 days') w
), spots AS (
    SELECT id, geom FROM hotspots_hotspot
    WHERE area_id = ANY(%(areas)s) AND (%(hotspot)s::bigint IS NULL OR id = %(hotspot)s)
      AND status IN ('approved', 'retired')
), crimes AS (
    SELECT DISTINCT ON (c.id) c.id, c.occurred_from, c.occurred_to, o.harm_weight
    FROM spots s JOIN hotspots_crime c ON ST_Intersects(s.geom, c.location)
    JOIN hotspots_offencetype o ON o.id = c.offence_type_id AND o.include_in_targeting
    WHERE c.occurred_from >= %(start)s AND c.occurred_from < %(end)s
)
SELECT w.lo, count(c.id), COALESCE(sum(c.harm_weight), 0),
       (SELECT max(occurred_to) FROM crimes)
FROM weeks w LEFT JOIN crimes c ON c.occurred_from >= w.lo AND c.occurred_from < w.hi
GROUP BY w.lo ORDER BY w.lo
"""


def _weekly_hours(*, user: Any, areas: list[int], start: datetime, end: datetime, weeks: int,
                  hotspot_id: int | None) -> tuple[list[float], list[float]]:
    """Patrol hours a week with every person's minute counted once (at one hot spot, in
    one shift): at approved hot spots for the chart, and apart those at hot spots not
    approved. One dosage query cut into the weeks (it ran once a week, up to 104 times)."""
    by_week = {r["week"]: r for r in dosage(
        user=user, start=start, end=end, by="week", area_ids=areas,
        hotspot_ids=None if hotspot_id is None else [hotspot_id])}
    hours, hours_not_approved = [], []
    for k in range(weeks):
        week = by_week.get(k, {"minutes": 0.0, "not_approved_minutes": 0.0})
        hours.append(round((week["minutes"] - week["not_approved_minutes"]) / 60, 1))
        hours_not_approved.append(round(week["not_approved_minutes"] / 60, 1))
    return hours, hours_not_approved


def _compliance(*, user: Any, areas: list[int], start: datetime,
                end: datetime) -> dict[str, list[Any]]:
    """Planned against delivered patrol hours, by team and by shift pattern: minutes at
    approved hot spots (the ones plans task) in published plans' planned visits."""
    tasks = PatrolTask.objects.filter(plan__status=TaskingPlan.Status.PUBLISHED,
                                      status=PatrolTask.Status.PLANNED, starts_at__gte=start,
                                      starts_at__lt=end, plan__area_id__in=areas)
    planned_team: dict[int, int] = {}
    planned_pattern: dict[str, int] = {}
    for team_id, pattern, minutes in tasks.values_list("assignee_team_id", "shift__pattern__name",
                                                       "minutes"):
        planned_team[team_id or 0] = planned_team.get(team_id or 0, 0) + minutes
        planned_pattern[pattern] = planned_pattern.get(pattern, 0) + minutes
    got_team = {r["team"]: r["minutes"] - r["not_approved_minutes"]
                for r in dosage(user=user, start=start, end=end, by="team", area_ids=areas)}
    by_shift = dosage(user=user, start=start, end=end, by="shift", area_ids=areas)
    # Named from the rows: a shift that began before the window still has minutes in it.
    shift_names = dict(Shift.objects.filter(pk__in=[r["shift"] for r in by_shift
                                                    if r["shift"] is not None])
                       .values_list("pk", "pattern__name"))
    got_pattern: dict[str, float] = {}
    for r in by_shift:
        name = shift_names.get(r["shift"])
        if name:
            got_pattern[name] = (got_pattern.get(name, 0.0) + r["minutes"]
                                 - r["not_approved_minutes"])
    team_names = dict(Team.objects.filter(pk__in=set(planned_team) | set(got_team))
                      .values_list("pk", "name"))
    teams = sorted(set(planned_team) | set(got_team), key=lambda t: team_names.get(t, ""))
    patterns = sorted(set(planned_pattern) | set(got_pattern))
    return {
        "teams": [team_names.get(t, "No team") for t in teams],
        "team_planned": [round(planned_team.get(t, 0) / 60, 1) for t in teams],
        "team_delivered": [round(got_team.get(t, 0.0) / 60, 1) for t in teams],
        "patterns": patterns,
        "pattern_planned": [round(planned_pattern.get(p, 0) / 60, 1) for p in patterns],
        "pattern_delivered": [round(got_pattern.get(p, 0.0) / 60, 1) for p in patterns],
    }


def _trial_rows(*, user: Any, areas: list[int]) -> list[dict[str, Any]]:
    trials = []
    for trial in Trial.objects.filter(area_id__in=areas).exclude(status=Trial.Status.DRAFT):
        out = trial_outcome(trial=trial, user=user)
        rr = out.get("rate_ratio", {})
        trials.append({"name": trial.name, "ratio": rr.get("ratio"), "low": rr.get("ci_low"),
                       "high": rr.get("ci_high"), "error": rr.get("error"),
                       "wdd": out.get("wdd", {}).get("estimate")})
    return trials


PARTIAL_WEEK_GRACE = timedelta(hours=36)


def dashboard(*, user: Any, area: Area, weeks: int = 12,
              hotspot_id: int | None = None) -> dict[str, Any]:
    """The figures the dashboard charts: weekly crime, harm and patrol hours at hot spots
    (one hot spot, or all in the area), compliance by team and by shift, the area's latest
    concentration curve, and the results of its trials."""

    if not 1 <= weeks <= 104:
        raise InputError("weeks is 1 to 104")
    areas = area_subtree_ids(area=area)
    now = timezone.now()
    end = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    start = end - timedelta(days=7 * weeks)
    with connection.cursor() as cur:
        cur.execute(WEEKLY_CRIME_SQL, {"start": start, "end": end, "areas": areas,
                                       "hotspot": hotspot_id})
        weekly = cur.fetchall()
    hours, hours_not_approved = _weekly_hours(user=user, areas=areas, start=start, end=end,
                                              weeks=len(weekly), hotspot_id=hotspot_id)
    # A week that ends after the crime data end has no full crime figure yet: charted as a
    # gap, not a fall to nothing (issue 18, item 19).
    # The area's crime, or the hot spots' own where crimes were never given an area.
    data_start, area_end = crime_data_span(area_ids=areas)
    ends = [e for e in (area_end, weekly[0][3] if weekly else None) if e is not None]
    data_end = max(ends) if ends else None
    # A week the data cover only in part (police.uk's month ending on a Thursday) is blank
    # too: four days' crime charted as a week's read as a fall. Data that reach within a day
    # and a half of the week's end (of now, for this week) count as whole: a force's own
    # extract ends at its last crime, which is seldom at midnight.
    # The same at the other end: weeks before the data begin, or that they begin inside,
    # are no weeks of little crime (a review saw 7 beside 13 the week after).
    known = [data_end is not None
             and data_end >= min(lo + timedelta(days=7), now) - PARTIAL_WEEK_GRACE
             and (data_start is None or data_start <= lo + PARTIAL_WEEK_GRACE)
             for lo, _, _, _ in weekly]
    run = latest_done_run(area=area)
    return {
        "weeks": [lo.astimezone(timezone.get_current_timezone()).strftime("%d %b")
                  for lo, _, _, _ in weekly],
        "crimes": [int(n) if ok else None
                   for (_, n, _, _), ok in zip(weekly, known, strict=True)],
        "harm": [float(h) if ok else None
                 for (_, _, h, _), ok in zip(weekly, known, strict=True)],
        "crime_data_to": (day.isoformat() if (day := data_last_day(data_end)) else None),
        "crime_data_to_text": f"{day:%-d %b %Y}" if day else None,
        # Blank weeks at the end (data not in yet) and at the start (before the data begin).
        "crime_weeks_missing": known[::-1].index(True) if True in known else len(known),
        "crime_weeks_before_data": known.index(True) if True in known else 0,
        "crime_data_from_text": (f"{timezone.localtime(data_start):%-d %b %Y}"
                                 if data_start is not None else None),
        "hours": hours, "hours_not_approved": hours_not_approved,
        "hours_sum": round(sum(hours), 1),
        "hours_not_approved_sum": round(sum(hours_not_approved), 1),
        **_compliance(user=user, areas=areas, start=start, end=min(end, now)),
        "lorenz": [[round(x, 4), round(y, 4)] for x, y in (run_lorenz_points(run=run)
                                                           if run else [])],
        "lorenz_area": run.area.name if run else None,
        "trials": _trial_rows(user=user, areas=areas),
    }


TREND_WEEKS = 12


def my_patrols(*, viewer: Any, people: list[int], team_ids: list[int],
               now: datetime | None = None) -> dict[str, Any]:
    """What an officer's patrols did (or a team's, for its supervisor; nobody ranked):
    this month's visits and minutes against those named to them (and, apart, those given
    to their team with no one named, which any of its members may make), the hot spots
    patrolled most in the last 90 days with their crime and harm over the 12 weeks to the
    crime data's end against the same weeks a year before (364 days, so weekdays match),
    the force's
    finished trials in a sentence each, and the observations left at visits."""
    tz = timezone.get_current_timezone()
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    month_start = datetime.combine(today.replace(day=1), time(0), tz)
    mine = dosage_of_people(user=viewer, start=month_start, end=now, people=people)
    visits = visits_of_people(people=people, start=month_start, end=now).count()
    tasked = tasked_for_people(people=people, start=month_start, end=now)
    shared = tasked_to_teams(team_ids=team_ids, start=month_start, end=now)
    recent = dosage_of_people(user=viewer, start=now - timedelta(days=90), end=now,
                              people=people)
    top = [r for r in recent["hotspots"] if r["minutes"] > 0][:3]
    names = hotspot_names(ids=[r["hotspot"] for r in top])
    spots = [r["hotspot"] for r in top]
    trend: dict[str, Any] = {"from": None, "to": None, "rows": [
        {"hotspot": r["hotspot"], "name": names.get(r["hotspot"], ""), "minutes": r["minutes"],
         "crimes": None, "harm": None, "crimes_before": None, "harm_before": None}
        for r in top]}
    data_start, data_end = crime_data_span(area_ids=None) if spots else (None, None)
    last_day = data_last_day(data_end)
    if last_day is not None:
        end = datetime.combine(last_day + timedelta(days=1), time(0), tz)
        start = end - timedelta(weeks=TREND_WEEKS)
        now_counts = crime_at_hotspots(hotspot_ids=spots, start=start, end=end)
        before = crime_at_hotspots(hotspot_ids=spots, start=start - timedelta(days=364),
                                   end=end - timedelta(days=364))
        trend.update({"from": start.date(), "to": (end - timedelta(days=1)).date(),
                      "before_from": (start - timedelta(days=364)).date(),
                      "before_to": (end - timedelta(days=365)).date()})
        # A year before the data begin is no year of no crime (as on the dashboard).
        year_known = data_start is not None and data_start <= start - timedelta(days=364)
        trend["data_from"] = timezone.localtime(data_start).date() if data_start else None
        trend["year_known"] = year_known
        for row in trend["rows"]:
            n, harm = now_counts.get(row["hotspot"], (0, 0.0))
            n0, harm0 = before.get(row["hotspot"], (0, 0.0))
            row.update({"crimes": n, "harm": round(harm, 1),
                        "crimes_before": n0 if year_known else None,
                        "harm_before": round(harm0, 1) if year_known else None})
    area_ids = area_scope_ids(user=viewer)
    trials = [trial_sentence(trial=t, user=viewer)
              for t in finished_trials(area_ids=area_ids, today=today)[:5]]
    return {
        "month": today.replace(day=1), "visits": visits,
        "minutes": round(mine["total"]["minutes"]), "tasked_visits": tasked["visits"],
        "tasked_minutes": tasked["minutes"], "team_visits": shared["visits"],
        "team_minutes": shared["minutes"], "trend": trend, "trials": trials,
        # As long as the hot spot's problem-solving page lists them.
        "observations": list(observations_of(people=people,
                                             since=now - timedelta(days=180))[:20]),
    }
