import math

import numpy as np
import pytest

from hotspots.analysis import AnalysisInputError
from hotspots.analysis.gistar import gi_star_weights
from hotspots.analysis.hexgrid import HexGrid, axial_round, cell_keys_square
from hotspots.analysis.selection import SelectionRule, classify_patterns, select


def test_hexagons_have_the_area_of_the_square_cell_and_six_neighbours():
    grid = HexGrid.covering(0, 0, 3000, 2000, 150)
    area = 3 * math.sqrt(3) / 2 * grid.side**2
    assert area == pytest.approx(150 * 150)
    w = grid.neighbours_with_self()
    degree = np.asarray(w.sum(axis=1)).ravel()
    cx, cy = grid.centroids()
    interior = (cx > 500) & (cx < 2500) & (cy > 500) & (cy < 1500)
    assert (degree[interior] == 7).all()  # six neighbours and itself
    assert (w != w.T).nnz == 0


def test_every_point_falls_in_the_hexagon_whose_centre_is_nearest():
    grid = HexGrid.covering(0, 0, 3000, 2000, 150)
    rng = np.random.default_rng(5)
    x, y = rng.uniform(100, 2900, 5000), rng.uniform(100, 1900, 5000)
    idx = grid.flat_index(x, y)
    assert (idx >= 0).all()
    cx, cy = grid.centroids()
    d_own = np.hypot(x - cx[idx], y - cy[idx])
    nearest = np.min(np.hypot(x[:, None] - cx[None, :], y[:, None] - cy[None, :]), axis=1)
    np.testing.assert_allclose(d_own, nearest, atol=1e-9)
    assert grid.totals(x, y).sum() == 5000


def test_axial_rounding_keeps_the_cube_constraint():
    q, r = axial_round(np.array([0.49, 0.51, -0.6, 2.2]), np.array([0.49, 0.0, 0.3, -1.1]))
    assert (q + r + (-q - r) == 0).all()
    # Axial (0.49, 0.49) is cube (0.49, 0.49, -0.98): nearer hexagon (0, 1) than (0, 0).
    assert list(zip(q.tolist(), r.tolist(), strict=True))[:2] == [(0, 1), (1, 0)]


def test_gi_star_on_hexagons_runs_through_the_general_weights():
    grid = HexGrid.covering(0, 0, 1500, 1500, 150)
    values = np.zeros(grid.size)
    cx, cy = grid.centroids()
    hot = int(np.argmin(np.hypot(cx - 750, cy - 750)))  # the hexagon at the centre
    values[hot] = 10
    w = grid.neighbours_with_self()
    z = gi_star_weights(values, w)
    around = w[hot].indices  # the hot cell and its six neighbours
    assert around.size == 7
    np.testing.assert_allclose(z[around], z.max())
    others = np.setdiff1d(np.arange(grid.size), around)
    assert (z[others] < 0).all()


def test_square_cell_keys_are_absolute():
    keys = cell_keys_square(528_900, 186_000, 150, 3, 2)
    assert keys.tolist() == ["sq150:3526:1240", "sq150:3527:1240", "sq150:3528:1240",
                             "sq150:3526:1241", "sq150:3527:1241", "sq150:3528:1241"]


def test_selection_rules():
    harm = np.array([900, 500, 300, 200, 100, 50], float)
    counts = np.array([9, 5, 2, 4, 3, 3])
    z = np.array([4, 3, 3, 2.5, -2, 2.2])
    q = np.array([0.001, 0.01, 0.01, 0.04, 0.01, 0.2])
    base = select(harm=harm, counts=counts, z=z, q=q, rule=SelectionRule())
    assert base.tolist() == [True, True, False, True, False, False]
    top2 = select(harm=harm, counts=counts, z=z, q=q, rule=SelectionRule(top_n=2))
    assert top2.tolist() == [True, True, False, False, False, False]
    # 900 of 2,050 is 44%; with 500 it is 68%: the fewest cells holding 50% of harm.
    share = select(harm=harm, counts=counts, z=z, q=q, rule=SelectionRule(top_share=0.5))
    assert share.tolist() == [True, True, False, False, False, False]
    excluded = np.array([True, False, False, False, False, False])  # a prison
    ex = select(harm=harm, counts=counts, z=z, q=q, rule=SelectionRule(), excluded=excluded)
    assert ex.tolist() == [False, True, False, True, False, False]
    nothing = select(harm=np.zeros(6), counts=counts, z=z, q=q, rule=SelectionRule())
    assert not nothing.any()


@pytest.mark.parametrize("kwargs", [{"q_max": 0}, {"min_count": -1}, {"top_n": 0},
                                    {"top_share": 1.5}])
def test_bad_rules_are_refused(kwargs):
    with pytest.raises(AnalysisInputError):
        SelectionRule(**kwargs)


def test_patterns_over_ten_periods():
    hot = np.zeros((10, 5), bool)
    hot[:, 0] = True                 # persistent
    hot[9, 1] = True                 # emerging: only in the last 20%
    hot[1:4, 2] = True               # former
    hot[[2, 9], 3] = True            # intermittent
    assert classify_patterns(hot).tolist() == [
        "persistent", "emerging", "former", "intermittent", "none"]
    with pytest.raises(AnalysisInputError):
        classify_patterns(hot[:1])
