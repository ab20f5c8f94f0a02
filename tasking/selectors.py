"""Reads for tasking: plans a user may see, the supervisor map's data, an officer's visits,
shift loads and briefings."""

import json
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Count, Max, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.html import escape

from accounts.models import Team, User
from accounts.selectors import area_scope_q, area_subtree_ids
from core.resilience import cache_get, cache_set
from hotspots.analysis.temporal import peak_text
from hotspots.models import Hotspot
from hotspots.selectors import data_last_day
from streets.selectors import PrintedStreet, streets_in_box
from training.selectors import training_gaps

from .generator import WEEK_HOURS, shift_coverage
from .generator import Shift as GenShift
from .models import (
    PatrolTask,
    ProblemSolving,
    Shift,
    ShiftCapacity,
    ShiftPattern,
    TaskingPlan,
)


def plans_visible(*, user: Any) -> QuerySet[TaskingPlan]:
    return TaskingPlan.objects.filter(area_scope_q(user=user)).select_related("area")


def plans_with_stale_tasks(*, user: Any) -> QuerySet[TaskingPlan]:
    """plans_visible, each with `stale_tasks`: its planned visits to hot spots no longer
    approved, fetched for all the plans in one query (the list asked once per plan)."""
    stale = (PatrolTask.objects.filter(status=PatrolTask.Status.PLANNED)
             .exclude(hotspot__status=Hotspot.Status.APPROVED).only("id", "plan_id")
             .order_by("id"))
    return plans_visible(user=user).prefetch_related(
        Prefetch("tasks", queryset=stale, to_attr="stale_tasks"))


def shift_patterns_visible(*, user: Any) -> QuerySet[ShiftPattern]:
    return ShiftPattern.objects.filter(area_scope_q(user=user))


def shifts_visible(*, user: Any) -> QuerySet[Shift]:
    return Shift.objects.filter(area_scope_q(user=user))


def areas_with_shifts(*, areas: QuerySet[Any]) -> QuerySet[Any]:
    """Those of `areas` with an active shift pattern: the areas a plan can be made for."""
    return areas.filter(pk__in=ShiftPattern.objects.filter(active=True).values("area"))


def shift_patterns_of(*, area: Any) -> list[ShiftPattern]:
    """An area's shift patterns with their teams' standing capacity."""
    return list(ShiftPattern.objects.filter(area=area).prefetch_related("capacities__team"))


def shift_capacities(*, shifts: list[Shift]) -> dict[tuple[int, int], int]:
    """(shift id, team id) -> patrol minutes for the given dated shifts."""
    return {(c.shift_id, c.team_id): c.minutes
            for c in ShiftCapacity.objects.filter(shift__in=shifts)}


def plan_shifts(*, plan: TaskingPlan) -> list[dict[str, Any]]:
    """The week's shifts with capacity and planned minutes, for the shift picker."""
    shifts = list(Shift.objects.filter(area=plan.area, date__gte=plan.week_start,
                                       date__lt=plan.week_start + timedelta(days=7))
                  .select_related("pattern").order_by("starts_at"))
    caps = dict(ShiftCapacity.objects.filter(shift__in=shifts).values("shift")
                .annotate(m=Sum("minutes")).values_list("shift", "m"))
    load = {row["shift"]: row for row in plan.tasks.filter(status=PatrolTask.Status.PLANNED)
            .values("shift").annotate(m=Sum("minutes"), n=Count("id"))}
    tz = timezone.get_current_timezone()
    out = []
    for s in shifts:
        planned = load.get(s.pk, {"m": 0, "n": 0})
        out.append({
            "id": s.pk, "label": f"{s.pattern.name} {s.date:%a %d %b}",
            "starts_at": s.starts_at.astimezone(tz), "ends_at": s.ends_at.astimezone(tz),
            "hours": round((s.ends_at - s.starts_at).total_seconds() / 3600, 2),
            "capacity_minutes": caps.get(s.pk, 0) or 0, "planned_minutes": planned["m"] or 0,
            "visits": planned["n"],
        })
    return out


def _shift_cover(shift: Shift) -> np.ndarray:
    """How much of each local hour of the week (168) the shift covers, 0 to 1."""
    start = shift.date.weekday() * 24 + shift.pattern.start_time.hour \
        + shift.pattern.start_time.minute / 60
    return shift_coverage([GenShift("s", start, shift.pattern.duration_minutes / 60, 0)])[:, 0]


