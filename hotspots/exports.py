"""Files for analysts: a run's whole cell layer."""

import csv
import io
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
from django.conf import settings

from .analysis.hexgrid import cell_keys_square
from .models import HotspotRun

CELL_COLUMNS = ("cell_id", "centroid_x", "centroid_y", "count", "harm", "z", "p", "q", "kde",
                "selected", "excluded")


def run_cell_rows(run: HotspotRun) -> Iterator[tuple[object, ...]]:
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
        yield (str(keys[i]), round(float(cx[i]), 2), round(float(cy[i]), 2),
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
                x, y = float(row[1]), float(row[2])  # type: ignore[arg-type]
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
