"""In the browser: sign in, see the areas on the map, upload a file, change a weight."""

import pytest

from hotspots.models import Crime, OffenceType
from tests.conftest import FIXTURES
from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.e2e


def test_analyst_uploads_a_police_uk_file_and_watches_it_import(page, live_server, users,
                                                                 celery_worker):
    base = live_server.url
    from hotspots.services import crime_import_paths

    crime_import_paths(paths=[FIXTURES / "policeuk" / "2024-04-metropolitan-street.csv"],
                       format="police_uk", source="police.uk")
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login/")
    shot(page, "login")
    login(page, base, "analyst")

    # The areas draw on the map from the API with no tile server reachable.
    page.wait_for_selector("#areamap-wrap[data-loaded='4']", timeout=10_000)
    page.wait_for_selector("#areamap-wrap[data-crimes='4']", timeout=10_000)
    assert page.locator("[data-testid=whoami]").inner_text() == "analyst · analyst"
    shot(page, "home-analyst")

    page.click("text=Imports")
    page.set_input_files("#id_file", str(FIXTURES / "policeuk" / "2024-03-metropolitan-street.csv"))
    page.click("text=Upload and import")
    summary = page.locator("[data-testid=import-summary]")
    summary.wait_for(timeout=30_000)
    assert summary.inner_text() == "read 6, inserted 6, duplicate 0, rejected 0"
    assert page.locator("[data-testid=import-status]").inner_text() == "Done"
    shot(page, "import-done")
    assert Crime.objects.count() == 10

    page.click("text=← All imports")
    row = page.locator("[data-testid=import-table] tbody tr").first
    assert "2024-03-metropolitan-street.csv" in row.inner_text()
    shot(page, "import-list")


def test_bad_rows_are_listed_on_the_page(page, live_server, users, celery_worker, tmp_path):
    lines = (FIXTURES / "policeuk" / "2024-03-metropolitan-street.csv").read_text().splitlines()
    bad = lines[2].replace("51.562289", "91")
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join([lines[0], lines[1], bad]) + "\n")
    login(page, live_server.url, "analyst")
    page.goto(f"{live_server.url}/imports/")
    page.set_input_files("#id_file", str(path))
    page.click("text=Upload and import")
    page.locator("[data-testid=import-summary]").wait_for(timeout=30_000)
    assert page.locator("[data-testid=import-summary]").inner_text() == (
        "read 2, inserted 1, duplicate 0, rejected 1")
    cells = page.locator("[data-testid=reject-table] tbody tr td").all_inner_texts()
    assert cells == ["mixed.csv", "3", "coordinate out of range: latitude '91' not in [-90, 90]"]
    shot(page, "import-rejects")


def test_analyst_changes_a_harm_weight(page, live_server, users):
    login(page, live_server.url, "analyst")
    page.goto(f"{live_server.url}/offence-types/")
    row = page.locator("tr[data-code=robbery]")
    row.locator("input[name=harm_weight]").fill("650")
    row.locator("text=Save").click()
    page.wait_for_selector("text=Robbery: weight 650 saved.")
    assert OffenceType.objects.get(code="robbery").harm_weight == 650.0
    shot(page, "offence-types")


def test_officer_home_on_a_phone(phone, live_server, users):
    login(phone, live_server.url, "officer")
    assert phone.locator("text=Imports").count() == 0
    # Targets are at least 44 px tall on a phone.
    height = phone.locator("button.navbar-toggler").bounding_box()["height"]
    assert height >= 40
    shot(phone, "home-officer-phone")


def test_api_docs_render_without_network(page, live_server, users):
    login(page, live_server.url, "analyst")
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector("text=Hot spots policing API", timeout=15_000)
    page.wait_for_selector("text=/api/v1/imports/", timeout=15_000)
    shot(page, "api-docs")