def _shift_harm(profiles: np.ndarray, shift: Shift) -> np.ndarray:
    """Each hot spot's harm in the shift's local hours of the week."""
    if profiles.size == 0:
        return np.zeros(0)
    return profiles @ _shift_cover(shift)


def _hotspot_rows(plan: TaskingPlan) -> list[tuple[Any, ...]]:
    # The polygons are turned into GeoJSON text by PostGIS: no geometry objects in Python.
    ids = area_subtree_ids(area=plan.area)
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT h.id, h.key, h.name, h.status, h.profile::text,
                   ST_AsGeoJSON(ST_Transform(h.geom, 4326), 6), h.stats->>'count',
                   h.stats->>'harm'
            FROM hotspots_hotspot h
            WHERE h.area_id = ANY(%s)
              AND (h.status = 'approved'
                   OR h.id IN (SELECT hotspot_id FROM tasking_patroltask WHERE plan_id = %s))
            ORDER BY h.id
            """, [ids, plan.pk])
        return cur.fetchall()


def plan_map_data(*, plan: TaskingPlan, shift: Shift) -> str:
    """The supervisor map's data for one shift as JSON text: hot spots (GeoJSON, coloured by
    their harm in the shift's hours) with their visits. Cached per plan version, so the
    cost of building it is paid once per change, not once per supervisor."""
    # One query (a join on the area path) rather than two: this runs on every map request.
    hot_stamp = (Hotspot.objects.filter(area__path__startswith=plan.area.path)
                 .aggregate(t=Max("updated_at"))["t"])
    capacity = shift_capacity_minutes(shift=shift)
    key = (f"planmap:{plan.pk}:{plan.version}:{plan.updated_at.timestamp()}:{shift.pk}:"
           f"{hot_stamp.timestamp() if hot_stamp else 0}:{capacity}")
    cached = cache_get(key)
    if cached is not None:
        return str(cached)
    text = _plan_map_build(plan=plan, shift=shift, capacity=capacity)
    cache_set(key, text)
    return text


def shift_capacity_minutes(*, shift: Shift) -> int:
    """All teams' patrol minutes in one dated shift."""
    return int(ShiftCapacity.objects.filter(shift=shift).aggregate(m=Sum("minutes"))["m"] or 0)


def _plan_map_build(*, plan: TaskingPlan, shift: Shift, capacity: int) -> str:
    rows = _hotspot_rows(plan)
    profiles = np.array([_profile(r[4]) for r in rows], dtype=float).reshape(len(rows),
                                                                              WEEK_HOURS)
    harm = _shift_harm(profiles, shift)
    order = np.argsort(-harm, kind="stable")
    rank = np.empty(len(rows), dtype=int)
    rank[order] = np.arange(1, len(rows) + 1)
    tasks: dict[int, list[dict[str, Any]]] = {}
    tz = timezone.get_current_timezone()
    for t in (PatrolTask.objects.filter(plan=plan, shift=shift)
              .select_related("assignee_user", "assignee_team").order_by("starts_at", "id")):
        tasks.setdefault(t.hotspot_id, []).append(_task_dict(t, tz))
    # Visits added by hand may break the plan's gap: flagged, not refused (the supervisor
    # may mean it, e.g. after an incident).
    gap = timedelta(minutes=int(plan.rules.get("min_gap_minutes", 60)))
    for visits in tasks.values():
        last = None
        for v in visits:
            if v["status"] != PatrolTask.Status.PLANNED:
                continue
            start = datetime.fromisoformat(v["starts_at"])
            v["too_close"] = last is not None and start - last < gap
            last = start
    features = []
    for i, (hid, key, name, status, _p, geom, crimes, harm_total) in enumerate(rows):
        features.append({
            "type": "Feature", "id": hid, "geometry": json.loads(geom),
            "properties": {"id": hid, "key": key, "name": name, "status": status,
                           "harm_in_shift": round(float(harm[i]), 2), "priority": int(rank[i]),
                           "crimes": int(float(crimes or 0)),
                           "harm": round(float(harm_total or 0), 1),
                           "tasks": tasks.get(hid, [])}})
    features.sort(key=lambda f: f["properties"]["priority"])
    return json.dumps({
        "plan": {"id": plan.pk, "version": plan.version, "status": plan.status},
        # The shift's load, as the page's header shows it: planned visits' minutes against
        # every team's capacity (an added visit can take it over; issue 18, item 10).
        "shift": {"id": shift.pk, "starts_at": shift.starts_at.astimezone(tz).isoformat(),
                  "ends_at": shift.ends_at.astimezone(tz).isoformat(),
                  "capacity_minutes": capacity,
                  "planned_minutes": sum(v["minutes"] for vs in tasks.values() for v in vs
                                         if v["status"] == PatrolTask.Status.PLANNED),
                  "visits": sum(1 for vs in tasks.values() for v in vs
                                if v["status"] == PatrolTask.Status.PLANNED)},
        "hotspots": {"type": "FeatureCollection", "features": features},
    }, separators=(",", ":"))


