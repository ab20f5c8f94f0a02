"""Areas changed in the Django admin: paths, parts and crimes' areas follow, and it is audited.
Crime records are read-only there (they are corrected in the source and imported again)."""

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from accounts.models import Area, AreaPart
from audit.models import AuditEvent
from hotspots.models import Crime
from hotspots.services import crime_import_paths
from tests.conftest import CAMDEN, FIXTURES, ISLINGTON

pytestmark = pytest.mark.django_db

MET = sorted((FIXTURES / "policeuk").glob("2024-0*-metropolitan-street.csv"))


@pytest.fixture
def staff(users):
    admin = users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    return admin


def crimes_by_area() -> dict[str | None, int]:
    return {code: Crime.objects.filter(area__code=code).count()
            for code in Crime.objects.values_list("area__code", flat=True).distinct()}


def small_square(area: Area) -> str:
    """A 100 m square around a point inside the area, away from the fixture's crimes."""
    p = area.geom.point_on_surface
    square = MultiPolygon(Polygon.from_bbox((p.x - 50, p.y - 50, p.x + 50, p.y + 50)),
                          srid=area.geom.srid)
    return square.ewkt


def change_form(area: Area, **changes) -> dict:
    return {"name": area.name, "code": area.code, "level": area.level,
            "parent": area.parent_id or "", "geom": area.geom.ewkt, **changes}


def test_redrawing_an_area_in_the_admin_moves_its_crimes_and_is_audited(client, staff, areas):
    crime_import_paths(paths=MET, format="police_uk", source="police.uk")
    assert crimes_by_area() == {CAMDEN: 10}
    camden = areas[CAMDEN]
    client.force_login(staff)

    response = client.post(f"/admin/accounts/area/{camden.pk}/change/",
                           change_form(camden, geom=small_square(camden)))

    assert response.status_code == 302, response.content.decode()[:2000]
    camden.refresh_from_db()
    assert round(camden.geom.area) == 10_000
    # Camden no longer covers its crimes: Central North's uncovered part now does.
    assert crimes_by_area() == {"CN": 10}
    assert round(sum(p.geom.area for p in AreaPart.objects.filter(area=camden))) == 10_000
    event = AuditEvent.objects.get(action="area.changed")
    assert (event.actor, event.target_id, event.detail) == (
        staff, str(camden.pk), {"code": CAMDEN, "name": camden.name, "through": "admin"})


def test_an_area_deleted_in_the_admin_leaves_its_ground_to_its_parent(client, staff, areas):
    islington = areas[ISLINGTON]
    shape = islington.geom.area
    client.force_login(staff)

    response = client.post(f"/admin/accounts/area/{islington.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Area.objects.filter(code=ISLINGTON).exists()
    uncovered = AreaPart.objects.filter(area=areas["CN"], is_leaf=False)
    assert sum(p.geom.area for p in uncovered) == pytest.approx(shape, rel=1e-3)
    event = AuditEvent.objects.get(action="area.deleted")
    assert (event.actor, event.target_id) == (staff, str(islington.pk))


def test_people_who_are_not_staff_cannot_change_areas_in_the_admin(client, users, areas):
    crime_import_paths(paths=MET, format="police_uk", source="police.uk")
    camden = areas[CAMDEN]
    before = camden.geom.ewkt
    client.force_login(users["analyst"])

    response = client.post(f"/admin/accounts/area/{camden.pk}/change/",
                           change_form(camden, geom=small_square(camden)))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    camden.refresh_from_db()
    assert camden.geom.ewkt == before
    assert crimes_by_area() == {CAMDEN: 10}
    assert not AuditEvent.objects.filter(action__startswith="area.").exists()


def test_crimes_are_read_only_in_the_admin(client, staff, areas):
    crime_import_paths(paths=MET, format="police_uk", source="police.uk")
    crime = Crime.objects.order_by("reference").first()
    before = list(Crime.objects.order_by("pk").values_list("pk", "reference", "location_text"))
    client.force_login(staff)

    page = client.get(f"/admin/hotspots/crime/{crime.pk}/change/")
    assert page.status_code == 200
    x, y = crime.location.x, crime.location.y
    assert f"{x:.0f}, {y:.0f} (EPSG:27700)" in page.content.decode()
    refused = client.post(f"/admin/hotspots/crime/{crime.pk}/change/",
                          {"reference": "changed", "location_text": "elsewhere"})
    assert refused.status_code == 403
    assert client.get("/admin/hotspots/crime/add/").status_code == 403
    assert list(Crime.objects.order_by("pk").values_list("pk", "reference",
                                                         "location_text")) == before


@pytest.mark.parametrize(("code", "changes", "field", "message"), [
    # Central North under Camden: Camden is its child, so this would make a loop.
    ("CN", {"parent": CAMDEN}, "parent",
     "Camden (Neighbourhood) is not above a basic command unit: choose a higher-level area"),
    ("CN", {"level": 3}, "level", "Camden (Neighbourhood) sits under this area, so it must stay "
                                  "above a neighbourhood"),
    (ISLINGTON, {"parent": CAMDEN}, "parent",
     "Camden (Neighbourhood) is not above a neighbourhood: choose a higher-level area"),
])
def test_the_admin_refuses_an_area_under_one_of_its_own_level_or_below(
        client, staff, areas, code, changes, field, message):
    area = areas[code]
    before = list(Area.objects.order_by("pk").values_list("pk", "level", "parent", "path"))
    client.force_login(staff)
    if "parent" in changes:
        changes = {**changes, "parent": areas[changes["parent"]].pk}

    response = client.post(f"/admin/accounts/area/{area.pk}/change/",
                           change_form(area, **changes))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [message]}
    assert list(Area.objects.order_by("pk").values_list("pk", "level", "parent", "path")) == before
    assert not AuditEvent.objects.filter(action__startswith="area.").exists()


def test_the_area_form_says_boundary_and_shows_names_not_the_internal_path(client, staff,
                                                                            areas):
    """Issue 18, item 18: the admin showed "Geom" and the materialised path "/1/7/"."""
    camden = areas[CAMDEN]
    client.force_login(staff)
    page = client.get(f"/admin/accounts/area/{camden.pk}/change/").content.decode()
    assert '<label class="required" for="id_geom">Boundary:</label>' in page
    assert ">Geom" not in page and camden.path not in page
    chain = f"{areas['FORCE'].name} \u203a {camden.parent.name}"
    assert f'<div class="readonly">{chain}</div>' in page
