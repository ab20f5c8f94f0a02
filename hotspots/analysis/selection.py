"""Which cells become hot spots, and how hot spot patterns change over time."""

from dataclasses import dataclass

import numpy as np

from . import AnalysisInputError


@dataclass(frozen=True)
class SelectionRule:
    """Significant (z > 0, q <= q_max), busy enough (count >= min_count), not excluded; then
    the top_n cells by harm, or the fewest cells holding top_share of all harm."""

    q_max: float = 0.05
    min_count: int = 3
    top_n: int | None = None
    top_share: float | None = None

    def __post_init__(self) -> None:
        if not 0 < self.q_max <= 1:
            raise AnalysisInputError("q threshold must be in (0, 1]")
        if self.min_count < 0:
            raise AnalysisInputError("minimum count cannot be negative")
        if self.top_n is not None and self.top_n < 1:
            raise AnalysisInputError("top N must be at least 1")
        if self.top_share is not None and not 0 < self.top_share <= 1:
            raise AnalysisInputError("top share of harm must be in (0, 1]")


def select(*, harm: np.ndarray, counts: np.ndarray, z: np.ndarray, q: np.ndarray,
           rule: SelectionRule, excluded: np.ndarray | None = None) -> np.ndarray:
    """A boolean mask (same shape as `harm`) of the cells the rule selects."""
    h = np.asarray(harm, dtype=float)
    eligible = (np.asarray(z) > 0) & (np.asarray(q) <= rule.q_max) & (
        np.asarray(counts) >= rule.min_count) & (h > 0)
    if excluded is not None:
        eligible &= ~np.asarray(excluded, dtype=bool)
    chosen = np.zeros(h.size, dtype=bool)
    flat_ok = eligible.ravel()
    if not flat_ok.any():
        return chosen.reshape(h.shape)
    order = np.flatnonzero(flat_ok)[np.argsort(-h.ravel()[flat_ok], kind="stable")]
    if rule.top_n is not None:
        order = order[: rule.top_n]
    if rule.top_share is not None:
        total = h.sum()
        cumulative = np.cumsum(h.ravel()[order]) / total
        # The fewest cells reaching the share (the one that crosses it included).
        order = order[: int(np.searchsorted(cumulative, rule.top_share - 1e-12)) + 1]
    chosen[order] = True
    return chosen.reshape(h.shape)


PATTERNS = ("none", "emerging", "persistent", "intermittent", "former")


def classify_patterns(hot: np.ndarray, *, persistent_share: float = 0.8,
                      recent_share: float = 0.2) -> np.ndarray:
    """A pattern per cell from `hot` (periods x cells, oldest period first).

    persistent: hot in at least `persistent_share` of periods; emerging: hot in the recent
    periods (the last `recent_share` of them) and never before; former: hot before, not
    recently; intermittent: any other cell that was ever hot; none: never hot.
    Defaults as sfhotspot's hotspot_classify.
    """
    h = np.asarray(hot, dtype=bool)
    periods = h.shape[0]
    if periods < 2:
        raise AnalysisInputError("stability needs at least two periods")
    recent = max(1, round(periods * recent_share))
    early, late = h[:-recent].any(axis=0), h[-recent:].any(axis=0)
    share = h.mean(axis=0)
    out = np.full(h.shape[1], "none", dtype=object)
    out[early | late] = "intermittent"
    out[late & ~early] = "emerging"
    out[early & ~late] = "former"
    out[share >= persistent_share] = "persistent"
    return out
