"""Reports figures beside a peer in the same run:

1. The monthly funding return for a year, for a force area with 300 hot spots, 1,000,000
   crimes and 50,000 visits, against a per-hot-spot, per-month ORM loop (timed on one
   month and scaled to twelve).
2. A GeoPackage export of 100,000 visits (the export path: one query, ogr2ogr), beside the
   CSV of the same rows.

Prints one JSON line. Uses DATABASE_URL (make bench: hotspots_bench).
"""

import json
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.gis.geos import MultiPolygon, Polygon  # noqa: E402
from django.db import connection  # noqa: E402

from accounts import roles  # noqa: E402
from accounts.models import Area, User  # noqa: E402
from accounts.services import areas_rebuild_index  # noqa: E402
from core import writers  # noqa: E402
from hotspots.models import Crime, Hotspot, HotspotRun  # noqa: E402
from patrols.models import Visit  # noqa: E402
from reports.datasets import dataset  # noqa: E402
from reports.selectors import funding_return  # noqa: E402

X0, Y0, SIDE = 440000, 440000, 20000


def setup() -> tuple[Area, User]:
    old = Area.objects.filter(code="BREP").first()
    if old is not None:
        Visit.objects.filter(hotspot__run_area=old).delete()
        Crime.objects.filter(area=old).delete()
        Hotspot.objects.filter(run_area=old).delete()
        HotspotRun.objects.filter(area=old).delete()
        User.objects.filter(area=old).update(area=None)
        old.delete()
    area = Area.objects.create(name="Bench reports", code="BREP", level=Area.Level.BCU,
                               geom=MultiPolygon(Polygon.from_bbox((X0, Y0, X0 + SIDE,
                                                                    Y0 + SIDE))))
    areas_rebuild_index()
    run = HotspotRun.objects.create(area=area, trigger="command", status="done",
                                    window_start=datetime(2025, 1, 1, tzinfo=UTC),
                                    window_end=datetime(2026, 1, 1, tzinfo=UTC))
    Hotspot.objects.bulk_create([
        Hotspot(run_area=area, area=area, key=f"r:{i}", status="approved", first_run=run,
                last_selected_run=run, profile=[], stats={},
                geom=Polygon.from_bbox((X0 + 500 + (i % 20) * 950, Y0 + 500 + (i // 20) * 1250,
                                        X0 + 650 + (i % 20) * 950,
                                        Y0 + 650 + (i // 20) * 1250)))
        for i in range(300)])
    roles.roles_sync()
    user, _ = User.objects.update_or_create(username="bench-analyst", defaults={"area": area})
    user.groups.set([Group.objects.get(name=roles.ANALYST)])
    officer, _ = User.objects.update_or_create(username="bench-officer",
                                               defaults={"area": area, "rank": "pc"})
    with connection.cursor() as cur:
        # 1,000,000 crimes over 2025, a sixth of them inside hot spots.
        cur.execute("""
            INSERT INTO hotspots_crime (source, reference, offence_type_id, occurred_from,
                                        occurred_to, location, area_id, location_text,
                                        lsoa_code, outcome)
            SELECT 'bench-reports', 'r' || g, o.id, t, t,
                   CASE WHEN g %% 6 = 0 THEN
                       ST_SetSRID(ST_MakePoint(%(x0)s + 575 + ((g / 6) %% 20) * 950
                                                   + (random() - 0.5) * 140,
                                               %(y0)s + 575 + (((g / 6) / 20) %% 15) * 1250
                                                   + (random() - 0.5) * 140), 27700)
                   ELSE ST_SetSRID(ST_MakePoint(%(x0)s + random() * %(side)s,
                                                %(y0)s + random() * %(side)s), 27700) END,
                   %(area)s, '', '', ''
            FROM generate_series(1, 1000000) g
            CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01 00:00+00'
                                       + random() * interval '365 days' AS t) tt
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
                  FROM hotspots_offencetype) o ON o.k = g %% 14
            """, {"x0": X0, "y0": Y0, "side": SIDE, "area": area.pk})
        # 100,000 visits over 2024 and 2025 (50,000 in the year of the return).
        cur.execute("""
            INSERT INTO patrols_visit (id, officer_id, hotspot_id, started_at, ended_at,
                                       activities, notes, retrospective, body_hash,
                                       received_at, start_inside, end_inside)
            SELECT gen_random_uuid(), %(officer)s, h.id, t, t + interval '15 minutes',
                   CASE WHEN g %% 10 = 0 THEN '["stop"]'::jsonb ELSE '["foot"]'::jsonb END,
                   '', false, '', now(), true, true
            FROM generate_series(1, 100000) g
            CROSS JOIN LATERAL (SELECT timestamptz '2024-01-01 00:00+00'
                                       + (g %% 2) * interval '366 days'
                                       + random() * interval '364 days' AS t) tt
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM hotspots_hotspot
                  WHERE run_area_id = %(area)s) h ON h.k = g %% 300
            """, {"officer": officer.pk, "area": area.pk})
        cur.execute("ANALYZE hotspots_crime")
        cur.execute("ANALYZE patrols_visit")
    return area, user


def naive_month(area: Area) -> float:
    """The peer: per hot spot, ORM counts for one month."""
    started = time.perf_counter()
    lo, hi = datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC)
    for spot in Hotspot.objects.filter(run_area=area):
        Crime.objects.filter(location__within=spot.geom, occurred_from__gte=lo,
                             occurred_from__lt=hi, offence_type__category="asb").count()
        Crime.objects.filter(location__within=spot.geom, occurred_from__gte=lo,
                             occurred_from__lt=hi,
                             offence_type__code__in=["violence-and-sexual-offences",
                                                     "robbery"]).count()
        Visit.objects.filter(hotspot=spot, started_at__gte=lo, started_at__lt=hi).count()
    return time.perf_counter() - started


def main() -> None:
    area, user = setup()
    crimes = Crime.objects.filter(area=area).count()
    visits_year = Visit.objects.filter(hotspot__run_area=area,
                                       started_at__year=2025).count()
    started = time.perf_counter()
    rows = funding_return(user=user, area=area, first=date(2025, 1, 1), last=date(2025, 12, 1))
    return_s = time.perf_counter() - started
    naive = naive_month(area)
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        data = dataset(kind="visits", user=user, start=start, end=end, area_ids=[area.pk],
                       geo="wkt")
        started = time.perf_counter()
        assert data.geometry is not None
        n = writers.write_gpkg(Path(tmp) / "v.gpkg", data.columns, data.rows, data.geometry,
                               27700, "visits", "POINT")
        gpkg_s = time.perf_counter() - started
        size_mb = (Path(tmp) / "v.gpkg").stat().st_size / 1e6
        data = dataset(kind="visits", user=user, start=start, end=end, area_ids=[area.pk])
        started = time.perf_counter()
        writers.write_csv(Path(tmp) / "v.csv", data.columns, data.rows)
        csv_s = time.perf_counter() - started
    print(json.dumps({"crimes": crimes, "hotspots": 300, "visits_in_year": visits_year,
                      "months": len(rows), "return_s": return_s,
                      "naive_month_s": naive, "naive_year_s": naive * 12,
                      "gpkg_features": n, "gpkg_s": gpkg_s, "gpkg_mb": size_mb,
                      "csv_s": csv_s, "asb_in_year": sum(r[4] for r in rows)}))


if __name__ == "__main__":
    main()
