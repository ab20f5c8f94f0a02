"""Is a cell's neighbourhood busier than chance would make it? An exact test on counts.

Under complete spatial randomness (CSR), given the area's N crimes in n equal cells, each
crime falls in any cell with probability 1/n, so the count in a neighbourhood of k cells
(the cell and its valid neighbours: 9 on squares, 7 on hexagons, fewer at the edge) is
Binomial(N, k/n). The p-value of a neighbourhood holding s crimes is the exact upper tail,
P(S >= s). Benjamini-Hochberg over the area's cells gives q (gistar.bh_q).

Why counts and not harm (docs/adr/0012): harm weights have a heavy tail (a robbery weighs
14 burglaries, a homicide thousands), so a normal approximation to harm-weighted Gi* called
one crime alone in 10,000 cells z = 33, and random crime produced hundreds of "significant"
cells. A count test is exact at any density; harm then ranks the significant cells, which
is what decides the patrols. Gi* on harm is still computed, to describe and to map.
"""

import numpy as np
from scipy import ndimage, sparse, stats

from .gistar import QUEEN, bh_q

# Crimes at one point in one window shorter than this are one incident for the test.
INCIDENT_WINDOW_SECONDS = 86_400

NAME = "binomial-neighbourhood"
DESCRIPTION = ("exact binomial test of each cell's neighbourhood count of incidents (crimes at "
               "one point and time counted once) against complete spatial randomness over the "
               "area, Benjamini-Hochberg q; a cell is hot only if its own count is also above "
               "chance")


def incidents(x: np.ndarray, y: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Which crimes the test counts: one of each group recorded at the same point with the
    same window, where the window is shorter than a day (a multi-offence incident, one
    victim's several crimes). The binomial null is of independent crimes; counted one by
    one, incidents of 1 + Poisson(1) crimes at random places made nearly every simulated
    area "significant" (an independent review). Crimes dated only to a day or a month (as
    police.uk's, all on the 1st) are each counted: there the same point and window say
    nothing about one incident."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    a, b = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    keep = np.ones(x.size, dtype=bool)
    timed = np.flatnonzero(b - a < INCIDENT_WINDOW_SECONDS)
    if timed.size < 2:
        return keep
    order = timed[np.lexsort((b[timed], a[timed], y[timed], x[timed]))]
    same = ((x[order][1:] == x[order][:-1]) & (y[order][1:] == y[order][:-1])
            & (a[order][1:] == a[order][:-1]) & (b[order][1:] == b[order][:-1]))
    keep[order[1:][same]] = False
    return keep


def expected_counts(cells: np.ndarray, total: float, n: int) -> np.ndarray:
    """What CSR expects in neighbourhoods of `cells` valid cells: total * cells / n."""
    k = np.asarray(cells, dtype=float)
    return total * k / n if n > 0 else np.zeros_like(k)


def neighbourhood_p(counts: np.ndarray, cells: np.ndarray, total: int, n: int) -> np.ndarray:
    """One-sided p-values, P(Binomial(total, cells / n) >= counts), for every neighbourhood.

    `counts`: crimes in each neighbourhood; `cells`: how many valid cells it holds; `total`:
    crimes in the area's n valid cells. A neighbourhood with no valid cell, or an area with
    no crime, gets p = 1."""
    s = np.rint(np.asarray(counts, dtype=float))
    k = np.asarray(cells, dtype=float)
    p = np.ones(s.shape)
    if total <= 0 or n <= 0:
        return p
    share = np.clip(k / n, 0.0, 1.0)
    ok = (k > 0) & (s > 0)
    # sf(s - 1) = P(S > s - 1) = P(S >= s); exact for every count and share.
    p[ok] = stats.binom.sf(s[ok] - 1, int(total), share[ok])
    return np.clip(p, 0.0, 1.0)


def square_neighbourhood(values: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sums of `values` over each square cell and its 8 neighbours inside `valid`, and how
    many valid cells each neighbourhood holds (2-D arrays, as the grid)."""
    mask = np.asarray(valid, dtype=bool)
    x = np.where(mask, np.asarray(values, dtype=float), 0.0)
    sums = ndimage.correlate(x, QUEEN, mode="constant", cval=0.0)
    cells = ndimage.correlate(mask.astype(float), QUEEN, mode="constant", cval=0.0)
    return sums, cells


def weights_neighbourhood(values: np.ndarray, valid: np.ndarray,
                          weights: sparse.spmatrix) -> tuple[np.ndarray, np.ndarray]:
    """The same for any binary neighbourhood that includes the cell itself (hexagons)."""
    mask = np.asarray(valid, dtype=bool).ravel()
    w = sparse.csr_matrix(weights, dtype=float)
    x = np.where(mask, np.asarray(values, dtype=float).ravel(), 0.0)
    return w @ x, w @ mask.astype(float)


def count_test(counts: np.ndarray, valid: np.ndarray, sums: np.ndarray,
               cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p, q and the excess over CSR (observed minus expected) for every cell, from each
    cell's own crime count (`counts`, for the area's total) and its neighbourhood's (`sums`
    over `cells` valid cells). Cells outside `valid` get p = q = 1 and no excess; BH runs
    over the valid cells only. The excess is the neighbourhood's, and 0 where the cell's own
    count is not above its share of the area's or below its neighbourhood's mean: the test
    is of the neighbourhood, so beside a real hot spot a quiet cell's neighbourhood is busy
    too (14% of significant cells lay in the ring around a planted block before this
    rule)."""
    mask = np.asarray(valid, dtype=bool)
    n = int(mask.sum())
    total = round(float(np.asarray(counts, dtype=float)[mask].sum())) if n else 0
    s, k = np.asarray(sums, dtype=float), np.asarray(cells, dtype=float)
    p = np.ones(s.shape)
    q = np.ones(s.shape)
    excess = np.zeros(s.shape)
    if n == 0:
        return p, q, excess
    p[mask] = neighbourhood_p(s[mask], k[mask], total, n)
    q[mask] = bh_q(p[mask])
    own = np.asarray(counts, dtype=float)[mask]
    busy = (own > total / n) & (own * k[mask] >= s[mask])  # above chance, and its area's mean
    excess[mask] = np.where(busy, s[mask] - expected_counts(k[mask], total, n), 0.0)
    return p, q, excess
