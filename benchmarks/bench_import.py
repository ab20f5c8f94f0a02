"""One import benchmark scenario, run in its own process so its peak memory is its own.

    python benchmarks/bench_import.py importer|orm PATH [LIMIT]

Prints one JSON line: rows read, inserted, seconds, rows/s, peak RSS (MB).
"""

import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from hotspots.models import Crime  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_importer(path: Path) -> dict:
    from hotspots.services import crime_import_paths

    start = time.perf_counter()
    job = crime_import_paths(paths=[path], format="police_uk", source="police.uk")
    seconds = time.perf_counter() - start
    return {"read": job.rows_read, "inserted": job.rows_inserted, "seconds": seconds}


def run_orm(path: Path, limit: int) -> dict:
    """The plain Django way: csv.DictReader, a model instance per row, bulk_create."""
    import csv
    import io
    import zipfile
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.contrib.gis.gdal import AxisOrder, CoordTransform, SpatialReference
    from django.contrib.gis.geos import Point

    from hotspots.models import OffenceType

    tz = ZoneInfo(settings.TIME_ZONE)
    types = {t.name: t for t in OffenceType.objects.all()}
    # One transformation for the whole file: building one per row costs milliseconds.
    to_metric = CoordTransform(SpatialReference(4326, axis_order=AxisOrder.TRADITIONAL),
                               SpatialReference(settings.HOTSPOTS_SRID))

    def rows():
        if zipfile.is_zipfile(path):
            archive = zipfile.ZipFile(path)
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if info.filename.endswith(".csv"):
                    yield from csv.DictReader(io.TextIOWrapper(archive.open(info), "utf-8-sig"))
        else:
            with path.open(newline="") as f:
                yield from csv.DictReader(f)

    start = time.perf_counter()
    read = inserted = 0
    batch: list[Crime] = []
    for n, row in enumerate(rows()):
        if n >= limit:
            break
        read += 1
        if not row["Longitude"]:
            continue
        year, month = (int(p) for p in row["Month"].split("-"))
        begin = datetime(year, month, 1, tzinfo=tz)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
        point = Point(float(row["Longitude"]), float(row["Latitude"]), srid=4326)
        point.transform(to_metric)
        batch.append(Crime(
            source="police.uk-orm", reference=row["Crime ID"] or f"row-{n}",
            offence_type=types[row["Crime type"]], occurred_from=begin, occurred_to=end,
            location=point, location_text=row["Location"], lsoa_code=row["LSOA code"],
            outcome=row["Last outcome category"]))
        if len(batch) == 5000:
            inserted += len(Crime.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        inserted += len(Crime.objects.bulk_create(batch, ignore_conflicts=True))
    seconds = time.perf_counter() - start
    return {"read": read, "inserted": inserted, "seconds": seconds}


def main() -> None:
    mode, path = sys.argv[1], Path(sys.argv[2])
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 10**12
    with connection.cursor() as cur:
        cur.execute("TRUNCATE hotspots_crime")
    baseline = peak_mb()
    result = run_importer(path) if mode == "importer" else run_orm(path, limit)
    result["rows_per_s"] = result["read"] / result["seconds"]
    result["peak_mb"] = peak_mb()
    result["startup_mb"] = baseline
    print(json.dumps(result))


if __name__ == "__main__":
    main()
