"""Files for analysts: a run's whole cell layer."""

import csv
import io
from collections.abc import Iterator
from typing import IO

import numpy as np

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
