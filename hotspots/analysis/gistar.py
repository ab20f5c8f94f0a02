"""Getis-Ord Gi*: is a cell and its neighbours hotter than the study area as a whole?

Binary weights, the cell itself included. On a grid the neighbourhood is the 8 adjacent
cells plus the cell (queen contiguity), so the neighbourhood sums are one 3x3 convolution.
z follows the analytical formula (Getis and Ord 1992, as in PySAL esda's G_Local):

    z_i = (sum_j w_ij x_j - xbar sum_j w_ij) / (S sqrt((n sum_j w_ij^2 - (sum_j w_ij)^2) / (n - 1)))

with S the population standard deviation over the n cells of the study area.
"""

import numpy as np
from scipy import ndimage, sparse, stats

QUEEN = np.ones((3, 3))


def _z(sum_wx: np.ndarray, w_sum: np.ndarray, w2_sum: np.ndarray, n: int, xbar: float,
       s: float) -> np.ndarray:
    if n < 2 or s <= 0:
        # One cell, or every cell alike (all-zero harm): nothing stands out.
        return np.zeros_like(sum_wx, dtype=float)
    spread = (n * w2_sum - w_sum**2) / (n - 1)
    denom = s * np.sqrt(np.clip(spread, 0.0, None))
    num = sum_wx - xbar * w_sum
    out = np.zeros_like(num, dtype=float)
    np.divide(num, denom, out=out, where=denom > 0)
    return out


def gi_star_grid(values: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Gi* z for every cell of a 2-D grid; cells outside `valid` are not in the study area
    (they count neither as neighbours nor in the mean) and get z = 0."""
    x = np.asarray(values, dtype=float)
    mask = np.ones(x.shape, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    x = np.where(mask, x, 0.0)
    n = int(mask.sum())
    if n == 0:
        return np.zeros_like(x)
    xbar = float(x[mask].mean())
    s = float(x[mask].std())  # population standard deviation, as the formula needs
    sum_wx = ndimage.correlate(x, QUEEN, mode="constant", cval=0.0)
    w_sum = ndimage.correlate(mask.astype(float), QUEEN, mode="constant", cval=0.0)
    z = _z(sum_wx, w_sum, w_sum, n, xbar, s)  # binary weights: sum w^2 == sum w
    return np.where(mask, z, 0.0)


def gi_star_weights(values: np.ndarray, weights: sparse.spmatrix) -> np.ndarray:
    """Gi* z for any neighbourhood: `weights` is an n x n matrix including the diagonal."""
    x = np.asarray(values, dtype=float).ravel()
    w = sparse.csr_matrix(weights, dtype=float)
    n = x.size
    sum_wx = w @ x
    w_sum = np.asarray(w.sum(axis=1)).ravel()
    w2_sum = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    return _z(sum_wx, w_sum, w2_sum, n, float(x.mean()), float(x.std()))


def p_two_sided(z: np.ndarray) -> np.ndarray:
    return 2.0 * stats.norm.sf(np.abs(np.asarray(z, dtype=float)))


def bh_q(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q), same shape as `p`."""
    flat = np.asarray(p, dtype=float).ravel()
    m = flat.size
    if m == 0:
        return np.asarray(p, dtype=float)
    order = np.argsort(flat, kind="stable")
    ranked = flat[order] * m / np.arange(1, m + 1)
    # Step-up: each q is the smallest adjusted value at its rank or above.
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.clip(q_sorted, 0.0, 1.0)
    return q.reshape(np.shape(p))
