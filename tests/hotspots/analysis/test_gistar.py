"""Gi* against the published reference values and against PySAL esda on the same grid."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import sparse, stats

from hotspots.analysis.gistar import bh_q, gi_star_grid, gi_star_weights, p_two_sided


def test_esda_docstring_example_distance_band_15():
    # ../shared/reference/analytics.md: PySAL esda G_Local docstring example.
    points = np.array([(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)], float)
    y = np.array([2, 3, 3.2, 5, 8, 7])
    d = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    w = sparse.csr_matrix((d <= 15).astype(float))  # the point itself included: Gi*
    z = gi_star_weights(y, w)
    np.testing.assert_allclose(
        z, [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331],
        atol=1e-6)


def queen_with_self(ny: int, nx: int) -> sparse.csr_matrix:
    idx = np.arange(ny * nx).reshape(ny, nx)
    rows, cols = [], []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            src = idx[max(0, -dy):ny - max(0, dy), max(0, -dx):nx - max(0, dx)]
            dst = idx[max(0, dy):ny - max(0, -dy), max(0, dx):nx - max(0, -dx)]
            rows.append(src.ravel())
            cols.append(dst.ravel())
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sparse.csr_matrix((np.ones(r.size), (r, c)), shape=(ny * nx, ny * nx))


def test_grid_matches_pysal_esda_g_local_to_1e_8():
    esda = pytest.importorskip("esda", reason="esda is a test dependency (pyproject dev)")
    from libpysal.weights import lat2W

    rng = np.random.default_rng(3)
    grid = rng.poisson(rng.gamma(0.6, 2.0, (30, 40))).astype(float)
    ours = gi_star_grid(grid)
    w = lat2W(30, 40, rook=False)
    theirs = esda.G_Local(grid.ravel(), w, transform="B", star=True, permutations=0).Zs
    np.testing.assert_allclose(ours.ravel(), theirs, atol=1e-8, rtol=0)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 12), st.integers(2, 12)),
              elements=st.floats(0, 1000, allow_nan=False)))
def test_grid_convolution_equals_explicit_weights(grid):
    z_grid = gi_star_grid(grid)
    z_weights = gi_star_weights(grid.ravel(), queen_with_self(*grid.shape))
    np.testing.assert_allclose(z_grid.ravel(), z_weights, atol=1e-9)
    assert np.isfinite(z_grid).all()


def test_cells_outside_the_area_are_not_in_the_study():
    grid = np.array([[0, 0, 0, 0], [0, 9, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]], float)
    valid = np.zeros_like(grid, bool)
    valid[1:3, 1:3] = True
    z = gi_star_grid(grid, valid)
    inner = gi_star_grid(grid[1:3, 1:3])
    np.testing.assert_allclose(z[1:3, 1:3], inner)
    assert (z[~valid] == 0).all()


@pytest.mark.parametrize("grid", [np.zeros((5, 5)), np.full((5, 5), 3.0), np.ones((1, 1))])
def test_no_variation_gives_zeros_not_nan(grid):
    z = gi_star_grid(grid)
    assert z.shape == grid.shape and (z == 0).all()
    assert (p_two_sided(z) == 1).all()


def test_two_sided_p():
    np.testing.assert_allclose(p_two_sided(np.array([1.959963985, -1.959963985, 0])),
                               [0.05, 0.05, 1.0], atol=1e-9)


def test_benjamini_hochberg_matches_scipy_and_a_hand_example():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(bh_q(p), [0.02, 0.04, 0.04, 0.02])
    rng = np.random.default_rng(1)
    many = np.concatenate([rng.uniform(0, 1, 500), rng.uniform(0, 0.001, 20)])
    np.testing.assert_allclose(bh_q(many), stats.false_discovery_control(many, method="bh"))
