"""The tests' own calendar: weeks that stay ahead and never hold a clock change."""

from datetime import date

from tests.conftest import api_time, local_utc, upcoming_monday


def test_upcoming_monday_is_ahead_and_skips_weeks_with_a_clock_change():
    assert upcoming_monday(today=date(2026, 11, 30)) == date(2026, 12, 14)
    assert upcoming_monday(today=date(2026, 12, 2)) == date(2026, 12, 21)
    # Clocks go back on Sunday 25 October 2026 and forward on Sunday 28 March 2027: a week
    # that holds the change, or whose Sunday night runs into it, is skipped.
    assert upcoming_monday(today=date(2026, 10, 5)) == date(2026, 10, 26)
    assert upcoming_monday(today=date(2026, 10, 4)) == date(2026, 10, 26)
    assert upcoming_monday(today=date(2026, 9, 27)) == date(2026, 10, 12)
    assert upcoming_monday(today=date(2027, 3, 8)) == date(2027, 3, 29)
    assert upcoming_monday(3, today=date(2027, 3, 1)) == date(2027, 3, 29)


def test_local_times_in_utc():
    assert api_time(local_utc(date(2026, 12, 14), 23)) == "2026-12-14T23:00:00Z"
    assert api_time(local_utc(date(2027, 6, 14), 23)) == "2027-06-14T23:00:00+01:00"
