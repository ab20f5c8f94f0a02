"""Reads for tracking: dosage (aggregated by default), planned against delivered, the
supervisor's live view, under-dosed hot spots, and an individual track (audited)."""

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from accounts.selectors import area_scope_ids, area_scope_q
from audit.services import audit_record
from core.errors import InputError
from hotspots.models import Hotspot
from tasking.models import PatrolTask, Shift, TaskingPlan

from .models import Alarm, Device, Visit


def devices_visible(*, user: Any) -> QuerySet[Device]:
    """Devices of the user's areas."""
    return Device.objects.filter(area_scope_q(user=user))

# Dosage: person-minutes at hot spots, from GPS presence and check-in visits, in which
# every minute of a person counts once (docs/adr/0007 and the rules below). Pings are in
# one hot spot each, the nearest (presence_update). A person's records that overlap (their
# radio's stays, their check-ins, at one or several hot spots) are cut at every start and
# end, and each piece is placed at one hot spot: the one the person arrived at last. A
# check-in there is the same presence as the GPS and gives the piece its team, role and
# task. A device with no holder is nobody in particular: its minutes at a hot spot while a
# person of its team is counted there are that person's (the device is taken to be with
# them), and several such devices of one team at one hot spot count once (the first there
# counts the overlap); what is left is counted as unattributed minutes, never as a person.
# By shift, time is cut at the shifts' edges and each minute is in one shift: the shift of
# the check-in's task if that shift is on then, otherwise the one on then that started last
# (the oncoming shift, which patrols while the outgoing one hands over). Minutes outside
# every shift are a row of their own (shift None), so every grouping adds up to the total.
#
# Set-based, and safe from the planner's guesses: no join pairs one derived row set with
# another on time. Overlaps are found by window functions (sorts); a person's overlapping
# records are resolved inside their own group, as arrays (most stand alone and skip this);
# holderless devices meet people's time as one multirange per hot spot and team; shifts are
# found by binary search (width_bucket) in each area's sorted cut times.
DOSAGE_SQL = """
WITH scope AS (
    SELECT h.id, COALESCE(h.area_id, 0) AS area_id, h.status = 'approved' AS approved
    FROM hotspots_hotspot h {scope_filter}
), spans AS (
    SELECT d.holder_id IS NOT NULL AS named, COALESCE('u' || d.holder_id, 'd' || d.id) AS who,
           p.hotspot_id, s.area_id, s.approved, COALESCE(p.team_id, 0) AS team_id, p.rank,
           false AS checked_in, NULL::bigint AS task_shift, NULL::timestamptz AS task_lo,
           NULL::timestamptz AS task_hi, p.started_at AS arrived,
           GREATEST(p.started_at, %(lo)s) AS lo, LEAST(p.ended_at, %(hi)s) AS hi
    FROM scope s JOIN patrols_presence p ON p.hotspot_id = s.id
    JOIN patrols_device d ON d.id = p.device_id
    WHERE p.ended_at > %(lo)s AND p.started_at < %(hi)s
    UNION ALL
    SELECT true, 'u' || v.officer_id, v.hotspot_id, s.area_id, s.approved,
           COALESCE(u.team_id, 0), u.rank, true, t.shift_id, ts.starts_at, ts.ends_at,
           v.started_at, GREATEST(v.started_at, %(lo)s),
           LEAST(COALESCE(v.ended_at, v.started_at + %(dwell)s::interval), %(hi)s)
    FROM scope s JOIN patrols_visit v ON v.hotspot_id = s.id
    JOIN accounts_user u ON u.id = v.officer_id
    LEFT JOIN tasking_patroltask t ON t.id = v.task_id
    LEFT JOIN tasking_shift ts ON ts.id = t.shift_id
    WHERE COALESCE(v.ended_at, v.started_at + %(dwell)s::interval) > %(lo)s
      AND v.started_at < %(hi)s
), reaching AS (
    SELECT *, max(hi) OVER (PARTITION BY who ORDER BY lo, hi
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM spans WHERE hi > lo
), islands AS (
    -- A person's records that overlap one another make an island.
    SELECT *, sum(CASE WHEN lo < reach THEN 0 ELSE 1 END) OVER (
               PARTITION BY who ORDER BY lo, hi ROWS UNBOUNDED PRECEDING) AS island
    FROM reaching
), sized AS (
    SELECT *, count(*) OVER (PARTITION BY who, island) AS n FROM islands
), crowded AS (
    SELECT who, bool_or(named) AS named, array_agg(lo) AS los, array_agg(hi) AS his,
           array_agg(arrived) AS arrs, array_agg(checked_in) AS cis,
           array_agg(hotspot_id) AS spots, array_agg(area_id) AS areas,
           array_agg(approved) AS oks, array_agg(team_id) AS teams, array_agg(rank) AS ranks,
           array_agg(task_shift) AS tasks, array_agg(task_lo) AS task_los,
           array_agg(task_hi) AS task_his
    FROM sized WHERE n > 1 GROUP BY who, island
), placed AS (
    SELECT who, named, lo, hi, hotspot_id, area_id, approved, team_id, rank, task_shift,
           task_lo, task_hi
    FROM sized WHERE n = 1
    UNION ALL
    -- An island cut at every start and end; each piece goes to the hot spot of the record
    -- that began last, and takes its team, role and task from a check-in there if any.
    SELECT c.who, c.named, g.lo, g.hi, w.hotspot_id, w.area_id, w.approved, w.team_id,
           w.rank, w.task_shift, w.task_lo, w.task_hi
    FROM crowded c
    CROSS JOIN LATERAL (
        SELECT t AS lo, lead(t) OVER (ORDER BY t) AS hi
        FROM (SELECT DISTINCT unnest(c.los || c.his) AS t) cut
    ) g
    CROSS JOIN LATERAL (
        SELECT x.hotspot_id, x.area_id, x.approved, x.team_id, x.rank, x.task_shift,
               x.task_lo, x.task_hi
        FROM (SELECT s.*, first_value(s.hotspot_id) OVER (
                  ORDER BY s.arrived DESC, s.checked_in, s.hotspot_id) AS here
              FROM unnest(c.los, c.his, c.arrs, c.cis, c.spots, c.areas, c.oks, c.teams,
                          c.ranks, c.tasks, c.task_los, c.task_his)
                   AS s(lo, hi, arrived, checked_in, hotspot_id, area_id, approved, team_id,
                        rank, task_shift, task_lo, task_hi)
              WHERE s.lo <= g.lo AND s.hi >= g.hi) x
        ORDER BY x.hotspot_id = x.here DESC, x.checked_in DESC, x.task_shift IS NULL,
                 x.arrived DESC, x.team_id, x.rank
        LIMIT 1
    ) w
    WHERE g.hi IS NOT NULL
), anon AS (
    -- Devices with no holder. Where several of one team overlap at a hot spot, the one
    -- there first counts the overlap (its time from `since`).
    SELECT who, hotspot_id, area_id, approved, team_id, rank, hi,
           CASE WHEN team_id = 0 THEN -1 ELSE team_id END AS team_key,
           GREATEST(lo, max(hi) OVER (PARTITION BY hotspot_id, team_id ORDER BY lo, hi, who
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
               AS since
    FROM placed WHERE NOT named
), cover AS (
    -- People's time at each hot spot, by team and (team_key -1) anyone's, for devices
    -- with no team.
    SELECT hotspot_id, team_id AS team_key, range_agg(tstzrange(lo, hi)) AS cover
    FROM placed WHERE named GROUP BY hotspot_id, team_id
    UNION ALL
    SELECT hotspot_id, -1, range_agg(tstzrange(lo, hi)) FROM placed WHERE named
    GROUP BY hotspot_id
), counted AS (
    SELECT who, true AS named, hotspot_id, area_id, approved, team_id, rank, task_shift,
           task_lo, task_hi, tstzrange(lo, hi) AS r
    FROM placed WHERE named
    UNION ALL
    SELECT a.who, false, a.hotspot_id, a.area_id, a.approved, a.team_id, a.rank, NULL, NULL,
           NULL, x
    FROM anon a LEFT JOIN cover c ON c.hotspot_id = a.hotspot_id AND c.team_key = a.team_key
    CROSS JOIN LATERAL unnest(tstzmultirange(tstzrange(a.since, a.hi))
                              - COALESCE(c.cover, '{{}}'::tstzmultirange)) AS x
    WHERE a.since < a.hi
){pieces}
SELECT {keys},
       COALESCE(sum(EXTRACT(EPOCH FROM upper(pc.r) - lower(pc.r))), 0),
       COALESCE(sum(EXTRACT(EPOCH FROM upper(pc.r) - lower(pc.r)))
                FILTER (WHERE NOT pc.approved), 0),
       COALESCE(sum(EXTRACT(EPOCH FROM upper(pc.r) - lower(pc.r)))
                FILTER (WHERE NOT pc.named), 0),
       count(DISTINCT pc.who) FILTER (WHERE pc.named),
       count(DISTINCT pc.who) FILTER (WHERE NOT pc.named)
FROM pieces pc {spot_filter}
GROUP BY GROUPING SETS ({sets})
"""

