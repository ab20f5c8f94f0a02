"""When in the week harm happens: aoristic hour-of-week profiles (Ratcliffe 2002).

A crime known only to have happened between `from` and `to` adds to each of the 168 hours
of the week a share proportional to the overlap of that hour with its window; each crime
adds its weight (1, or its harm) in total. An instant (from == to) adds all to its hour.
Hours are local wall-clock hours counted from a Monday 00:00, so a shift at 22:00 is 22:00
on both sides of a clock change.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from scipy import sparse

WEEK = 168
CHUNK = 50_000  # crimes per block: 50,000 x 168 floats is 67 MB
# 1 January 2001 was a Monday: local hours are counted from its midnight.
EPOCH = datetime(2001, 1, 1)


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


def _coverage(t: np.ndarray) -> np.ndarray:
    """Hours of each hour-of-week bin covered from the origin up to t: shape (len(t), 168)."""
    weeks = np.floor(t / WEEK)
    rem = t - weeks * WEEK
    return weeks[:, None] + np.clip(rem[:, None] - np.arange(WEEK)[None, :], 0.0, 1.0)


def _shares(start: np.ndarray, end: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each crime's weight spread over the 168 bins: shape (len(start), 168)."""
    span = end - start
    out = np.zeros((start.size, WEEK))
    window = span > 0
    if window.any():
        overlap = _coverage(end[window]) - _coverage(start[window])
        out[window] = overlap * (weights[window] / span[window])[:, None]
    instant = ~window
    if instant.any():
        bins = np.floor(np.mod(start[instant], WEEK)).astype(np.int64)
        out[np.flatnonzero(instant), bins] = weights[instant]
    return out


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
    out = np.zeros((groups, WEEK))
    for lo in range(0, a.size, CHUNK):
        sl = slice(lo, lo + CHUNK)
        keep = g[sl] >= 0
        if not keep.any():
            continue
        shares = _shares(a[sl][keep], b[sl][keep], w[sl][keep])
        rows = g[sl][keep]
        onehot = sparse.csr_matrix((np.ones(rows.size), (rows, np.arange(rows.size))),
                                   shape=(groups, rows.size))
        out += onehot @ shares
    return out
