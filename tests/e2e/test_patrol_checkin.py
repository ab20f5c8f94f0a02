"""The officer's check-in on a phone (issue 18): every visit starts from a clean form, and a
second check-in while one is open is refused instead of dropping the first."""

import time
from datetime import timedelta

from django.utils import timezone

from patrols.models import Visit
from tests.tasking.conftest import (  # noqa: F401  (fixtures)
    make_hotspot,
    patterns,
    teams,
)

from .conftest import shot
from .patrol_phone import officer_at_hot_spot


def stored_count(page, n: int, seconds: float = 20.0) -> None:
    """Wait until the server holds n visits: the page's "0 waiting" can be read before a
    visit just checked out has even been queued."""
    deadline = time.monotonic() + seconds
    while Visit.objects.count() < n and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert Visit.objects.count() == n


def test_each_visit_starts_clean_and_a_second_check_in_is_refused(
        browser, playwright, live_server, users, areas, patterns, teams,  # noqa: F811
        make_hotspot):  # noqa: F811
    spot = make_hotspot([1.0] * 168)
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    # Visits now and next week.
    context, page = officer_at_hot_spot(browser, playwright, live_server, areas, spot,
                                        [monday, monday + timedelta(days=7)])
    page.wait_for_selector("#patrol[data-loaded]", timeout=20_000)
    buttons = page.locator("#visits li button:has-text('Check in')")
    assert buttons.count() >= 2

    buttons.nth(0).click()
    page.wait_for_selector("#active:not([hidden])")
    first = page.inner_text("#active-title")
    page.check("input[name=activity][value=engagement]")
    page.check("input[name=activity][value=stop]")
    page.fill("#active-notes", "Stopped one person")
    # The open visit's card shows "Checked in" in place of its button: the first button
    # left is another visit's.
    buttons.nth(0).click()
    page.wait_for_selector("[data-testid=refusal]:not([hidden])")
    assert "check out there first" in page.inner_text("[data-testid=refusal]")
    assert page.inner_text("#active-title") == first  # the first visit is still open
    # Taken to the message and the visit to check out of, at the top of the page.
    page.wait_for_function("() => { const r = document.getElementById('refusal')"
                           ".getBoundingClientRect(); return r.top >= 0 && r.bottom <= "
                           "window.innerHeight; }", timeout=5_000)
    shot(page, "patrol-second-check-in-refused")
    page.click("#check-out")
    stored_count(page, 1)
    assert page.is_hidden("[data-testid=refusal]")  # checked out: the message has gone

    # The first visit is done and has left the list of those due.
    buttons.nth(0).click()
    page.wait_for_selector("#active:not([hidden])")
    assert page.input_value("#active-notes") == ""
    page.click("#check-out")
    stored_count(page, 2)
    stored = list(Visit.objects.order_by("started_at").values_list("activities", "notes"))
    assert stored == [(["engagement", "foot", "stop"], "Stopped one person"), (["foot"], "")]
    context.close()
