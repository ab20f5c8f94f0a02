"""Reads for tracking: dosage (aggregated by default), planned against delivered, the
supervisor's live view, under-dosed hot spots, and an individual track (audited)."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.selectors import area_scope_ids
from audit.services import audit_record

from .models import Device, Visit

# Dosage: for each hot spot, the person-minutes spent there, from presence (GPS) and from
# check-in visits, merged per person so an officer with a radio who also checks in is not
# counted twice (range_agg unions the intervals). Planned minutes come from published plans.
DOSAGE_SQL = """
WITH scope AS (
    SELECT h.id FROM hotspots_hotspot h
    WHERE (%(areas)s::bigint[] IS NULL OR h.area_id = ANY(%(areas)s::bigint[]))
), spans AS (
    SELECT p.hotspot_id, COALESCE('u' || d.holder_id, 'd' || d.id) AS who,
           COALESCE(p.team_id, 0) AS team_id, p.rank,
           tstzrange(GREATEST(p.started_at, %(lo)s), LEAST(p.ended_at, %(hi)s)) AS r,
           'gps' AS source
    FROM patrols_presence p JOIN patrols_device d ON d.id = p.device_id
    WHERE p.hotspot_id IN (SELECT id FROM scope)
      AND p.ended_at > %(lo)s AND p.started_at < %(hi)s
    UNION ALL
    SELECT v.hotspot_id, 'u' || v.officer_id, COALESCE(u.team_id, 0), u.rank,
           tstzrange(GREATEST(v.started_at, %(lo)s),
                     LEAST(COALESCE(v.ended_at, v.started_at + %(dwell)s::interval), %(hi)s)),
           'visit'
    FROM patrols_visit v JOIN accounts_user u ON u.id = v.officer_id
    WHERE v.hotspot_id IN (SELECT id FROM scope)
      AND COALESCE(v.ended_at, v.started_at + %(dwell)s::interval) > %(lo)s
      AND v.started_at < %(hi)s
), keyed AS (
    {keyed}
), per_person AS (
    SELECT hotspot_id, shift_id, who, min(team_id) AS team_id, min(rank) AS rank,
           range_agg(r) AS rs, bool_or(source = 'visit') AS checked_in,
           bool_or(source = 'gps') AS tracked
    FROM keyed WHERE NOT isempty(r) GROUP BY hotspot_id, shift_id, who
), minutes AS (
    SELECT hotspot_id, shift_id, who, team_id, rank, checked_in, tracked,
           (SELECT sum(EXTRACT(EPOCH FROM upper(x) - lower(x))) FROM unnest(rs) x) / 60.0 AS m
    FROM per_person
)
SELECT {group_cols}, sum(m) AS minutes, count(DISTINCT who) AS people
FROM minutes GROUP BY {group_cols} ORDER BY {group_cols}
"""

GROUPS = {"hotspot": "hotspot_id", "team": "team_id", "role": "rank", "shift": "shift_id"}
# By shift, each interval is cut at the edges of the shifts of the hot spot's area.
KEYED_BY_SHIFT = """
    SELECT sp.hotspot_id, sp.who, sp.team_id, sp.rank, sp.source, sh.id AS shift_id,
           sp.r * tstzrange(sh.starts_at, sh.ends_at) AS r
    FROM spans sp JOIN hotspots_hotspot h ON h.id = sp.hotspot_id
    JOIN tasking_shift sh ON sh.area_id = h.area_id
     AND tstzrange(sh.starts_at, sh.ends_at) && sp.r"""
KEYED_PLAIN = "SELECT sp.*, NULL::bigint AS shift_id FROM spans sp"


def dosage(*, user: Any, start: datetime, end: datetime, by: str = "hotspot",
           area_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Person-minutes at hot spots between `start` and `end`, grouped by hot spot, team,
    role or shift, within the user's areas. Aggregated: no person is named."""
    if by not in GROUPS:
        raise ValueError(f"dosage is grouped by {', '.join(GROUPS)}")
    scope = area_scope_ids(user=user)
    if area_ids is not None:
        scope = [a for a in area_ids if scope is None or a in scope]
    col = GROUPS[by]
    with connection.cursor() as cur:
        keyed = KEYED_BY_SHIFT if by == "shift" else KEYED_PLAIN
        cur.execute(DOSAGE_SQL.format(group_cols=col, keyed=keyed),
                    {"areas": scope, "lo": start, "hi": end,
                     "dwell": f"{settings.VISIT_DEFAULT_DWELL_MINUTES} minutes"})
        return [{by: key, "minutes": round(float(m), 1), "people": int(n)}
                for key, m, n in cur.fetchall()]


def planned_against_delivered(*, user: Any, start: datetime, end: datetime
                              ) -> list[dict[str, Any]]:
    """Per hot spot: minutes planned in published plans, minutes delivered, the share."""
    from tasking.models import PatrolTask, TaskingPlan

    scope = area_scope_ids(user=user)
    tasks = PatrolTask.objects.filter(
        plan__status=TaskingPlan.Status.PUBLISHED, status=PatrolTask.Status.PLANNED,
        starts_at__gte=start, starts_at__lt=end)
    if scope is not None:
        tasks = tasks.filter(hotspot__area_id__in=scope)
    planned: dict[int, int] = {}
    keys: dict[int, str] = {}
    for hotspot_id, key, minutes in tasks.values_list("hotspot_id", "hotspot__key", "minutes"):
        planned[hotspot_id] = planned.get(hotspot_id, 0) + minutes
        keys[hotspot_id] = key
    delivered = {row["hotspot"]: row["minutes"] for row in dosage(user=user, start=start,
                                                                   end=end)}
    rows = []
    for hotspot_id in sorted(set(planned) | set(delivered)):
        p, d = planned.get(hotspot_id, 0), delivered.get(hotspot_id, 0.0)
        rows.append({"hotspot": hotspot_id, "key": keys.get(hotspot_id, ""),
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
    from django.contrib.gis.db.models.functions import AsGeoJSON, Transform

    from hotspots.models import Hotspot
    from tasking.models import PatrolTask, Shift, TaskingPlan

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
                     "planned_visits": p["visits"], "planned_minutes": p["minutes"],
                     "delivered_minutes": got, "next": p["next"], "done": got > 0})
    rows.sort(key=lambda r: (r["done"], r["delivered_minutes"] / max(r["planned_minutes"], 1),
                             r["key"]))
    import json

    features = [{"type": "Feature", "id": r["hotspot"],
                 "geometry": json.loads(spots[r["hotspot"]].gj),
                 "properties": {"key": r["key"], "done": r["done"],
                                "delivered": round(r["delivered_minutes"]),
                                "planned": r["planned_minutes"]}} for r in rows]
    return {"shifts": shifts, "rows": rows,
            "geojson": {"type": "FeatureCollection", "features": features}}


def visits_list_record(*, user: Any, query: dict[str, str], count: int | None) -> None:
    """Other officers' visits say where they were: personal data, so a look at them is
    logged. An officer reading only their own visits is not."""
    if user.has_perm("patrols.view_all_visits"):
        audit_record(actor=user, action="visits.list", detail={"query": query, "count": count})
