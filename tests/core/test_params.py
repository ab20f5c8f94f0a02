"""Request values checked before use (core/params.py): JSON nesting read from the bytes, and
dates and times kept to the years the product handles."""

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InputError
from core.params import date_param, datetime_param, json_depth, json_loads


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


# Strings full of the characters the scan must not be fooled by.
TRICKY = st.text(alphabet='[]{}"\\ax', max_size=8)
JSON = st.recursive(st.none() | st.integers() | TRICKY,
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(TRICKY, inner, max_size=3), max_leaves=25)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(JSON)
def test_the_depth_read_from_the_bytes_is_the_real_depth(value):
    assert json_depth(json.dumps(value)) == _depth(value)
    assert json_depth(json.dumps(value, ensure_ascii=False).encode()) == _depth(value)


@pytest.mark.parametrize(("text", "depth"), [
    ('{"a": "[[[[", "b": [1, {"c": [2]}]}', 4), ('"x"', 0), ("", 0), ("[]", 1),
    ('["\\\\", [1]]', 2), ('["a\\\\\\"]", [[1]]]', 3), ("[" * 3000 + "]" * 3000, 3000),
])
def test_depths_of_known_texts(text, depth):
    assert json_depth(text) == depth


def test_an_unterminated_string_of_escaped_quotes_is_read_once_through():
    """The reviewer's body: '"' followed by a million escaped quotes. A regular expression
    took 5 s for 32 KB of it and held a web worker past its timeout at 1 MB."""
    body = '"' + '\\"' * 1_000_000
    assert json_depth(body) == 0
    with pytest.raises(InputError, match="the body is not valid JSON"):
        json_loads(body)


def test_too_deep_is_refused_before_the_decoder_sees_it():
    with pytest.raises(InputError, match="nested more than 32 levels deep"):
        json_loads("[" * 33 + "]" * 33)
    assert json_loads("[" * 32 + "]" * 32) == json.loads("[" * 32 + "]" * 32)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00-23:59", "9999-12-31T23:59:59+23:59",
                                  "1899-12-31T23:00:00Z", "2201-01-01T00:00:00Z"])
def test_times_outside_the_years_handled_are_refused(text):
    with pytest.raises(InputError, match="between 1900 and 2200"):
        datetime_param(text, "from")


def test_a_time_needs_its_offset_and_a_date_its_form():
    with pytest.raises(InputError, match="needs its UTC offset"):
        datetime_param("2025-03-01T09:00:00", "from")
    assert datetime_param("2025-03-01T09:00:00+01:00", "from") == datetime(
        2025, 3, 1, 8, tzinfo=UTC).astimezone(timezone(timedelta(hours=1)))
    with pytest.raises(InputError, match="a date written YYYY-MM-DD"):
        date_param("²⁰²⁵-01-01", "week")
    with pytest.raises(InputError, match="between 1900 and 2200"):
        date_param("0001-01-01", "week")
    assert date_param(" 2025-01-06 ", "week") == date(2025, 1, 6)
