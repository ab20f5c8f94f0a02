"""When in the week harm happens: aoristic hour-of-week profiles (Ratcliffe 2002).

A crime known only to have happened between `from` and `to` adds to each of the 168 hours
of the week a share proportional to the overlap of that hour with its window; each crime
adds its weight (1, or its harm) in total. An instant (from == to) adds all to its hour.
Hours are local wall-clock hours counted from a Monday 00:00, so a shift at 22:00 is 22:00
on both sides of a clock change.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from scipy import special

WEEK = 168
# 1 January 2001 was a Monday: local hours are counted from its midnight.
EPOCH = datetime(2001, 1, 1)


# An hour is a peak when it has half as much harm again as the week's average hour:
# month-only dates (police.uk) spread each crime over every hour, and the busiest of
# near-equal hours would be noise. The Hot spots page and the briefings both use it.
PEAK_FACTOR = 1.5


def peak_floor(profile: np.ndarray) -> float:
    """The least harm an hour of this hour-of-week profile needs to count as a peak."""
    return PEAK_FACTOR * float(np.asarray(profile, dtype=float).mean())


def local_week_hours(utc_seconds: np.ndarray, tz: ZoneInfo) -> np.ndarray:
    """Local wall-clock hours since Monday 1 January 2001 00:00 for UTC epoch seconds."""
    t = np.asarray(utc_seconds, dtype=float)
    if t.size == 0:
        return t
    # UTC offsets change only on the hour in practice: tabulate one per UTC hour in range.
    first = int(np.floor(t.min() / 3600)) - 1
    last = int(np.floor(t.max() / 3600)) + 1
    offsets = np.array([
        (datetime.fromtimestamp(h * 3600, UTC).astimezone(tz).utcoffset()
         or timedelta(0)).total_seconds()
        for h in range(first, last + 1)
    ])
    local = t + offsets[(np.floor(t / 3600) - first).astype(np.int64)]
    epoch = EPOCH.replace(tzinfo=UTC).timestamp()
    return (local - epoch) / 3600.0


def _in_week(group: np.ndarray, rem: np.ndarray, v: np.ndarray, groups: int) -> np.ndarray:
    """sum over items of v * (hours of each hour-of-week bin covered from the start of the
    week up to `rem` hours into it), per group: shape (groups, 168). Every bin before the
    item's hour counts whole and the bin it is in in part; summed with bincounts and a
    cumulative sum, so the cost is linear in the items (an items x 168 matrix was 4 s of a
    1,000,000-crime run)."""
    k = np.clip(np.floor(rem), 0, WEEK - 1).astype(np.int64)
    base = group * WEEK + k
    size = groups * WEEK
    at = np.bincount(base, weights=v, minlength=size).reshape(groups, WEEK)
    part = np.bincount(base, weights=v * (rem - k), minlength=size).reshape(groups, WEEK)
    before = at.sum(axis=1, keepdims=True) - np.cumsum(at, axis=1)  # items past each bin
    return before + part


def hour_of_week(start: np.ndarray, end: np.ndarray,
                 weights: np.ndarray | None = None) -> np.ndarray:
    """The aoristic profile of all crimes: 168 values summing to the total weight."""
    return hour_of_week_by_group(start, end, np.zeros(np.size(start), dtype=np.int64), 1,
                                 weights)[0]


def hour_of_week_by_group(start: np.ndarray, end: np.ndarray, group: np.ndarray,
                          groups: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Profiles per group (a cell, a hot spot): shape (groups, 168). Group -1 is skipped."""
    a = np.asarray(start, dtype=float)
    b = np.maximum(np.asarray(end, dtype=float), a)
    g = np.asarray(group, dtype=np.int64)
    w = np.ones(a.size) if weights is None else np.asarray(weights, dtype=float)
    keep = g >= 0
    a, b, g, w = a[keep], b[keep], g[keep], w[keep]
    out = np.zeros((groups, WEEK))
    span = b - a
    window = span > 0
    if window.any():
        # A window spreads its weight evenly over its hours: per hour w / span.
        # Hours of bin h in [a, b) = whole weeks between them + in-week part up to b - the
        # in-week part up to a; weeks are differenced per window before summing, so large
        # absolute times never cancel in a sum.
        c, gw = w[window] / span[window], g[window]
        wa, wb = np.floor(a[window] / WEEK), np.floor(b[window] / WEEK)
        out += np.bincount(gw, weights=c * (wb - wa), minlength=groups)[:, None]
        out += _in_week(gw, b[window] - wb * WEEK, c, groups)
        out -= _in_week(gw, a[window] - wa * WEEK, c, groups)
    instant = ~window
    if instant.any():
        bins = np.clip(np.floor(np.mod(a[instant], WEEK)), 0, WEEK - 1).astype(np.int64)
        out += np.bincount(g[instant] * WEEK + bins, weights=w[instant],
                           minlength=groups * WEEK).reshape(groups, WEEK)
    return out


