"""What each export holds: rows read with one query each, geometry made by PostGIS (WKT in
the deployment's CRS for GeoPackage, GeoJSON in WGS84 otherwise)."""

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection

from accounts.selectors import area_scope_ids
from core.errors import InputError
from hotspots.models import Hotspot
from patrols.selectors import planned_against_delivered

KINDS = ("hotspots", "tasks", "visits", "dosage")


@dataclass
class Dataset:
    columns: list[str]
    rows: Iterator[tuple[Any, ...]]
    geometry: int | None  # index of the geometry column, if any
    count: int


def _geom(expr: str, geo: str | None) -> str:
    if geo == "wkt":
        return f"ST_AsText({expr})"
    if geo == "geojson":
        return f"ST_AsGeoJSON(ST_Transform({expr}, 4326), 6)"
    return "NULL"


def _scope(user: Any, area_ids: list[int] | None) -> list[int] | None:
    scope = area_scope_ids(user=user)
    if area_ids is None:
        return scope
    return [a for a in area_ids if scope is None or a in scope]


QUERIES = {
    "hotspots": ("""
        SELECT h.id, h.key, h.name, h.status, a.name, (h.stats->>'count')::int,
               round((h.stats->>'harm')::numeric, 1), round((h.stats->>'z')::numeric, 3),
               h.stats->>'pattern', {geom}
        FROM hotspots_hotspot h LEFT JOIN accounts_area a ON a.id = h.area_id
        WHERE (%(areas)s::bigint[] IS NULL OR h.area_id = ANY(%(areas)s::bigint[]))
        ORDER BY h.id""", "h.geom",
        ["id", "key", "name", "status", "area", "crimes", "harm", "z", "pattern", "geometry"]),
    "tasks": ("""
        SELECT t.id, t.plan_id, p.status, sp.name || ' ' || to_char(s.date, 'YYYY-MM-DD'),
               h.key, h.name, t.starts_at AT TIME ZONE %(tz)s, t.minutes, tm.name,
               COALESCE(NULLIF(u.collar_number, ''), u.username), t.callsign, t.status,
               t.changed_after_publish, t.why, {geom}
        FROM tasking_patroltask t JOIN tasking_taskingplan p ON p.id = t.plan_id
        JOIN tasking_shift s ON s.id = t.shift_id
        JOIN tasking_shiftpattern sp ON sp.id = s.pattern_id
        JOIN hotspots_hotspot h ON h.id = t.hotspot_id
        LEFT JOIN accounts_team tm ON tm.id = t.assignee_team_id
        LEFT JOIN accounts_user u ON u.id = t.assignee_user_id
        WHERE t.starts_at >= %(lo)s AND t.starts_at < %(hi)s
          AND (%(areas)s::bigint[] IS NULL OR p.area_id = ANY(%(areas)s::bigint[]))
        ORDER BY t.starts_at, t.id""", "ST_Centroid(h.geom)",
        ["id", "plan", "plan_status", "shift", "hotspot", "hotspot_name", "starts_local",
         "minutes", "team",
         "officer", "callsign", "status", "changed_after_publish", "why", "geometry"]),
    "visits": ("""
        SELECT {visit}, {officer}, u.rank, h.key, h.name,
               v.started_at AT TIME ZONE %(tz)s, v.ended_at AT TIME ZONE %(tz)s,
               v.start_inside, v.end_inside, array_to_string(ARRAY(
                   SELECT jsonb_array_elements_text(v.activities)), ' '),
               v.notes, v.retrospective, {task}, {geom}
        FROM patrols_visit v JOIN accounts_user u ON u.id = v.officer_id
        JOIN hotspots_hotspot h ON h.id = v.hotspot_id
        WHERE v.started_at >= %(lo)s AND v.started_at < %(hi)s
          AND (%(areas)s::bigint[] IS NULL OR h.area_id = ANY(%(areas)s::bigint[]))
        ORDER BY v.started_at""", "COALESCE(v.start_point, ST_Centroid(h.geom))",
        ["id", "officer", "rank", "hotspot", "hotspot_name", "started_local", "ended_local",
         "start_inside",
         "end_inside", "activities", "notes", "retrospective", "task", "geometry"]),
}


def dataset(*, kind: str, user: Any, start: datetime, end: datetime,
            area_ids: list[int] | None = None, geo: str | None = None) -> Dataset:
    """The rows of one export, within the user's areas (and `area_ids` if given)."""
    areas = _scope(user, area_ids)
    if kind == "dosage":
        return _dosage(user, start, end, areas, geo)
    if kind not in QUERIES:
        raise InputError(f"the export is one of {', '.join(KINDS)}")
    sql, geom_expr, columns = QUERIES[kind]
    params = {"areas": areas, "lo": start, "hi": end, "tz": settings.TIME_ZONE,
              "salt": secrets.token_hex(16)}
    if kind == "visits":
        if user.has_perm("patrols.export_visit_identities"):
            officer = "COALESCE(NULLIF(u.collar_number, ''), u.username)"
            visit, task = "v.id::text", "v.task_id"
        else:
            # Without the permission (analysts): an officer is a pseudonym that holds within
            # this file only (a fresh salt each export), and a visit's place is its hot spot.
            # The visit's and its task's ids would tie a row back to a named officer (through
            # the visits API or a tasks export), so a row has only its number in the file.
            officer = "'officer ' || left(md5(%(salt)s || v.officer_id::text), 8)"
            visit, task = "(row_number() OVER (ORDER BY v.started_at, v.id))::text", "NULL"
            geom_expr = "ST_Centroid(h.geom)"
        sql = sql.replace("{officer}", officer).replace("{visit}", visit).replace(
            "{task}", task)
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM ({sql.format(geom='NULL')}) q", params)
        count = int(cur.fetchone()[0])
    geometry = len(columns) - 1 if geo else None
    if not geo:
        columns = columns[:-1]

    def rows() -> Iterator[tuple[Any, ...]]:
        # A server-side cursor: a 100,000-row export never sits in memory whole.
        with connection.chunked_cursor() as cur:
            cur.execute(sql.format(geom=_geom(geom_expr, geo)), params)
            for row in cur:
                yield row if geo else row[:-1]

    return Dataset(columns=columns, rows=rows(), geometry=geometry, count=count)


def _dosage(user: Any, start: datetime, end: datetime, areas: list[int] | None,
            geo: str | None) -> Dataset:
    rows = planned_against_delivered(user=user, start=start, end=end)
    geoms: dict[int, str] = {}
    if geo:
        ids = [r["hotspot"] for r in rows]
        with connection.cursor() as cur:
            cur.execute(f"SELECT id, {_geom('geom', geo)} FROM hotspots_hotspot "
                        "WHERE id = ANY(%s)", [ids])
            geoms = dict(cur.fetchall())
    if areas is not None:
        allowed = set(Hotspot.objects.filter(area_id__in=areas).values_list("id", flat=True))
        rows = [r for r in rows if r["hotspot"] in allowed]
    columns = ["hotspot", "key", "name", "planned_minutes", "delivered_minutes", "share"]
    out = [(r["hotspot"], r["key"], r["name"], r["planned_minutes"], r["delivered_minutes"],
            r["share"],
            *([geoms.get(r["hotspot"])] if geo else [])) for r in rows]
    return Dataset(columns=[*columns, "geometry"] if geo else columns, rows=iter(out),
                   geometry=len(columns) if geo else None, count=len(out))
