"""The rota generator: which hot spots to visit in which shift, and when (pure NumPy).

Visits go where harm falls in each shift's hours (from the hot spots' hour-of-week
profiles), one at a time to the (hot spot, shift) pair with the most harm per visit already
given, so a shift's patrol minutes spread over its hot spots in proportion to their harm
instead of piling onto the top one. Caps keep any place from being over-policed. Each
visit takes its own length (a trial arm's, or the default) from one team's minutes, so no
team's capacity is ever exceeded. Times are random (seeded, so a plan can be reproduced),
weighted towards the hours of the shift when the place's harm falls; every visit ends
inside its shift, and visits to one place keep the minimum gap across shifts that touch
or overlap, not only inside one.
"""

import heapq
from dataclasses import dataclass, field

import numpy as np

from core.errors import InputError

WEEK_HOURS = 168


class GeneratorInputError(InputError):
    """The request cannot give a sensible rota; the message says why."""


@dataclass(frozen=True)
class Shift:
    """A shift in local wall-clock hours from the start of the week (Monday 00:00)."""

    key: str
    start: float          # hours from Monday 00:00, local time
    hours: float          # length; a night shift runs past midnight (and past Sunday)
    capacity_minutes: float
    # Each team's minutes, when teams share the shift: a visit is one team's. Empty: one
    # team with all of capacity_minutes.
    teams: tuple[float, ...] = ()

    def bins(self) -> list[float]:
        return list(self.teams) if self.teams else [self.capacity_minutes]


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
    team: int = 0               # index into the shift's teams
    minutes: int = 15           # how long it lasts


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
        # 25: a 24-hour shift over the October night the clocks go back lasts 25 real hours.
        if not 0 < s.hours <= 25:
            raise GeneratorInputError(f"shift {s.key} lasts {s.hours:g} h; a shift is over 0 "
                                      "and at most 24 hours (25 the night the clocks go back)")
        start, end = s.start, s.start + s.hours
        for offset in (0.0, float(WEEK_HOURS)):  # a Sunday night shift runs into Monday
            lo = np.clip(start - offset - hours, 0.0, 1.0)
            hi = np.clip(end - offset - hours, 0.0, 1.0)
            cover[:, j] += hi - lo
    return cover


# How strongly a visit's time follows the place's harm inside a shift: its weight for a
# minute is FOLLOW * (harm then / the shift's mean harm) + (1 - FOLLOW), so an hour with no
# harm keeps half the average chance and the time stays unpredictable.
FOLLOW = 0.5


def _minute_weights(profile: np.ndarray, shift: Shift, latest: int) -> np.ndarray:
    """A weight for each start minute 0..latest of a shift, from the place's hourly harm."""
    minutes = np.arange(latest + 1)
    hour = np.floor(shift.start + minutes / 60.0).astype(np.int64) % WEEK_HOURS
    harm = profile[hour]
    mean = float(harm.mean()) if harm.size else 0.0
    if mean <= 0:
        return np.ones(minutes.size)
    return FOLLOW * harm / mean + (1.0 - FOLLOW)


def _packed(allowed: np.ndarray, step: float, k: int) -> list[float]:
    """The earliest k start minutes among `allowed` at least `step` apart: how many can fit
    at all, packed to the left."""
    out: list[float] = []
    free = np.flatnonzero(allowed)
    while free.size and len(out) < k:
        out.append(float(free[0]))
        free = free[free >= free[0] + step]
    return out


def _draw_times(rng: np.random.Generator, k: int, shift: Shift, visit: int, gap: int,
                weights: np.ndarray, placed: list[tuple[float, int]]) -> list[float]:
    """As many as possible, up to k, start minutes in a shift, drawn from `weights` among
    the minutes that keep the gap (start to start, at least the longer visit) from each
    other and from every visit already placed at the place (`placed`: absolute
    week-minutes and lengths, from any shift)."""
    latest = int(np.floor(shift.hours * 60 - visit))
    if latest < 0:
        return []
    origin = shift.start * 60.0
    minute = np.arange(latest + 1, dtype=float)
    allowed = np.ones(minute.size, dtype=bool)
    for at, length in placed:
        allowed &= np.abs(origin + minute - at) >= max(gap, visit, length)
    step = max(gap, visit)
    fits = _packed(allowed, step, k)
    # Draw one visit at a time; a draw that leaves no room for the rest is drawn again (a
    # short shift holds two visits an hour apart only near its ends).
    for _ in range(200):
        left, chosen = allowed.copy(), list[float]()
        while len(chosen) < len(fits) and left.any():
            p = np.where(left, weights, 0.0)
            t = float(rng.choice(minute.size, p=p / p.sum()))
            chosen.append(t)
            left &= np.abs(minute - t) >= step
        if len(chosen) == len(fits):
            return sorted(chosen)
    return fits


