"""Area boundaries: import from GeoJSON/GeoPackage, hierarchy, subdivided parts, bad files."""

import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Area, AreaPart
from accounts.selectors import area_subtree_ids
from accounts.services import area_create_from_children
from tests.conftest import CAMDEN, DEMO_AREAS, ISLINGTON, shared_file

pytestmark = pytest.mark.django_db


def test_hierarchy_paths_and_parts(areas):
    force, bcu = areas["FORCE"], areas["CN"]
    camden, islington = areas[CAMDEN], areas[ISLINGTON]
    assert (force.level, bcu.level, camden.level) == (1, 2, 3)
    assert (bcu.parent, camden.parent, islington.parent) == (force, bcu, bcu)
    assert camden.path == f"/{force.pk}/{bcu.pk}/{camden.pk}/"
    assert sorted(area_subtree_ids(area=bcu)) == sorted([bcu.pk, camden.pk, islington.pk])
    # The boundary file gives Camden 2,178.932 ha before simplification to 5 m.
    assert camden.geom.area == pytest.approx(2178.932e4, rel=0.002)
    parts = AreaPart.objects.filter(area=camden)
    assert parts.count() > 1
    assert sum(p.geom.area for p in parts) == pytest.approx(camden.geom.area, rel=1e-9)
    # The union loses only the slivers where the simplified boundaries overlap.
    assert bcu.geom.area == pytest.approx(camden.geom.area + islington.geom.area, rel=1e-4)


def test_reimport_updates_in_place(areas):
    call_command("import_areas", str(DEMO_AREAS), "--level", "neighbourhood",
                 "--code-field", "gss_code", "--parent", "CN")
    assert Area.objects.count() == 4
    assert Area.objects.get(code=CAMDEN).parent.code == "CN"


def test_command_reports_missing_fields_clearly(db):
    with pytest.raises(CommandError) as err:
        call_command("import_areas", str(DEMO_AREAS), "--code-field", "ons_code")
    assert str(err.value) == (f"{DEMO_AREAS}: no field 'ons_code'; fields are name, gss_code")
    assert Area.objects.count() == 0


def test_points_are_not_areas(db, tmp_path):
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "A", "code": "A"},
         "geometry": {"type": "Point", "coordinates": [-0.1, 51.5]}}]}))
    with pytest.raises(CommandError, match=r"not polygons|is a Point"):
        call_command("import_areas", str(path))
    assert Area.objects.count() == 0


def test_self_intersecting_polygon_is_repaired(db, tmp_path):
    bowtie = [[-0.10, 51.50], [-0.09, 51.51], [-0.09, 51.50], [-0.10, 51.51], [-0.10, 51.50]]
    path = tmp_path / "bowtie.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Bow tie", "code": "BT"},
         "geometry": {"type": "Polygon", "coordinates": [bowtie]}}]}))
    call_command("import_areas", str(path))
    area = Area.objects.get(code="BT")
    assert area.geom.valid
    assert len(area.geom) == 2  # the two triangles


def test_not_a_boundary_file(db, tmp_path):
    path = tmp_path / "notes.geojson"
    path.write_text("this is not json")
    with pytest.raises(CommandError, match="not a boundary file GDAL can read"):
        call_command("import_areas", str(path))


@pytest.mark.shared_data
def test_london_boroughs_geopackage(db):
    path = shared_file("boundaries", "london-boroughs.gpkg")
    call_command("import_areas", str(path), "--level", "bcu", "--code-field", "gss_code",
                 "--create-parent", "MET:Metropolitan Police Service:force")
    assert Area.objects.filter(level=Area.Level.BCU).count() == 33
    met = Area.objects.get(code="MET")
    assert Area.objects.filter(parent=met).count() == 33
    # The file's own hectares column sums to 159,469.725 ha.
    assert met.geom.area / 1e4 == pytest.approx(159_469.725, rel=1e-5)


def test_crimes_imported_before_their_areas_take_them_when_the_areas_arrive(db):
    """A force may load its crime first and its boundaries later, or redraw a boundary:
    every crime then takes the area its point is in now, as an import would give it."""
    from hotspots.models import Crime
    from hotspots.services import crime_import_paths
    from tests.conftest import FIXTURES

    # Ten crimes in Camden, and Northumbria's ASB outside every area here.
    files = sorted((FIXTURES / "policeuk").glob("*.csv"))

    def by_area() -> dict[str, str | None]:
        return dict(Crime.objects.values_list("reference", "area__code"))

    crime_import_paths(paths=files, format="police_uk", source="police.uk")
    assert set(by_area().values()) == {None}
    out = StringIO()
    call_command("import_areas", str(DEMO_AREAS), "--code-field", "gss_code", stdout=out)
    assert out.getvalue() == ("areas created: 2, updated: 0, invalid geometries repaired: 0, "
                              "crimes given a new area: 10\n")
    area_create_from_children(code="CN", name="Central North", level=Area.Level.BCU,
                              child_codes=[CAMDEN, ISLINGTON])
    late = by_area()
    Crime.objects.all().delete()
    crime_import_paths(paths=files, format="police_uk", source="police.uk")
    assert late == by_area()
    assert sorted(Counter(late.values()).items(), key=str) == [
        (CAMDEN, 10), (None, 5)]