def _profile(text: str | None) -> list[float]:
    return _week(json.loads(text) if text else [])


def _week(values: list[float]) -> list[float]:
    """A 168-hour profile, or zeros for a hot spot without one."""
    return values if len(values) == WEEK_HOURS else [0.0] * WEEK_HOURS


def _person(user: User | None) -> str:
    if user is None:
        return ""
    name = user.get_full_name() or user.username
    return f"{name} ({user.collar_number})" if user.collar_number else name


def _task_dict(t: PatrolTask, tz: Any) -> dict[str, Any]:
    return {
        "id": t.pk, "hotspot": t.hotspot_id, "starts_at": t.starts_at.astimezone(tz).isoformat(),
        "minutes": t.minutes, "user": t.assignee_user_id, "user_name": _person(t.assignee_user),
        "team": t.assignee_team_id,
        "team_name": t.assignee_team.name if t.assignee_team else "",
        "callsign": t.callsign, "why": t.why, "status": t.status, "source": t.source,
        "changed_after_publish": t.changed_after_publish,
    }


def plan_assignees(*, plan: TaskingPlan, with_training: bool = False
                   ) -> dict[str, list[dict[str, Any]]]:
    """Who a visit in this plan can go to: the area's teams and active officers."""
    ids = area_subtree_ids(area=plan.area)
    teams = [{"id": t.pk, "name": t.name, "callsign": t.callsign}
             for t in Team.objects.filter(area_id__in=ids).order_by("name")]
    people = list(User.objects.filter(area_id__in=ids, is_active=True, groups__name="officer")
                  .order_by("last_name", "username"))
    # The map tells those who assign visits who has not done their required training,
    # before anyone is chosen; a person's training is not shown to those who only read.
    gaps = training_gaps(user_ids=[u.pk for u in people]) if with_training else {}
    users = [{"id": u.pk, "name": _person(u), "rank": u.get_rank_display(),
              "team": u.team_id, "untrained": gaps.get(u.pk, [])} for u in people]
    return {"teams": teams, "users": users}


def training_warning(*, user: Any) -> str | None:
    """What a supervisor is told on giving a visit to someone without a current pass of
    every module their role requires; None when they have them all."""
    if user is None:
        return None
    gaps = training_gaps(user_ids=[user.pk]).get(user.pk)
    if not gaps:
        return None
    return (f"{_person(user)} has not done the training their role requires: "
            f"{', '.join(gaps)}. The visit is theirs; they can take the modules on their "
            "phone, under Learning.")


def tasks_for_officer(*, user: Any, include_past: bool = False) -> QuerySet[PatrolTask]:
    """Visits in published plans given to the officer, or to their team with no one named."""
    mine = Q(assignee_user=user)
    if getattr(user, "team_id", None):
        mine |= Q(assignee_user__isnull=True, assignee_team_id=user.team_id)
    qs = (PatrolTask.objects.filter(mine, plan__status=TaskingPlan.Status.PUBLISHED)
          .select_related("hotspot", "shift__pattern", "assignee_team", "assignee_user")
          .order_by("starts_at", "id"))
    if not include_past:
        qs = qs.filter(shift__ends_at__gte=timezone.now())
    return qs


