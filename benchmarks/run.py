"""`make bench`: every benchmark, each figure beside its baseline measured in the same run.

Runs against a database of its own (hotspots_bench) so the demo's data is untouched.
Each scenario runs in a fresh process, so its peak memory (max RSS) is its own.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
WORK = ROOT / ".bench"
PY = sys.executable
ENV = {**os.environ,
       "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL",
                                      "postgis://postgres@127.0.0.1:5432/hotspots_bench"),
       "DJANGO_SETTINGS_MODULE": "config.settings.local", "LOG_LEVEL": "WARNING"}


def sh(*args: str) -> str:
    result = subprocess.run(args, cwd=ROOT, env=ENV, capture_output=True, text=True)
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"failed: {' '.join(args)}")
    return result.stdout


def scenario(mode: str, path: Path, limit: int | None = None) -> dict:
    args = [PY, "benchmarks/bench_import.py", mode, str(path)]
    if limit:
        args.append(str(limit))
    return json.loads(sh(*args).strip().splitlines()[-1])


def prepare() -> None:
    WORK.mkdir(exist_ok=True)
    sh(PY, "scripts/ensure_db.py")
    sh(PY, "manage.py", "migrate", "--noinput", "-v", "0")
    boroughs = SHARED / "boundaries" / "london-boroughs.gpkg"
    if boroughs.exists():
        sh(PY, "manage.py", "import_areas", str(boroughs), "--level", "bcu",
           "--code-field", "gss_code", "--create-parent", "MET:Metropolitan Police Service:force")
    else:
        sh(PY, "manage.py", "import_areas", "demo/areas.geojson", "--code-field", "gss_code")


def generated(rows: int) -> Path:
    path = WORK / f"gen-{rows}.csv"
    if not path.exists():
        sh(PY, "benchmarks/gen_policeuk.py", str(path), str(rows))
    return path


def main() -> None:
    started = time.time()
    prepare()
    if sys.argv[1:] == ["tracking"]:  # python benchmarks/run.py tracking
        tracking()
        return
    if sys.argv[1:] == ["load"]:  # the 10-minute load scenario: python benchmarks/run.py load
        load()
        return
    if sys.argv[1:] == ["import"]:  # only the import table: python benchmarks/run.py import
        imports()
        return
    if sys.argv[1:] == ["reports"]:  # python benchmarks/run.py reports
        reports()
        return
    if sys.argv[1:] == ["tasking"]:  # only the tasking figures: python benchmarks/run.py tasking
        gen = json.loads(sh(PY, "benchmarks/bench_generator.py").strip().splitlines()[-1])
        print(f"Rota generator, {gen['hotspots']} x {gen['shifts']}: {gen['seconds']:.3f} s "
              f"(naive peer {gen['naive_seconds']:.3f} s)")
        supervisor_map()
        return
    if sys.argv[1:] == ["streets"]:  # python benchmarks/run.py streets
        streets()
        return
    if sys.argv[1:] == ["runs"]:  # only the hot spot run figures: python benchmarks/run.py runs
        runs()
        return
    imports()
    runs()
    gen = json.loads(sh(PY, "benchmarks/bench_generator.py").strip().splitlines()[-1])
    print(f"\nRota generator: a week for {gen['hotspots']} hot spots x {gen['shifts']} shifts "
          "(target: 1 s)\n")
    print("| implementation | seconds | visits |")
    print("|---|---|---|")
    print(f"| tasking.generator (heap of harm per visit) | {gen['seconds']:.3f} | "
          f"{gen['visits']:,} |")
    print(f"| naive peer (argmax over the matrix per visit) | {gen['naive_seconds']:.3f} | "
          f"{gen['naive_visits']:,} |")
    supervisor_map()
    tracking()
    reports()
    streets()
    print(f"\n({time.time() - started:.0f} s in all)")


# The whole run measured on 2026-11-30, before issue 16 (normal-approximation Gi*, the KDE
# backtest, unshrunk profiles): the README's figure, printed beside today's.
RUN_BEFORE_ISSUE_16 = {"read": 2.12, "grid": 0.53, "gistar": 0.008, "kde": 0.012,
                       "backtest_and_stability": 0.08, "profiles": 0.05, "write": 0.14,
                       "total": 2.94, "peak_mb": 294}


def runs() -> None:
    # A hot spot run over 1,000,000 crimes in a 40 km x 40 km area (about 71,000 cells).
    square = WORK / "square-40km.geojson"
    square.write_text(json.dumps({"type": "FeatureCollection", "crs": {
        "type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": [{"type": "Feature", "properties": {"name": "Bench 40 km", "code": "B40"},
                      "geometry": {"type": "Polygon", "coordinates": [[
                          [510000, 160000], [550000, 160000], [550000, 200000],
                          [510000, 200000], [510000, 160000]]]}}]}))
    sh(PY, "manage.py", "shell", "-c", "from django.db import connection; "
       "connection.cursor().execute('TRUNCATE hotspots_hotspot, hotspots_hotspotrun, "
       "hotspots_crime, accounts_areapart, accounts_area CASCADE')")
    sh(PY, "manage.py", "import_areas", str(square), "--level", "force")
    in_square = WORK / "gen-square-1000000.csv"
    if not in_square.exists():
        sh(PY, "benchmarks/gen_policeuk.py", str(in_square), "1000000", "square")
    sh(PY, "manage.py", "import_crimes", str(in_square))
    rc = json.loads(sh(PY, "benchmarks/bench_recompute.py", "B40").strip().splitlines()[-1])
    t = rc["timings"]
    print(f"\nHot spot run over a 40 km x 40 km area: {rc['crimes']:,} crimes, "
          f"{rc['cells']:,} cells of 150 m (targets: 10 s, 1 GB)\n")
    print("| run | read | grid | significance | KDE | backtest and stability | profiles "
          "| write | total | peak MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    b = RUN_BEFORE_ISSUE_16
    for label, x, mb in (("today", t, rc["peak_mb"]), ("2026-11-30, before issue 16", b,
                                                       b["peak_mb"])):
        print(f"| {label} | {x['read']:.2f} | {x['grid']:.2f} | {x['gistar']:.3f} | "
              f"{x['kde']:.3f} | {x['backtest_and_stability']:.2f} | {x['profiles']:.2f} | "
              f"{x['write']:.2f} | {x['total']:.2f} | {mb:.0f} |")

    gi = json.loads(sh(PY, "benchmarks/bench_gistar.py").strip().splitlines()[-1])
    print(f"\nGi* on {gi['cells']:,} cells (40 km x 40 km at 150 m), same grid, same run\n")
    print("| implementation | seconds | max abs difference in z |")
    print("|---|---|---|")
    print(f"| hotspots.analysis.gistar (3x3 convolution) | {gi['ours_s']:.4f} | |")
    if "esda_s" in gi:
        print(f"| PySAL esda G_Local (B, star, no permutations) | {gi['esda_s']:.3f} | "
              f"{gi['max_abs_diff']:.1e} ({gi['speedup']:,.0f}x slower) |")
    else:
        print(f"| PySAL esda | {gi['esda']} | |")
    print(f"\nSignificance on the same grid: the exact count test and BH (a run's step) "
          f"{gi['count_test_s']:.4f} s, beside the normal approximation to Gi* and BH it "
          f"replaced, {gi['normal_s']:.4f} s")


def imports() -> None:
    rows_out = []

    def add(label: str, result: dict, baseline: dict | None = None) -> None:
        speedup = f"{result['rows_per_s'] / baseline['rows_per_s']:.1f}x" if baseline else ""
        rows_out.append((label, f"{result['read']:,}", f"{result['seconds']:.1f}",
                         f"{result['rows_per_s']:,.0f}", speedup,
                         f"{result['peak_mb']:.0f} ({result['peak_mb'] - result['startup_mb']:+.0f})"))
        print(f"  {label}: {result['rows_per_s']:,.0f} rows/s", file=sys.stderr, flush=True)

    met = SHARED / "policeuk" / "metropolitan-burglary-2024-03-to-2025-02.zip"
    if met.exists():
        orm = scenario("orm", met)
        add("ORM bulk_create loop, Met burglary 12 months", orm)
        add("importer, Met burglary 12 months", scenario("importer", met), orm)
    else:
        print("  ../shared/data is absent: the Metropolitan file is skipped", file=sys.stderr)
    small, large = generated(100_000), generated(1_000_000)
    orm_small = scenario("orm", small)
    add("ORM bulk_create loop, generated 100,000", orm_small)
    add("importer, generated 100,000", scenario("importer", small), orm_small)
    add("importer, generated 1,000,000", scenario("importer", large), orm_small)

    header = ("scenario", "rows", "seconds", "rows/s", "vs ORM", "peak MB (over start)")
    widths = [max(len(str(r[i])) for r in [header, *rows_out]) for i in range(len(header))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    print("\nCrime import (make bench), 2 cores, PostgreSQL defaults\n")
    print(line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows_out:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |")


def streets() -> None:
    s = json.loads(sh(PY, "benchmarks/bench_streets.py").strip().splitlines()[-1])
    print(f"\nStreet layer: {s['lines']:,} links imported from a GeoPackage in "
          f"{s['import_s']:.1f} s ({s['lines_per_s']:,.0f} links/s)\n")
    print("| zoom | vector tile ms | vector tile KB | peer: GeoJSON of the same streets ms "
          "| GeoJSON KB |")
    print("|---|---|---|---|---|")
    for z, r in s["zooms"].items():
        print(f"| {z} | {r['mvt_ms']:.1f} | {r['mvt_kb']:.1f} | {r['geojson_ms']:.1f} | "
              f"{r['geojson_kb']:.1f} |")


def reports() -> None:
    r = json.loads(sh(PY, "benchmarks/bench_reports.py").strip().splitlines()[-1])
    print(f"\nMonthly funding return for a year: {r['hotspots']} hot spots, {r['crimes']:,} "
          f"crimes, {r['visits_in_year']:,} visits (target 5 s)\n")
    print("| implementation | seconds |")
    print("|---|---|")
    print(f"| reports.selectors.funding_return (set-based) | {r['return_s']:.2f} |")
    print(f"| peer: ORM counts per hot spot and month ({r['naive_month_s']:.1f} s for one "
          f"month, x12) | {r['naive_year_s']:.1f} |")
    print(f"\nGeoPackage export of {r['gpkg_features']:,} visits ({r['gpkg_mb']:.1f} MB; "
          "target 10 s)\n")
    print("| file | seconds |")
    print("|---|---|")
    print(f"| GeoPackage (one query, ogr2ogr) | {r['gpkg_s']:.2f} |")
    print(f"| baseline: CSV of the same rows | {r['csv_s']:.2f} |")


def load() -> None:
    r = json.loads(sh(PY, "benchmarks/bench_load.py").strip().splitlines()[-1])
    print(f"\nLoad scenario, {r['seconds'] // 60} min: 40 officers logging visits, 15 "
          "supervisors on the map, 200 GPS devices every 5 s, 5 analysts exporting (locust; "
          "gunicorn 3 workers and one Celery worker; targets p95 <= 300 ms, no errors, every "
          "ping stored once). Idle p50: the same request with one user of each kind.\n")
    print("| requests | count | req/s | failures | p50 ms | p95 ms | p99 ms | idle p50 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for q in r["requests"]:
        idle = f"{q['idle_p50_ms']:.0f}" if q["idle_p50_ms"] is not None else ""
        print(f"| {q['name']} | {q['requests']:,} | {q['rps']} | {q['failures']} | "
              f"{q['p50_ms']:.0f} | {q['p95_ms']:.0f} | {q['p99_ms']:.0f} | {idle} |")
    print(f"\nPings: sent and confirmed {r['pings_sent']:,}, still in outboxes "
          f"{r['pings_pending']:,}, stored {r['pings_stored']:,} "
          f"({r['pings_distinct']:,} distinct). Exports by status: {r['exports']}.")


def tracking() -> None:
    tr = json.loads(sh(PY, "benchmarks/bench_tracking.py").strip().splitlines()[-1])
    ing, pr, ck = tr["ingest"], tr["presence"], tr["checkin"]
    print("\nGPS ingest through POST /api/v1/gps/pings/ (gunicorn, 3 workers; 4 clients "
          "posting 5,000-ping JSON batches; target 10,000 pings/s)\n")
    print("| path | pings | seconds | pings/s | errors |")
    print("|---|---|---|---|---|")
    print(f"| batch API (check, COPY, one INSERT) | {ing['pings']:,} | {ing['seconds']:.2f} | "
          f"{ing['per_s']:,.0f} | {ing['errors']} |")
    print(f"| peer: one INSERT per ping, in-process | {ing['peer_pings']:,} | "
          f"{ing['peer_seconds']:.2f} | {ing['peer_per_s']:,.0f} | |")
    if ing.get("first_error"):
        print(f"\nFirst error: {ing['first_error'][0]}")
    print(f"\nPresence for one day of {pr['devices']} devices every 5 s ({pr['pings']:,} pings) "
          "against 300 hot spots (target 60 s)\n")
    print("| implementation | seconds | stays |")
    print("|---|---|---|")
    print(f"| presence_update (PostGIS, set-based) | {pr['seconds']:.1f} | {pr['stays']:,} |")
    print(f"| peer: per-ping Python loop, {pr['naive_sample_devices']} devices "
          f"({pr['naive_sample_seconds']:.1f} s) scaled to {pr['devices']} | "
          f"{pr['naive_scaled_seconds']:.0f} | |")
    print("\nVisit check-in, POST /api/v1/visits/, 50 officers at once (target p95 50 ms)\n")
    print("| load | requests/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|")
    for label, r in (("each officer once a second", ck["paced"]),
                     ("flat out (closed loop, no pause)", ck["closed_loop"])):
        print(f"| {label} | {r['rps']:.0f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
              f"{r['p99_ms']:.0f} | {r['errors']} |")


def supervisor_map() -> None:
    sm = json.loads(sh(PY, "benchmarks/bench_supervisor_map.py").strip().splitlines()[-1])
    if "skipped" in sm:
        print(f"\nSupervisor map: skipped ({sm['skipped']})")
        return
    print(f"\nSupervisor map data: {sm['hotspots']} hot spots, {sm['visits_in_shift']} visits "
          f"in the shift ({sm['payload_kb']:.0f} KB), 20 concurrent clients (wrk, 20 s) against "
          f"gunicorn with {sm['workers']} workers (target: p95 150 ms)\n")
    print("| endpoint | requests/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|")
    for label, r in (("plan map data (cached per plan version)", sm["map"]),
                     ("peer: DRF GeoJSON list of the same hot spots, no visits", sm["peer"])):
        print(f"| {label} | {r['rps']:.0f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
              f"{r['p99_ms']:.0f} | {r['errors'] + r['non_2xx']} |")
    print(f"\nBuilding the payload after an edit (cold cache): {sm['build_ms']:.0f} ms; "
          f"generating the week ({sm['week_visits']:,} visits, saved): {sm['generate_s']:.2f} s")


if __name__ == "__main__":
    main()
