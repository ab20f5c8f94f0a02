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


def top_n_membership(score: np.ndarray, n: int, eligible: np.ndarray | None = None
                     ) -> np.ndarray:
    """Which cells the top `n` by `score` are, as a membership between 0 and 1 per cell.

    Cells tied at the boundary share the places left, each with the same fraction: the
    expected choice under random tie-breaking, so that no score depends on the order of
    the cells (issue 16). Cells outside `eligible`, or with a score of 0 or less, are never
    chosen; fewer than `n` such cells are all chosen."""
    s = np.asarray(score, dtype=float).ravel()
    ok = s > 0
    if eligible is not None:
        ok &= np.asarray(eligible, dtype=bool).ravel()
    member = np.zeros(s.size)
    candidates = s[ok]
    if n <= 0 or candidates.size == 0:
        return member
    if candidates.size <= n:
        member[ok] = 1.0
        return member
    threshold = np.partition(candidates, candidates.size - n)[candidates.size - n]
    above = ok & (s > threshold)
    tied = ok & (s == threshold)
    member[above] = 1.0
    member[tied] = (n - int(above.sum())) / int(tied.sum())
    return member


@dataclass(frozen=True)
class TopNScore:
    """How a set of N chosen cells did in a test period (Chainey 2008; Levine 2008).

    hit rate: the share of the period's crimes in the chosen cells; PAI: hit rate / share of
    the area; PEI: hits / the most any N cells could have caught; RRI (Levine's recapture
    rate index): the chosen cells' share of crime in the test period over their share in
    the data they were chosen from, (n2 / N2) / (n1 / N1), dimensionless: above 1 they
    held more of the crime than before, below 1 less."""

    cells: float
    crimes: int
    hits: float
    hit_rate: float
    pai: float
    pei: float
    rri: float | None


def score_top_n(member: np.ndarray, observed: np.ndarray, fitted_on: np.ndarray,
                area_cells: int) -> TopNScore:
    """Score a membership (top_n_membership) against the test period's counts per cell
    (`observed`), with the counts of the data the cells were chosen from (`fitted_on`)
    for the RRI; `area_cells` is how many cells the area has."""
    m = np.asarray(member, dtype=float).ravel()
    o = np.asarray(observed, dtype=float).ravel()
    f = np.asarray(fitted_on, dtype=float).ravel()
    chosen = float(m.sum())
    total = float(o.sum())
    hits = float(m @ o)
    hit_rate = hits / total if total > 0 else 0.0
    share = chosen / area_cells if area_cells else 0.0
    k = math.ceil(chosen - 1e-9)
    best = float(np.sort(o)[::-1][:k].sum()) if k else 0.0
    before, before_total = float(m @ f), float(f.sum())
    rri = None
    if before > 0 and before_total > 0 and total > 0:
        rri = (hits / total) / (before / before_total)
    return TopNScore(cells=round(chosen, 6), crimes=round(total), hits=round(hits, 6),
                     hit_rate=hit_rate, pai=hit_rate / share if share > 0 else 0.0,
                     pei=hits / best if best > 0 else 0.0, rri=rri)
