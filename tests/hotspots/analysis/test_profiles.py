"""Visit timing from real patterns, not noise (issue 16, part 3), by simulation: hour-of-week
profiles of sparse hot spots are shrunk towards the area's (temporal.shrink_profiles), so
two years of the same timing give the same rota, and a place whose crimes truly fall at
night still gets its visits at night. Pure NumPy; figures in docs/adr/0012."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from hotspots.analysis.temporal import aoristic_by_group, shrink_profiles, whole_hour_counts
from tasking.generator import Rules, generate, week_shifts

LONDON = ZoneInfo("Europe/London")
YEAR = (datetime(2024, 1, 1, tzinfo=UTC).timestamp(), datetime(2025, 1, 1, tzinfo=UTC).timestamp())
PLACES, CRIMES = 30, 25  # about a year of crime at a typical hot spot
SHIFTS = week_shifts([("Early", 7, 8, 120), ("Late", 15, 8, 120), ("Night", 23, 8, 120)])
HARM = np.random.default_rng(0).uniform(100, 3000, PLACES)  # the same places both years


def _year(rng: np.random.Generator, night: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A year of crime at each place at uniformly random times (flat timing), and the area's
    profile (the places and 3,000 other crimes). Place `night`'s crimes fall 22:00-04:00."""
    times = rng.uniform(*YEAR, PLACES * CRIMES)
    place = np.repeat(np.arange(PLACES), CRIMES)
    if night is not None:
        mine = np.flatnonzero(place == night)
        day = rng.integers(0, 365, mine.size)
        hour = (22 + rng.uniform(0, 6, mine.size)) % 24
        local = datetime(2024, 1, 1, tzinfo=LONDON).timestamp() + day * 86400 + hour * 3600
        times[mine] = local
    counts = aoristic_by_group(times, times, LONDON, place, PLACES)
    other = rng.uniform(*YEAR, 3000)
    everything = np.concatenate([times, other])
    area = aoristic_by_group(everything, everything, LONDON,
                             np.zeros(everything.size, dtype=np.int64), 1)[0]
    return counts, area


def _visits(profiles: np.ndarray) -> np.ndarray:
    """Visits per (place, shift) from the rota generator."""
    rota = generate(profiles=profiles, shifts=SHIFTS, rules=Rules(seed=1))
    keys = [s.key for s in SHIFTS]
    out = np.zeros((PLACES, len(SHIFTS)))
    for v in rota.visits:
        out[v.hotspot, keys.index(v.shift)] += 1
    return out


@pytest.mark.parametrize("seed", [10, 11, 12, 13, 14])
def test_two_years_of_the_same_flat_timing_give_the_same_rota(seed):
    rng = np.random.default_rng(seed)
    first, area1 = _year(rng)
    second, area2 = _year(rng)
    raw = [c / c.sum(axis=1, keepdims=True) * HARM[:, None] for c in (first, second)]
    shrunk = [shrink_profiles(c, a)[0] * HARM[:, None]
              for c, a in ((first, area1), (second, area2))]
    before = np.corrcoef(_visits(raw[0]).ravel(), _visits(raw[1]).ravel())[0, 1]
    after = np.corrcoef(_visits(shrunk[0]).ravel(), _visits(shrunk[1]).ravel())[0, 1]
    assert after >= 0.5
    assert after > before  # each place's own 25 crimes alone: mostly noise
    print(f"seed {seed}: allocations correlate {before:.2f} unshrunk, {after:.2f} shrunk")


def test_a_place_whose_crime_falls_at_night_still_gets_its_visits_at_night():
    rng = np.random.default_rng(5)
    counts, area = _year(rng, night=7)
    shares, shrinkage = shrink_profiles(counts, area)
    visits = _visits(shares * HARM[:, None])
    by_kind = visits[7].reshape(7, 3).sum(axis=0)  # Early, Late, Night over the week
    assert by_kind[2] > by_kind[0] + by_kind[1]
    assert shrinkage.own[7] > 0.9  # the run is sure this place keeps its own timing
    # The flat places are shrunk most of the way to the area's timing.
    assert np.median(shrinkage.own[np.arange(PLACES) != 7]) < 0.5


def test_shares_sum_to_one_and_a_place_with_no_crime_takes_the_areas_timing():
    counts = np.zeros((2, 168))
    counts[0, 22] = 5
    area = np.full(168, 1.0)
    shares, _ = shrink_profiles(counts, area)
    np.testing.assert_allclose(shares.sum(axis=1), [1.0, 1.0])
    np.testing.assert_allclose(shares[1], np.full(168, 1 / 168))


@pytest.mark.parametrize(("window_hours", "floor"), [(1.0, 0.7), (6.0, 0.5)])
def test_night_places_keep_their_timing_when_crimes_have_time_windows(window_hours, floor):
    """An independent review: fitted on aoristic fractions, windows of an hour or more made
    every place take the area's timing, and on 168 bins night places kept 0.42 of their
    profile at night against the area's 0.39. 60 places of 25 crimes, 12 of them with crime
    only 22:00-04:00, each crime recorded as a window of up to `window_hours` around its
    time; fitted on whole counts (one hour drawn in each window) by hour of the day, the
    night places keep most of their night and the flat places take the area's timing."""
    rng = np.random.default_rng(21)
    places, crimes = 60, 25
    night = np.arange(12)
    place = np.repeat(np.arange(places), crimes)
    times = rng.uniform(*YEAR, place.size)
    mine = np.isin(place, night)
    day = rng.integers(0, 365, mine.sum())
    hour = (22 + rng.uniform(0, 6, mine.sum())) % 24
    times[mine] = datetime(2024, 1, 1, tzinfo=LONDON).timestamp() + day * 86400 + hour * 3600
    width = rng.uniform(0, window_hours * 3600, place.size)
    start = times - rng.random(place.size) * width
    end = start + width
    counts = aoristic_by_group(start, end, LONDON, place, places)
    area = counts.sum(axis=0)
    whole = whole_hour_counts(start, end, LONDON, place, places, seed=1)
    shares, shrinkage = shrink_profiles(counts, area, whole)
    hours = np.arange(168) % 24
    at_night = (hours >= 22) | (hours < 4)
    night_share = shares[:, at_night].sum(axis=1)
    area_share = area[at_night].sum() / area.sum()
    naive, _ = shrink_profiles(counts, area)  # the fit on fractions
    assert np.median(shrinkage.own[night]) > 0.9
    assert night_share[night].mean() > floor > area_share + 0.1
    assert abs(night_share[12:].mean() - area_share) < 0.02
    print(f"windows up to {window_hours:g} h: night places keep {night_share[night].mean():.2f} "
          f"of their profile at night (area {area_share:.2f}; fitted on fractions "
          f"{naive[night][:, at_night].sum(axis=1).mean():.2f}; truth 1.00)")
