"""Concentration of the shared real data on 150 m cells, for docs/analysis.md.

    .venv/bin/python scripts/concentration_figures.py

Reads ../shared/data directly (no database): projects points with GDAL, lays a 150 m
square grid over the study area, keeps the cells whose centre lies inside the area's
boundary (for Northumbria, which has no boundary file, the convex hull of the records),
and reports the share of records in the top 1% and 5% of cells and the Gini indices.
"""

import csv
import gzip
import io
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from django.conf import settings  # noqa: E402

settings.configure()

from django.contrib.gis.gdal import (  # noqa: E402
    AxisOrder,
    CoordTransform,
    DataSource,
    OGRGeometry,
    SpatialReference,
)
from django.contrib.gis.geos import GEOSGeometry, MultiPoint, Point  # noqa: E402

from hotspots.analysis.concentration import generalized_gini, gini, top_share  # noqa: E402
from hotspots.analysis.grid import SquareGrid  # noqa: E402


def project(lon: np.ndarray, lat: np.ndarray, srid: int) -> tuple[np.ndarray, np.ndarray]:
    """All points in one GDAL call (a MultiPoint), not one call per point."""
    wgs = SpatialReference(4326, axis_order=AxisOrder.TRADITIONAL)
    multi = MultiPoint([Point(a, b) for a, b in zip(lon, lat, strict=True)], srid=4326)
    ogr = OGRGeometry(multi.wkb, srs=wgs)
    ogr.transform(CoordTransform(wgs, SpatialReference(srid)))
    projected: Any = GEOSGeometry(ogr.wkb)  # a MultiPoint
    xy = np.array(projected.coords)
    return xy[:, 0], xy[:, 1]


def boundary(path: Path, srid: int) -> GEOSGeometry:
    layer = DataSource(str(path))[0]
    target = SpatialReference(srid)
    parts = []
    for feature in layer:
        geom = feature.geom.clone()
        geom.transform(target)
        parts.append(GEOSGeometry(geom.wkb).buffer(0))
    union = parts[0]
    for p in parts[1:]:
        union = union.union(p)
    return union


def figures(name: str, x: np.ndarray, y: np.ndarray, area: GEOSGeometry) -> str:
    xmin, ymin, xmax, ymax = area.extent
    grid = SquareGrid.covering(xmin, ymin, xmax, ymax, 150)
    counts = grid.totals(x, y)
    cx, cy = grid.centroids()
    prepared = area.prepared
    inside = np.array([prepared.contains(Point(a, b)) for a, b in zip(cx.ravel(), cy.ravel(),
                                                                        strict=True)])
    cells = counts.ravel()[inside]
    n = int(cells.sum())
    ranked = np.cumsum(np.sort(cells)[::-1]) / cells.sum()
    half = (int(np.searchsorted(ranked, 0.5)) + 1) / cells.size
    return (f"| {name} | {len(x):,} | {n:,} | {inside.sum():,} | {100 * half:.1f}% | "
            f"{100 * top_share(cells, 0.01):.1f}% | {100 * top_share(cells, 0.05):.1f}% | "
            f"{100 * np.mean(cells > 0):.1f}% | {gini(cells):.3f} | "
            f"{generalized_gini(cells):.3f} |")


def main() -> None:
    rows = []
    # Metropolitan burglary, 12 months, inside Greater London.
    lon, lat = [], []
    with zipfile.ZipFile(SHARED / "policeuk" / "metropolitan-burglary-2024-03-to-2025-02.zip") as z:
        for info in z.infolist():
            if info.filename.endswith(".csv"):
                for r in csv.DictReader(io.TextIOWrapper(z.open(info), "utf-8-sig")):
                    if r["Longitude"]:
                        lon.append(float(r["Longitude"]))
                        lat.append(float(r["Latitude"]))
    x, y = project(np.array(lon), np.array(lat), 27700)
    london = boundary(SHARED / "boundaries" / "london-boroughs.gpkg", 27700)
    rows.append(figures("Metropolitan burglary, Mar 2024 to Feb 2025", x, y, london))
    # Northumbria ASB 2022, inside the convex hull of its records.
    lon, lat = [], []
    with gzip.open(SHARED / "northumbria-asb-2022.tsv.gz", "rt") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["longitude"]:
                lon.append(float(r["longitude"]))
                lat.append(float(r["latitude"]))
    x, y = project(np.array(lon), np.array(lat), 27700)
    hull = MultiPoint([Point(a, b) for a, b in zip(x, y, strict=True)]).convex_hull
    rows.append(figures("Northumbria anti-social behaviour, 2022", x, y, hull))
    # Chicago aggravated assaults 2010-2019, inside the police districts (EPSG:26916).
    lon, lat = [], []
    with gzip.open(SHARED / "chicago-aggravated-assaults-2010-2019.csv.gz", "rt") as f:
        for r in csv.DictReader(f):
            if r["longitude"]:
                lon.append(float(r["longitude"]))
                lat.append(float(r["latitude"]))
    x, y = project(np.array(lon), np.array(lat), 26916)
    chicago = boundary(SHARED / "boundaries" / "chicago-police-districts.kml", 26916)
    rows.append(figures("Chicago aggravated assault, 2010 to 2019", x, y, chicago))
    print("| data | records | in area | 150 m cells | cells holding half | top 1% of cells "
          "| top 5% of cells | cells with any | Gini | generalized Gini |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