def briefing(*, plan: TaskingPlan, shift: Shift) -> dict[str, Any]:
    """What a shift's briefing shows: each tasked hot spot, why it is hot, its peak hours,
    its problem-solving notes and its visits."""
    tasks = list(PatrolTask.objects.filter(plan=plan, shift=shift)
                 .select_related("hotspot__last_selected_run", "assignee_user",
                                 "assignee_team")
                 .order_by("starts_at"))
    by_spot: dict[int, dict[str, Any]] = {}
    for t in tasks:
        entry = by_spot.setdefault(t.hotspot_id, {"hotspot": t.hotspot, "visits": []})
        entry["visits"].append(t)
    notes = {p.hotspot_id: p for p in ProblemSolving.objects.filter(
        hotspot_id__in=by_spot).select_related("owner")}
    # In order of the harm that falls in this shift's hours, as on the supervisor's map.
    entries = list(by_spot.values())
    harm = _shift_harm(np.array([_week(e["hotspot"].profile) for e in entries],
                                dtype=float).reshape(len(entries), WEEK_HOURS), shift)
    ordered = [entries[i] for i in np.argsort(-harm, kind="stable")]
    cover = _shift_cover(shift)
    for entry in ordered:
        spot = entry["hotspot"]
        entry["notes"] = notes.get(spot.pk)
        # The peaks the officers on this shift can act on: inside its hours (issue 18).
        entry["peaks"] = peak_text(spot.profile, cover)
        entry["why"] = entry["visits"][0].why if entry["visits"] else ""
        # The run's window as days: its end is the first instant after it.
        run = spot.last_selected_run
        entry["window"] = (timezone.localtime(run.window_start).date(),
                           data_last_day(run.window_end))
    for n, entry in enumerate(ordered, 1):
        entry["number"] = n
    return {"entries": ordered, "tasks": tasks, "untrained": _untrained_on(tasks),
            "svg": briefing_svg(hotspot_ids=[e["hotspot"].pk for e in ordered],
                                area_id=plan.area_id)}


def _untrained_on(tasks: list[PatrolTask]) -> list[dict[str, Any]]:
    """The people a shift's visits go to (named, or in a team named) who lack a current pass
    of a module their role requires, with what they lack (issue 19)."""
    named = {t.assignee_user_id for t in tasks if t.assignee_user_id}
    teams = {t.assignee_team_id for t in tasks if t.assignee_team_id and not t.assignee_user_id}
    members = set(User.objects.filter(team_id__in=teams, is_active=True,
                                      groups__name="officer").values_list("pk", flat=True))
    gaps = training_gaps(user_ids=sorted(named | members))
    people = User.objects.filter(pk__in=[pk for pk, g in gaps.items() if g]).order_by(
        "last_name", "username")
    return [{"name": _person(u), "lacks": gaps[u.pk]} for u in people]


