"""Hot spot runs: read an area's crimes once into arrays, compute, select, keep identities.

Services (writes) for runs and hot spots live here; the maths is in `analysis/`.
"""

import io
import logging
import math
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import Polygon
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Area
from accounts.selectors import area_subtree_ids
from audit.services import audit_record
from core.errors import InputError
from core.jobs import LockId, job_lock, jobs_resume
from core.resilience import enqueue_on_commit
from core.text import markup_problem

from .analysis import AnalysisInputError, significance
from .analysis.concentration import generalized_gini, gini, top_share
from .analysis.forecast import score_top_n, top_n_membership
from .analysis.selection import PATTERNS, SelectionRule, classify_patterns, select
from .analysis.significance import count_test, incidents
from .analysis.temporal import aoristic_by_group, shrink_profiles, whole_hour_counts
from .layouts import SHAPES, CellLayout
from .models import ExclusionArea, Hotspot, HotspotRun, OffenceType

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    "shape": "square",      # or "hex": hexagons of the same area
    "cell": 150.0,          # metres, the UK trial standard
    "bandwidth": 450.0,     # metres: three cells
    "lookback_days": 365,
    "q_max": 0.05,
    "min_count": 3,
    "top_n": 30,            # a workable rota: Southend tasked 20 hot spots
    "top_share": None,
    "include_asb": True,
    "offence_types": None,  # codes to count (say, only burglary); None: all in targeting
}
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class RunInputError(InputError):
    """The run cannot be made as asked; the message says why."""


def _number(params: dict[str, Any], key: str, whole: bool = False) -> Any:
    """A parameter that must be a finite number (a whole one for counts), or None if unset."""
    value = params[key]
    if value is None:
        return None
    kind = "a whole number" if whole else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RunInputError(f"{key} must be {kind}, not {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise RunInputError(f"{key} must be {kind}, not {value!r}") from None
    if not math.isfinite(number) or (whole and not number.is_integer()):
        raise RunInputError(f"{key} must be {kind}, not {value!r}")
    return int(number) if whole else number


def _parameters(given: dict[str, Any] | None) -> dict[str, Any]:
    if given is not None and not isinstance(given, dict):
        raise RunInputError("parameters must be an object of names and values")
    params = {**DEFAULTS, **(given or {})}
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise RunInputError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    for key in ("cell", "bandwidth", "q_max", "top_share"):
        params[key] = _number(params, key)
    for key in ("lookback_days", "min_count", "top_n"):
        params[key] = _number(params, key, whole=True)
    for key in ("cell", "bandwidth", "q_max", "lookback_days", "min_count"):
        if params[key] is None:
            raise RunInputError(f"{key} cannot be empty")
    if not isinstance(params["include_asb"], bool):
        raise RunInputError("include_asb must be true or false")
    types = params["offence_types"]
    if types is not None and (not isinstance(types, list)
                              or not all(isinstance(t, str) for t in types)):
        raise RunInputError("offence_types must be a list of offence type codes")
    if params["shape"] not in SHAPES:
        raise RunInputError(f"shape must be {' or '.join(SHAPES)}")
    if not params["cell"] > 0:
        raise RunInputError("cell size must be a positive number of metres")
    if not params["bandwidth"] > 0:
        raise RunInputError("bandwidth must be a positive number of metres")
    if not 1 <= params["lookback_days"] <= 3660:
        raise RunInputError("the lookback must be between 1 day and 10 years")
    try:
        rule = SelectionRule(q_max=params["q_max"], min_count=params["min_count"],
                             top_n=params["top_n"], top_share=params["top_share"])
    except AnalysisInputError as exc:
        raise RunInputError(str(exc)) from None
    params.update(asdict(rule))
    return params


@transaction.atomic
def hotspot_run_create(*, area: Area, trigger: str, actor: Any = None,
                       parameters: dict[str, Any] | None = None,
                       window_end: datetime | None = None) -> HotspotRun:
    """Queue a run for an area; the offence weights are copied in so it can be reproduced."""
    params = _parameters(parameters)
    end = window_end or default_window_end()
    types = OffenceType.objects.filter(include_in_targeting=True)
    if params["offence_types"]:
        chosen = {str(c) for c in params["offence_types"]}
        known = set(OffenceType.objects.filter(code__in=chosen).values_list("code", flat=True))
        if chosen - known:
            raise RunInputError(f"unknown offence type(s): {', '.join(sorted(chosen - known))}")
        # An analyst's explicit choice may include types left out of targeting by default.
        types = OffenceType.objects.filter(code__in=chosen)
    if not params["include_asb"]:
        types = types.exclude(category=OffenceType.Category.ASB)
    params["weights"] = {t.code: t.harm_weight for t in types.order_by("code")}
    run = HotspotRun.objects.create(
        area=area, trigger=trigger, parameters=params,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        window_start=end - timedelta(days=params["lookback_days"]), window_end=end)
    audit_record(actor=actor, action="hotspot_run.queue", target=run,
                 detail={"area": area.code, "trigger": trigger})
    return run


def default_window_end() -> datetime:
    """Local midnight today, or the fixed date a demo or a replay of old data sets."""
    tz = ZoneInfo(settings.TIME_ZONE)
    if settings.HOTSPOTS_WINDOW_END:
        return datetime.fromisoformat(settings.HOTSPOTS_WINDOW_END).replace(tzinfo=tz)
    return timezone.now().astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)


