"""How well does a map of where harm was predict where it comes next?

Cells are equal in area and ranked by prediction. At each coverage (a share of the cells,
rounded down, at least one):
- hit rate: share of the observed crimes in the chosen cells;
- PAI (predictive accuracy index): hit rate / share of area;
- PEI: PAI / the best PAI any choice of that many cells could reach;
- RRI (recapture rate index): predicted / observed in the chosen cells.
"""

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Accuracy:
    coverage: float
    cells: int
    hit_rate: float
    pai: float
    pei: float
    rri: float


def accuracy_curve(predicted: np.ndarray, observed: np.ndarray) -> dict[str, np.ndarray]:
    """For k = 1..n cells: hit rate, PAI, PEI and RRI (arrays of length n)."""
    p = np.asarray(predicted, dtype=float).ravel()
    o = np.asarray(observed, dtype=float).ravel()
    n = p.size
    order = np.argsort(-p, kind="stable")
    cum_obs = np.cumsum(o[order])
    cum_pred = np.cumsum(p[order])
    best = np.cumsum(np.sort(o)[::-1])
    total = o.sum()
    area = np.arange(1, n + 1) / n
    hit = cum_obs / total if total > 0 else np.zeros(n)
    best_hit = best / total if total > 0 else np.zeros(n)
    pai = hit / area
    pei = np.divide(hit, best_hit, out=np.zeros(n), where=best_hit > 0)
    rri = np.divide(cum_pred, cum_obs, out=np.zeros(n), where=cum_obs > 0)
    return {"hit_rate": hit, "pai": pai, "pei": pei, "rri": rri}


def accuracy_at(predicted: np.ndarray, observed: np.ndarray,
                coverages: tuple[float, ...] = (0.01, 0.05, 0.10)) -> list[Accuracy]:
    curve = accuracy_curve(predicted, observed)
    n = np.size(predicted)
    results = []
    for coverage in coverages:
        k = min(n, max(1, math.floor(coverage * n + 1e-9)))
        i = k - 1
        results.append(Accuracy(coverage=coverage, cells=k,
                                hit_rate=float(curve["hit_rate"][i]), pai=float(curve["pai"][i]),
                                pei=float(curve["pei"][i]), rri=float(curve["rri"][i])))
    return results
