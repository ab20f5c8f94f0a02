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

from .layouts import CellLayout
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


def _load(run: HotspotRun) -> tuple[CellLayout, dict[str, np.ndarray]]:
    with run.cells.open("rb") as f:
        data = np.load(io.BytesIO(f.read()))
        layer = {name: data[name] for name in data.files}
    return CellLayout.from_meta(layer), layer


def _rows(layout: CellLayout, layer: dict[str, np.ndarray]) -> Iterator[tuple[int, CellRow]]:
    keys = layout.keys()
    cx, cy = layout.centroids()
    flat = {k: np.asarray(layer[k]).ravel() for k in
            ("counts", "harm", "z", "p", "q", "kde", "selected", "valid", "excluded")}
    for i in np.flatnonzero(flat["valid"]):
        yield int(i), CellRow(
            str(keys[i]), round(float(cx[i]), 2), round(float(cy[i]), 2),
            int(flat["counts"][i]), round(float(flat["harm"][i]), 6),
            round(float(flat["z"][i]), 8), float(f"{flat['p'][i]:.8g}"),
            float(f"{flat['q'][i]:.8g}"), round(float(flat["kde"][i]), 6),
            int(flat["selected"][i]), int(flat["excluded"][i]))


def run_cell_rows(run: HotspotRun) -> Iterator[CellRow]:
    """One row per cell of the run's study area, in cell order."""
    layout, layer = _load(run)
    for _, row in _rows(layout, layer):
        yield row


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
    layout, layer = _load(run)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "cells.csv"
        n = 0
        with source.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(("wkt", *CELL_COLUMNS))
            for i, row in _rows(layout, layer):
                ring = ",".join(f"{x:.3f} {y:.3f}" for x, y in layout.polygon(i))
                writer.writerow((f"POLYGON(({ring}))", *row))
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

    layout, data = _load(run)
    rows = list(_rows(layout, data))
    if layer == "kde":
        peak = max((r.kde for _, r in rows), default=0.0)
        rows = [(i, r) for i, r in rows if peak > 0 and r.kde >= 0.01 * peak]
    else:
        rows = [(i, r) for i, r in rows if r.crime_count > 0 or r.selected]
    rows.sort(key=lambda item: -float(getattr(item[1], layer)))
    rows = rows[:MAX_FEATURES]
    if not rows:
        return {"type": "FeatureCollection", "features": []}
    rings = [layout.polygon(i) for i, _ in rows]
    corners = MultiPoint([Point(x, y) for ring in rings for x, y in ring],
                         srid=settings.HOTSPOTS_SRID)
    ogr = OGRGeometry(corners.wkb, srs=SpatialReference(settings.HOTSPOTS_SRID))
    ogr.transform(CoordTransform(SpatialReference(settings.HOTSPOTS_SRID),
                                 SpatialReference(4326, axis_order=AxisOrder.TRADITIONAL)))
    lonlat: Any = ogr.tuple  # type: ignore[attr-defined]  # ((lon, lat), ...) of the points
    features = []
    at = 0
    for (_, r), ring in zip(rows, rings, strict=True):
        coords = [[round(lon, 6), round(lat, 6)] for lon, lat, *_ in lonlat[at:at + len(ring)]]
        at += len(ring)
        properties = {"cell_id": r.cell_id, "count": r.crime_count, "harm": r.harm, "z": r.z,
                      "q": r.q, "kde": r.kde, "selected": r.selected}
        features.append({"type": "Feature", "properties": properties,
                         "geometry": {"type": "Polygon", "coordinates": [coords]}})
    return {"type": "FeatureCollection", "features": features}
