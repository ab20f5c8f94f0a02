"""The officer's phone page with no signal: three visits logged offline survive the page
being closed and reach the server exactly once when the signal returns."""

from datetime import timedelta

from django.utils import timezone

from patrols.models import Visit
from tests.tasking.conftest import (  # noqa: F401  (fixtures)
    make_hotspot,
    patterns,
    teams,
)

from .conftest import ARGS, login, shot  # noqa: F401
from .patrol_phone import officer_at_hot_spot


def test_three_visits_logged_offline_arrive_exactly_once(browser, playwright, live_server, users,
                                                         areas, patterns, teams,  # noqa: F811
                                                         make_hotspot):  # noqa: F811
    spot = make_hotspot([1.0] * 168)
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    context, page = officer_at_hot_spot(browser, playwright, live_server, areas, spot, [monday])
    page.wait_for_selector("#patrol[data-sw='ready'][data-loaded]", timeout=20_000)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20_000)
    assert page.locator("#visits li").count() > 0
    shot(page, "patrol-phone")

    context.set_offline(True)
    page.wait_for_selector("#net-text:text-is('No signal: visits are kept on this phone')")
    page.locator("#visits li button:has-text('Check in')").first.click()
    page.wait_for_selector("#active:not([hidden])")
    page.check("input[name=activity][value=engagement]")
    page.fill("#active-notes", "Spoke to the night manager")
    page.click("#check-out")
    page.wait_for_selector("[data-testid=pending]:text-is('1 waiting')")
    page.click("#after-card summary")
    for minutes in ("10", "20"):
        page.fill("#after-minutes", minutes)
        page.click("#after-form button[type=submit]")
    page.wait_for_selector("[data-testid=pending]:text-is('3 waiting')")
    ids = set(page.eval_on_selector_all("#outbox li[data-visit]",
                                        "items => items.map(i => i.dataset.visit)"))
    assert len(ids) == 3 and Visit.objects.count() == 0
    shot(page, "patrol-offline")
    page.close()

    # Reopened with no signal: the service worker serves the page, the outbox is intact.
    again = context.new_page()
    again.goto(f"{live_server.url}/patrol/")
    again.wait_for_selector("[data-testid=pending]:text-is('3 waiting')", timeout=20_000)
    assert Visit.objects.count() == 0

    context.set_offline(False)
    again.wait_for_selector("[data-testid=pending]:text-is('0 waiting')", timeout=30_000)
    stored = {str(v) for v in Visit.objects.values_list("id", flat=True)}
    assert stored == ids
    live = Visit.objects.get(retrospective=False)
    assert live.start_inside is True and live.activities == ["engagement", "foot"]
    assert live.notes == "Spoke to the night manager" and live.task is not None
    lengths = [(end - start).seconds // 60 for start, end in Visit.objects.filter(
        retrospective=True).values_list("started_at", "ended_at") if end is not None]
    assert sorted(lengths) == [10, 20]
    # Going online again sends nothing twice.
    again.reload()
    again.wait_for_selector("[data-testid=pending]:text-is('0 waiting')", timeout=20_000)
    assert Visit.objects.count() == 3
    context.close()
