"""The Django admin's area map in Chromium: drawn with this site's Leaflet under the
Content Security Policy and with no tile server, and saving it keeps the boundary."""

import pytest

from hotspots.models import Crime
from hotspots.services import crime_import_paths
from tests.conftest import CAMDEN, FIXTURES
from tests.e2e.conftest import login, shot

pytestmark = pytest.mark.e2e


def test_an_area_shows_on_the_admin_map_and_saves_unchanged(page, live_server, users, areas):
    crime_import_paths(paths=sorted((FIXTURES / "policeuk").glob("2024-0*-metropolitan*.csv")),
                       format="police_uk", source="police.uk")
    admin = users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    camden = areas[CAMDEN]
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if m.type == "error" else None)
    login(page, live_server.url, "admin")

    page.goto(f"{live_server.url}/admin/accounts/area/{camden.pk}/change/")
    page.wait_for_selector("#id_geom-map.leaflet-container path.leaflet-interactive",
                           timeout=10_000)
    # The drawing tools are there to redraw the boundary.
    assert page.locator("#id_geom-map .leaflet-draw-edit-edit").count() == 1
    shot(page, "admin-area-change")
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist li.success")
    shot(page, "admin-area-saved")

    assert violations == []
    camden.refresh_from_db()
    # Leaflet hands the boundary back in degrees to 7 decimals (about 1 cm): the area is
    # the same to a square metre in its 21.8 km², and every crime keeps its area.
    assert camden.geom.area == pytest.approx(areas[CAMDEN].geom.area, abs=1.0)
    assert Crime.objects.filter(area=camden).count() == 10
