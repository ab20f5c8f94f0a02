"""Kernel density on the grid: a quartic kernel, applied by FFT convolution."""

import math

import numpy as np
from scipy import signal

from . import AnalysisInputError


def quartic_kernel(cell: float, bandwidth: float) -> np.ndarray:
    """Kernel weights per cell: K(d) = 3 / (pi h^2) (1 - d^2/h^2)^2 for d < h, times the cell
    area, so the kernel sums to about 1 and the density keeps the total."""
    if not (bandwidth > 0 and math.isfinite(bandwidth)):
        raise AnalysisInputError(f"bandwidth must be a positive number of metres, not {bandwidth}")
    r = max(1, math.ceil(bandwidth / cell))
    offsets = np.arange(-r, r + 1) * cell
    dx, dy = np.meshgrid(offsets, offsets)
    u2 = (dx**2 + dy**2) / bandwidth**2
    k = np.where(u2 < 1.0, 3.0 / (math.pi * bandwidth**2) * (1.0 - u2) ** 2, 0.0)
    k *= cell * cell
    total = k.sum()
    return k / total if total > 0 else k  # exact mass on a coarse grid too


def kde_grid(values: np.ndarray, cell: float, bandwidth: float) -> np.ndarray:
    """Smoothed values (same units as `values`, per cell) on the same grid."""
    x = np.asarray(values, dtype=float)
    kernel = quartic_kernel(cell, bandwidth)
    out = signal.fftconvolve(x, kernel, mode="same")
    return np.clip(out, 0.0, None)  # FFT round-off leaves -1e-17 where there is nothing
