"""Rebuild the demo force's shipped data from ../shared/data (run by a developer, not by users).

Takes the Camden and Islington boroughs from the London boundaries (simplified to 5 m) and
the police.uk burglary rows that fall inside them, keeping the police.uk archive layout.
"""

import csv
import io
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
BOROUGHS = ("Camden", "Islington")


def prepared_polygons(path: Path) -> Any:
    """A point-in-any-polygon test over a GeoJSON file, using GEOS prepared geometries."""
    import json

    from django.conf import settings

    if not settings.configured:
        settings.configure()
    from django.contrib.gis.geos import GEOSGeometry, Point

    shapes = [GEOSGeometry(json.dumps(f["geometry"])).prepared
              for f in json.loads(path.read_text())["features"]]
    return lambda lon, lat: any(s.covers(Point(lon, lat)) for s in shapes)


def main() -> None:
    out = ROOT / "demo"
    out.mkdir(exist_ok=True)
    areas = out / "areas.geojson"
    areas.unlink(missing_ok=True)
    where = " OR ".join(f"name = '{b}'" for b in BOROUGHS)
    subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", "-t_srs", "EPSG:4326", "-simplify", "5",
         "-lco", "COORDINATE_PRECISION=6", "-where", where, "-select", "name,gss_code",
         str(areas), str(SHARED / "boundaries" / "london-boroughs.gpkg")],
        check=True,
    )
    inside = prepared_polygons(areas)
    source = zipfile.ZipFile(SHARED / "policeuk" / "metropolitan-burglary-2024-03-to-2025-02.zip")
    target = out / "policeuk-burglary-camden-islington-2024-03-to-2025-02.zip"
    kept = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            if not info.filename.endswith(".csv"):
                continue
            rows = csv.reader(io.TextIOWrapper(source.open(info), encoding="utf-8-sig"))
            header = next(rows)
            i_lon, i_lat = header.index("Longitude"), header.index("Latitude")
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(header)
            for row in rows:
                if row[i_lon] and row[i_lat] and inside(float(row[i_lon]), float(row[i_lat])):
                    writer.writerow(row)
                    kept += 1
            archive.writestr(info.filename, buffer.getvalue())
    print(f"{kept} rows -> {target.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