PIECES_PLAIN = """, pieces AS (
    SELECT who, named, hotspot_id, approved, team_id, rank, NULL::bigint AS shift_id, r
    FROM counted
)"""
# Each area's time from lo to hi, cut at its shifts' starts and ends (sorted, in `cuts`),
# with the shift of each slice (`latest`: the one on that started last; NULL for none).
# A piece of a person's time is their time within one slice.
PIECES_BY_SHIFT = """, area_shifts AS (
    SELECT a.area_id,
           COALESCE(array_agg(sh.id) FILTER (WHERE sh.id IS NOT NULL), '{}') AS ids,
           COALESCE(array_agg(sh.starts_at) FILTER (WHERE sh.id IS NOT NULL), '{}')
               AS starts,
           COALESCE(array_agg(sh.ends_at) FILTER (WHERE sh.id IS NOT NULL), '{}') AS ends
    FROM (SELECT DISTINCT area_id FROM scope) a
    LEFT JOIN tasking_shift sh ON sh.area_id = a.area_id
     AND sh.ends_at > %(lo)s AND sh.starts_at < %(hi)s
    GROUP BY a.area_id
), area_slices AS (
    SELECT s.area_id, c.cuts, l.latest
    FROM area_shifts s
    CROSS JOIN LATERAL (
        SELECT array_agg(t ORDER BY t) AS cuts FROM (
            SELECT %(lo)s::timestamptz UNION SELECT %(hi)s::timestamptz
            UNION SELECT x FROM unnest(s.starts || s.ends) x
            WHERE x > %(lo)s AND x < %(hi)s) u(t)
    ) c
    CROSS JOIN LATERAL (
        SELECT array_agg((
            SELECT o.id FROM unnest(s.ids, s.starts, s.ends) AS o(id, starts_at, ends_at)
            WHERE o.starts_at <= c.cuts[k] AND o.ends_at >= c.cuts[k + 1]
            ORDER BY o.starts_at DESC, o.id DESC LIMIT 1) ORDER BY k) AS latest
        FROM generate_series(1, array_length(c.cuts, 1) - 1) k
    ) l
), pieces AS (
    SELECT c.who, c.named, c.hotspot_id, c.approved, c.team_id, c.rank,
           CASE WHEN c.task_lo <= x.cuts[k] AND c.task_hi >= x.cuts[k + 1]
                THEN c.task_shift ELSE x.latest[k] END AS shift_id,
           c.r * tstzrange(x.cuts[k], x.cuts[k + 1]) AS r
    FROM counted c JOIN area_slices x ON x.area_id = c.area_id
    CROSS JOIN LATERAL generate_series(width_bucket(lower(c.r), x.cuts),
                                       LEAST(width_bucket(upper(c.r), x.cuts),
                                             array_length(x.cuts, 1) - 1)) k
    WHERE c.r && tstzrange(x.cuts[k], x.cuts[k + 1])
)"""

