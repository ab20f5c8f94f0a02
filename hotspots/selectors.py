"""Reads for crime data, always within the user's area scope."""

import io
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.gis.db.backends.postgis.models import PostGISSpatialRefSys
from django.contrib.gis.db.models.functions import Transform
from django.db import connection
from django.db.models import Count, Max, Min, QuerySet
from django.utils import timezone

from accounts.models import Area
from accounts.selectors import area_scope_ids, area_scope_q, area_subtree_ids, areas_visible

from .analysis.concentration import lorenz
from .models import Crime, ExclusionArea, Hotspot, HotspotRun, ImportJob, OffenceType


def crimes_visible(*, user: Any) -> QuerySet[Crime]:
    return Crime.objects.filter(area_scope_q(user=user))


def crimes_for_map(*, user: Any) -> QuerySet[Crime]:
    return (crimes_visible(user=user)
            .select_related("offence_type")
            .annotate(location_wgs84=Transform("location", 4326))
            .order_by("-occurred_from", "id"))


def offence_types_all() -> QuerySet[OffenceType]:
    return OffenceType.objects.annotate(crime_count=Count("crimes")).order_by("name")


def import_jobs_visible(*, user: Any) -> QuerySet[ImportJob]:
    # Imports are force-wide data work: whoever may view them sees them all.
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")


def area_crime_counts(*, user: Any) -> list[dict[str, Any]]:
    """Crimes per visible area (each area counts its whole subtree)."""
    areas = list(areas_visible(user=user).order_by("level", "name"))
    counts = dict(
        crimes_visible(user=user).values_list("area__path").annotate(n=Count("id"))
        .values_list("area__path", "n")
    )
    rows = []
    for area in areas:
        total = sum(n for path, n in counts.items() if path and path.startswith(area.path))
        rows.append({"area": area, "crimes": total})
    return rows


def crime_data_span(*, area_ids: list[int] | None
                    ) -> tuple[datetime | None, datetime | None]:
    """Where the crime data held for these areas (every area's with None) begin and end:
    the earliest crime's window start and the latest one's window end, in one query.
    police.uk publishes about two months late and a force's own extract days late, so a
    figure counted "to today" would show a fall that is only missing data; and a year
    before the data begin is no year of zero crime. Figures count within the span and say
    so (issue 18, item 19)."""
    crimes = (Crime.objects.filter(area__isnull=False) if area_ids is None
              else Crime.objects.filter(area_id__in=area_ids))
    span = crimes.aggregate(start=Min("occurred_from"), end=Max("occurred_to"))
    return span["start"], span["end"]


def data_last_day(end: datetime | None) -> date | None:
    """The last local day a data end covers (a month's window ends at the next month's
    first midnight, which is not in it)."""
    return None if end is None else timezone.localtime(end - timedelta(microseconds=1)).date()


def crimes_total(*, user: Any) -> int:
    """Crimes in the user's areas: what the area table adds up to. Crimes outside every
    area (imported beyond the boundaries) are counted apart, by crimes_outside_areas."""
    return crimes_visible(user=user).filter(area__isnull=False).count()


def crimes_outside_areas(*, user: Any) -> int | None:
    """Crimes in no area, for those who see the whole force; None for everyone else."""
    if area_scope_ids(user=user) is not None:
        return None
    return Crime.objects.filter(area__isnull=True).count()


# The overview's map: crime counted in squares of this size, at most this many squares
# (the densest), instead of 10,000 points at 4.4 MB (issue 18, item 14).
DENSITY_CELL_M = 250
DENSITY_MAX_CELLS = 4000


def crime_density(*, user: Any, cell: float = DENSITY_CELL_M,
                  limit: int = DENSITY_MAX_CELLS) -> dict[str, Any]:
    """Crimes in the user's areas counted per square, the densest first, each as
    [lon, lat, crimes] at its centre (WGS84); one bounded query whatever the data's size."""
    scope = area_scope_ids(user=user)
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH squares AS (
                SELECT floor(ST_X(location) / %(cell)s) AS gx,
                       floor(ST_Y(location) / %(cell)s) AS gy, count(*) AS n
                FROM hotspots_crime
                WHERE area_id IS NOT NULL
                  AND (%(scope)s::bigint[] IS NULL OR area_id = ANY(%(scope)s::bigint[]))
                GROUP BY 1, 2
            ), top AS (SELECT * FROM squares ORDER BY n DESC, gx, gy LIMIT %(limit)s)
            SELECT round(ST_X(p)::numeric, 6), round(ST_Y(p)::numeric, 6), n,
                   (SELECT count(*) FROM squares), (SELECT coalesce(sum(n), 0) FROM squares)
            FROM top, LATERAL ST_Transform(ST_SetSRID(ST_MakePoint(
                (gx + 0.5) * %(cell)s, (gy + 0.5) * %(cell)s), %(srid)s), 4326) AS p
            """, {"cell": cell, "scope": scope, "limit": limit, "srid": settings.HOTSPOTS_SRID})
        rows = cur.fetchall()
    squares = int(rows[0][3]) if rows else 0
    return {"cell_m": cell, "cells": [[float(x), float(y), int(n)] for x, y, n, _, _ in rows],
            "crimes": int(rows[0][4]) if rows else 0, "squares": squares,
            "shown": len(rows)}


def area_levels() -> dict[int, str]:
    return dict(Area.Level.choices)


def runs_visible(*, user: Any) -> QuerySet[HotspotRun]:
    return (HotspotRun.objects.filter(area_scope_q(user=user)).select_related("area")
            .order_by("-created_at", "-id"))


def run_lorenz_points(*, run: HotspotRun, points: int = 101) -> list[tuple[float, float]]:
    """The run's concentration curve (share of cells, share of harm), at most `points` long."""
    if not run.cells:
        return []
    with run.cells.open("rb") as f:
        data = np.load(io.BytesIO(f.read()))
        harm = data["harm"][data["valid"]]
    places, shares = lorenz(harm)
    pick = np.unique(np.linspace(0, places.size - 1, points).round().astype(int))
    return [(float(places[i]), float(shares[i])) for i in pick]


