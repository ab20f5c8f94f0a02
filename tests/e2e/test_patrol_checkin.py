"""The officer's check-in on a phone (issue 18): every visit starts from a clean form, and a
second check-in while one is open is refused instead of dropping the first."""

from datetime import timedelta

from django.utils import timezone

from patrols.models import Visit
from tasking.services import plan_generate, plan_publish
from tests.tasking.conftest import (  # noqa: F401  (fixtures)
    make_hotspot,
    patterns,
    teams,
)

from .conftest import login, shot


def test_each_visit_starts_clean_and_a_second_check_in_is_refused(
        browser, playwright, live_server, users, areas, patterns, teams,  # noqa: F811
        make_hotspot):  # noqa: F811
    spot = make_hotspot([1.0] * 168)
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    for week in (monday, monday + timedelta(days=7)):  # visits now and next week
        plan = plan_generate(area=areas["E09000007"], week_start=week, actor=None, seed=4)
        plan_publish(plan=plan, version=plan.version, actor=None)
    centre = spot.geom.centroid.transform(4326, clone=True)
    context = browser.new_context(
        **playwright.devices["Pixel 7"], locale="en-GB", timezone_id="Europe/London",
        geolocation={"latitude": centre.y, "longitude": centre.x, "accuracy": 8},
        permissions=["geolocation"])
    page = context.new_page()
    login(page, live_server.url, "officer")
    page.goto(f"{live_server.url}/patrol/")
    page.wait_for_selector("#patrol[data-loaded]", timeout=20_000)
    buttons = page.locator("#visits li button:has-text('Check in')")
    assert buttons.count() >= 2

    buttons.nth(0).click()
    page.wait_for_selector("#active:not([hidden])")
    first = page.inner_text("#active-title")
    page.check("input[name=activity][value=engagement]")
    page.check("input[name=activity][value=stop]")
    page.fill("#active-notes", "Stopped one person")
    buttons.nth(1).click()
    page.wait_for_selector("[data-testid=refusal]:not([hidden])")
    assert "check out there first" in page.inner_text("[data-testid=refusal]")
    assert page.inner_text("#active-title") == first  # the first visit is still open
    shot(page, "patrol-second-check-in-refused")
    page.click("#check-out")
    page.wait_for_function("() => document.querySelector('[data-testid=pending]')"
                           ".textContent === '0 waiting'", timeout=20_000)

    buttons.nth(1).click()
    page.wait_for_selector("#active:not([hidden])")
    assert page.input_value("#active-notes") == ""
    page.click("#check-out")
    page.wait_for_function("() => document.querySelector('[data-testid=pending]')"
                           ".textContent === '0 waiting'", timeout=20_000)
    stored = list(Visit.objects.order_by("started_at").values_list("activities", "notes"))
    assert stored == [(["engagement", "foot", "stop"], "Stopped one person"), (["foot"], "")]
    context.close()
