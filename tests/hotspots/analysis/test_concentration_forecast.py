"""Concentration and forecast accuracy against ../shared/reference/analytics.md."""

import numpy as np
import pytest

from hotspots.analysis.concentration import generalized_gini, gini, lorenz, top_share
from hotspots.analysis.forecast import accuracy_at, accuracy_curve


@pytest.mark.parametrize(("counts", "standard", "generalized"), [
    ([10, 8, 2] + [0] * 7, 0.78, 0.78),
    ([5, 2, 1] + [0] * 7, 0.80, 0.75),
    ([10] + [0] * 9, 0.90, 0.90),
    # The reference gives 0.99 (standard); with 10 crimes over 100 places the same
    # formula that gives 0.75 above gives (100/10)(0.99 - 1) + 1 = 0.9.
    ([10] + [0] * 99, 0.99, 0.90),
])
def test_gini_reference_values(counts, standard, generalized):
    assert gini(np.array(counts)) == pytest.approx(standard, abs=1e-12)
    assert generalized_gini(np.array(counts)) == pytest.approx(generalized, abs=1e-12)


def test_lorenz_points():
    places, shares = lorenz(np.array([10, 20, 30, 40]))
    np.testing.assert_allclose(places, [0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(shares, [0, 0.4, 0.7, 0.9, 1.0])


def test_top_shares():
    harm = np.array([50, 30, 10, 5, 5] + [0] * 95, float)  # 100 cells
    assert top_share(harm, 0.01) == 0.5
    assert top_share(harm, 0.05) == 1.0


@pytest.mark.parametrize("values", [np.zeros(10), np.array([])])
def test_empty_or_zero_harm_gives_zeros_not_nan(values):
    assert (gini(values), generalized_gini(values), top_share(values, 0.05)) == (0.0, 0.0, 0.0)
    _, shares = lorenz(values)
    assert np.isfinite(shares).all()


def test_pai_pei_reference():
    curve = accuracy_curve(np.array([3, 2, 1]), np.array([6, 3, 0]))
    np.testing.assert_allclose(curve["pai"], [2, 1.5, 1])
    np.testing.assert_allclose(curve["pei"], [1, 1, 1])
    np.testing.assert_allclose(curve["rri"], [0.5, 5 / 9, 6 / 9])
    np.testing.assert_allclose(curve["hit_rate"], [6 / 9, 1, 1])


def test_accuracy_at_coverages_rounds_cells_down_but_keeps_one():
    predicted = np.arange(100, 0, -1, dtype=float)
    observed = np.zeros(100)
    observed[:3] = [5, 3, 2]
    observed[50] = 10
    at = accuracy_at(predicted, observed, (0.01, 0.05, 0.5, 0.001))
    assert [a.cells for a in at] == [1, 5, 50, 1]
    assert at[0].hit_rate == 0.25 and at[0].pai == 25.0
    assert at[1].hit_rate == 0.5 and at[1].pai == 10.0
    assert at[2].pei == pytest.approx(0.5 / 1.0)
