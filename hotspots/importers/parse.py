"""Turning one row's text into checked values. Every failure is a RowReject with a reason."""

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


class RowReject(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def parse_projected(raw: str, name: str) -> float:
    """A finite number: an x or y in a projected CRS."""
    text = raw.strip()
    if not text:
        raise RowReject("no coordinates", f"{name} is empty")
    try:
        value = float(text)
    except ValueError:
        raise RowReject("coordinate not a number", f"{name} {raw!r}") from None
    if not math.isfinite(value):
        raise RowReject("coordinate not a number", f"{name} {raw!r}")
    return value


def parse_coordinate(raw: str, name: str, low: float, high: float) -> float:
    """A longitude or latitude: a finite number within its range."""
    value = parse_projected(raw, name)
    if not low <= value <= high:
        raise RowReject("coordinate out of range", f"{name} {raw!r} not in [{low:g}, {high:g}]")
    return value


_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_DAY = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_UK_DAY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_UK_STAMP = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime
    start_text: str  # ISO 8601 with offset, ready for COPY
    end_text: str


class DateParser:
    """Parses dates and times in the source's local time zone into UTC windows.

    A month ("2024-03") covers the whole month, a day the whole day, a time is an instant.
    Results are cached per distinct text: police.uk files repeat one month on every row.
    The cache is cleared when large so memory stays flat however long the file.
    """

    CACHE_LIMIT = 200_000

    PRECISIONS = ("auto", "month", "day")

    def __init__(self, tz: ZoneInfo, date_format: str | None = None,
                 precision: str = "auto") -> None:
        if precision not in self.PRECISIONS:
            raise ValueError(f"date precision must be one of {', '.join(self.PRECISIONS)}")
        self.tz = tz
        self.date_format = date_format
        # "month": the source only knows the month (police.uk), whatever day it writes.
        self.precision = precision
        self.latest = datetime.now(UTC) + timedelta(days=1)
        self.earliest = datetime(1900, 1, 1, tzinfo=UTC)
        self._cache: dict[str, Window | str] = {}

    def window(self, raw: str) -> Window:
        cached = self._cache.get(raw)
        if cached is None:
            if len(self._cache) >= self.CACHE_LIMIT:
                self._cache.clear()
            try:
                start, end = self._parse(raw)
                if self.precision == "month":
                    start, end = self._month_of(start)
                elif self.precision == "day":
                    start, end = self._day_of(start)
                cached = Window(start, end, start.isoformat(), end.isoformat())
            except RowReject as reject:
                cached = reject.detail
            self._cache[raw] = cached
        if isinstance(cached, str):
            raise RowReject("unknown date", cached)
        return cached

    def _month_of(self, at: datetime) -> tuple[datetime, datetime]:
        local = at.astimezone(self.tz)
        start = datetime(local.year, local.month, 1)
        nxt = datetime(local.year + (local.month == 12), local.month % 12 + 1, 1)
        return self._local(start), self._local(nxt)

    def _day_of(self, at: datetime) -> tuple[datetime, datetime]:
        local = at.astimezone(self.tz)
        day = datetime(local.year, local.month, local.day)
        return self._local(day), self._local(day + timedelta(days=1))

    def _local(self, naive: datetime) -> datetime:
        return naive.replace(tzinfo=self.tz).astimezone(UTC)

    def _checked(self, start: datetime, end: datetime, raw: str) -> tuple[datetime, datetime]:
        if start < self.earliest:
            raise RowReject("unknown date", f"{raw!r} is before 1900")
        if start > self.latest:
            raise RowReject("unknown date", f"{raw!r} is in the future")
        return start, end

    def _parse(self, raw: str) -> tuple[datetime, datetime]:
        text = raw.strip()
        if not text:
            raise RowReject("unknown date", "date is empty")
        try:
            if self.date_format:
                naive = datetime.strptime(text, self.date_format)
                at = self._local(naive)
                return self._checked(at, at, raw)
            m = _MONTH.match(text)
            if m:
                year, month = int(m.group(1)), int(m.group(2))
                start = datetime(year, month, 1)
                nxt = datetime(year + (month == 12), month % 12 + 1, 1)
                return self._checked(self._local(start), self._local(nxt), raw)
            m = _DAY.match(text)
            if m:
                day = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                return self._checked(self._local(day), self._local(day + timedelta(days=1)), raw)
            m = _UK_DAY.match(text)
            if m:
                day = datetime(int(m.group(3)), int(m.group(2)), int(m.group(1)))
                return self._checked(self._local(day), self._local(day + timedelta(days=1)), raw)
            m = _UK_STAMP.match(text)
            if m:
                naive = datetime(int(m.group(3)), int(m.group(2)), int(m.group(1)),
                                 int(m.group(4)), int(m.group(5)), int(m.group(6) or 0))
                at = self._local(naive)
                return self._checked(at, at, raw)
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise RowReject("unknown date", f"{raw!r} is not a date") from None
        at = parsed.astimezone(UTC) if parsed.tzinfo else self._local(parsed)
        return self._checked(at, at, raw)

