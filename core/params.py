"""Values read from requests, checked before anything uses them (issue 15, item 4): a time
zone displacement PostgreSQL refuses, a year 1 that overflows when moved to UTC, or JSON
nested thousands deep is an InputError (a 400 with a message), never a 500."""

import json
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from .errors import InputError

# Wide enough for any crime record or plan; narrow enough for every conversion to succeed.
MIN_YEAR, MAX_YEAR = 1900, 2200


def datetime_checked(value: datetime, name: str) -> datetime:
    """`value` if it has a UTC offset and lies in the years this product handles."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputError(f"{name} needs its UTC offset (for example Z or +01:00)")
    try:
        in_utc = value.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not (MIN_YEAR <= in_utc.year <= MAX_YEAR):
        raise InputError(f"{name} must be between {MIN_YEAR} and {MAX_YEAR}")
    return value


def datetime_param(text: str, name: str) -> datetime:
    """An ISO 8601 time with its UTC offset."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{name} must be an ISO 8601 time, for example "
                         "2025-03-01T09:00:00Z") from None
    return datetime_checked(value, name)


def date_checked(value: date, name: str) -> date:
    if not (MIN_YEAR <= value.year <= MAX_YEAR):
        raise InputError(f"{name} must be between {MIN_YEAR} and {MAX_YEAR}")
    return value


def date_param(text: str, name: str) -> date:
    """An ISO 8601 date, YYYY-MM-DD."""
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{name} must be a date written YYYY-MM-DD") from None
    return date_checked(value, name)


# No request here nests deeper than a few levels; 32 leaves room.
MAX_JSON_DEPTH = 32
_QUOTE, _BACKSLASH = ord('"'), ord("\\")
# +1 for an opening bracket, -1 for a closing one, 0 for any other byte.
_STEP = np.zeros(256, dtype=np.int8)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1
_MATTERS = (_STEP != 0) | (np.arange(256) == _QUOTE) | (np.arange(256) == _BACKSLASH)


def json_depth(text: str | bytes) -> int:
    """How deeply a JSON text nests, read from its bytes before any parsing, in one
    vectorised pass over the bytes that matter (brackets, quotes, backslashes). Python's
    decoder recurses once per level and fails with RecursionError near 1,000 levels.

    A quote opens or closes a string unless an odd number of backslashes runs just before
    it; brackets inside strings are text. UTF-8 never puts these ASCII bytes inside another
    character, so bytes are read directly. (A regular expression for strings backtracked
    quadratically on an unterminated one: 32 KB took 5 s.)"""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    b = np.frombuffer(data, dtype=np.uint8)
    at = np.flatnonzero(_MATTERS[b])
    if at.size == 0:
        return 0
    c = b[at]
    backslash = c == _BACKSLASH
    # Backslashes that touch (consecutive positions) form a run; a quote is escaped when
    # the run that ends just before it is odd.
    k = np.arange(at.size)
    run_start = np.maximum.accumulate(np.where(
        backslash & np.concatenate(([True], (at[1:] != at[:-1] + 1) | ~backslash[:-1])),
        k, -1))
    run_len = np.where(backslash, k - run_start + 1, 0)
    before = np.zeros(at.size, dtype=np.int64)
    touching = np.concatenate(([False], at[1:] == at[:-1] + 1))
    before[1:] = np.where(touching[1:], run_len[:-1], 0)
    quote = (c == _QUOTE) & (before % 2 == 0)
    in_string = (np.cumsum(quote) - quote) % 2 == 1
    steps = np.where(in_string | quote, 0, _STEP[c]).astype(np.int64)
    return int(max(np.cumsum(steps).max(), 0))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def json_loads(text: str | bytes, *, name: str = "the body", strict: bool = True,
               say_where: bool = True) -> Any:
    """Parse JSON that a request sent; too deep, not JSON or (strict) NaN is an InputError,
    which says where the JSON goes wrong unless `say_where` is False."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{name} is not UTF-8 text") from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise InputError(f"{name} is nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        return json.loads(text, parse_constant=_no_constant if strict else None)
    except ValueError as exc:
        raise InputError(f"{name} is not valid JSON: {exc}" if say_where
                         else f"{name} is not JSON") from None


def whole_number(raw: object, *, digits: int = 18) -> int | None:
    """A whole number typed in a query string or a form (an id, a version, a count): ASCII
    digits only, at most `digits` of them, else None. str.isdigit() alone also takes "²",
    which int() refuses, and 20 digits overflow the database's bigint."""
    text = str(raw if raw is not None else "").strip()
    if text.isascii() and text.isdigit() and len(text) <= digits:
        return int(text)
    return None