def test_analyst_reviews_hot_spots_on_the_map(page, live_server, users, areas):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from hotspots.models import Hotspot
    from hotspots.recompute import hotspot_run_create, hotspot_run_execute
    from hotspots.services import crime_import_paths

    crime_import_paths(paths=[FIXTURES / "policeuk" / "2024-03-metropolitan-street.csv",
                              FIXTURES / "policeuk" / "2024-04-metropolitan-street.csv"],
                       format="police_uk", source="police.uk")
    run = hotspot_run_create(area=areas["CN"], trigger="command",
                             parameters={"min_count": 1, "q_max": 1.0},
                             window_end=datetime(2024, 5, 1, tzinfo=ZoneInfo("Europe/London")))
    assert hotspot_run_execute(run_id=run.pk) == "done"
    selected = Hotspot.objects.count()
    assert selected > 0

    login(page, live_server.url, "analyst")
    page.click("a.nav-link[href='/hotspots/']")
    page.wait_for_selector(f"#hotspot-wrap[data-hotspots='{selected}']", timeout=10_000)
    page.wait_for_selector("#hotspot-wrap[data-cells]", timeout=10_000)
    rows = page.locator("#hotspot-list tr")
    assert rows.count() == selected
    assert page.locator("path[data-boundary='1']").count() == 1  # the run's area (CN)
    rows.first.locator("td").first.click()
    # Named from the crimes' police.uk location text (issue 18, item 7), not by its key.
    first = Hotspot.objects.get(pk=int(rows.first.get_attribute("data-id")))
    assert first.name and first.named_by == "crimes" and not first.name.startswith("On or")
    assert page.locator("#detail-title").inner_text() == f"1. {first.name} · candidate"
    assert rows.first.locator(".place").inner_text() == first.name
    assert page.locator("#detail-how table tr").count() == 8  # header and seven days
    # Month-only police.uk dates spread harm over every hour: no peak is claimed.
    assert page.locator("#detail-stats").inner_text().count("no clear peak") == 1
    assert page.locator("[data-testid=shares]").inner_text().startswith(
        "The top 1% of cells hold 100.0% of harm")
    shot(page, "hotspot-map")

    # Selecting a row never reviews it: the buttons live in the detail panel.
    top = Hotspot.objects.order_by("-stats__harm", "id").first()
    assert Hotspot.objects.get(pk=top.pk).status == "candidate"
    first_row = page.locator(f"#hotspot-list tr[data-id='{top.pk}']")
    page.click("#detail-actions button[data-action=approve]")
    first_row.locator(".status", has_text="approved").wait_for(timeout=10_000)
    assert Hotspot.objects.get(pk=top.pk).status == "approved"
    assert page.locator("#detail-title").inner_text().endswith("· approved")
    assert page.locator("#detail-actions button[data-action=approve]").is_disabled()
    # The analyst names it as people know it; the list and the title follow.
    page.fill("#rename-name", "Holloway Road by the station")
    page.click("#rename-form button[type=submit]")
    first_row.locator(".place", has_text="Holloway Road by the station").wait_for(timeout=10_000)
    assert page.locator("#detail-title").inner_text() == \
        "1. Holloway Road by the station · approved"
    top.refresh_from_db()
    assert (top.name, top.named_by) == ("Holloway Road by the station", "analyst")
    shot(page, "hotspot-map-named")

    second = Hotspot.objects.exclude(pk=top.pk).order_by("-stats__harm", "id").first()
    row = page.locator(f"#hotspot-list tr[data-id='{second.pk}']")
    row.click()  # anywhere on the row
    page.once("dialog", lambda dialog: dialog.dismiss())  # "Retire?" - no
    page.click("#detail-actions button[data-action=retire]")
    page.wait_for_timeout(300)
    assert Hotspot.objects.get(pk=second.pk).status == "candidate"
    page.once("dialog", lambda dialog: dialog.accept())  # "Retire?" - yes
    page.click("#detail-actions button[data-action=retire]")
    row.locator(".status", has_text="retired").wait_for(timeout=10_000)
    assert Hotspot.objects.get(pk=second.pk).status == "retired"
    page.click("label[for=layer-z]")
    page.wait_for_function("() => document.getElementById('legend').textContent.startsWith('z')")
    shot(page, "hotspot-map-z")

    # Draw a small rectangle around the top hot spot and rule it out.
    from hotspots.models import ExclusionArea

    page.click(".leaflet-draw-draw-rectangle")
    box = page.locator("#hotspotmap").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - 15, cy - 15)
    page.mouse.down()
    page.mouse.move(cx + 15, cy + 15, steps=5)
    page.mouse.up()
    page.fill("#exclude-form input[name=name]", "Whittington Hospital")
    page.fill("#exclude-form input[name=reason]", "hospital wards")
    page.click("#exclude-form button[type=submit]")
    page.wait_for_selector("#exclude-form", state="hidden", timeout=10_000)
    made = ExclusionArea.objects.get()
    listed = page.locator(f"[data-testid=exclusions] li[data-exclusion='{made.pk}']")
    assert listed.inner_text() == ("Whittington Hospital · hospital wards · saved: it counts "
                                   "from the next run")
    assert "None in this run's area" not in page.inner_text("[data-testid=exclusions]")
    assert (made.name, made.area_id, made.created_by.username) == (
        "Whittington Hospital", areas["CN"].pk, "analyst")
    assert made.geom.area > 0
