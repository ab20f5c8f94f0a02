"""Grid binning, quartic KDE and aoristic hour-of-week profiles."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from hotspots.analysis import AnalysisInputError
from hotspots.analysis.grid import SquareGrid
from hotspots.analysis.kde import kde_grid
from hotspots.analysis.temporal import hour_of_week, hour_of_week_by_group, local_week_hours


def test_grid_is_anchored_on_cell_multiples_and_bins_exactly():
    grid = SquareGrid.covering(529_010, 186_020, 529_890, 186_480, 150)
    assert (grid.x0, grid.y0, grid.nx, grid.ny) == (528_900, 186_000, 7, 4)
    # The grid ends at 528,900 + 7 x 150 = 529,950: a point there is outside.
    x = np.array([528_900, 529_049.9, 529_050, 529_949, 529_950])
    y = np.array([186_000, 186_000, 186_149.9, 186_599, 186_000])
    counts = grid.totals(x, y)
    assert counts.sum() == 4
    assert counts[0, 0] == 2 and counts[0, 1] == 1 and counts[3, 6] == 1
    harm = grid.totals(x, y, weights=np.array([300, 150, 1, 700, 9]))
    assert (harm[0, 0], harm[0, 1], harm[3, 6]) == (450, 1, 700)
    cx, cy = grid.centroids()
    assert (cx[0, 0], cy[0, 0]) == (528_975, 186_075)


@pytest.mark.parametrize(("cell", "message"), [
    (0, "cell size must be a positive number of metres, not 0"),
    (-5, "cell size must be a positive number of metres, not -5"),
    (float("nan"), "cell size must be a positive number of metres, not nan"),
    (5_000, "a 5000 m cell is larger than the area (1,000 m x 500 m)"),
])
def test_bad_cell_sizes_are_explained(cell, message):
    with pytest.raises(AnalysisInputError) as err:
        SquareGrid.covering(0, 0, 1000, 500, cell)
    assert str(err.value) == message


def test_kde_keeps_the_total_and_is_symmetric():
    grid = np.zeros((41, 41))
    grid[20, 20] = 10.0
    smooth = kde_grid(grid, cell=50, bandwidth=400)
    assert smooth.sum() == pytest.approx(10.0, rel=1e-12)
    np.testing.assert_allclose(smooth, smooth.T, atol=1e-12)
    np.testing.assert_allclose(smooth, smooth[::-1, ::-1], atol=1e-12)
    assert smooth[20, 20] == smooth.max()
    # 400 m is 8 cells: past the edge only FFT round-off remains.
    assert smooth[20, 28] < 1e-12 and smooth[20, 27] > 1e-4
    assert (smooth >= 0).all()
    with pytest.raises(AnalysisInputError):
        kde_grid(grid, cell=50, bandwidth=0)


MONDAY = 0.0  # hour-of-week origin: Monday 00:00


def test_aoristic_spreads_a_window_over_the_hours_it_overlaps():
    profile = hour_of_week(np.array([10.5]), np.array([12.5]))
    expected = np.zeros(168)
    expected[[10, 11, 12]] = [0.25, 0.5, 0.25]
    np.testing.assert_allclose(profile, expected)


def test_aoristic_window_across_the_end_of_the_week_and_a_weight():
    profile = hour_of_week(np.array([167.0 + 168 * 5]), np.array([169.0 + 168 * 5]),
                           weights=np.array([300.0]))
    assert (profile[167], profile[0]) == (150.0, 150.0)
    assert profile.sum() == pytest.approx(300.0)


def test_a_two_week_window_is_flat_and_an_instant_is_one_hour():
    flat = hour_of_week(np.array([3.0]), np.array([3.0 + 336]))
    np.testing.assert_allclose(flat, np.full(168, 1 / 168))
    instant = hour_of_week(np.array([30.2]), np.array([30.2]))
    assert instant[30] == 1.0 and instant.sum() == 1.0


def test_profiles_by_group():
    start = np.array([10.0, 10.0, 50.0, 10.0])
    end = np.array([11.0, 11.0, 51.0, 11.0])
    groups = np.array([0, 1, 1, -1])
    profiles = hour_of_week_by_group(start, end, groups, 2)
    assert profiles.shape == (2, 168)
    assert (profiles[0, 10], profiles[1, 10], profiles[1, 50]) == (1.0, 1.0, 1.0)
    assert profiles.sum() == 3.0


def test_local_hours_follow_the_clock_change_in_london():
    london = ZoneInfo("Europe/London")
    stamps = [datetime(2024, 3, 31, 0, 30, tzinfo=UTC),   # 00:30 GMT, Sunday
              datetime(2024, 3, 31, 1, 30, tzinfo=UTC),   # 02:30 BST, Sunday
              datetime(2024, 7, 1, 21, 0, tzinfo=UTC),    # 22:00 BST, Monday
              datetime(2024, 12, 2, 22, 0, tzinfo=UTC)]   # 22:00 GMT, Monday
    hours = local_week_hours(np.array([s.timestamp() for s in stamps]), london)
    how = np.mod(hours, 168)
    np.testing.assert_allclose(how, [6 * 24 + 0.5, 6 * 24 + 2.5, 22.0, 22.0])


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


def test_a_window_across_the_spring_change_puts_nothing_in_the_hour_that_did_not_exist():
    """Issue 16: Sunday 31 March 2024, 00:30 GMT to 03:30 BST is two real hours (00:30 to
    02:30 UTC); 01:00-02:00 local never happened."""
    from hotspots.analysis.temporal import aoristic_by_group

    london = ZoneInfo("Europe/London")
    profile = aoristic_by_group(np.array([_utc(2024, 3, 31, 0, 30)]),
                                np.array([_utc(2024, 3, 31, 2, 30)]), london,
                                np.zeros(1, dtype=np.int64), 1)[0]
    sunday = 6 * 24
    np.testing.assert_allclose(profile[sunday:sunday + 4], [0.25, 0.0, 0.5, 0.25])
    assert profile.sum() == 1.0


def test_the_repeated_autumn_hour_gets_its_real_length():
    """Sunday 27 October 2024, 00:30 BST (23:30 UTC the day before) to 02:30 GMT: three real
    hours, two of them in the local hour 01:00-02:00, which happens twice."""
    from hotspots.analysis.temporal import aoristic_by_group

    london = ZoneInfo("Europe/London")
    profile = aoristic_by_group(np.array([_utc(2024, 10, 26, 23, 30)]),
                                np.array([_utc(2024, 10, 27, 2, 30)]), london,
                                np.zeros(1, dtype=np.int64), 1, np.array([3.0]))[0]
    sunday = 6 * 24
    np.testing.assert_allclose(profile[sunday:sunday + 3], [0.5, 2.0, 0.5])
    assert profile.sum() == 3.0


def test_windows_without_a_change_and_instants_are_as_before():
    from hotspots.analysis.temporal import aoristic_by_group

    london = ZoneInfo("Europe/London")
    # Monday 1 July 2024 21:00-23:00 UTC is 22:00-24:00 BST; an instant at 12:00 UTC in
    # December is noon GMT; a month-long window spreads over every hour.
    start = np.array([_utc(2024, 7, 1, 21), _utc(2024, 12, 2, 12), _utc(2024, 3, 1)])
    end = np.array([_utc(2024, 7, 1, 23), _utc(2024, 12, 2, 12), _utc(2024, 3, 31, 23)])
    profiles = aoristic_by_group(start, end, london, np.array([0, 1, 2]), 3)
    assert profiles[0, 22] == profiles[0, 23] == 0.5
    assert profiles[1, 12] == 1.0 and profiles[1].sum() == 1.0
    assert profiles[2].sum() == pytest.approx(1.0)
    # March 2024 holds its own spring change: no weight in the hour that did not exist.
    assert profiles[2, 6 * 24 + 1] < profiles[2, 6 * 24 + 3]


def test_the_linear_aoristic_sum_equals_each_crime_spread_by_hand():
    """hour_of_week_by_group sums with bincounts; here each window is spread bin by bin
    (hours of each hour-of-week bin it overlaps), windows up to three weeks long."""
    from hotspots.analysis.temporal import hour_of_week_by_group

    rng = np.random.default_rng(5)
    n = 300
    start = rng.uniform(0, 20_000, n)
    end = start + np.where(rng.random(n) < 0.2, 0.0, rng.exponential(30, n))
    end[:5] = start[:5] + rng.uniform(170, 500, 5)   # over a week
    group = rng.integers(-1, 4, n)
    weight = rng.uniform(0.5, 3, n)
    expected = np.zeros((4, 168))
    for a, b, g, w in zip(start, end, group, weight, strict=True):
        if g < 0:
            continue
        if b == a:
            expected[g, int(np.floor(a % 168))] += w
            continue
        hour = np.floor(a)
        while hour < b:
            overlap = min(b, hour + 1) - max(a, hour)
            expected[g, int(hour % 168)] += w * overlap / (b - a)
            hour += 1
    got = hour_of_week_by_group(start, end, group, 4, weight)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    assert got.sum() == pytest.approx(weight[group >= 0].sum(), rel=1e-12)
