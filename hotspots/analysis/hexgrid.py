"""Hexagon grids (pointy-top, axial coordinates) as the alternative to squares.

A "150 m" hexagon has the area of a 150 m square, so results compare like with like:
side s = cell * sqrt(2 / (3 sqrt 3)). Axial (q, r) coordinates are absolute (origin at
x = y = 0 in the projected CRS), so the same place falls in the same hexagon every run.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from . import AnalysisInputError

SQRT3 = math.sqrt(3.0)
DIRECTIONS = ((1, 0), (1, -1), (0, -1), (-1, 0), (-1, 1), (0, 1))


def axial_round(q: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest hexagon for fractional axial coordinates (cube rounding)."""
    s = -q - r
    rq, rr, rs = np.round(q), np.round(r), np.round(s)
    dq, dr, ds = np.abs(rq - q), np.abs(rr - r), np.abs(rs - s)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    rq = np.where(fix_q, -rr - rs, rq)
    rr = np.where(fix_r, -rq - rs, rr)
    return rq.astype(np.int64), rr.astype(np.int64)


@dataclass(frozen=True)
class HexGrid:
    """The hexagons whose centres lie within one hexagon of the box; cell i is (q[i], r[i])."""

    side: float
    q: np.ndarray
    r: np.ndarray

    @classmethod
    def covering(cls, xmin: float, ymin: float, xmax: float, ymax: float,
                 cell: float) -> "HexGrid":
        if not (cell > 0 and math.isfinite(cell)):
            raise AnalysisInputError(f"cell size must be a positive number of metres, not {cell}")
        if cell > max(xmax - xmin, ymax - ymin):
            raise AnalysisInputError(
                f"a {cell:g} m cell is larger than the area "
                f"({xmax - xmin:,.0f} m x {ymax - ymin:,.0f} m)")
        side = cell * math.sqrt(2.0 / (3.0 * SQRT3))
        r_lo = math.floor(ymin / (1.5 * side)) - 1
        r_hi = math.ceil(ymax / (1.5 * side)) + 1
        rr = np.arange(r_lo, r_hi + 1)
        q_lo = math.floor(xmin / (SQRT3 * side) - r_hi / 2) - 1
        q_hi = math.ceil(xmax / (SQRT3 * side) - r_lo / 2) + 1
        qq, rr2 = np.meshgrid(np.arange(q_lo, q_hi + 1), rr)
        grid = cls(side=side, q=qq.ravel(), r=rr2.ravel())
        cx, cy = grid.centroids()
        margin = 2 * side
        keep = ((cx >= xmin - margin) & (cx <= xmax + margin)
                & (cy >= ymin - margin) & (cy <= ymax + margin))
        return cls(side=side, q=grid.q[keep], r=grid.r[keep])

    @property
    def size(self) -> int:
        return int(self.q.size)

    def centroids(self) -> tuple[np.ndarray, np.ndarray]:
        return (self.side * SQRT3 * (self.q + self.r / 2.0), self.side * 1.5 * self.r)

    def _lookup(self) -> tuple[np.ndarray, int, int]:
        q0, r0 = int(self.q.min()), int(self.r.min())
        width = int(self.q.max()) - q0 + 1
        height = int(self.r.max()) - r0 + 1
        table = np.full(width * height, -1, dtype=np.int64)
        table[(self.r - r0) * width + (self.q - q0)] = np.arange(self.size)
        return table, q0, r0

    def cell_index(self, q: np.ndarray, r: np.ndarray) -> np.ndarray:
        table, q0, r0 = self._lookup()
        width = int(self.q.max()) - q0 + 1
        height = int(self.r.max()) - r0 + 1
        qi, ri = q - q0, r - r0
        inside = (qi >= 0) & (qi < width) & (ri >= 0) & (ri < height)
        out = np.full(q.shape, -1, dtype=np.int64)
        out[inside] = table[ri[inside] * width + qi[inside]]
        return out

    def flat_index(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each point's hexagon index, or -1 outside the grid."""
        fx = np.asarray(x, dtype=float) / self.side
        fy = np.asarray(y, dtype=float) / self.side
        q, r = axial_round(SQRT3 / 3.0 * fx - fy / 3.0, 2.0 / 3.0 * fy)
        return self.cell_index(q, r)

    def totals(self, x: np.ndarray, y: np.ndarray,
               weights: np.ndarray | None = None) -> np.ndarray:
        idx = self.flat_index(x, y)
        keep = idx >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[keep]
        return np.bincount(idx[keep], weights=w, minlength=self.size).astype(float)

    def neighbours_with_self(self) -> sparse.csr_matrix:
        """Binary weights: each hexagon, its six neighbours and itself (for Gi*)."""
        rows = [np.arange(self.size)]
        cols = [np.arange(self.size)]
        for dq, dr in DIRECTIONS:
            j = self.cell_index(self.q + dq, self.r + dr)
            ok = j >= 0
            rows.append(np.flatnonzero(ok))
            cols.append(j[ok])
        r_, c_ = np.concatenate(rows), np.concatenate(cols)
        return sparse.csr_matrix((np.ones(r_.size), (r_, c_)), shape=(self.size, self.size))


def cell_keys_square(x0: float, y0: float, cell: float, nx: int, ny: int) -> np.ndarray:
    """Stable keys for a square grid's cells: the same place, the same key, every run."""
    ix0, iy0 = round(x0 / cell), round(y0 / cell)
    iy, ix = np.divmod(np.arange(nx * ny), nx)
    return np.char.add(np.char.add(f"sq{cell:g}:", (ix + ix0).astype(str)),
                       np.char.add(":", (iy + iy0).astype(str)))
