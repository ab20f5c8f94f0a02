"""The cells a run works on: 150 m squares (default) or hexagons of the same area.

Everything after binning works on flat arrays of cells, whatever their shape: counts,
harm, Gi*, KDE, selection, profiles, keys and polygons.
"""

import math
from dataclasses import dataclass

import numpy as np

from .analysis.gistar import gi_star_grid, gi_star_weights
from .analysis.grid import SquareGrid
from .analysis.hexgrid import SQRT3, HexGrid, cell_keys_square
from .analysis.kde import kde_grid
from .analysis.significance import square_neighbourhood, weights_neighbourhood

SHAPES = ("square", "hex")


@dataclass(frozen=True)
class CellLayout:
    shape: str
    cell: float
    square: SquareGrid           # squares: the cells; hexagons: the raster for KDE
    hexes: HexGrid | None = None

    @classmethod
    def covering(cls, shape: str, extent: tuple[float, float, float, float],
                 cell: float) -> "CellLayout":
        square = SquareGrid.covering(*extent, cell)
        if shape == "hex":
            return cls(shape, cell, square, HexGrid.covering(*extent, cell))
        return cls(shape, cell, square)

    @property
    def size(self) -> int:
        return self.hexes.size if self.hexes else self.square.nx * self.square.ny

    def centroids(self) -> tuple[np.ndarray, np.ndarray]:
        if self.hexes:
            return self.hexes.centroids()
        cx, cy = self.square.centroids()
        return cx.ravel(), cy.ravel()

    def flat_index(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self.hexes.flat_index(x, y) if self.hexes else self.square.flat_index(x, y)

    def totals(self, x: np.ndarray, y: np.ndarray,
               weights: np.ndarray | None = None) -> np.ndarray:
        if self.hexes:
            return self.hexes.totals(x, y, weights)
        return self.square.totals(x, y, weights).ravel()

    def gi_star(self, values: np.ndarray, valid: np.ndarray) -> np.ndarray:
        if self.hexes is None:
            shape = self.square.shape
            return gi_star_grid(values.reshape(shape), valid.reshape(shape)).ravel()
        z = np.zeros(self.size)
        inside = np.flatnonzero(valid)
        if inside.size:
            w = self.hexes.neighbours_with_self()[inside][:, inside]
            z[inside] = gi_star_weights(values[inside], w)
        return z

    def neighbourhood(self, values: np.ndarray,
                      valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each cell's sum of `values` over itself and its valid neighbours (8 squares or 6
        hexagons), and how many valid cells that is: flat arrays."""
        if self.hexes is None:
            shape = self.square.shape
            sums, cells = square_neighbourhood(values.reshape(shape), valid.reshape(shape))
            return sums.ravel(), cells.ravel()
        return weights_neighbourhood(values, valid, self.hexes.neighbours_with_self())

    def kde(self, x: np.ndarray, y: np.ndarray, weights: np.ndarray,
            bandwidth: float) -> np.ndarray:
        raster = kde_grid(self.square.totals(x, y, weights), self.cell, bandwidth)
        if self.hexes is None:
            return raster.ravel()
        # Density at each hexagon's centre, read from the square raster of the same cell size.
        cx, cy = self.hexes.centroids()
        idx = self.square.flat_index(cx, cy)
        return np.where(idx >= 0, raster.ravel()[np.maximum(idx, 0)], 0.0)

    def keys(self) -> np.ndarray:
        if self.hexes:
            return np.array([f"hx{self.cell:g}:{q}:{r}"
                             for q, r in zip(self.hexes.q, self.hexes.r, strict=True)])
        g = self.square
        return cell_keys_square(g.x0, g.y0, g.cell, g.nx, g.ny)

    def polygon(self, i: int) -> list[tuple[float, float]]:
        """The cell's outline as a closed ring of (x, y)."""
        cx, cy = self.centroids()
        x, y = float(cx[i]), float(cy[i])
        if self.hexes:
            s = self.hexes.side
            ring = [(x + s * math.cos(math.radians(30 + 60 * k)),
                     y + s * math.sin(math.radians(30 + 60 * k))) for k in range(6)]
        else:
            h = self.cell / 2
            ring = [(x - h, y - h), (x + h, y - h), (x + h, y + h), (x - h, y + h)]
        return [*ring, ring[0]]

    def meta(self) -> dict[str, np.ndarray]:
        """What the cell-layer file needs to rebuild this layout."""
        g = self.square
        data = {"shape": np.array(self.shape), "cell": np.array(self.cell),
                "grid": np.array([g.x0, g.y0, g.cell, g.nx, g.ny])}
        if self.hexes:
            data.update(hex_q=self.hexes.q, hex_r=self.hexes.r)
        return data

    @classmethod
    def from_meta(cls, data: dict[str, np.ndarray]) -> "CellLayout":
        x0, y0, cell, nx, ny = data["grid"]
        square = SquareGrid(float(x0), float(y0), float(cell), int(nx), int(ny))
        shape = str(data["shape"]) if "shape" in data else "square"
        if shape == "hex":
            side = float(cell) * math.sqrt(2.0 / (3.0 * SQRT3))
            return cls("hex", float(cell), square,
                       HexGrid(side=side, q=data["hex_q"], r=data["hex_r"]))
        return cls("square", float(cell), square)
