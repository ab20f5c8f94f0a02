"""How concentrated is harm? Lorenz curve, Gini, generalized Gini, top shares."""

import math

import numpy as np


def lorenz(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Places ranked from most to least: (share of places, share of total), from (0, 0)."""
    x = np.sort(np.asarray(values, dtype=float).ravel())[::-1]
    n = x.size
    total = x.sum()
    places = np.arange(0, n + 1) / max(n, 1)
    cumulative = np.concatenate([[0.0], np.cumsum(x)])
    shares = cumulative / total if total > 0 else np.zeros(n + 1)
    return places, shares


def gini(values: np.ndarray) -> float:
    """Standard Gini over places: 0 when all alike, towards 1 when one place has all."""
    x = np.sort(np.asarray(values, dtype=float).ravel())
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float(2.0 * np.sum(ranks * x) / (n * total) - (n + 1) / n)


def generalized_gini(counts: np.ndarray) -> float:
    """Bernasco and Steenbeek's (2017) Gini for few crimes over many places.

    With N crimes over C places and N < C, even the most equal spread leaves C - N places
    empty; G' = (C / N)(G - 1) + 1 rescales so that spread scores 0. With N >= C, G' = G.
    """
    x = np.asarray(counts, dtype=float).ravel()
    crimes, places = float(x.sum()), x.size
    g = gini(x)
    if crimes <= 0:
        return 0.0
    return float(max(1.0, places / crimes) * (g - 1.0) + 1.0)


def top_share(values: np.ndarray, share: float) -> float:
    """Share of the total held by the top `share` of places (at least one place)."""
    x = np.sort(np.asarray(values, dtype=float).ravel())[::-1]
    total = x.sum()
    if x.size == 0 or total <= 0:
        return 0.0
    k = max(1, math.floor(share * x.size + 1e-9))
    return float(x[:k].sum() / total)
