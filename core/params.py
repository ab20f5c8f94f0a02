"""Values read from requests, checked before anything uses them (issue 15, item 4): a time
zone displacement PostgreSQL refuses, a year 1 that overflows when moved to UTC, or JSON
nested thousands deep is an InputError (a 400 with a message), never a 500."""

import json
import re
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
# A JSON string (with its escapes), which may hold brackets that are only text.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth(text: str) -> int:
    """How deeply a JSON text nests, read from its brackets before any parsing (vectorised:
    a 1 MiB body takes milliseconds). Python's decoder recurses once per level and fails
    with RecursionError near 1,000 levels."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub('""', text))
    if not brackets:
        return 0
    codes = np.frombuffer(brackets.encode("ascii"), dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps).max())


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
