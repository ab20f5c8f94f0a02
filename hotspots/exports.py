"""Files for analysts: a run's whole cell layer."""

import csv
import io
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np
from django.conf import settings

from .analysis.hexgrid import cell_keys_square
from .models import HotspotRun


class CellRow(NamedTuple):
    cell_id: str
    centroid_x: float
    centroid_y: float
    crime_count: int
    harm: float
    z: float
    p: float
    q: float
    kde: float
    selected: int
    excluded: int


# Column names in the files (the count column is "count", as analysts expect).
CELL_COLUMNS = ("cell_id", "centroid_x", "centroid_y", "count", "harm", "z", "p", "q", "kde",
                "selected", "excluded")


def run_cell_rows(run: HotspotRun) -> Iterator[CellRow]:
    """One row per cell of the run's study area, in grid order."""
    with run.cells.open("rb") as f:
        data = np.load(io.BytesIO(f.read()))
        layer = {name: data[name] for name in data.files}
    x0, y0, cell, nx, ny = layer["grid"]
    nx, ny = int(nx), int(ny)
    keys = cell_keys_square(x0, y0, cell, nx, ny)
    iy, ix = np.divmod(np.arange(nx * ny), nx)
    cx, cy = x0 + (ix + 0.5) * cell, y0 + (iy + 0.5) * cell
    flat = {k: v.ravel() for k, v in layer.items() if k != "grid"}
    for i in np.flatnonzero(flat["valid"]):
        yield CellRow(str(keys[i]), round(float(cx[i]), 2), round(float(cy[i]), 2),
                      int(flat["counts"][i]), round(float(flat["harm"][i]), 6),
                      round(float(flat["z"][i]), 8), float(f"{flat['p'][i]:.8g}"),
                      float(f"{flat['q'][i]:.8g}"), round(float(flat["kde"][i]), 6),
                      int(flat["selected"][i]), int(flat["excluded"][i]))


def run_cells_csv(run: HotspotRun, out: IO[str]) -> int:
    writer = csv.writer(out)
    writer.writerow(CELL_COLUMNS)
    n = 0
    for row in run_cell_rows(run):
        writer.writerow(row)
        n += 1
    return n


class ExportError(RuntimeError):
    """The file could not be written; the message says why."""


def run_cells_gpkg(run: HotspotRun, target: Path) -> int:
    """The cell layer as a GeoPackage of square polygons in the deployment's CRS (for QGIS
    and ArcGIS), written by GDAL's ogr2ogr from a CSV with a WKT column."""
    ogr2ogr = shutil.which("ogr2ogr")
    if ogr2ogr is None:
        raise ExportError("ogr2ogr (Debian package gdal-bin) is not installed")
    cell = float(run.parameters["cell"])
    half = cell / 2
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "cells.csv"
        n = 0
        with source.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(("wkt", *CELL_COLUMNS))
            for row in run_cell_rows(run):
                x, y = row.centroid_x, row.centroid_y
                x0, y0, x1, y1 = x - half, y - half, x + half, y + half
                wkt = f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"
                writer.writerow((wkt, *row))
                n += 1
        target.unlink(missing_ok=True)
        result = subprocess.run(  # noqa: S603 - fixed arguments, paths we made
            [ogr2ogr, "-f", "GPKG", str(target), str(source), "-nln", f"run_{run.pk}_cells",
             "-a_srs", f"EPSG:{settings.HOTSPOTS_SRID}", "-oo", "GEOM_POSSIBLE_NAMES=wkt",
             "-oo", "KEEP_GEOM_COLUMNS=NO", "-oo", "AUTODETECT_TYPE=YES",
             "-nlt", "POLYGON"],
            capture_output=True, text=True, timeout=600,
        )
        if result.returncode != 0:
            raise ExportError(f"ogr2ogr failed: {result.stderr.strip()[:500]}")
    return n


LAYERS = ("harm", "z", "kde")
MAX_FEATURES = 40_000


def run_cells_geojson(run: HotspotRun, layer: str) -> dict[str, object]:
    """Cells worth drawing for one layer as WGS84 GeoJSON: cells with crime for harm and z,
    cells above 1% of the peak for the KDE surface, at most 40,000 of them."""
    from django.contrib.gis.gdal import AxisOrder, CoordTransform, OGRGeometry, SpatialReference
    from django.contrib.gis.geos import MultiPoint, Point

    rows = list(run_cell_rows(run))
    if layer == "kde":
        peak = max((r.kde for r in rows), default=0.0)
        rows = [r for r in rows if peak > 0 and r.kde >= 0.01 * peak]
    else:
        rows = [r for r in rows if r.crime_count > 0 or r.selected]
    rows.sort(key=lambda r: -float(getattr(r, layer)))
    rows = rows[:MAX_FEATURES]
    if not rows:
        return {"type": "FeatureCollection", "features": []}
    half = float(run.parameters["cell"]) / 2
    corners = MultiPoint([Point(r.centroid_x + dx, r.centroid_y + dy)
                          for r in rows for dx, dy in ((-half, -half), (half, half))],
                         srid=settings.HOTSPOTS_SRID)
    ogr = OGRGeometry(corners.wkb, srs=SpatialReference(settings.HOTSPOTS_SRID))
    ogr.transform(CoordTransform(SpatialReference(settings.HOTSPOTS_SRID),
                                 SpatialReference(4326, axis_order=AxisOrder.TRADITIONAL)))
    lonlat: Any = ogr.tuple  # type: ignore[attr-defined]  # ((lon, lat), ...) of the points
    features = []
    for i, r in enumerate(rows):
        (x0, y0), (x1, y1) = lonlat[2 * i][:2], lonlat[2 * i + 1][:2]
        ring = [[round(x0, 6), round(y0, 6)], [round(x1, 6), round(y0, 6)],
                [round(x1, 6), round(y1, 6)], [round(x0, 6), round(y1, 6)],
                [round(x0, 6), round(y0, 6)]]
        properties = {"cell_id": r.cell_id, "count": r.crime_count, "harm": r.harm, "z": r.z,
                      "q": r.q, "kde": r.kde, "selected": r.selected}
        features.append({"type": "Feature", "properties": properties,
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": features}
