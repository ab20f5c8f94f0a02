"""One run from crimes to hot spots: grid, significance, selection, backtest, patterns,
profiles, identities."""

import io
import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from accounts.selectors import area_subtree_ids
from audit.services import audit_record
from core.jobs import LockId, job_lock

from ..analysis import AnalysisInputError, significance
from ..analysis.concentration import generalized_gini, gini, top_share
from ..analysis.forecast import score_top_n, top_n_membership
from ..analysis.selection import PATTERNS, SelectionRule, classify_patterns, select
from ..analysis.significance import count_test, incidents
from ..analysis.temporal import (
    aoristic_by_group,
    peak_floor,
    shrink_profiles,
    whole_hour_counts,
)
from ..layouts import CellLayout
from ..models import Hotspot, HotspotRun
from .params import DAYS, RunInputError
from .reading import _inside, _read_crimes

logger = logging.getLogger(__name__)


def _peak_hours(profile: np.ndarray, top: int = 3) -> list[str]:
    """The busiest hours of the week, or none when harm is spread evenly: month-only dates
    (police.uk) spread each crime over every hour, and any "peak" would be noise."""
    floor = peak_floor(profile)
    if floor <= 0 or float(profile.max()) < floor:
        return []
    order = np.argsort(-profile, kind="stable")[:top]
    # Only hours that are peaks themselves: a list is never padded with an ordinary hour.
    return [f"{DAYS[h // 24]} {h % 24:02d}:00" for h in order if profile[h] >= floor]


def hotspot_run_execute(*, run_id: int) -> str:
    """Compute a queued run once; a finished run is left as it is."""
    with job_lock(LockId.HOTSPOT_RUNS, run_id) as held:
        if not held:
            return "busy"
        return _run_once(run_id)


def _run_once(run_id: int) -> str:
    with transaction.atomic():
        run = HotspotRun.objects.select_for_update().get(pk=run_id)
        if run.status in (HotspotRun.Status.DONE, HotspotRun.Status.FAILED):
            return run.status
        run.status = HotspotRun.Status.RUNNING
        run.started_at = timezone.now()
        run.save(update_fields=["status", "started_at"])
    try:
        _compute(run)
    except (AnalysisInputError, RunInputError) as exc:
        HotspotRun.objects.filter(pk=run_id).update(
            status=HotspotRun.Status.FAILED, error=str(exc), finished_at=timezone.now())
        return HotspotRun.Status.FAILED
    except Exception as exc:
        logger.exception("hot spot run %s stopped", run_id)
        HotspotRun.objects.filter(pk=run_id).update(
            status=HotspotRun.Status.FAILED, finished_at=timezone.now(),
            error=f"the run stopped unexpectedly ({type(exc).__name__}); it can be run again")
        raise
    return HotspotRun.Status.DONE


@dataclass
class _Cells:
    """The grid's per-cell arrays for one run (flattened, one entry per cell)."""
    layout: CellLayout
    valid: np.ndarray  # inside the area
    excluded: np.ndarray  # inside an exclusion area
    counts: np.ndarray  # crimes
    tested: np.ndarray  # incidents: crimes at one point and time count once
    harm: np.ndarray


@dataclass
class _Profiles:
    """Each chosen cell's weekly harm profile and the harm in the window's later half."""
    chosen_flat: np.ndarray
    profiles: np.ndarray
    harm_later: np.ndarray
    shrinkage: Any


def _grid(run: HotspotRun, area_ids: list[int], crimes: dict[str, np.ndarray]) -> _Cells:
    p = run.parameters
    layout = CellLayout.covering(p["shape"], run.area.geom.extent, p["cell"])
    cx, cy = layout.centroids()
    valid = _inside(cx, cy, "SELECT geom FROM accounts_area WHERE id = %s", [run.area.pk])
    excluded = _inside(cx, cy, "SELECT geom FROM hotspots_exclusionarea WHERE area_id = ANY(%s)",
                       [area_ids])
    counts = layout.totals(crimes["x"], crimes["y"])
    # The test counts incidents (a group of crimes at one point and time counts once);
    # counts of crimes still set the minimum count, and harm ranks.
    crimes["incident"] = incidents(crimes["x"], crimes["y"], crimes["start"], crimes["end"])
    tested = layout.totals(crimes["x"][crimes["incident"]], crimes["y"][crimes["incident"]])
    harm = layout.totals(crimes["x"], crimes["y"], crimes["harm"])
    return _Cells(layout, valid, excluded, counts, tested, harm)


