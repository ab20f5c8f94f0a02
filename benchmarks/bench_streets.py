"""The street layer: import of a city-sized GeoPackage, and vector tiles from PostGIS at
the zooms the maps ask for, beside the peer a page would otherwise fetch, the same streets as
GeoJSON from the same query, in the same run.

The layer is generated: 20 km x 20 km of central London (British National Grid) with a
street every 100 m each way, cut into 100 m links as OS Open Roads cuts them at junctions
(80,000 links), one in ten an A road, one in ten a B road, one in five a path.

Prints one JSON line. Uses the database in DATABASE_URL (make bench: hotspots_bench).
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from streets.models import StreetLayer  # noqa: E402
from streets.selectors import TILE_SQL, max_rank, tile  # noqa: E402
from streets.services import streets_import  # noqa: E402

WORK = ROOT / ".bench"
X0, Y0, SIDE, STEP = 520_000, 170_000, 20_000, 100
# Tiles over the middle of the square (about -0.13, 51.51) at the zooms the maps use.
CENTRE = (-0.13, 51.51)

GEOJSON_SQL = TILE_SQL.replace(
    "SELECT ST_AsMVT(lines, 'streets', 4096, 'geom') FROM lines WHERE geom IS NOT NULL",
    "SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg("
    "json_build_object('type', 'Feature', 'properties', json_build_object('name', name, "
    "'rank', rank), 'geometry', ST_AsGeoJSON(ST_Transform(g, 4326), 6)::json)), '[]'))::text "
    "FROM lines").replace(
    "ST_AsMVTGeom(ST_Transform(s.geom, 3857), env.e, 4096, 64, true) AS geom,",
    "s.geom AS g, ST_AsMVTGeom(ST_Transform(s.geom, 3857), env.e, 4096, 64, true) AS geom,")


def grid_file() -> Path:
    path = WORK / "streets-grid.gpkg"
    if path.exists():
        return path
    WORK.mkdir(exist_ok=True)
    features: list[dict] = []
    n = SIDE // STEP
    for i in range(n + 1):
        for j in range(n):
            for horizontal in (True, False):
                k = len(features)
                cls = ("A Road" if k % 10 == 0 else "B Road" if k % 10 == 1 else
                       "Unknown" if k % 5 == 2 else "Unclassified")
                a = X0 + j * STEP, Y0 + i * STEP
                if horizontal:
                    coords = [list(a), [a[0] + STEP, a[1]]]
                else:
                    coords = [[X0 + i * STEP, Y0 + j * STEP],
                              [X0 + i * STEP, Y0 + (j + 1) * STEP]]
                features.append({"type": "Feature",
                                 "properties": {"name1": f"Street {i} {horizontal}",
                                                "road_classification": cls},
                                 "geometry": {"type": "LineString", "coordinates": coords}})
    source = WORK / "streets-grid.geojson"
    source.write_text(json.dumps({
        "type": "FeatureCollection", "name": "road_link",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": features}))
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(path), str(source), "-nln", "road_link"],
                   check=True)
    source.unlink()
    return path


def tile_xy(z: int) -> tuple[int, int]:
    import math
    lon, lat = CENTRE
    n = 2 ** z
    r = math.radians(lat)
    return (int((lon + 180) / 360 * n),
            int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n))


def timed(fn, repeat: int = 15) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        size = len(fn())
        times.append(time.perf_counter() - started)
    return statistics.median(times), size


def main() -> None:
    path = grid_file()
    StreetLayer.objects.all().delete()
    started = time.perf_counter()
    layer = streets_import(path=path, name="bench grid", actor=None, clip_to_areas=False)
    import_s = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("ANALYZE streets_street")
    zooms = {}
    for z in (12, 14, 15):
        x, y = tile_xy(z)

        def geojson(z: int = z, x: int = x, y: int = y) -> bytes:
            with connection.cursor() as cur:
                cur.execute(GEOJSON_SQL, {"z": z, "x": x, "y": y, "srid": 27700,
                                          "layer": layer.pk, "rank": max_rank(z)})
                return cur.fetchone()[0].encode()

        mvt_s, mvt_bytes = timed(lambda z=z, x=x, y=y: tile(layer_id=layer.pk, z=z, x=x, y=y))
        geo_s, geo_bytes = timed(geojson)
        zooms[z] = {"mvt_ms": mvt_s * 1000, "mvt_kb": mvt_bytes / 1024,
                    "geojson_ms": geo_s * 1000, "geojson_kb": geo_bytes / 1024}
    print(json.dumps({"lines": layer.streets, "import_s": import_s,
                      "lines_per_s": layer.streets / import_s, "zooms": zooms}))


if __name__ == "__main__":
    main()
