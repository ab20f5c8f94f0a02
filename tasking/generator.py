"""The rota generator: which hot spots to visit in which shift, and when (pure NumPy).

Visits go where harm falls in each shift's hours (from the hot spots' hour-of-week
profiles), one at a time to the (hot spot, shift) pair with the most harm per visit already
given, so a shift's patrol minutes spread over its hot spots in proportion to their harm
instead of piling onto the top one. Caps keep any place from being over-policed; capacity
is never exceeded. Times inside a shift are random (seeded, so a plan can be reproduced)
with a minimum gap between visits to the same place.
"""

import heapq
from dataclasses import dataclass, field

import numpy as np

WEEK_HOURS = 168


class GeneratorInputError(ValueError):
    """The request cannot give a sensible rota; the message says why."""


@dataclass(frozen=True)
class Shift:
    """A shift in local wall-clock hours from the start of the week (Monday 00:00)."""

    key: str
    start: float          # hours from Monday 00:00, local time
    hours: float          # length; a night shift runs past midnight (and past Sunday)
    capacity_minutes: float


@dataclass(frozen=True)
class Rules:
    visit_minutes: int = 15           # the Koper curve: 10-15 minutes beats a drive-through
    max_visits_per_shift: int = 3     # Peterborough and Birmingham: three visits a shift
    min_gap_minutes: int = 60         # between visits to the same place
    max_visits_per_week: int = 21     # a hot spot is never tasked more than this
    seed: int = 0

    def check(self) -> None:
        if not 10 <= self.visit_minutes <= 20:
            raise GeneratorInputError("a visit lasts 10 to 20 minutes (15 is the default)")
        if self.max_visits_per_shift < 1 or self.max_visits_per_week < 1:
            raise GeneratorInputError("caps on visits must be at least 1")
        if self.min_gap_minutes < 0:
            raise GeneratorInputError("the gap between visits cannot be negative")


@dataclass(frozen=True)
class Visit:
    hotspot: int                # index into the hot spots given
    shift: str
    start_minute: float         # minutes after the shift starts
    why: str


@dataclass
class Rota:
    visits: list[Visit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seed: int = 0


def shift_coverage(shifts: list[Shift]) -> np.ndarray:
    """How much of each hour of the week each shift covers: shape (168, shifts)."""
    cover = np.zeros((WEEK_HOURS, len(shifts)))
    hours = np.arange(WEEK_HOURS)
    for j, s in enumerate(shifts):
        if not 0 < s.hours <= 24:
            raise GeneratorInputError(f"shift {s.key} lasts {s.hours:g} h; a shift is over 0 "
                                      "and at most 24 hours")
        start, end = s.start, s.start + s.hours
        for offset in (0.0, float(WEEK_HOURS)):  # a Sunday night shift runs into Monday
            lo = np.clip(start - offset - hours, 0.0, 1.0)
            hi = np.clip(end - offset - hours, 0.0, 1.0)
            cover[:, j] += hi - lo
    return cover


def _spread_times(rng: np.random.Generator, k: int, shift_minutes: float, visit: int,
                  gap: int) -> np.ndarray | None:
    """k random start minutes in a shift, each visit finished within it, at least `gap`
    apart (start to start): uniform points on the slack, then the gaps added back."""
    step = max(gap, visit)
    slack = shift_minutes - visit - (k - 1) * step
    if slack < 0:
        return None
    return np.sort(rng.uniform(0.0, slack, k)) + np.arange(k) * step


def generate(*, profiles: np.ndarray, shifts: list[Shift], rules: Rules,
             labels: list[str] | None = None) -> Rota:
    """A week's visits for hot spots with hour-of-week harm `profiles` (hot spots x 168);
    `labels` name the hot spots in warnings (their index otherwise)."""
    rules.check()
    harm = np.asarray(profiles, dtype=float)
    if harm.ndim != 2 or harm.shape[1] != WEEK_HOURS:
        raise GeneratorInputError("each hot spot needs a 168-hour profile")
    if not np.isfinite(harm).all() or (harm < 0).any():
        raise GeneratorInputError("harm profiles must be finite and not negative")
    keys = [s.key for s in shifts]
    if len(set(keys)) != len(keys):
        raise GeneratorInputError("two shifts share a key")
    rota = Rota(seed=rules.seed)
    if harm.shape[0] == 0 or not shifts:
        return rota
    in_shift = harm @ shift_coverage(shifts)            # hot spots x shifts
    weekly = harm.sum(axis=1)
    slots = [int(s.capacity_minutes // rules.visit_minutes) for s in shifts]
    for s, n in zip(shifts, slots, strict=True):
        if n <= 0:
            rota.warnings.append(f"shift {s.key} has no capacity: no visits planned")
    given = np.zeros(in_shift.shape, dtype=np.int64)
    per_week = np.zeros(harm.shape[0], dtype=np.int64)
    # Highest harm per visit first; ties broken by hot spot then shift, for reproducibility.
    heap = [(-in_shift[h, j], h, j) for h in range(harm.shape[0]) for j in range(len(shifts))
            if in_shift[h, j] > 0 and slots[j] > 0]
    heapq.heapify(heap)
    while heap:
        _, h, j = heapq.heappop(heap)
        if slots[j] <= 0 or per_week[h] >= rules.max_visits_per_week:
            continue
        given[h, j] += 1
        per_week[h] += 1
        slots[j] -= 1
        if given[h, j] < rules.max_visits_per_shift:
            heapq.heappush(heap, (-in_shift[h, j] / (given[h, j] + 1), h, j))
    rng = np.random.default_rng(rules.seed)
    for j, s in enumerate(shifts):
        rank = np.argsort(-in_shift[:, j], kind="stable")
        place = {int(spot): i + 1 for i, spot in enumerate(rank)}
        for h in (int(spot) for spot in np.flatnonzero(given[:, j])):
            k = int(given[h, j])
            times = _spread_times(rng, k, s.hours * 60, rules.visit_minutes,
                                  rules.min_gap_minutes)
            while times is None and k > 1:  # a short shift cannot hold them all with gaps
                k -= 1
                times = _spread_times(rng, k, s.hours * 60, rules.visit_minutes,
                                      rules.min_gap_minutes)
            if k < given[h, j]:
                name = labels[h] if labels else h
                rota.warnings.append(
                    f"shift {s.key}: hot spot {name} gets {k} visit(s), not {given[h, j]}, to keep "
                    f"{rules.min_gap_minutes} minutes between them")
            if times is None:
                continue
            share = in_shift[h, j] / weekly[h] if weekly[h] > 0 else 0.0
            why = (f"{share:.0%} of this hot spot's weekly harm falls in these hours; "
                   f"it ranks {place[h]} of {harm.shape[0]} in this shift")
            rota.visits.extend(Visit(h, s.key, round(float(t), 1), why) for t in times)
    return rota


def week_shifts(patterns: list[tuple[str, float, float, float]]) -> list[Shift]:
    """Seven days of each daily pattern (name, start hour, hours, capacity minutes)."""
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return [Shift(f"{day} {name}", d * 24 + start, hours, capacity)
            for d, day in enumerate(days) for name, start, hours, capacity in patterns]