def _spot_profiles(run: HotspotRun, cells: _Cells, crimes: dict[str, np.ndarray],
                   chosen: np.ndarray) -> _Profiles:
    """Each hot spot's timing, shrunk towards the area's by how much its own crimes say
    (analysis/temporal.shrink_profiles); the profile the rota reads is that timing times
    the hot spot's harm."""
    flat = cells.layout.flat_index(crimes["x"], crimes["y"])
    chosen_flat = np.flatnonzero(chosen)
    group_of_cell = np.full(cells.layout.size, -1, dtype=np.int64)
    group_of_cell[chosen_flat] = np.arange(chosen_flat.size)
    groups = np.where(flat >= 0, group_of_cell[np.maximum(flat, 0)], -1)
    tz = ZoneInfo(settings.TIME_ZONE)
    own_counts = aoristic_by_group(crimes["start"], crimes["end"], tz, groups,
                                   chosen_flat.size)
    in_area = np.where(flat >= 0, 0, -1)
    area_counts = aoristic_by_group(crimes["start"], crimes["end"], tz, in_area, 1)[0]
    whole = whole_hour_counts(crimes["start"], crimes["end"], tz, groups, chosen_flat.size)
    shares, shrinkage = shrink_profiles(own_counts, area_counts, whole)
    spot_harm = np.bincount(groups[groups >= 0], weights=crimes["harm"][groups >= 0],
                            minlength=chosen_flat.size)
    midpoint = (run.window_start + (run.window_end - run.window_start) / 2).timestamp()
    later = (crimes["start"] >= midpoint) & (groups >= 0)
    harm_later = np.bincount(groups[later], weights=crimes["harm"][later],
                             minlength=chosen_flat.size)
    return _Profiles(chosen_flat, shares * spot_harm[:, None], harm_later, shrinkage)


def _metrics(p: dict[str, Any], crimes: dict[str, np.ndarray], cells: _Cells,
             excess: np.ndarray, q: np.ndarray, spots: _Profiles, backtest: dict[str, Any],
             patterns: np.ndarray) -> dict[str, Any]:
    valid, counts = cells.valid, cells.counts
    in_area = cells.harm[valid]
    return {
        "crimes": int(crimes["x"].size), "crimes_in_cells": int(counts.sum()),
        "harm": float(cells.harm.sum()), "cells": int(valid.sum()),
        "cells_with_crime": int((counts[valid] > 0).sum()),
        "significant": int(((excess > 0) & (q <= p["q_max"]) & valid).sum()),
        "test": {"name": significance.NAME, "description": significance.DESCRIPTION},
        "selected": int(spots.chosen_flat.size),
        "excluded_cells": int((cells.excluded & valid).sum()),
        "gini": gini(in_area), "generalized_gini": generalized_gini(counts[valid]),
        "top_1_percent": top_share(in_area, 0.01), "top_5_percent": top_share(in_area, 0.05),
        "top_10_percent": top_share(in_area, 0.10),
        "backtest": backtest,
        "patterns": {name: int((patterns == name).sum()) for name in PATTERNS if name != "none"},
        "timing": {"concentration": spots.shrinkage.concentration,
                   "prior_own": spots.shrinkage.prior_own},
    }


