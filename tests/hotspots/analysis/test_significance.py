"""Hot spot significance that holds under the null, tested by simulation (issue 16, part 1).

Under complete spatial randomness (CSR) a run must report no significant hot cell in at
least 95% of areas; planted hot spots must still be found. Pure NumPy; the figures are in
docs/adr/0012-statistics-that-hold.md."""

import numpy as np
import pytest
from scipy import stats

from hotspots.analysis.forecast import score_top_n, top_n_membership
from hotspots.analysis.selection import SelectionRule, select
from hotspots.analysis.significance import (
    count_test,
    incidents,
    neighbourhood_p,
    square_neighbourhood,
    weights_neighbourhood,
)
from hotspots.offence_defaults import DEFAULT_OFFENCE_TYPES

SIDE = 100  # 10,000 cells of 150 m: a 15 km square
SIMULATIONS = 200


def _run(counts: np.ndarray, harm: np.ndarray, valid: np.ndarray,
         rule: SelectionRule) -> tuple[np.ndarray, np.ndarray]:
    """What a run does: the count test, then the rule (harm ranks)."""
    sums, cells = square_neighbourhood(counts, valid)
    _, q, excess = count_test(counts, valid, sums, cells)
    significant = (excess > 0) & (q <= rule.q_max) & valid
    chosen = select(harm=harm, counts=counts, z=excess, q=q, rule=rule, excluded=~valid)
    return significant, chosen


def _default_weights() -> tuple[np.ndarray, np.ndarray]:
    """The default harm weights of the types counted in targeting, each as likely as the
    others: a heavy tail (the heaviest is hundreds of times the lightest)."""
    weights = np.array([w for _, _, _, w, include, _ in DEFAULT_OFFENCE_TYPES if include],
                       dtype=float)
    return weights, np.full(weights.size, 1 / weights.size)