# By week: time is cut into 7-day weeks from the window's start (UTC days, as the
# dashboard's weekly crime), each piece in the week it falls in, numbered from 0.
PIECES_BY_WEEK = """, pieces AS (
    SELECT c.who, c.named, c.hotspot_id, c.approved, c.team_id, c.rank,
           NULL::bigint AS shift_id, k AS week,
           c.r * tstzrange(%(lo)s::timestamptz + k * interval '7 days',
                           %(lo)s::timestamptz + (k + 1) * interval '7 days') AS r
    FROM counted c
    CROSS JOIN LATERAL generate_series(
        floor(extract(epoch FROM lower(c.r) - %(lo)s::timestamptz) / 604800)::int,
        ceil(extract(epoch FROM upper(c.r) - %(lo)s::timestamptz) / 604800)::int - 1) k
    WHERE NOT isempty(c.r * tstzrange(%(lo)s::timestamptz + k * interval '7 days',
                                      %(lo)s::timestamptz + (k + 1) * interval '7 days'))
)"""

GROUPS = {"hotspot": "pc.hotspot_id", "team": "pc.team_id", "role": "pc.rank",
          "shift": "pc.shift_id", "week": "pc.week"}


def _dosage_sets(*, user: Any, start: datetime, end: datetime, groups: tuple[str, ...],
                 area_ids: list[int] | None, hotspot_ids: list[int] | None = None,
                 people: list[int] | None = None) -> dict[str, list[dict[str, Any]]]:
    """One pass of DOSAGE_SQL for several groupings (and "total") at once, in seconds as
    exact decimals (PostgreSQL's numeric), so that the groupings add up to the total.
    `hotspot_ids` keeps the minutes placed at those hot spots: applied after each minute
    has found its one hot spot, so a minute placed elsewhere never moves to one of them.
    `people` keeps those people's own minutes, placed as for everyone."""
    scope = area_scope_ids(user=user)
    if area_ids is not None:
        scope = [a for a in area_ids if scope is None or a in scope]
    cols = [GROUPS[g] for g in groups if g != "total"]
    # GROUPING() sets a bit for each column a row is not grouped by: it says which set
    # (which grouping) the row belongs to.
    full = (1 << len(cols)) - 1
    which = {full ^ (1 << (len(cols) - 1 - i)): g
             for i, g in enumerate(g for g in groups if g != "total")}
    which[full] = "total"
    keys = ", ".join([f"GROUPING({', '.join(cols)})" if cols else "0", *cols])
    sets = ", ".join("()" if g == "total" else f"({GROUPS[g]})" for g in groups)
    # The filter only when there is one: "x IS NULL OR ..." would blind the planner's
    # estimate of how many hot spots there are.
    scope_filter = "" if scope is None else "WHERE h.area_id = ANY(%(areas)s::bigint[])"
    wheres = ([] if hotspot_ids is None else ["pc.hotspot_id = ANY(%(spots)s::bigint[])"]) + (
        [] if people is None else ["pc.who = ANY(%(who)s::text[])"])
    spot_filter = f"WHERE {' AND '.join(wheres)}" if wheres else ""
    if "shift" in groups and "week" in groups:
        raise InputError("dosage is grouped by shift or by week, not both at once")
    pieces = (PIECES_BY_SHIFT if "shift" in groups
              else PIECES_BY_WEEK if "week" in groups else PIECES_PLAIN)
    sql = DOSAGE_SQL.format(pieces=pieces,
                            keys=keys, sets=sets, scope_filter=scope_filter,
                            spot_filter=spot_filter)
    out: dict[str, list[dict[str, Any]]] = {g: [] for g in groups}
    with connection.cursor() as cur:
        cur.execute(sql, {"areas": scope, "spots": hotspot_ids, "lo": start, "hi": end,
                          "who": [f"u{pk}" for pk in people or []],
                          "dwell": f"{settings.VISIT_DEFAULT_DWELL_MINUTES} minutes"})
        for row in cur.fetchall():
            group = which[row[0]]
            seconds, not_approved, unattributed, named, devices = row[1 + len(cols):]
            item: dict[str, Any] = {} if group == "total" else {
                group: row[1 + cols.index(GROUPS[group])]}
            item.update({"seconds": seconds, "not_approved_seconds": not_approved,
                         "unattributed_seconds": unattributed, "people": int(named),
                         "unattributed_devices": int(devices)})
            out[group].append(item)
    return out