def _compute(run: HotspotRun) -> None:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    p = run.parameters
    area_ids = area_subtree_ids(area=run.area)
    crimes = _read_crimes(run, area_ids)
    timings["read"] = time.perf_counter() - t0

    t = time.perf_counter()
    cells = _grid(run, area_ids, crimes)
    layout, valid, excluded, harm = cells.layout, cells.valid, cells.excluded, cells.harm
    timings["grid"] = time.perf_counter() - t

    t = time.perf_counter()
    # Significance from the exact count test (analysis/significance.py); Gi* on harm only
    # describes and maps, and harm ranks the significant cells.
    z = layout.gi_star(harm, valid)
    nbhd, nbhd_cells = layout.neighbourhood(cells.tested, valid)
    pval, q, excess = count_test(cells.tested, valid, nbhd, nbhd_cells)
    timings["gistar"] = time.perf_counter() - t
    t = time.perf_counter()
    kde = layout.kde(crimes["x"], crimes["y"], crimes["harm"], p["bandwidth"])
    timings["kde"] = time.perf_counter() - t

    rule = SelectionRule(q_max=p["q_max"], min_count=p["min_count"], top_n=p["top_n"],
                         top_share=p["top_share"])
    # A cell is hot when its neighbourhood holds more crimes than chance (excess > 0) at the
    # q asked for; the select rule reads its `z` argument only for that sign.
    chosen = select(harm=harm, counts=cells.counts, z=excess, q=q, rule=rule,
                    excluded=excluded | ~valid)

    t = time.perf_counter()
    start_s, end_s = run.window_start.timestamp(), run.window_end.timestamp()
    backtest = _backtest(layout, crimes, valid, excluded, rule, p, start_s, end_s)
    patterns = _patterns(layout, crimes, valid, p, start_s, end_s)
    timings["backtest_and_stability"] = time.perf_counter() - t

    t = time.perf_counter()
    spots = _spot_profiles(run, cells, crimes, chosen)
    timings["profiles"] = time.perf_counter() - t

    t = time.perf_counter()
    metrics = _metrics(p, crimes, cells, excess, q, spots, backtest, patterns)
    with transaction.atomic():
        changes = _keep_identities(run, layout, spots.chosen_flat, cells.counts, harm, z, q,
                                   kde, spots.profiles, spots.harm_later, patterns, nbhd,
                                   nbhd - excess, spots.shrinkage.own)
        metrics.update(changes)
        buffer = io.BytesIO()
        arrays: dict[str, Any] = {"counts": cells.counts, "harm": harm, "z": z, "p": pval,
                                  "q": q, "kde": kde, "selected": chosen, "valid": valid,
                                  "excluded": excluded, **layout.meta()}
        np.savez_compressed(buffer, **arrays)
        run.cells.save(f"run-{run.pk}.npz", ContentFile(buffer.getvalue()), save=False)
        timings["write"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - t0
        run.metrics, run.timings = metrics, timings
        run.status, run.finished_at = HotspotRun.Status.DONE, timezone.now()
        run.save()
        audit_record(actor=run.created_by, action="hotspot_run.done", target=run,
                     detail={"selected": metrics["selected"], "new": metrics["new"],
                             "dropped": metrics["dropped"]})


def _backtest(layout: CellLayout, crimes: dict[str, np.ndarray], valid: np.ndarray,
              excluded: np.ndarray, rule: SelectionRule, p: dict[str, Any], start: float,
              end: float, slices: int = 6, periods: int = 4) -> dict[str, Any]:
    """A rolling-origin backtest of the rule that is deployed (issue 16): the window is cut
    into `slices`; for each of its last `periods`, hot spots are selected by this run's rule
    on the data before it and scored on the period itself, beside a naive forecast (the
    previous slice's busiest cells by count) and the harm KDE of the same data, each at the
    number of cells the rule chose. Ties share their places (forecast.top_n_membership)."""
    edges = np.linspace(start, end, slices + 1)
    when = crimes["start"]
    inside = valid & ~excluded
    area_cells = int(valid.sum())
    rows = []
    for k in range(slices - periods, slices):
        lo, hi = edges[k], edges[k + 1]
        before, test, prev = when < lo, (when >= lo) & (when < hi), \
            (when >= edges[k - 1]) & (when < lo)

        def cells(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
            w = None if weights is None else weights[mask]
            return layout.totals(crimes["x"][mask], crimes["y"][mask], w)

        fit_counts, fit_harm = cells(before), cells(before, crimes["harm"])
        observed = cells(test)
        fit_tested = cells(before & crimes["incident"])
        sums, n_cells = layout.neighbourhood(fit_tested, valid)
        _, q_fit, excess_fit = count_test(fit_tested, valid, sums, n_cells)
        eligible = (excess_fit > 0) & (q_fit <= rule.q_max) & (fit_counts >= rule.min_count) \
            & inside
        if rule.top_n is not None and rule.top_share is None:
            method = top_n_membership(fit_harm, rule.top_n, eligible)
        else:
            method = select(harm=fit_harm, counts=fit_counts, z=excess_fit, q=q_fit,
                            rule=rule, excluded=~inside).astype(float)
        n = round(float(method.sum()))
        row: dict[str, Any] = {"from": datetime.fromtimestamp(lo, UTC).isoformat(),
                               "to": datetime.fromtimestamp(hi, UTC).isoformat(),
                               "cells": n, "crimes": int(observed[valid].sum())}
        if n and row["crimes"]:
            kde = layout.kde(crimes["x"][before], crimes["y"][before],
                             crimes["harm"][before], p["bandwidth"])
            for name, member in (("method", method),
                                 ("naive", top_n_membership(cells(prev), n, inside)),
                                 ("kde", top_n_membership(kde, n, inside))):
                row[name] = asdict(score_top_n(member[valid], observed[valid],
                                               fit_counts[valid], area_cells))
        rows.append(row)
    scored = [r for r in rows if "method" in r]
    beats = sum(r["method"]["hits"] > r["naive"]["hits"] for r in scored)
    return {"periods": rows, "compared": len(scored), "beats_naive": beats,
            "method_hit_rate": _mean(r["method"]["hit_rate"] for r in scored),
            "naive_hit_rate": _mean(r["naive"]["hit_rate"] for r in scored),
            "kde_hit_rate": _mean(r["kde"]["hit_rate"] for r in scored),
            "method_pai": _mean(r["method"]["pai"] for r in scored)}


def _mean(values: Any) -> float | None:
    found = list(values)
    return float(np.mean(found)) if found else None


def _patterns(layout: CellLayout, crimes: dict[str, np.ndarray], valid: np.ndarray,
              p: dict[str, Any], start: float, end: float, periods: int = 4) -> np.ndarray:
    """Each cell's pattern over the window's quarters: hot where the count test finds its
    neighbourhood busier than chance."""
    edges = np.linspace(start, end, periods + 1)
    which = np.clip(np.searchsorted(edges, crimes["start"], side="right") - 1, 0, periods - 1)
    hot = np.zeros((periods, layout.size), dtype=bool)
    for k in range(periods):
        mine = (which == k) & crimes["incident"]
        counts_k = layout.totals(crimes["x"][mine], crimes["y"][mine])
        sums, cells = layout.neighbourhood(counts_k, valid)
        _, q_k, excess_k = count_test(counts_k, valid, sums, cells)
        hot[k] = (excess_k > 0) & (q_k <= p["q_max"]) & valid
    return classify_patterns(hot)


def _keep_identities(run: HotspotRun, layout: CellLayout, chosen_flat: np.ndarray,
                     counts: np.ndarray, harm: np.ndarray, z: np.ndarray, q: np.ndarray,
                     kde: np.ndarray, profiles: np.ndarray, harm_later: np.ndarray,
                     patterns: np.ndarray, nbhd: np.ndarray,
                     expected: np.ndarray, own_timing: np.ndarray) -> dict[str, int]:
    """The same cell keeps its hot spot; new cells arrive as candidates; cells no longer
    selected are flagged, never deleted."""
    keys = layout.keys()
    chosen_keys = [str(k) for k in keys[chosen_flat]]
    existing = {h.key: h for h in Hotspot.objects.filter(run_area=run.area,
                                                          key__in=chosen_keys)}
    new, kept = [], []
    for i, (flat, key) in enumerate(zip(chosen_flat, chosen_keys, strict=True)):
        total = float(harm[flat])
        stats = {"count": int(counts[flat]), "harm": total, "z": float(z[flat]),
                 "q": float(q[flat]), "kde": float(kde[flat]),
                 # The count test's evidence: crimes in the neighbourhood against chance.
                 "neighbourhood_incidents": int(nbhd[flat]),
                 "expected": round(float(expected[flat]), 3),
                 "harm_first_half": total - float(harm_later[i]),
                 "harm_second_half": float(harm_later[i]),
                 "peak_hours": _peak_hours(profiles[i]),
                 # How sure the run is that this place's timing is its own, not the area's.
                 "own_timing": round(float(own_timing[i]), 3),
                 "pattern": str(patterns[flat])}
        profile = [round(float(v), 6) for v in profiles[i]]
        hotspot = existing.get(key)
        if hotspot is None:
            outline = Polygon(layout.polygon(int(flat)), srid=settings.HOTSPOTS_SRID)
            new.append(Hotspot(run_area=run.area, key=key, geom=outline, first_run=run,
                               last_selected_run=run, stats=stats, profile=profile))
        else:
            hotspot.stats, hotspot.profile = stats, profile
            hotspot.last_selected_run, hotspot.dropped_by_run = run, None
            kept.append(hotspot)
    _assign_areas(new)
    Hotspot.objects.bulk_create(new)
    Hotspot.objects.bulk_update(kept, ["stats", "profile", "last_selected_run",
                                       "dropped_by_run", "updated_at"])
    dropped = (Hotspot.objects.filter(run_area=run.area, dropped_by_run__isnull=True)
               .exclude(key__in=chosen_keys).exclude(status=Hotspot.Status.RETIRED)
               .update(dropped_by_run=run))
    named = _name_hotspots(run)
    return {"new": len(new), "kept": len(kept), "dropped": dropped, "named": named}


# A place's name from its crimes' own location text (police.uk writes "On or near Holloway
# Road"): the commonest street among the run window's crimes in the cell, with the area it
# lies in. An analyst's name is never replaced; a cell whose crimes carry no text keeps
# whatever name it had (the pages then show its key).
# police.uk snaps a crime to a street ("On or near Holloway Road") or to a kind of place
# ("On or near Supermarket", "Parking Area", "B144"): a street is the name people know, so a
# text ending like a street is preferred, however common the kinds of place are.
STREET_LIKE = (r"\m(street|road|lane|avenue|way|place|close|mews|terrace|square|gardens|hill|"
               r"row|court|crescent|drive|grove|walk|yard|gate|green|rise|parade|passage|"
               r"broadway|bridge|embankment|circus|vale|wharf|buildings|approach|villas|park)$")

NAME_SQL = r"""
WITH spots AS (
    SELECT h.id, h.geom, a.name AS area_name
    FROM hotspots_hotspot h LEFT JOIN accounts_area a ON a.id = h.area_id
    WHERE h.last_selected_run_id = %(run)s AND h.named_by <> 'analyst'
), texts AS (
    SELECT s.id,
           btrim(regexp_replace(btrim(c.location_text), '^(on or near|near|on)\s+', '', 'i'))
               AS street,
           count(*) AS n
    FROM spots s JOIN hotspots_crime c ON ST_Intersects(s.geom, c.location)
    WHERE c.location_text <> '' AND c.occurred_from >= %(start)s AND c.occurred_from < %(end)s
    GROUP BY 1, 2
), best AS (
    SELECT DISTINCT ON (id) id, street FROM texts WHERE street <> ''
    ORDER BY id, street ~* %(street_like)s DESC, n DESC, street
)
UPDATE hotspots_hotspot h
   SET name = left(b.street || coalesce(', ' || s.area_name, ''), 120), named_by = 'crimes'
  FROM best b JOIN spots s ON s.id = b.id
 WHERE h.id = b.id
"""


# Otherwise from the newest street layer (streets/), where one is loaded: the named street
# with the most length inside the cell, else the nearest within 100 m of its centre. An
# analyst's name is never replaced, nor a street name from the crimes; a kind of place from
# the crimes ("Supermarket, Camden") gives way to a street.
NAME_FROM_STREETS_SQL = r"""
WITH spots AS (
    SELECT h.id, h.geom, a.name AS area_name
    FROM hotspots_hotspot h LEFT JOIN accounts_area a ON a.id = h.area_id
    WHERE h.last_selected_run_id = %(run)s
      AND (h.named_by IN ('', 'streets')
           OR (h.named_by = 'crimes' AND NOT split_part(h.name, ',', 1) ~* %(street_like)s))
), layer AS (
    SELECT id FROM streets_streetlayer ORDER BY imported_at DESC, id DESC LIMIT 1
), best AS (
    SELECT s.id, (
        SELECT st.name FROM streets_street st, layer
         WHERE st.layer_id = layer.id AND st.name <> ''
           AND ST_DWithin(st.geom, ST_Centroid(s.geom), 100)
         ORDER BY ST_Length(ST_Intersection(st.geom, s.geom)) DESC,
                  ST_Distance(st.geom, ST_Centroid(s.geom)), st.name
         LIMIT 1) AS street
    FROM spots s
)
UPDATE hotspots_hotspot h
   SET name = left(b.street || coalesce(', ' || s.area_name, ''), 120), named_by = 'streets'
  FROM best b JOIN spots s ON s.id = b.id
 WHERE h.id = b.id AND b.street IS NOT NULL
"""


# Two places in one area must not share a name (two "Supermarket, Camden" on one phone
# list, two identical choices after the fact): the one with the most harm keeps it, the
# others are numbered in order of harm, "Supermarket, Camden (2)". Names an analyst gave
# count as taken but are never changed.
NAME_APART_SQL = r"""
WITH named AS (
    SELECT h.id, h.named_by,
           regexp_replace(h.name, ' \(\d+\)$', '') AS base,
           row_number() OVER (
               PARTITION BY h.run_area_id, regexp_replace(h.name, ' \(\d+\)$', '')
               ORDER BY h.named_by = 'analyst' DESC,
                        coalesce((h.stats->>'harm')::float, 0) DESC, h.key) AS n
    FROM hotspots_hotspot h
    WHERE h.run_area_id = (SELECT area_id FROM hotspots_hotspotrun WHERE id = %(run)s)
      AND h.name <> '' AND h.dropped_by_run_id IS NULL AND h.status <> 'retired'
)
UPDATE hotspots_hotspot h
   SET name = CASE WHEN d.n = 1 THEN d.base
                   ELSE left(d.base, 112) || ' (' || d.n || ')' END
  FROM named d
 WHERE h.id = d.id AND d.named_by <> 'analyst'
   AND h.name IS DISTINCT FROM CASE WHEN d.n = 1 THEN d.base
                                    ELSE left(d.base, 112) || ' (' || d.n || ')' END
"""


def _name_hotspots(run: HotspotRun) -> int:
    with connection.cursor() as cur:
        cur.execute(NAME_SQL, {"run": run.pk, "start": run.window_start, "end": run.window_end,
                               "street_like": STREET_LIKE})
        cur.execute(NAME_FROM_STREETS_SQL, {"run": run.pk, "street_like": STREET_LIKE})
        cur.execute(NAME_APART_SQL, {"run": run.pk})
        # How many this run named, each once (a place may be named twice, crimes then streets).
        cur.execute("SELECT count(*) FROM hotspots_hotspot WHERE last_selected_run_id = %s "
                    "AND named_by IN ('crimes', 'streets')", [run.pk])
        return int(cur.fetchone()[0])


def _assign_areas(hotspots: list[Hotspot]) -> None:
    """Each new hot spot's scoping area: the leaf area holding its centre, set-based."""
    if not hotspots:
        return
    centres = [h.geom.centroid for h in hotspots]
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT t.n, (SELECT ap.area_id FROM accounts_areapart ap
                          WHERE ap.is_leaf AND ST_Intersects(ap.geom, ST_SetSRID(
                                ST_MakePoint(t.x, t.y), %s))
                          ORDER BY ap.area_id LIMIT 1)
              FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS t(x, y, n)
            """,
            [settings.HOTSPOTS_SRID, [c.x for c in centres], [c.y for c in centres]],
        )
        for n, area_id in cur.fetchall():
            hotspots[n - 1].area_id = area_id
