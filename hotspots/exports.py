"""Files for analysts: a run's whole cell layer."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np
from django.conf import settings
from django.contrib.gis.gdal import AxisOrder, CoordTransform, OGRGeometry, SpatialReference
from django.contrib.gis.geos import MultiPoint, Point

from core.errors import Unavailable
from core.writers import MARKING, WriterError, write_gpkg

from .layouts import CellLayout
from .models import Hotspot, HotspotRun


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
    p_test: str
    hotspot_name: str


# Column names in the files (the count column is "count", as analysts expect). p_test names
# the test that gave p and q (analysis/significance.py; "gistar-normal" for older runs).
# hotspot_name: the name people know a hot spot cell by (blank for other cells), beside its
# key, cell_id (issue 18, item 7).
CELL_COLUMNS = ("cell_id", "centroid_x", "centroid_y", "count", "harm", "z", "p", "q", "kde",
                "selected", "excluded", "p_test", "hotspot_name")
OLD_TEST = "gistar-normal"


def _load(run: HotspotRun) -> tuple[CellLayout, dict[str, np.ndarray]]:
    with run.cells.open("rb") as f:
        data = np.load(io.BytesIO(f.read()))
        layer = {name: data[name] for name in data.files}
    layer["p_test"] = np.array((run.metrics.get("test") or {}).get("name", OLD_TEST))
    return CellLayout.from_meta(layer), layer


def _names(run: HotspotRun) -> dict[str, str]:
    """The run area's hot spots' names by key (one query)."""
    return dict(Hotspot.objects.filter(run_area_id=run.area_id).exclude(name="")
                .values_list("key", "name"))


def _rows(layout: CellLayout, layer: dict[str, np.ndarray],
          names: dict[str, str]) -> Iterator[tuple[int, CellRow]]:
    test = str(layer["p_test"])
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
            int(flat["selected"][i]), int(flat["excluded"][i]), test,
            names.get(str(keys[i]), "") if flat["selected"][i] else "")


def run_cell_rows(run: HotspotRun) -> Iterator[CellRow]:
    """One row per cell of the run's study area, in cell order."""
    layout, layer = _load(run)
    for _, row in _rows(layout, layer, _names(run)):
        yield row


def run_cells_csv(run: HotspotRun, out: IO[str]) -> int:
    """The cell layer, under the marking line every export starts with."""
    out.write(f"# {MARKING}\n")
    writer = csv.writer(out)
    writer.writerow(CELL_COLUMNS)
    n = 0
    for row in run_cell_rows(run):
        writer.writerow(row)
        n += 1
    return n


class ExportError(Unavailable):
    """The file could not be written; the message says why (HTTP 503)."""

    def __str__(self) -> str:
        return f"the export is not available: {super().__str__()}"


def run_cells_gpkg(run: HotspotRun, target: Path) -> int:
    """The cell layer as a GeoPackage of square polygons in the deployment's CRS (for QGIS
    and ArcGIS), through the same ogr2ogr writer as every other GeoPackage export."""
    layout, layer = _load(run)
    rows = ((f"POLYGON(({','.join(f'{x:.3f} {y:.3f}' for x, y in layout.polygon(i))}))",
             *row) for i, row in _rows(layout, layer, _names(run)))
    target.unlink(missing_ok=True)
    try:
        return write_gpkg(target, ("wkt", *CELL_COLUMNS), rows, geometry=0,
                          srid=settings.HOTSPOTS_SRID, layer=f"run_{run.pk}_cells",
                          geometry_type="POLYGON")
    except WriterError as exc:
        raise ExportError(str(exc)) from exc


LAYERS = ("harm", "z", "kde")
MAX_FEATURES = 40_000


def run_cells_geojson(run: HotspotRun, layer: str) -> dict[str, object]:
    """Cells worth drawing for one layer as WGS84 GeoJSON: cells with crime for harm and z,
    cells above 1% of the peak for the KDE surface, at most 40,000 of them."""
    layout, data = _load(run)
    rows = list(_rows(layout, data, _names(run)))
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
                      "q": r.q, "kde": r.kde, "selected": r.selected, "p_test": r.p_test,
                      "hotspot_name": r.hotspot_name}
        features.append({"type": "Feature", "properties": properties,
                         "geometry": {"type": "Polygon", "coordinates": [coords]}})
    return {"type": "FeatureCollection", "features": features}
