"""The officer's phone at a hot spot, shared by the patrol page's browser tests."""

from datetime import date

from tasking.services import plan_generate, plan_publish


def officer_at_hot_spot(browser, playwright, live_server, areas, spot, weeks: list[date]):
    """Published Camden plans for `weeks`; a Pixel 7 whose location is the hot spot's
    centre, signed in as the officer on /patrol/. Returns (context, page)."""
    from .conftest import login

    for week in weeks:
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
    return context, page
