"""Square grids over an area: which cell each point falls in, counts and harm per cell."""

import math
from dataclasses import dataclass

import numpy as np

from . import AnalysisInputError

MAX_CELLS = 25_000_000  # 5,000 x 5,000: far past any force at 50 m


@dataclass(frozen=True)
class SquareGrid:
    """Cells of `cell` metres from (x0, y0); row-major arrays of shape (ny, nx)."""

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int

    @classmethod
    def covering(cls, xmin: float, ymin: float, xmax: float, ymax: float,
                 cell: float) -> "SquareGrid":
        """The smallest grid of `cell`-metre squares covering the box, anchored on multiples
        of the cell size so that the same place falls in the same cell run after run."""
        if not (cell > 0 and math.isfinite(cell)):
            raise AnalysisInputError(f"cell size must be a positive number of metres, not {cell}")
        if not all(map(math.isfinite, (xmin, ymin, xmax, ymax))) or xmax < xmin or ymax < ymin:
            raise AnalysisInputError("the area has no extent to lay a grid on")
        if cell > max(xmax - xmin, ymax - ymin):
            raise AnalysisInputError(
                f"a {cell:g} m cell is larger than the area "
                f"({xmax - xmin:,.0f} m x {ymax - ymin:,.0f} m)")
        x0 = math.floor(xmin / cell) * cell
        y0 = math.floor(ymin / cell) * cell
        # floor + 1, not ceil: a point exactly on the upper edge belongs to a cell too.
        nx = max(1, math.floor((xmax - x0) / cell) + 1)
        ny = max(1, math.floor((ymax - y0) / cell) + 1)
        if nx * ny > MAX_CELLS:
            raise AnalysisInputError(
                f"{nx * ny:,} cells of {cell:g} m is too many; use larger cells")
        return cls(x0=float(x0), y0=float(y0), cell=float(cell), nx=nx, ny=ny)

    @property
    def shape(self) -> tuple[int, int]:
        return self.ny, self.nx

    def flat_index(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each point's cell as a flat index (iy * nx + ix), or -1 outside the grid."""
        ix = np.floor((np.asarray(x, dtype=float) - self.x0) / self.cell).astype(np.int64)
        iy = np.floor((np.asarray(y, dtype=float) - self.y0) / self.cell).astype(np.int64)
        inside = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        return np.where(inside, iy * self.nx + ix, -1)

    def totals(self, x: np.ndarray, y: np.ndarray,
               weights: np.ndarray | None = None) -> np.ndarray:
        """Sum of `weights` (1 each if None) per cell, shape (ny, nx); outside points ignored."""
        idx = self.flat_index(x, y)
        keep = idx >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[keep]
        flat = np.bincount(idx[keep], weights=w, minlength=self.nx * self.ny)
        return flat.astype(float).reshape(self.shape)

    def centroids(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell centre coordinates, each of shape (ny, nx)."""
        xs = self.x0 + (np.arange(self.nx) + 0.5) * self.cell
        ys = self.y0 + (np.arange(self.ny) + 0.5) * self.cell
        return np.meshgrid(xs, ys)