@transaction.atomic
def hotspot_run_queue(*, area: Area, actor: Any, trigger: str,
                      parameters: dict[str, Any] | None = None,
                      window_end: datetime | None = None) -> HotspotRun:
    """Create a run and start its Celery task once the transaction has committed."""
    from .tasks import hotspot_run_compute

    run = hotspot_run_create(area=area, trigger=trigger, actor=actor, parameters=parameters,
                             window_end=window_end)
    enqueue_on_commit(hotspot_run_compute, run.pk)
    return run


# Binary COPY of five NOT NULL 8-byte fields: each record is a 2-byte field count, then
# a 4-byte length and 8 bytes of data per field, all big-endian. NumPy reads it in place.
_RECORD = np.dtype([("n", ">i2"),
                    *[(f"{name}{part}", kind) for name in ("x", "y", "t", "a", "b")
                      for part, kind in (("_len", ">i4"), ("", ">i8" if name == "t" else ">f8"))]])
_HEADER = 19  # "PGCOPY\n\377\r\n\0", flags, header extension length


def _read_crimes(run: HotspotRun, area_ids: list[int]) -> dict[str, np.ndarray]:
    """The run's crimes as arrays, read with one binary COPY (no Python object per row)."""
    codes = list(run.parameters["weights"])
    by_id = dict(OffenceType.objects.filter(code__in=codes).values_list("id", "code"))
    weight_of = {tid: run.parameters["weights"][code] for tid, code in by_id.items()}
    buffer = io.BytesIO()
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(
        """
        COPY (SELECT ST_X(location)::float8, ST_Y(location)::float8, offence_type_id::int8,
                     extract(epoch FROM occurred_from)::float8,
                     extract(epoch FROM occurred_to)::float8
                FROM hotspots_crime
               WHERE area_id = ANY(%s) AND offence_type_id = ANY(%s)
                 AND occurred_from >= %s AND occurred_from < %s)
        TO STDOUT (FORMAT BINARY)
        """,
        [area_ids, list(by_id), run.window_start, run.window_end],
    ) as copy:
        for block in copy:
            buffer.write(block)
    data = buffer.getbuffer()
    ext = int.from_bytes(data[15:19], "big") if len(data) >= _HEADER else 0
    body = data[_HEADER + ext: len(data) - 2]  # the trailer is a field count of -1
    rows = np.frombuffer(body, dtype=_RECORD) if len(body) else np.zeros(0, dtype=_RECORD)
    types = rows["t"].astype(np.int64)
    lookup = np.zeros(int(types.max()) + 1 if types.size else 1)
    for tid, w in weight_of.items():
        if tid < lookup.size:
            lookup[tid] = w
    return {"x": rows["x"].astype(float), "y": rows["y"].astype(float), "harm": lookup[types],
            "start": rows["a"].astype(float), "end": rows["b"].astype(float)}