def _checked(profiles: np.ndarray, shifts: list[Shift], rules: Rules,
             visit_minutes: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The harm profiles and each hot spot's visit length, once both make sense."""
    rules.check()
    harm = np.asarray(profiles, dtype=float)
    if harm.ndim != 2 or harm.shape[1] != WEEK_HOURS:
        raise GeneratorInputError("each hot spot needs a 168-hour profile")
    if not np.isfinite(harm).all() or (harm < 0).any():
        raise GeneratorInputError("harm profiles must be finite and not negative")
    keys = [s.key for s in shifts]
    if len(set(keys)) != len(keys):
        raise GeneratorInputError("two shifts share a key")
    length = (np.full(harm.shape[0], rules.visit_minutes, dtype=np.int64)
              if visit_minutes is None else np.asarray(visit_minutes, dtype=np.int64))
    if length.shape != (harm.shape[0],) or (length < 5).any() or (length > 60).any():
        raise GeneratorInputError("each hot spot's visit lasts 5 to 60 minutes")
    return harm, length


def _allocate(in_shift: np.ndarray, bins: list[list[float]], length: np.ndarray,
              rules: Rules) -> tuple[np.ndarray, dict[tuple[int, int], list[int]]]:
    """How many visits each hot spot gets in each shift, and which team makes each: the
    highest harm per visit first (a place's next visit in a shift is worth its harm over
    the visits it already has), ties broken by hot spot then shift, for reproducibility.
    `bins` (minutes left per team per shift) is spent in place."""
    spots, n_shifts = in_shift.shape
    given = np.zeros(in_shift.shape, dtype=np.int64)
    team_of: dict[tuple[int, int], list[int]] = {}
    per_week = np.zeros(spots, dtype=np.int64)
    heap = [(-in_shift[h, j], h, j) for h in range(spots) for j in range(n_shifts)
            if in_shift[h, j] > 0 and max(bins[j], default=0) >= length[h]]
    heapq.heapify(heap)
    while heap:
        _, h, j = heapq.heappop(heap)
        if per_week[h] >= rules.max_visits_per_week:
            continue
        # The team with the most minutes left that can take the whole visit.
        fits = [t for t, left in enumerate(bins[j]) if left >= length[h]]
        if not fits:
            continue
        team = max(fits, key=lambda t: (bins[j][t], -t))
        bins[j][team] -= float(length[h])
        given[h, j] += 1
        team_of.setdefault((h, j), []).append(team)
        per_week[h] += 1
        if given[h, j] < rules.max_visits_per_shift:
            heapq.heappush(heap, (-in_shift[h, j] / (given[h, j] + 1), h, j))
    return given, team_of


_FRACTIONS = {2: "half", 3: "a third", 4: "a quarter", 5: "a fifth", 6: "a sixth",
              7: "a seventh", 8: "an eighth", 9: "a ninth", 10: "a tenth"}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def plain_why(share: float, rank: int, of: int, hours: float | None = None) -> str:
    """Why a visit is where and when it is, in words an officer reads at a glance: how much
    of the place's week of harm falls in the shift's hours, and how it stands among the hot
    spots in that shift (the analyst's percentages and ranks stay in the exports). With the
    shift's `hours`, a share no more than a quarter above the hours' own share of the week
    (crime spread evenly, or records with no time of day, as police.uk's) says so instead of
    "about 1 in 21" of harm that merely falls in 8 of 168 hours."""
    if hours is not None and 0 < share < 1.25 * hours / 168 and share < 0.6:
        part = "Harm from crime here is spread through the week, not gathered in these hours"
    elif share >= 0.995:
        part = "All the week's harm from crime here falls in these hours"
    elif share >= 0.9:
        part = "Nearly all the week's harm from crime here falls in these hours"
    elif share >= 0.6:
        part = "Most of the week's harm from crime here falls in these hours"
    elif share >= 0.05:
        # Rounded to the nearest simple fraction: "about a fifth", then "about 1 in 14".
        n = max(2, round(1 / share))
        words = _FRACTIONS.get(n, f"1 in {n}")
        part = f"About {words} of the week's harm from crime here falls in these hours"
    else:
        part = "Little of the week's harm from crime here falls in these hours"
    if of == 1:
        return f"{part}; it is the only hot spot in this shift"
    if rank == 1:
        return f"{part}; it is the busiest of {of} hot spots in this shift"
    return f"{part}; it is the {_ordinal(rank)} busiest of {of} hot spots in this shift"


def _place(rota: Rota, harm: np.ndarray, in_shift: np.ndarray, shifts: list[Shift],
           given: np.ndarray, team_of: dict[tuple[int, int], list[int]], length: np.ndarray,
           rules: Rules, labels: list[str] | None) -> None:
    """Draw each allocated visit's time in its shift, weighted by harm and kept apart."""
    rng = np.random.default_rng(rules.seed)
    weekly = harm.sum(axis=1)
    placed: dict[int, list[tuple[float, int]]] = {}   # per place: (week-minute, length)
    ranks = {}
    for j in range(len(shifts)):
        rank = np.argsort(-in_shift[:, j], kind="stable")
        ranks[j] = {int(spot): i + 1 for i, spot in enumerate(rank)}
    # Shifts in time order, so each place's earlier visits are known when its later ones
    # are drawn, in a shift before, after, or overlapping.
    for j in sorted(range(len(shifts)), key=lambda i: (shifts[i].start, i)):
        s = shifts[j]
        for h in (int(spot) for spot in np.flatnonzero(given[:, j])):
            k, v = int(given[h, j]), int(length[h])
            weights = _minute_weights(harm[h], s, int(np.floor(s.hours * 60 - v)))
            times = _draw_times(rng, k, s, v, rules.min_gap_minutes, weights,
                                placed.get(h, []))
            if len(times) < k:
                name = labels[h] if labels else h
                rota.warnings.append(
                    f"shift {s.key}: hot spot {name} gets {len(times)} visit(s), not {k}, to "
                    f"keep {rules.min_gap_minutes} minutes between them")
            share = in_shift[h, j] / weekly[h] if weekly[h] > 0 else 0.0
            why = plain_why(share, ranks[j][h], harm.shape[0], s.hours)
            teams = team_of[(h, j)]
            for t, team in zip(times, teams, strict=False):
                rota.visits.append(Visit(h, s.key, round(t, 1), why, team, v))
                placed.setdefault(h, []).append((s.start * 60.0 + t, v))


def generate(*, profiles: np.ndarray, shifts: list[Shift], rules: Rules,
             labels: list[str] | None = None,
             visit_minutes: np.ndarray | None = None) -> Rota:
    """A week's visits for hot spots with hour-of-week harm `profiles` (hot spots x 168);
    `labels` name the hot spots in warnings (their index otherwise); `visit_minutes` gives a
    hot spot its own visit length (a trial arm's), rules.visit_minutes otherwise."""
    harm, length = _checked(profiles, shifts, rules, visit_minutes)
    rota = Rota(seed=rules.seed)
    if harm.shape[0] == 0 or not shifts:
        return rota
    in_shift = harm @ shift_coverage(shifts)            # hot spots x shifts
    bins = [s.bins() for s in shifts]
    for s, b in zip(shifts, bins, strict=True):
        if max(b, default=0) < length.min():
            rota.warnings.append(f"shift {s.key} has no capacity: no visits planned")
    given, team_of = _allocate(in_shift, bins, length, rules)
    _place(rota, harm, in_shift, shifts, given, team_of, length, rules, labels)
    return rota


def week_shifts(patterns: list[tuple[str, float, float, float]]) -> list[Shift]:
    """Seven days of each daily pattern (name, start hour, hours, capacity minutes)."""
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return [Shift(f"{day} {name}", d * 24 + start, hours, capacity)
            for d, day in enumerate(days) for name, start, hours, capacity in patterns]