def _minutes(seconds: Decimal) -> float:
    return round(float(seconds / 60), 1)


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    """Seconds to minutes (to a tenth) at the last step."""
    return {k.replace("seconds", "minutes"): _minutes(v) if k.endswith("seconds") else v
            for k, v in row.items()}


def _sort_key(group: str) -> Any:
    # None (no team is 0, but no shift is None) sorts last.
    return lambda r: (r[group] is None, r[group] if r[group] is not None else 0)


ZERO_TOTAL = {"minutes": 0.0, "not_approved_minutes": 0.0, "unattributed_minutes": 0.0,
              "people": 0, "unattributed_devices": 0}


def dosage(*, user: Any, start: datetime, end: datetime, by: str = "hotspot",
           area_ids: list[int] | None = None,
           hotspot_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Person-minutes at hot spots between `start` and `end`, grouped by hot spot, team,
    role or shift, within the user's areas; each person's minute counts once, so the rows
    of every grouping add up to the same total (dosage_total). Each row also says how many
    of its minutes were at hot spots not approved, and how many came from devices without
    a holder; `people` counts named people only. Aggregated: no person is named."""
    if by not in GROUPS:
        raise InputError(f"dosage is grouped by {', '.join(GROUPS)}")
    rows = _dosage_sets(user=user, start=start, end=end, groups=(by,), area_ids=area_ids,
                        hotspot_ids=hotspot_ids)[by]
    return [_rounded(r) for r in sorted(rows, key=_sort_key(by))]


def dosage_of_people(*, user: Any, start: datetime, end: datetime, people: list[int]
                     ) -> dict[str, Any]:
    """Some people's own minutes at hot spots (GPS and check-ins, each minute once), by hot
    spot and in total: what My patrols shows an officer, or a supervisor for a team."""
    sets = _dosage_sets(user=user, start=start, end=end, groups=("hotspot", "total"),
                        area_ids=None, people=people)
    total = sets["total"][0] if sets["total"] else None
    return {"hotspots": sorted((_rounded(r) for r in sets["hotspot"]),
                               key=lambda r: (-r["minutes"], r["hotspot"])),
            "total": _rounded(total) if total else dict(ZERO_TOTAL)}


def visits_of_people(*, people: list[int], start: datetime, end: datetime) -> QuerySet[Visit]:
    """The visits these people logged that began in the window."""
    return Visit.objects.filter(officer_id__in=people, started_at__gte=start,
                                started_at__lt=end)


def observations_of(*, people: list[int], since: datetime) -> QuerySet[Visit]:
    """Visits with notes (the officer's observations) since a time, newest first."""
    return (Visit.objects.filter(officer_id__in=people, started_at__gte=since)
            .exclude(notes="").select_related("hotspot", "notes_acted_by")
            .order_by("-started_at"))


def alarms_open(*, user: Any, now: datetime | None = None) -> QuerySet[Alarm]:
    """Open alarms (not cleared) in the user's areas, for shifts on now, newest first;
    acknowledged ones stay listed, marked, until someone arrives or the shift ends."""
    now = now or timezone.now()
    return (Alarm.objects.filter(area_scope_q(user=user, field="hotspot__area"),
                                 cleared_at__isnull=True, shift__starts_at__lte=now,
                                 shift__ends_at__gt=now)
            .select_related("hotspot", "shift__pattern", "acknowledged_by")
            .order_by("-raised_at"))


def observations_at(*, hotspot: Any) -> QuerySet[Visit]:
    """Officers' notes left at visits to a hot spot in the last 180 days, newest first."""
    return (Visit.objects.filter(hotspot=hotspot, started_at__gte=timezone.now()
                                 - timedelta(days=180))
            .exclude(notes="").select_related("officer", "notes_acted_by")
            .order_by("-started_at"))


def dosage_grouped(*, user: Any, start: datetime, end: datetime, by: str = "hotspot",
                   area_ids: list[int] | None = None) -> dict[str, Any]:
    """dosage() and the total its rows add up to, from one pass."""
    if by not in GROUPS:
        raise InputError(f"dosage is grouped by {', '.join(GROUPS)}")
    sets = _dosage_sets(user=user, start=start, end=end, groups=(by, "total"),
                        area_ids=area_ids)
    return {"results": [_rounded(r) for r in sorted(sets[by], key=_sort_key(by))],
            "total": _rounded(sets["total"][0])}


def dosage_total(*, user: Any, start: datetime, end: datetime,
                 area_ids: list[int] | None = None) -> dict[str, Any]:
    """The distinct person-minutes at hot spots in the window: what every grouping of
    dosage() adds up to."""
    rows = _dosage_sets(user=user, start=start, end=end, groups=("total",),
                        area_ids=area_ids)["total"]
    return _rounded(rows[0]) if rows else dict(ZERO_TOTAL)


def dosage_reconciled(*, user: Any, start: datetime, end: datetime,
                      area_ids: list[int] | None = None) -> dict[str, Any]:
    """Dosage by hot spot, team, role and shift and the total, from one pass, with each
    grouping's sum beside the total: they are equal by construction, and shown so."""
    groups = ("hotspot", "team", "role", "shift", "total")
    sets = _dosage_sets(user=user, start=start, end=end, groups=groups, area_ids=area_ids)
    total = _rounded(sets["total"][0]) if sets["total"] else dict(ZERO_TOTAL)
    out: dict[str, Any] = {"total": total, "sums": {}}
    for group in groups[:-1]:
        rows = sets[group]
        out[group] = [_rounded(r) for r in sorted(rows, key=_sort_key(group))]
        out["sums"][group] = _minutes(sum((r["seconds"] for r in rows), Decimal(0)))
    return out


def planned_against_delivered(*, user: Any, start: datetime, end: datetime,
                              delivered_rows: list[dict[str, Any]] | None = None,
                              area_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Per hot spot: minutes planned in published plans, minutes delivered, the share, and
    the hot spot's status (minutes at hot spots not approved are shown apart).
    `delivered_rows`, dosage by hot spot for the same window, saves computing it again;
    `area_ids` narrows to those areas (within the user's)."""
    scope = area_scope_ids(user=user)
    if area_ids is not None:
        scope = [a for a in area_ids if scope is None or a in scope]
    tasks = PatrolTask.objects.filter(
        plan__status=TaskingPlan.Status.PUBLISHED, status=PatrolTask.Status.PLANNED,
        starts_at__gte=start, starts_at__lt=end)
    if scope is not None:
        tasks = tasks.filter(hotspot__area_id__in=scope)
    planned: dict[int, int] = {}
    for hotspot_id, minutes in tasks.values_list("hotspot_id", "minutes"):
        planned[hotspot_id] = planned.get(hotspot_id, 0) + minutes
    if delivered_rows is None:
        delivered_rows = dosage(user=user, start=start, end=end, area_ids=area_ids)
    delivered = {row["hotspot"]: row["minutes"] for row in delivered_rows}
    ids = sorted(set(planned) | set(delivered))
    spots = {pk: (key, name, status) for pk, key, name, status in
             Hotspot.objects.filter(pk__in=ids).values_list("pk", "key", "name", "status")}
    rows = []
    for hotspot_id in ids:
        p, d = planned.get(hotspot_id, 0), delivered.get(hotspot_id, 0.0)
        key, name, status = spots.get(hotspot_id, ("", "", ""))
        rows.append({"hotspot": hotspot_id, "key": key, "name": name, "status": status,
                     "planned_minutes": p, "delivered_minutes": d,
                     "share": round(d / p, 3) if p else None})
    return rows


def under_dosed(*, user: Any, start: datetime, end: datetime,
                below: float = 0.5) -> list[dict[str, Any]]:
    """Hot spots given less than `below` of their planned minutes, the worst first."""
    rows = [r for r in planned_against_delivered(user=user, start=start, end=end)
            if r["planned_minutes"] and r["share"] is not None and r["share"] < below]
    return sorted(rows, key=lambda r: (r["share"], -r["planned_minutes"]))


def live_view(*, user: Any, since_minutes: int = 10) -> list[dict[str, Any]]:
    """Each device in the user's areas with a ping in the last minutes: where it is. A look
    at individuals' positions is written to the audit trail."""
    scope = area_scope_ids(user=user)
    devices = Device.objects.filter(active=True)
    if scope is not None:
        devices = devices.filter(area_id__in=scope)
    ids = list(devices.values_list("id", flat=True))
    cutoff = timezone.now() - timedelta(minutes=since_minutes)
    with connection.cursor() as cur:
        cur.execute("""
            SELECT DISTINCT ON (g.device_id) g.device_id, g.recorded_at,
                   ST_X(ST_Transform(g.geom, 4326)), ST_Y(ST_Transform(g.geom, 4326))
            FROM patrols_gpsping g
            WHERE g.device_id = ANY(%s) AND g.recorded_at >= %s
            ORDER BY g.device_id, g.recorded_at DESC""", [ids, cutoff])
        rows = cur.fetchall()
    names = dict(devices.values_list("id", "name"))
    audit_record(actor=user, action="tracks.live_view",
                 detail={"devices": [r[0] for r in rows], "since_minutes": since_minutes})
    return [{"device": d, "name": names.get(d, ""), "at": t.isoformat(),
             "lon": round(x, 6), "lat": round(y, 6)} for d, t, x, y in rows]


def device_track(*, user: Any, device: Device, start: datetime, end: datetime
                 ) -> list[dict[str, Any]]:
    """One device's pings in a window (personal data): audited with who looked and why."""
    with connection.cursor() as cur:
        cur.execute("""
            SELECT recorded_at, ST_X(ST_Transform(geom, 4326)), ST_Y(ST_Transform(geom, 4326)),
                   accuracy_m
            FROM patrols_gpsping WHERE device_id = %s AND recorded_at >= %s
              AND recorded_at < %s ORDER BY recorded_at LIMIT 100000""",
                    [device.pk, start, end])
        rows = cur.fetchall()
    audit_record(actor=user, action="tracks.view", target=device,
                 detail={"from": start.isoformat(), "to": end.isoformat(), "pings": len(rows)})
    return [{"t": t.isoformat(), "lon": round(x, 6), "lat": round(y, 6), "accuracy": a}
            for t, x, y, a in rows]


def visits_visible(*, user: Any) -> Any:
    """Officers see their own visits; those allowed see every visit in their areas."""
    qs = Visit.objects.select_related("hotspot")
    if user.has_perm("patrols.view_all_visits"):
        scope = area_scope_ids(user=user)
        return qs if scope is None else qs.filter(hotspot__area_id__in=scope)
    return qs.filter(officer=user)


def live_shift(*, user: Any, now: datetime | None = None) -> dict[str, Any]:
    """The shifts on now in the user's areas: each tasked hot spot with its planned and
    delivered minutes so far, undone ones first."""
    now = now or timezone.now()
    scope = area_scope_ids(user=user)
    on_now = Shift.objects.filter(starts_at__lte=now, ends_at__gt=now)
    if scope is not None:
        on_now = on_now.filter(area_id__in=scope)
    shifts = list(on_now.select_related("pattern", "area"))
    if not shifts:
        return {"shifts": [], "rows": [], "geojson": {"type": "FeatureCollection",
                                                      "features": []}}
    start = min(s.starts_at for s in shifts)
    tasks = PatrolTask.objects.filter(shift__in=shifts, status=PatrolTask.Status.PLANNED,
                                      plan__status=TaskingPlan.Status.PUBLISHED)
    planned: dict[int, dict[str, Any]] = {}
    for hotspot_id, starts_at, minutes in tasks.values_list("hotspot_id", "starts_at",
                                                            "minutes"):
        row = planned.setdefault(hotspot_id, {"visits": 0, "minutes": 0, "next": None})
        row["visits"] += 1
        row["minutes"] += minutes
        if starts_at >= now and (row["next"] is None or starts_at < row["next"]):
            row["next"] = starts_at
    delivered = {r["hotspot"]: r["minutes"] for r in dosage(user=user, start=start, end=now)}
    spots = {h.pk: h for h in Hotspot.objects.filter(pk__in=planned).annotate(
        gj=AsGeoJSON(Transform("geom", 4326), precision=6))}
    rows = []
    for hotspot_id, p in planned.items():
        got = delivered.get(hotspot_id, 0.0)
        rows.append({"hotspot": hotspot_id, "key": spots[hotspot_id].key,
                     "name": spots[hotspot_id].name,
                     "planned_visits": p["visits"], "planned_minutes": p["minutes"],
                     "delivered_minutes": got, "next": p["next"], "done": got > 0})
    rows.sort(key=lambda r: (r["done"], r["delivered_minutes"] / max(r["planned_minutes"], 1),
                             r["key"]))

    features = [{"type": "Feature", "id": r["hotspot"],
                 "geometry": json.loads(spots[r["hotspot"]].gj),
                 "properties": {"key": r["key"], "name": r["name"], "done": r["done"],
                                "delivered": round(r["delivered_minutes"]),
                                "planned": r["planned_minutes"]}} for r in rows]
    return {"shifts": shifts, "rows": rows,
            "geojson": {"type": "FeatureCollection", "features": features}}


def visits_list_record(*, user: Any, query: dict[str, str], count: int | None) -> None:
    """Other officers' visits say where they were: personal data, so a look at them is
    logged. An officer reading only their own visits is not."""
    if user.has_perm("patrols.view_all_visits"):
        audit_record(actor=user, action="visits.list", detail={"query": query, "count": count})


def visits_count(*, hotspot_ids: list[int], start: datetime, end: datetime) -> int:
    """Check-ins at these hot spots that started in [start, end): for a trial's cost per
    visit (the caller has already scoped the hot spots)."""
    return Visit.objects.filter(hotspot_id__in=hotspot_ids, started_at__gte=start,
                                started_at__lt=end).count()