def _inside(points_x: np.ndarray, points_y: np.ndarray, sql_geom: str,
            params: list[Any]) -> np.ndarray:
    """Which points fall in a geometry given by SQL, set-based in PostGIS."""
    if points_x.size == 0:
        return np.zeros(0, dtype=bool)
    with connection.cursor() as cur:
        cur.execute(
            f"""
            WITH g AS ({sql_geom})
            SELECT coalesce(bool_or(ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint(t.x, t.y),
                                                                      %s))), false)
              FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS t(x, y, n)
              LEFT JOIN g ON true
             GROUP BY t.n ORDER BY t.n
            """,
            [*params, settings.HOTSPOTS_SRID, points_x.tolist(), points_y.tolist()],
        )
        return np.array([r[0] for r in cur.fetchall()], dtype=bool)


def _peak_hours(profile: np.ndarray, top: int = 3) -> list[str]:
    """The busiest hours of the week, or none when harm is spread evenly: month-only dates
    (police.uk) spread each crime over every hour, and any "peak" would be noise."""
    mean = float(profile.mean())
    if mean <= 0 or float(profile.max()) < 1.5 * mean:
        return []
    order = np.argsort(-profile, kind="stable")[:top]
    # Only hours that are peaks themselves: a list is never padded with an ordinary hour.
    return [f"{DAYS[h // 24]} {h % 24:02d}:00" for h in order if profile[h] >= 1.5 * mean]


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