def _offsets_by_hour(utc_seconds: np.ndarray, tz: ZoneInfo) -> tuple[int, np.ndarray]:
    """The zone's UTC offset (seconds) for each UTC hour from the first to the last instant,
    with one hour's margin each side: (index of the first hour, offsets)."""
    first = int(np.floor(utc_seconds.min() / 3600)) - 1
    last = int(np.floor(utc_seconds.max() / 3600)) + 1
    return first, np.array([
        (datetime.fromtimestamp(h * 3600, UTC).astimezone(tz).utcoffset()
         or timedelta(0)).total_seconds() for h in range(first, last + 1)])


def aoristic_by_group(utc_start: np.ndarray, utc_end: np.ndarray, tz: ZoneInfo,
                      group: np.ndarray, groups: int,
                      weights: np.ndarray | None = None) -> np.ndarray:
    """Aoristic hour-of-week profiles (groups x 168, local wall-clock hours) for windows
    given in UTC epoch seconds, spread by elapsed time (issue 16).

    A window that crosses a clock change is cut at the change: within each piece local time
    runs with real time, so the hour the spring change skips gets nothing, and the hour the
    autumn change repeats gets both of its real hours. Each piece carries its share of the
    window's real length."""
    a = np.asarray(utc_start, dtype=float)
    b = np.maximum(np.asarray(utc_end, dtype=float), a)
    g = np.asarray(group, dtype=np.int64)
    w = np.ones(a.size) if weights is None else np.asarray(weights, dtype=float)
    if a.size == 0:
        return np.zeros((groups, WEEK))
    first, offsets = _offsets_by_hour(np.concatenate([a, b]), tz)
    changes = np.flatnonzero(np.diff(offsets) != 0) + 1           # hour indices
    cuts = (first + changes).astype(float) * 3600.0                 # UTC instants of changes
    # How many changes fall strictly inside each window: most windows have none.
    inside = np.searchsorted(cuts, b, side="left") - np.searchsorted(cuts, a, side="right")
    pieces = inside + 1
    crime = np.repeat(np.arange(a.size), pieces)
    k = np.arange(crime.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)  # piece number
    if cuts.size:
        # Piece k of a window runs from its k-th boundary to the next: the window's start,
        # the changes inside it, then its end.
        first_cut = np.searchsorted(cuts, a, side="right")[crime]
        lo = np.where(k == 0, a[crime],
                      cuts[np.clip(first_cut + k - 1, 0, cuts.size - 1)])
        hi = np.where(k == inside[crime], b[crime],
                      cuts[np.clip(first_cut + k, 0, cuts.size - 1)])
    else:
        lo, hi = a[crime], b[crime]
    span = b[crime] - a[crime]
    share = np.where(span > 0, (hi - lo) / np.where(span > 0, span, 1.0), 1.0)
    offset = offsets[(np.floor(lo / 3600) - first).astype(np.int64)]
    epoch = EPOCH.replace(tzinfo=UTC).timestamp()
    local_lo = (lo + offset - epoch) / 3600.0
    local_hi = (hi + offset - epoch) / 3600.0
    return hour_of_week_by_group(local_lo, local_hi, g[crime], groups, w[crime] * share)


def whole_hour_counts(utc_start: np.ndarray, utc_end: np.ndarray, tz: ZoneInfo,
                      group: np.ndarray, groups: int, seed: int = 0) -> np.ndarray:
    """Each crime counted whole in one local hour of the week, at an instant drawn uniformly
    in its window (seeded, so a run can be repeated): the counts shrink_profiles fits on."""
    a = np.asarray(utc_start, dtype=float)
    b = np.maximum(np.asarray(utc_end, dtype=float), a)
    at = a + np.random.default_rng(seed).random(a.size) * (b - a)
    return aoristic_by_group(at, at, tz, group, groups)


@dataclass(frozen=True)
class Shrinkage:
    """How place profiles were shrunk towards the area's (shrink_profiles)."""

    concentration: float    # alpha: a place with its own timing ~ Dirichlet(alpha * area)
    prior_own: float        # pi: the share of places whose timing is their own
    own: np.ndarray         # per place: the posterior probability that its timing is its own


def _mixture(fit: np.ndarray, p: np.ndarray) -> tuple[float, float, np.ndarray]:
    """alpha, pi and each place's posterior probability of its own timing, by maximum
    marginal likelihood over a grid of alphas with EM for pi, for whole counts `fit`
    (places x bins) against the area's shares `p`."""
    n = fit.sum(axis=1)
    log_area = fit @ np.log(p)                                   # multinomial, no constant
    alphas = np.geomspace(2.0, 20_000.0, 48)
    a = alphas[:, None, None] * p[None, None, :]
    log_own = (special.gammaln(alphas)[:, None] - special.gammaln(alphas[:, None] + n[None, :])
               + (special.gammaln(a + fit[None, :, :]) - special.gammaln(a)).sum(axis=2))
    best = (-np.inf, alphas[-1], 0.0, np.zeros(fit.shape[0]))
    for i, alpha in enumerate(alphas):
        diff = log_area - log_own[i]                             # log L_area - log L_own
        pi = 0.5
        for _ in range(100):                                     # EM for the mixing share
            own = 1.0 / (1.0 + np.exp(np.clip(diff + np.log((1 - pi) / pi), -700, 700)))
            pi = float(np.clip(own.mean(), 1e-4, 1 - 1e-4))
        own = 1.0 / (1.0 + np.exp(np.clip(diff + np.log((1 - pi) / pi), -700, 700)))
        marginal = float(np.logaddexp(np.log(pi) + log_own[i],
                                      np.log(1 - pi) + log_area).sum())
        if marginal > best[0]:
            best = (marginal, float(alpha), pi, own)
    return best[1], best[2], best[3]