@pytest.mark.parametrize("per_cell", [0.01, 0.05, 0.2, 1.0, 8.0])
def test_random_crime_gives_no_hot_spot_in_95_percent_of_areas(per_cell):
    rng = np.random.default_rng(int(per_cell * 1000))
    valid = np.ones((SIDE, SIDE), dtype=bool)
    # An irregular area, as real ones are: a quarter of the square is outside it.
    valid[: SIDE // 2, : SIDE // 2] = False
    n = int(valid.sum())
    weights, mix = _default_weights()
    rule = SelectionRule(q_max=0.05, min_count=1, top_n=30)
    any_counts = any_harm = 0
    for _ in range(SIMULATIONS):
        total = rng.poisson(per_cell * n)
        cell = rng.choice(np.flatnonzero(valid.ravel()), size=total)
        counts = np.bincount(cell, minlength=valid.size).reshape(valid.shape).astype(float)
        harm = np.bincount(cell, weights=rng.choice(weights, size=total, p=mix),
                           minlength=valid.size).reshape(valid.shape)
        significant, chosen = _run(counts, harm, valid, rule)
        any_counts += bool(significant.any())
        any_harm += bool(chosen.any())
    # The chance that a run reports any hot cell under CSR: at most 5%, counts and harm.
    assert any_counts / SIMULATIONS <= 0.05
    assert any_harm / SIMULATIONS <= 0.05
    print(f"CSR at {per_cell} crimes a cell: any significant in {any_counts / SIMULATIONS:.3f}, "
          f"any harm-ranked hot spot in {any_harm / SIMULATIONS:.3f}")


def test_the_old_normal_approximation_failed_where_the_count_test_holds():
    """The figures the issue reports, reproduced: one crime alone in 10,000 cells gave
    harm-weighted Gi* z = 33; the count test gives it nothing."""
    from hotspots.analysis.gistar import gi_star_grid

    counts = np.zeros((SIDE, SIDE))
    counts[50, 50] = 1
    valid = np.ones_like(counts, dtype=bool)
    assert gi_star_grid(counts, valid)[50, 50] == pytest.approx(33.318, abs=0.001)
    sums, cells = square_neighbourhood(counts, valid)
    p, q, _ = count_test(counts, valid, sums, cells)
    assert p[50, 50] == pytest.approx(9 / 10_000)  # P(one crime falls in 9 of 10,000 cells)
    assert q.min() == 1.0


def test_planted_hot_spots_are_found_in_at_least_80_percent_of_simulations():
    """10 cells (a 2 x 5 block, one street's worth) at 4 times a background of 1 crime a
    cell, in a 6 km square of 150 m cells."""
    rng = np.random.default_rng(16)
    side = 40
    valid = np.ones((side, side), dtype=bool)
    rate = np.ones((side, side))
    rate[18:20, 16:21] = 4.0
    rule = SelectionRule(q_max=0.05, min_count=3, top_n=30)
    found = share = 0.0
    ring = [0, 0]
    for _ in range(SIMULATIONS):
        counts = rng.poisson(rate).astype(float)
        significant, chosen = _run(counts, counts, valid, rule)
        planted = significant[18:20, 16:21]
        found += bool((chosen[18:20, 16:21]).any())
        share += planted.mean()
        ring[0] += significant.sum() - planted.sum()
        ring[1] += significant.sum()
    assert found / SIMULATIONS >= 0.80
    # Significant cells outside the block: 14% before a cell's own count had to be above
    # chance too (the neighbourhood of a quiet cell beside the block is busy).
    assert ring[0] / ring[1] <= 0.08
    print(f"planted block found in {found / SIMULATIONS:.3f} of runs; "
          f"{share / SIMULATIONS:.3f} of its cells significant on average; "
          f"{ring[0] / ring[1]:.3f} of significant cells outside it")


def test_p_values_are_the_exact_binomial_tail():
    # 12 crimes in a neighbourhood of 9 cells, 32 crimes over 2,000 cells.
    p = neighbourhood_p(np.array([12, 0, 1]), np.array([9, 9, 4]), 32, 2000)
    assert p[0] == pytest.approx(stats.binom.sf(11, 32, 9 / 2000), rel=1e-12)
    assert p[1] == 1.0 and p[2] == pytest.approx(1 - (1 - 4 / 2000) ** 32, rel=1e-12)
    # No crime at all: nothing can be significant.
    assert (neighbourhood_p(np.zeros(3), np.full(3, 9), 0, 100) == 1).all()


def test_hexagon_neighbourhoods_count_the_cell_and_its_six():
    from hotspots.analysis.hexgrid import HexGrid

    grid = HexGrid.covering(0, 0, 1000, 1000, 150)
    w = grid.neighbours_with_self()
    values = np.zeros(grid.size)
    middle = int(np.argmax(np.asarray(w.sum(axis=1)).ravel()))  # a hexagon with all six
    values[middle] = 5
    valid = np.ones(grid.size, dtype=bool)
    sums, cells = weights_neighbourhood(values, valid, w)
    assert sums[middle] == 5 and cells[middle] == 7
    assert sorted(np.flatnonzero(sums)) == sorted(w[middle].indices)


def test_ties_share_their_places_so_no_score_depends_on_cell_order():
    """Issue 16: with 3 cells tied for the last 2 places, each gets 2/3 of a place, and a
    reordering of the cells gives the same score."""
    score = np.array([5, 3, 3, 3, 1, 0], dtype=float)
    member = top_n_membership(score, 3)
    assert member.tolist() == [1.0, 2 / 3, 2 / 3, 2 / 3, 0.0, 0.0]
    observed = np.array([2, 6, 0, 0, 1, 1], dtype=float)
    fitted = np.array([5, 3, 3, 3, 1, 0], dtype=float)
    result = score_top_n(member, observed, fitted, area_cells=6)
    order = np.array([3, 1, 5, 0, 2, 4])
    shuffled = score_top_n(top_n_membership(score[order], 3), observed[order], fitted[order],
                           area_cells=6)
    assert result == shuffled
    # Hits: 2 + (6 + 0 + 0) * 2/3 = 6 of 10; PAI: 0.6 / (3/6); PEI: 6 / (6 + 2 + 1);
    # RRI (Levine): (6/10) / ((5 + 9 * 2/3) / 15).
    assert (result.hits, result.hit_rate) == (6.0, 0.6)
    assert result.pai == pytest.approx(1.2) and result.pei == pytest.approx(6 / 9)
    assert result.rri == pytest.approx(0.6 / (11 / 15))


def test_fewer_candidates_than_places_are_all_chosen_and_zero_is_never_chosen():
    assert top_n_membership(np.array([0, 2, 0, 1.0]), 3).tolist() == [0, 1, 0, 1]
    eligible = np.array([True, False, True, True])
    assert top_n_membership(np.array([4, 9, 3, 1.0]), 2, eligible).tolist() == [1, 0, 1, 0]


def test_a_point_exactly_on_the_grids_upper_edge_is_kept():
    from hotspots.analysis.grid import SquareGrid

    grid = SquareGrid.covering(0, 0, 300, 450, 150)  # the area ends on a cell boundary
    totals = grid.totals(np.array([300.0, 0.0, 150.0]), np.array([450.0, 0.0, 449.9]))
    assert totals.sum() == 3 and totals[3, 2] == 1  # the corner point has its own cell


def test_on_random_crime_the_backtest_scores_say_no_skill():
    """Issue 16, part 2: the old RRI read 445-650 on random data. On crime with no hot spots
    (each period an independent CSR draw), the 30 busiest cells of the period before catch
    what any 30 cells would: PAI near 1; and Levine's RRI is below 1, as the busiest cells
    of one period regress to the mean in the next (about 1 over their mean count)."""
    rng = np.random.default_rng(2)
    cells, n, per_cell = 10_000, 30, 1.0
    pai: list[float] = []
    rri: list[float] = []
    for _ in range(SIMULATIONS):
        before = rng.poisson(per_cell, cells).astype(float)
        after = rng.poisson(per_cell, cells).astype(float)
        score = score_top_n(top_n_membership(before, n), after, before, area_cells=cells)
        assert score.rri is not None
        pai.append(score.pai)
        rri.append(score.rri)
    assert 0.9 <= np.mean(pai) <= 1.1
    assert 0.1 <= np.mean(rri) <= 0.3 and max(rri) < 1.0
    print(f"random crime, top {n} of {cells:,}: PAI {np.mean(pai):.2f} "
          f"({min(pai):.2f}-{max(pai):.2f}), "
          f"RRI {np.mean(rri):.2f} ({min(rri):.2f}-{max(rri):.2f})")


@pytest.mark.parametrize("extra", [0.5, 1.0])
def test_incidents_of_several_crimes_at_random_places_give_no_hot_spot(extra):
    """An independent review: each incident at a random place and time recording
    1 + Poisson(extra) crimes (several offences, one victim) made 99-100% of areas
    "significant" when the test counted crimes. It counts incidents: crimes at one point
    with one window (under a day) count once."""
    rng = np.random.default_rng(int(extra * 10))
    side = 60
    valid = np.ones((side, side), dtype=bool)
    cell = 150.0
    false_alarms = 0
    naive_alarms = 0
    for _ in range(SIMULATIONS):
        n = rng.poisson(1.0 * valid.size)
        x = rng.uniform(0, side * cell, n)
        y = rng.uniform(0, side * cell, n)
        t = rng.uniform(0, 3e7, n)
        size = 1 + rng.poisson(extra, n)
        xs, ys, ts = (np.repeat(v, size) for v in (x, y, t))
        ends = ts + 3600.0
        keep = incidents(xs, ys, ts, ends)
        assert keep.sum() == n
        ix = np.minimum((xs // cell).astype(int), side - 1)
        iy = np.minimum((ys // cell).astype(int), side - 1)
        crimes = np.zeros((side, side))
        np.add.at(crimes, (iy, ix), 1)
        tested = np.zeros((side, side))
        np.add.at(tested, (iy[keep], ix[keep]), 1)
        rule = SelectionRule(q_max=0.05, min_count=1, top_n=30)
        false_alarms += bool(_run(tested, crimes, valid, rule)[0].any())
        naive_alarms += bool(_run(crimes, crimes, valid, rule)[0].any())
    assert false_alarms / SIMULATIONS <= 0.05
    assert naive_alarms / SIMULATIONS >= 0.5  # the simulation catches the crime count
    print(f"incidents of 1 + Poisson({extra}) crimes: any significant in "
          f"{false_alarms / SIMULATIONS:.3f} counting incidents, "
          f"{naive_alarms / SIMULATIONS:.3f} counting crimes")


def test_crimes_dated_only_to_a_month_are_each_counted():
    x = np.array([1.0, 1.0, 1.0, 2.0])
    start = np.array([0.0, 0.0, 0.0, 0.0])
    month = start + 31 * 86400
    assert incidents(x, x, start, month).tolist() == [True, True, True, True]
    assert incidents(x, x, start, start).tolist() == [True, False, False, True]
