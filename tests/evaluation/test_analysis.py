"""The trial statistics against the reference values (../shared/reference/analytics.md)."""

import numpy as np
import pytest

from evaluation.analysis import (
    AnalysisInputError,
    block_randomise,
    crossover_schedule,
    patrol_cost,
    rate_ratio,
    wdd,
    wdq,
)


def test_wdd_matches_the_ptools_reference():
    r = wdd(control=(308, 318), treated=(207, 110), disp_control=(150, 140),
            disp_treated=(178, 157))
    assert r.estimate == -118.0 and r.variance == 1568.0
    assert r.se == pytest.approx(39.598, abs=1e-3)
    assert round(r.z, 2) == -2.98
    assert (round(r.ci_low), round(r.ci_high)) == (-196, -40)


def test_wdq_by_its_formula():
    # R before 100 after 60, D before 50 after 45, C before 200 after 200.
    assert wdq(response=(100, 60), buffer=(50, 45), control=(200, 200)) == pytest.approx(
        (45 / 200 - 50 / 200) / (60 / 200 - 100 / 200))
    with pytest.raises(AnalysisInputError, match="control area needs crime"):
        wdq(response=(1, 2), buffer=(1, 1), control=(0, 3))


def test_block_randomisation_balances_harm_and_is_reproducible():
    harm = np.array([90, 80, 70, 60, 50, 40, 30, 20, 10, 5, 1])
    arms = block_randomise(harm, 2, seed=11)
    assert np.array_equal(arms, block_randomise(harm, 2, seed=11))
    assert not np.array_equal(arms, block_randomise(harm, 2, seed=12))
    order = np.argsort(-harm)
    for start in range(0, 10, 2):  # every full block has one of each arm
        assert sorted(arms[order[start:start + 2]]) == [0, 1]
    assert np.bincount(arms, minlength=2).tolist() in ([6, 5], [5, 6])
    with pytest.raises(AnalysisInputError, match="2 hot spot\\(s\\) cannot fill 3 arms"):
        block_randomise(np.array([1.0, 2.0]), 3, seed=1)


def test_crossover_patrols_half_the_places_each_day():
    schedule = crossover_schedule(10, 28, seed=3)
    assert schedule.shape == (28, 10)
    assert set(schedule.sum(axis=1).tolist()) == {5}
    assert np.array_equal(schedule, crossover_schedule(10, 28, seed=3))
    assert not np.array_equal(schedule, crossover_schedule(10, 28, seed=4))
    odd = crossover_schedule(5, 4, seed=1)
    assert odd.sum(axis=1).tolist() == [2, 3, 2, 3]


def test_rate_ratio_recovers_a_known_effect():
    rng = np.random.default_rng(5)
    n = 400
    treated = np.arange(n) % 2
    before = rng.poisson(20, n)
    counts = rng.poisson(np.where(treated == 1, 0.8, 1.0) * before)
    r = rate_ratio(counts=counts, treated=treated, before=before)
    assert r.ci_low < 0.8 < r.ci_high and r.ci_high < 1.0 and r.n == 400
    nb = rate_ratio(counts=counts, treated=treated, before=before, model="negbin")
    assert nb.ci_low < 0.8 < nb.ci_high
    with pytest.raises(AnalysisInputError, match="both treated and control"):
        rate_ratio(counts=np.array([1, 2, 3]), treated=np.array([1, 1, 1]))


def test_cost_per_hour_visit_and_harm_prevented():
    cost = patrol_cost(hours_by_role={"pc": 10.0, "pcso": 20.0},
                       rate_by_role={"pc": 40.0, "pcso": 25.0}, visits=120, harm_prevented=900)
    assert (cost.hours, cost.total) == (30.0, 900.0)
    assert (cost.per_hour, cost.per_visit, cost.per_harm_prevented) == (30.0, 7.5, 1.0)
    assert patrol_cost(hours_by_role={"pc": 1.0}, rate_by_role={"pc": 40.0}, visits=0,
                       harm_prevented=-5).per_harm_prevented is None
    with pytest.raises(AnalysisInputError, match="hourly cost for pc must be above zero"):
        patrol_cost(hours_by_role={"pc": 1.0}, rate_by_role={"pc": 0.0}, visits=1,
                    harm_prevented=1)