def shrink_profiles(counts: np.ndarray, area: np.ndarray,
                    whole: np.ndarray | None = None) -> tuple[np.ndarray, Shrinkage]:
    """Each place's share of its crimes by hour of the week, shrunk towards the area's by how
    much its own crimes say (empirical Bayes; issue 16, docs/adr/0012).

    A hot spot with 25 crimes a year spread over 168 hours is mostly noise: two years of the
    same flat timing gave visit allocations correlated at -0.03. So a place's own timing is
    its hour of the day (24 bins, where 25 crimes can say something), and its day of the
    week is the area's. The model: a place either keeps the area's hour-of-day timing, or
    has its own drawn from Dirichlet(alpha * area's). alpha and the prior share pi of
    places with their own timing are fitted to all places by maximum marginal likelihood
    (Dirichlet-multinomial against multinomial); each place's hour-of-day shares are then
    the posterior mean, and its hour-of-week profile is the area's, each hour scaled by the
    place's hour-of-day share over the area's. `counts`: places x 168 aoristic counts (each
    crime adds 1); `area`: the area's 168 counts. Rows sum to 1.

    `whole`: the same crimes as whole counts, each in one hour of its window (drawn by the
    caller: whole_hour_counts), on which alpha, pi and each place's posterior are fitted.
    The likelihood is of whole crimes: fed a crime as fractions spread over its window, it
    took windows of an hour or more as timing like the area's, and every place took the
    area's timing (an independent review's simulation). The aoristic counts still shape the
    place's own shares. Without `whole`, `counts` is used. On 168 bins, 12 night-only places
    among 60 of 25 crimes kept 0.42 of their profile at night against the area's 0.39."""
    x = np.asarray(counts, dtype=float)
    fit = x if whole is None else np.asarray(whole, dtype=float)
    base = np.asarray(area, dtype=float)
    if x.ndim != 2 or x.shape[1] != WEEK:
        raise ValueError("counts must be places x 168")
    if fit.shape != x.shape:
        raise ValueError("whole counts must be places x 168, as the aoristic ones")
    total = base.sum()
    # The area's timing, with a floor so that no hour is impossible for a place.
    p = (base / total if total > 0 else np.full(WEEK, 1.0 / WEEK)) * 0.999 + 0.001 / WEEK
    if x.shape[0] == 0:
        return np.zeros((0, WEEK)), Shrinkage(0.0, 0.0, np.zeros(0))
    # Hour of the week h is day h // 24, hour h % 24 (weeks start Monday 00:00).
    p24 = p.reshape(7, 24).sum(axis=0)
    x24 = x.reshape(-1, 7, 24).sum(axis=1)
    alpha, pi, own = _mixture(fit.reshape(-1, 7, 24).sum(axis=1), p24)
    own24 = (x24 + alpha * p24) / (x24.sum(axis=1)[:, None] + alpha)
    shares24 = own[:, None] * own24 + (1 - own[:, None]) * p24
    shares = p[None, :] * np.tile(shares24 / p24, 7)
    return shares, Shrinkage(concentration=alpha, prior_own=pi, own=own)


def peak_text(profile: list[float], cover: np.ndarray | None = None) -> str:
    """The four hours with the most harm, in words, next hours joined; with `cover`, only
    hours the shift covers count (an afternoon peak means nothing to the night shift)."""
    values = np.asarray(profile, dtype=float)
    # Peaks as on the Hot spots page.
    floor = peak_floor(values) if len(values) == 168 else 0.0
    if floor <= 0 or float(values.max()) < floor:
        return "no clear peak: harm is spread over the week or times are not precise"
    if cover is not None:
        inside = cover > 0
        if float(values[inside].max(initial=0.0)) < floor:
            return "no clear peak in this shift's hours"
        values = np.where(inside, values, -1.0)
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    top = sorted(int(x) for x in np.argsort(-values, kind="stable")[:4] if values[x] >= floor)
    runs: list[list[int]] = []
    for h in top:
        if runs and h == runs[-1][-1] + 1:
            runs[-1].append(h)
        else:
            runs.append([h])
    return ", ".join(f"{days[r[0] // 24]} {r[0] % 24:02d}:00-{(r[-1] + 1) % 24:02d}:00"
                     for r in runs)
