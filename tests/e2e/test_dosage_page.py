"""The Dosage page in Debian's Chromium: the figures that add up, and a screenshot of them
(test-results/screenshots/dosage-reconciled.png)."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from tests.e2e.conftest import login, shot
from tests.patrols.test_dosage_reconciled import build_places, build_world
from tests.tasking.conftest import make_hotspot, teams  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e


def test_the_dosage_page_shows_every_minute_once(page, live_server, users, teams,  # noqa: F811
                                                 areas, make_hotspot):  # noqa: F811
    day = datetime.combine(timezone.now().date() - timedelta(days=2), time(0), tzinfo=UTC)
    build_world(day, build_places(day, areas, make_hotspot), areas, users, teams)
    login(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/dosage/")
    assert page.inner_text("[data-testid=total-minutes]") == "100"
    assert page.inner_text("[data-testid=reconciliation] tbody").split() == [
        "Minutes", "100", "100", "100", "100", "100"]
    assert "Candidate" in page.inner_text("[data-testid=not-approved]")
    shot(page, "dosage-reconciled")