def _compute(run: HotspotRun) -> None:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    p = run.parameters
    area = run.area
    area_ids = area_subtree_ids(area=area)
    crimes = _read_crimes(run, area_ids)
    timings["read"] = time.perf_counter() - t0

    t = time.perf_counter()
    layout = CellLayout.covering(p["shape"], area.geom.extent, p["cell"])
    cx, cy = layout.centroids()
    valid = _inside(cx, cy, "SELECT geom FROM accounts_area WHERE id = %s", [area.pk])
    excluded = _inside(cx, cy, "SELECT geom FROM hotspots_exclusionarea WHERE area_id = ANY(%s)",
                       [area_ids])
    counts = layout.totals(crimes["x"], crimes["y"])
    # The test counts incidents (a group of crimes at one point and time counts once);
    # counts of crimes still set the minimum count, and harm ranks.
    crimes["incident"] = incidents(crimes["x"], crimes["y"], crimes["start"], crimes["end"])
    tested = layout.totals(crimes["x"][crimes["incident"]], crimes["y"][crimes["incident"]])
    harm = layout.totals(crimes["x"], crimes["y"], crimes["harm"])
    timings["grid"] = time.perf_counter() - t

    t = time.perf_counter()
    # Significance from the exact count test (analysis/significance.py); Gi* on harm only
    # describes and maps, and harm ranks the significant cells.
    z = layout.gi_star(harm, valid)
    nbhd, nbhd_cells = layout.neighbourhood(tested, valid)
    pval, q, excess = count_test(tested, valid, nbhd, nbhd_cells)
    timings["gistar"] = time.perf_counter() - t
    t = time.perf_counter()
    kde = layout.kde(crimes["x"], crimes["y"], crimes["harm"], p["bandwidth"])
    timings["kde"] = time.perf_counter() - t

    rule = SelectionRule(q_max=p["q_max"], min_count=p["min_count"], top_n=p["top_n"],
                         top_share=p["top_share"])
    # A cell is hot when its neighbourhood holds more crimes than chance (excess > 0) at the
    # q asked for; the select rule reads its `z` argument only for that sign.
    chosen = select(harm=harm, counts=counts, z=excess, q=q, rule=rule,
                    excluded=excluded | ~valid)

    t = time.perf_counter()
    start_s, end_s = run.window_start.timestamp(), run.window_end.timestamp()
    backtest = _backtest(layout, crimes, valid, excluded, rule, p, start_s, end_s)
    patterns = _patterns(layout, crimes, valid, p, start_s, end_s)
    timings["backtest_and_stability"] = time.perf_counter() - t

    t = time.perf_counter()
    flat = layout.flat_index(crimes["x"], crimes["y"])
    chosen_flat = np.flatnonzero(chosen)
    group_of_cell = np.full(layout.size, -1, dtype=np.int64)
    group_of_cell[chosen_flat] = np.arange(chosen_flat.size)
    groups = np.where(flat >= 0, group_of_cell[np.maximum(flat, 0)], -1)
    tz = ZoneInfo(settings.TIME_ZONE)
    # Each hot spot's timing, shrunk towards the area's by how much its own crimes say
    # (analysis/temporal.shrink_profiles); the profile the rota reads is that timing times
    # the hot spot's harm.
    own_counts = aoristic_by_group(crimes["start"], crimes["end"], tz, groups,
                                   chosen_flat.size)
    in_area = np.where(flat >= 0, 0, -1)
    area_counts = aoristic_by_group(crimes["start"], crimes["end"], tz, in_area, 1)[0]
    whole = whole_hour_counts(crimes["start"], crimes["end"], tz, groups, chosen_flat.size)
    shares, shrinkage = shrink_profiles(own_counts, area_counts, whole)
    spot_harm = np.bincount(groups[groups >= 0], weights=crimes["harm"][groups >= 0],
                            minlength=chosen_flat.size)
    profiles = shares * spot_harm[:, None]
    midpoint = (run.window_start + (run.window_end - run.window_start) / 2).timestamp()
    later = (crimes["start"] >= midpoint) & (groups >= 0)
    harm_later = np.bincount(groups[later], weights=crimes["harm"][later],
                             minlength=chosen_flat.size)
    timings["profiles"] = time.perf_counter() - t

    t = time.perf_counter()
    in_area = harm[valid]
    metrics = {
        "crimes": int(crimes["x"].size), "crimes_in_cells": int(counts.sum()),
        "harm": float(harm.sum()), "cells": int(valid.sum()),
        "cells_with_crime": int((counts[valid] > 0).sum()),
        "significant": int(((excess > 0) & (q <= p["q_max"]) & valid).sum()),
        "test": {"name": significance.NAME, "description": significance.DESCRIPTION},
        "selected": int(chosen_flat.size), "excluded_cells": int((excluded & valid).sum()),
        "gini": gini(in_area), "generalized_gini": generalized_gini(counts[valid]),
        "top_1_percent": top_share(in_area, 0.01), "top_5_percent": top_share(in_area, 0.05),
        "top_10_percent": top_share(in_area, 0.10),
        "backtest": backtest,
        "patterns": {name: int((patterns == name).sum()) for name in PATTERNS if name != "none"},
        "timing": {"concentration": shrinkage.concentration,
                   "prior_own": shrinkage.prior_own},
    }
    with transaction.atomic():
        changes = _keep_identities(run, layout, chosen_flat, counts, harm, z, q, kde,
                                   profiles, harm_later, patterns, nbhd,
                                   nbhd - excess, shrinkage.own)
        metrics.update(changes)
        buffer = io.BytesIO()
        arrays: dict[str, Any] = {"counts": counts, "harm": harm, "z": z, "p": pval, "q": q,
                                  "kde": kde, "selected": chosen, "valid": valid,
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
    return {"new": len(new), "kept": len(kept), "dropped": dropped}


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


@transaction.atomic
def hotspot_review(*, hotspot: Hotspot, actor: Any, action: str, note: str = "") -> Hotspot:
    """An analyst approves, suppresses or retires a hot spot; audited."""
    target = {"approve": Hotspot.Status.APPROVED, "suppress": Hotspot.Status.SUPPRESSED,
              "retire": Hotspot.Status.RETIRED}.get(action)
    if target is None:
        raise RunInputError("action must be approve, suppress or retire")
    if problem := markup_problem("the note", note):
        raise RunInputError(problem)
    locked = Hotspot.objects.select_for_update().get(pk=hotspot.pk)
    before = locked.status
    locked.status = target
    locked.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action=f"hotspot.{action}", target=locked,
                 detail={"before": before, "after": target, "note": note[:500]})
    return locked