def crs_kind(srid: int) -> str | None:
    """"geographic" or "projected" for a coordinate reference system PostGIS knows (GDAL
    reads its definition), None for an SRID it does not know."""
    found = PostGISSpatialRefSys.objects.filter(srid=srid).first()
    if found is None:
        return None
    return "geographic" if found.geographic else "projected"


def run_backtest(*, run: HotspotRun) -> dict[str, Any]:
    """The run's rolling-origin backtest for the Hot spots page: a table of periods and one
    plain sentence saying whether the method beats a naive forecast for this area. Runs
    made before the backtest existed have none."""
    found = run.metrics.get("backtest")
    if not isinstance(found, dict) or "periods" not in found:
        return {"rows": [], "verdict": "This run has no backtest: compute the area again."}
    rows = found["periods"]
    compared, beats = found.get("compared", 0), found.get("beats_naive", 0)
    if not compared:
        verdict = ("Not enough data to test the method: in the last four periods the rule "
                   "chose no hot spot from the data before them, or no crime followed.")
    else:
        m, n, k = (found.get(f"{x}_hit_rate") or 0.0 for x in ("method", "naive", "kde"))
        figures = (f"on average they caught {m:.1%} of the next period's crime, against "
                   f"{n:.1%} for the previous period's busiest cells and {k:.1%} for the "
                   "densest cells of the harm map")
        if beats * 2 > compared:
            verdict = (f"Yes: the hot spots this method chose from the data before each "
                       f"period beat the naive forecast in {beats} of {compared} periods; "
                       f"{figures}.")
        else:
            verdict = (f"No: the method beat the naive forecast in only {beats} of "
                       f"{compared} periods; {figures}. Here, last period's busiest cells "
                       "forecast as well: check the run's settings (cell size, lookback, "
                       "offence types) before tasking from it.")
    return {"rows": rows, "verdict": verdict, "beats": beats, "compared": compared}


def hotspots_visible(*, user: Any) -> QuerySet[Hotspot]:
    """Hot spots in the user's areas."""
    return Hotspot.objects.filter(area_scope_q(user=user))


def exclusions_visible(*, user: Any) -> QuerySet[ExclusionArea]:
    """Places ruled out of targeting in the user's areas."""
    return ExclusionArea.objects.filter(area_scope_q(user=user))


def hotspots_for_dashboard(*, area_ids: list[int]) -> QuerySet[Hotspot]:
    """Approved and retired hot spots of these areas, by key: what a dashboard can show."""
    return Hotspot.objects.filter(area_id__in=area_ids, status__in=[
        Hotspot.Status.APPROVED, Hotspot.Status.RETIRED]).order_by("key")


def latest_done_run(*, area: Any) -> HotspotRun | None:
    """The latest finished run in the area or below it, else in the nearest area above:
    runs are usually per BCU, and a neighbourhood's figures were empty."""
    run = (HotspotRun.objects.filter(area_id__in=area_subtree_ids(area=area), status="done")
           .select_related("area").order_by("-created_at").first())
    above = area.parent
    while run is None and above is not None:
        run = (HotspotRun.objects.filter(area=above, status="done").select_related("area")
               .order_by("-created_at").first())
        above = above.parent
    return run


def hotspots_in_areas(*, area: Any) -> QuerySet[Hotspot]:
    """Hot spots of an area and the areas below it."""
    return Hotspot.objects.filter(area_id__in=area_subtree_ids(area=area))


def crime_at_hotspots(*, hotspot_ids: list[int], start: datetime, end: datetime
                      ) -> dict[int, tuple[int, float]]:
    """Crimes (counted once each) and their harm inside each hot spot, by when they began,
    for the offence types used in targeting: {hot spot id: (crimes, harm)}."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT h.id, count(x.id), COALESCE(sum(x.harm_weight), 0)
            FROM hotspots_hotspot h
            LEFT JOIN LATERAL (
                SELECT c.id, o.harm_weight FROM hotspots_crime c
                JOIN hotspots_offencetype o ON o.id = c.offence_type_id
                     AND o.include_in_targeting
                WHERE ST_Intersects(h.geom, c.location)
                  AND c.occurred_from >= %s AND c.occurred_from < %s) x ON true
            WHERE h.id = ANY(%s)
            GROUP BY h.id""", [start, end, hotspot_ids])
        return {pk: (int(n), float(harm)) for pk, n, harm in cur.fetchall()}


def hotspot_names(*, ids: list[int]) -> dict[int, str]:
    return {pk: name or key for pk, name, key in
            Hotspot.objects.filter(pk__in=ids).values_list("pk", "name", "key")}


def hotspot_status_labels() -> dict[str, str]:
    return dict(Hotspot.Status.choices)


APPROVED = Hotspot.Status.APPROVED