def briefing_svg(*, hotspot_ids: list[int], area_id: int, width: int = 640) -> str:
    """A small map as SVG (area outline, the street layer's streets with their names, hot
    spots numbered in the order given) drawn by PostGIS: it prints and goes into the PDF
    with no tile server."""
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH a AS (SELECT geom FROM accounts_area WHERE id = %s),
                 h AS (SELECT id, geom FROM hotspots_hotspot WHERE id = ANY(%s)),
                 -- Framed on the hot spots with 400 m around them (the whole area when
                 -- there are none): the streets matter more than the borough's shape.
                 ext AS (SELECT COALESCE(ST_Expand(ST_Extent(h.geom)::geometry, 400),
                                         (SELECT ST_Envelope(geom) FROM a)) AS box FROM h)
            SELECT ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box),
                   (SELECT ST_AsSVG(ST_SimplifyPreserveTopology(geom, 20), 0, 0) FROM a),
                   (SELECT array_agg(id ORDER BY id) FROM h),
                   (SELECT array_agg(ST_AsSVG(geom, 0, 0) ORDER BY id) FROM h),
                   (SELECT array_agg(ST_X(ST_Centroid(geom)) ORDER BY id) FROM h),
                   (SELECT array_agg(ST_Y(ST_Centroid(geom)) ORDER BY id) FROM h)
            FROM ext
            """, [area_id, hotspot_ids])
        x0, y0, x1, y1, area_path, ids, paths, cx, cy = cur.fetchone()
    if x0 is None:
        return ""
    pad = max(x1 - x0, y1 - y0) * 0.03
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    height = int(width * (y1 - y0) / (x1 - x0)) if x1 > x0 else width
    # ST_AsSVG writes y as -y, so the view box starts at -y1.
    stroke = (x1 - x0) / width
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:.0f} {-y1:.0f} '
             f'{x1 - x0:.0f} {y1 - y0:.0f}" width="{width}" height="{height}" '
             'role="img" aria-label="Map of the hot spots in this briefing">',
             f'<path d="{area_path}" fill="#f8f9fa" stroke="#0d6efd" '
             f'stroke-width="{2 * stroke:.1f}"/>' if area_path else ""]
    lines, labels = _svg_streets(streets_in_box(x0=x0, y0=y0, x1=x1, y1=y1), stroke)
    parts.extend(lines)
    number = {hid: n for n, hid in enumerate(hotspot_ids, 1)}
    spots = list(zip(ids or [], paths or [], cx or [], cy or [], strict=True))
    for _hid, path, _x, _y in spots:
        parts.append(f'<path d="{path}" fill="#dc3545" fill-opacity="0.75" stroke="#842029" '
                     f'stroke-width="{stroke:.1f}"/>')
    # Street names over the hot spots, the hot spots' numbers over everything.
    parts.extend(labels)
    for hid, _path, x, y in spots:
        n = number[hid]
        parts.append(f'<text x="{x + 6 * stroke:.0f}" y="{-y:.0f}" font-size="{12 * stroke:.0f}" '
                     f'font-family="sans-serif" font-weight="bold">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


# Printed street widths in pixels of the 640-pixel map, by rank (streets.services.RANKS).
_STREET_WIDTH = {0: 5.0, 1: 4.0, 2: 3.0, 3: 1.5}


def _svg_streets(streets: list[PrintedStreet],
                 stroke: float) -> tuple[list[str], list[str]]:
    """Street lines, then each name once, along its longest piece: 11 pixels of the map
    print at about 9 pt on A4, with a white edge so a name reads across a line."""
    lines = [f'<path d="{s.path}" fill="none" stroke="#adb5bd" stroke-linecap="round" '
             f'stroke-width="{_STREET_WIDTH.get(s.rank, 1.5) * stroke:.1f}"/>'
             for s in streets]
    labels = []
    for s in streets:
        if not s.name:
            continue
        size = (11 if s.rank <= 2 else 10) * stroke
        where = (f'x="{s.label_x:.0f}" y="{-s.label_y:.0f}" text-anchor="middle" '
                 f'dominant-baseline="central" font-size="{size:.0f}" font-family="sans-serif" '
                 f'transform="rotate({s.angle:.0f} {s.label_x:.0f} {-s.label_y:.0f})"')
        name = escape(s.name)
        labels.append(f'<text {where} fill="none" stroke="#ffffff" '
                      f'stroke-width="{3 * stroke:.1f}">{name}</text>'
                      f'<text {where} fill="#212529" class="street-name">{name}</text>')
    return lines, labels


def tasks_loggable(*, user: Any) -> QuerySet[PatrolTask]:
    """Published tasks given to this officer, or to their team with no one named: the
    only tasks an officer may log a visit against."""
    mine = Q(assignee_user=user)
    if user.team_id:
        mine |= Q(assignee_user__isnull=True, assignee_team_id=user.team_id)
    return PatrolTask.objects.filter(mine, plan__status=TaskingPlan.Status.PUBLISHED)


def shifts_by_id(*, ids: list[int]) -> dict[int, Shift]:
    return {s.pk: s for s in Shift.objects.filter(pk__in=ids).select_related("pattern", "area")}


def tasked_to_teams(*, team_ids: list[int], start: datetime, end: datetime
                    ) -> dict[str, int]:
    """Visits given to these teams with no one named, in published plans, due in the
    window (cancelled ones left out): how many, and their minutes."""
    found = PatrolTask.objects.filter(
        assignee_team_id__in=team_ids, assignee_user__isnull=True,
        plan__status=TaskingPlan.Status.PUBLISHED, status=PatrolTask.Status.PLANNED,
        starts_at__gte=start, starts_at__lt=end,
    ).aggregate(n=Count("id"), minutes=Sum("minutes"))
    return {"visits": found["n"] or 0, "minutes": found["minutes"] or 0}


def tasked_for_people(*, people: list[int], start: datetime, end: datetime) -> dict[str, int]:
    """Visits named to these people in published plans, due in the window (cancelled ones
    left out): how many, and their minutes."""
    found = PatrolTask.objects.filter(
        assignee_user_id__in=people, plan__status=TaskingPlan.Status.PUBLISHED,
        status=PatrolTask.Status.PLANNED, starts_at__gte=start, starts_at__lt=end,
    ).aggregate(n=Count("id"), minutes=Sum("minutes"))
    return {"visits": found["n"] or 0, "minutes": found["minutes"] or 0}