def hotspot_runs_nightly() -> list[int]:
    """Queue tonight's run for each area at the run level; a second call the same night
    queues nothing (two beat processes, or a re-delivered task, do no double work)."""
    from .tasks import hotspot_run_compute

    level = settings.HOTSPOTS_RUN_LEVEL
    areas = list(Area.objects.filter(level=level)) or list(
        Area.objects.filter(level=Area.Level.FORCE))
    queued = []
    for area in areas:
        with transaction.atomic():
            # Serialise per area: the check and the insert are one decision.
            Area.objects.select_for_update().get(pk=area.pk)
            end = default_window_end()
            if HotspotRun.objects.filter(area=area, trigger=HotspotRun.Trigger.NIGHTLY,
                                         window_end=end).exists():
                continue
            run = hotspot_run_create(area=area, trigger=HotspotRun.Trigger.NIGHTLY,
                                     window_end=end)
            enqueue_on_commit(hotspot_run_compute, run.pk)
            queued.append(run.pk)
    return queued


def hotspot_runs_resume(*, stale_after: timedelta = timedelta(minutes=10)) -> list[int]:
    """Queue again the runs a killed worker left half done (their work was rolled back)."""
    from .tasks import hotspot_run_compute

    return jobs_resume(model=HotspotRun, kind=LockId.HOTSPOT_RUNS, task=hotspot_run_compute,
                       stale_after=stale_after)


MAX_EXCLUSION_M2 = 5_000_000  # 5 km²: a prison or a hospital, not a district


@transaction.atomic
def exclusion_area_create(*, actor: Any, area: Area, name: str, reason: str,
                          geometry: dict[str, Any]) -> ExclusionArea:
    """Rule a place out of targeting; the shape comes as WGS84 GeoJSON from the map."""
    import json

    if problem := markup_problem("the name and reason", name, reason):
        raise RunInputError(problem)

    from django.contrib.gis.gdal import GDALException
    from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon

    try:
        shape: Any = GEOSGeometry(json.dumps(geometry), srid=4326)
    except (GEOSException, GDALException, ValueError, TypeError):
        raise RunInputError("the shape is not a GeoJSON polygon") from None
    if shape.geom_type == "Polygon":
        shape = MultiPolygon(shape, srid=4326)
    if shape.geom_type != "MultiPolygon" or shape.empty:
        raise RunInputError("the shape must be a polygon")
    if not shape.valid:
        raise RunInputError(f"the shape is not valid: {shape.valid_reason}")
    west, south, east, north = shape.extent
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise RunInputError("the shape has points off the globe: longitude is -180 to 180 and "
                            "latitude -90 to 90")
    try:
        shape.transform(settings.HOTSPOTS_SRID)
    except GDALException:
        raise RunInputError("the shape cannot be placed on the force's map grid") from None
    if not shape.intersects(area.geom):
        raise RunInputError(f"the shape lies outside {area.name}")
    if shape.area > MAX_EXCLUSION_M2:
        raise RunInputError(f"the shape covers {shape.area / 1e6:.1f} km²; an exclusion area "
                            f"may cover at most {MAX_EXCLUSION_M2 / 1e6:.0f} km²")
    if not name.strip() or not reason.strip():
        raise RunInputError("give the place a name and say why it is excluded")
    exclusion = ExclusionArea.objects.create(area=area, name=name.strip()[:200],
                                             reason=reason.strip(), geom=shape, created_by=actor)
    audit_record(actor=actor, action="exclusion_area.create", target=exclusion,
                 detail={"area": area.code, "name": exclusion.name, "m2": round(shape.area)})
    return exclusion
