"""The dashboard in a browser: its charts draw from the vendored Chart.js."""

from tests.conftest import CAMDEN
from tests.reports.test_dashboard import _fill
from tests.tasking.conftest import make_hotspot  # noqa: F401  (fixture)

from .conftest import login, shot


def test_dashboard_draws_its_charts(page, live_server, users, areas,
                                    make_hotspot):  # noqa: F811
    _fill(users, make_hotspot)
    login(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/reports/dashboard/?area={areas[CAMDEN].pk}&weeks=6")
    page.wait_for_selector("body[data-charts=ready]", timeout=15_000)
    assert page.locator("canvas").count() == 4
    shot(page, "dashboard")
