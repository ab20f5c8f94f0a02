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


def test_a_refused_export_keeps_what_the_analyst_typed(page, live_server, users, areas):
    from reports.models import ExportJob

    login(page, live_server.url, "analyst")
    page.goto(f"{live_server.url}/reports/")
    page.select_option("#x-kind", "visits")
    page.select_option("#x-format", "xlsx")
    page.fill("#x-from", "2026-10-01")
    page.fill("#x-to", "2026-11-01")
    page.select_option("#x-area", str(areas[CAMDEN].pk))
    page.fill("#x-recipient", "OPCC <b>analysts</b>")
    page.fill("#x-purpose", "quarterly review")
    page.click("#export-form button[type=submit]")
    page.wait_for_selector(".alert-danger")

    assert "cannot contain HTML tags" in page.inner_text(".alert-danger")
    assert [page.input_value(s) for s in ("#x-kind", "#x-format", "#x-from", "#x-to",
                                          "#x-area", "#x-recipient", "#x-purpose")] == [
        "visits", "xlsx", "2026-10-01", "2026-11-01", str(areas[CAMDEN].pk),
        "OPCC <b>analysts</b>", "quarterly review"]
    assert ExportJob.objects.count() == 0
    shot(page, "export-refused-keeps-form")
