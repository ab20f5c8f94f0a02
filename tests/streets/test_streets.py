"""The force's own street layer (issue 18, item 8): imported from a GeoPackage like OS Open
Roads, served from PostGIS as vector tiles under every map, and printed with its names on
the briefing map. The fixture is hand-drawn (tests/fixtures/README.md)."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.gis.gdal import DataSource
from django.contrib.gis.geos import Polygon
from django.urls import reverse

from audit.models import AuditEvent
from hotspots.models import Hotspot
from streets.models import Street, StreetLayer
from streets.selectors import current_layer, streets_in_box
from streets.services import StreetImportError, road_rank, street_layer_delete, streets_import
from tasking.selectors import briefing_svg
from tests.conftest import CAMDEN, FIXTURES
from tests.tasking.conftest import make_hotspot  # noqa: F401  (fixture)

FIXTURE = FIXTURES / "streets" / "camden-streets.geojson"
# Web-mercator tiles holding Camden Road (-0.1370, 51.5423) at three zooms.
TILE_16 = (16, 32743, 21782)
TILE_12 = (12, 2046, 1361)
TILE_9 = (9, 255, 170)


def open_roads_gpkg(folder: Path) -> Path:
    """The fixture as OS Open Roads comes: a GeoPackage in British National Grid whose
    lines are in the layer road_link, beside a road_node layer of points."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "oproad_camden.gpkg"
    ogr2ogr = shutil.which("ogr2ogr")
    assert ogr2ogr, "gdal-bin is installed by scripts/setup.sh"
    subprocess.run([ogr2ogr, "-f", "GPKG", str(path), str(FIXTURE), "-nln", "road_node",
                    "-t_srs", "EPSG:27700", "-nlt", "POINT", "-dialect", "SQLite", "-sql",
                    "SELECT ST_StartPoint(geometry) AS geometry, name1 FROM road_link"],
                   check=True, capture_output=True)
    subprocess.run([ogr2ogr, "-f", "GPKG", "-update", str(path), str(FIXTURE), "-nln",
                    "road_link", "-t_srs", "EPSG:27700"], check=True, capture_output=True)
    return path


@pytest.fixture
def street_layer(areas, users):
    return streets_import(path=FIXTURE, name="Hand-drawn Camden", actor=users["admin"],
                          attribution="Test streets, drawn by hand")


def test_an_open_roads_geopackage_imports_near_the_areas_only(areas, users, tmp_path):
    layer = streets_import(path=open_roads_gpkg(tmp_path), name="OS Open Roads",
                           actor=users["admin"], attribution="Contains OS data")
    # road_link chosen over road_node; the MultiLineString is two lines; Deansgate, 260 km
    # from every area, is left out.
    rows = sorted(Street.objects.filter(layer=layer).values_list("name", "road_class", "rank"))
    assert rows == [("", "Unknown", 3), ("Camden High Street", "A Road", 0),
                    ("Camden Road", "A Road", 0), ("Pratt Street", "Unclassified", 2),
                    ("Pratt Street", "Unclassified", 2),
                    ("Royal College Street", "B Road", 1)]
    assert (layer.streets, layer.source_file, layer.imported_by) == (
        6, "oproad_camden.gpkg", users["admin"])
    assert current_layer() == layer
    road = Street.objects.get(name="Camden Road")
    assert road.geom.srid == 27700
    assert road.geom.coords[0] == pytest.approx((529053.9, 184038.5), abs=0.5)
    event = AuditEvent.objects.get(action="streets.import")
    assert event.detail == {"file": "oproad_camden.gpkg", "streets": 6,
                            "name_field": "name1", "class_field": "road_classification"}

    kept = streets_import(path=FIXTURE, name="All", actor=None, clip_to_areas=False)
    assert kept.streets == 7 and current_layer() == kept   # the newest is drawn
    street_layer_delete(layer=kept, actor=users["admin"])
    assert current_layer() == layer and Street.objects.count() == 6


def test_names_lose_control_characters_and_markup():
    from streets.services import _text

    assert _text("<b>Camden</b>\u202e Road\x07\n") == "b Camden /b Road"
    assert _text("Caf\u00e9 Road") == "Caf\u00e9 Road"
    assert _text(None) == ""


@pytest.mark.parametrize(("value", "rank"), [
    ("A Road", 0), ("motorway", 0), ("primary", 0), ("B Road", 1), ("tertiary", 1),
    ("Classified Unnumbered", 2), ("residential", 2), ("footway", 3), ("", 3)])
def test_road_classes_of_open_roads_and_openstreetmap_rank_by_importance(value, rank):
    assert road_rank(value) == rank


def test_a_file_that_is_not_streets_is_refused_and_nothing_is_stored(areas, users,
                                                                       tmp_path):
    text = tmp_path / "streets.gpkg"
    text.write_text("not a geopackage\n")
    points = tmp_path / "points.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(points), str(FIXTURE), "-nln", "nodes",
                    "-nlt", "POINT", "-dialect", "SQLite", "-sql",
                    "SELECT ST_StartPoint(geometry) AS geometry FROM road_link"],
                   check=True, capture_output=True)
    secret = tmp_path / "secret.csv"
    secret.write_text("a,wkt\nSECRET,\"LINESTRING(529000 184000, 529100 184000)\"\n")
    vrt = tmp_path / "roads.json"
    vrt.write_text(f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>{secret}'
                   '</SrcDataSource><GeometryField encoding="WKT" field="wkt"/>'
                   '</OGRVRTLayer></OGRVRTDataSource>')
    csv_file = tmp_path / "streets.csv"
    csv_file.write_text(secret.read_text())
    latin1 = tmp_path / "latin1.geojson"
    latin1.write_bytes(FIXTURE.read_bytes().replace(b"Camden Road", "Caf\u00e9 Road".encode(
        "latin-1"), 1))
    cases = [
        (dict(path=tmp_path / "missing.gpkg"), "missing.gpkg: no such file"),
        (dict(path=text), "streets.gpkg: not a street file GDAL can read (GeoPackage, "
                          "GeoJSON or Shapefile)"),
        (dict(path=points), "points.gpkg: the layer holds Point, not street lines"),
        (dict(path=FIXTURE, layer="roads"),
         "camden-streets.geojson: no layer 'roads'; layers are road_link"),
        (dict(path=FIXTURE, name_field="ROADNAME"),
         "no field 'ROADNAME' for the street name; fields are name1, road_classification"),
        # GDAL picks a reader by content: a "GeoJSON" that is a VRT would read other files.
        (dict(path=vrt), "roads.json: a OGR_VRT file, not a GeoPackage, GeoJSON or Shapefile"),
        (dict(path=csv_file), "streets.csv: a CSV file, not a GeoPackage, GeoJSON or "
                              "Shapefile"),
        (dict(path=latin1), "feature 0: a name that is not UTF-8 text; save the file as UTF-8"),
    ]
    for kwargs, message in cases:
        with pytest.raises(StreetImportError) as refused:
            streets_import(name="x", actor=users["admin"], **kwargs)
        assert str(refused.value) == message
    assert (StreetLayer.objects.count(), Street.objects.count()) == (0, 0)
    assert not AuditEvent.objects.filter(action="streets.import").exists()


def decoded(body: bytes, z: int, x: int, y: int, folder: Path) -> list[tuple[str, int]]:
    """A vector tile read back by GDAL's MVT driver (it georeferences a file named
    z/x/y.pbf): each feature's name and rank."""
    path = folder / str(z) / str(x) / f"{y}.pbf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    source = DataSource(str(path))
    layer = source["streets"]
    return sorted((f.get("name") or "", int(f.get("rank"))) for f in layer)


def test_vector_tiles_carry_each_zooms_streets(api, users, street_layer, tmp_path):
    client = api(users["officer"])
    url = reverse("street-tile", kwargs=dict(zip("zxy", TILE_16, strict=True)))
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["ETag"] == f'"streets-{street_layer.pk}"'
    assert decoded(response.content, *TILE_16, tmp_path) == [
        ("Camden Road", 0), ("Royal College Street", 1)]
    # Unchanged since the browser's copy: not sent again, and still kept for the hour.
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert (again.status_code, again.content) == (304, b"")
    assert (again["ETag"], again["Cache-Control"]) == (response["ETag"],
                                                       "private, max-age=3600")
    # No such tile is no such tile, whatever the browser holds.
    beyond = reverse("street-tile", kwargs={"z": 21, "x": 0, "y": 0})
    assert client.get(beyond, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 404

    # From further out only the main roads; at zoom 9 nothing at all.
    wide = client.get(reverse("street-tile", kwargs=dict(zip("zxy", TILE_12, strict=True))))
    assert decoded(wide.content, *TILE_12, tmp_path) == [
        ("Camden High Street", 0), ("Camden Road", 0), ("Royal College Street", 1)]
    far = client.get(reverse("street-tile", kwargs=dict(zip("zxy", TILE_9, strict=True))))
    assert (far.status_code, far.content) == (200, b"")


def test_tiles_need_a_signed_in_user_with_the_permission(client, api, users, street_layer):
    url = reverse("street-tile", kwargs=dict(zip("zxy", TILE_16, strict=True)))
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert api(users["norole"]).get(url).status_code == 403
    for name in ("officer", "supervisor", "analyst", "admin", "auditor"):
        assert api(users[name]).get(url).status_code == 200, name
    assert api(users["officer"]).post(url).status_code == 405
    for bad in ((21, 0, 0), (3, 8, 0), (3, 0, 8)):
        assert api(users["officer"]).get(reverse(
            "street-tile", kwargs=dict(zip("zxy", bad, strict=True)))).status_code == 404


def test_no_layer_gives_empty_tiles_and_no_street_layer_on_the_page(api, users, areas):
    client = api(users["officer"])
    url = reverse("street-tile", kwargs=dict(zip("zxy", TILE_16, strict=True)))
    response = client.get(url)
    assert (response.status_code, response.content, response["ETag"]) == (
        200, b"", '"streets-none"')
    page = client.get(reverse("patrol")).content.decode()
    assert 'id="street-layer"' not in page


def test_every_map_page_says_where_the_street_tiles_are(api, users, street_layer):
    pages = {"officer": ["patrol"], "supervisor": ["live", "home"],
             "analyst": ["hotspot-map", "home"]}
    for role, names in pages.items():
        client = api(users[role])
        for name in names:
            page = client.get(reverse(name)).content.decode()
            if name == "hotspot-map" and "js/hotspots.js" not in page:
                continue  # no run yet: the page has no map
            assert ('<script id="street-layer" type="application/json">{"url": '
                    '"/tiles/streets/{z}/{x}/{y}.mvt", "attribution": "Test streets, drawn '
                    f'by hand", "max_data_zoom": 15, "layer": {street_layer.pk}}}</script>'
                    ) in page, (role, name)
            assert "protomaps-leaflet.js" in page and "js/streets.js" in page


def test_the_briefing_map_prints_streets_with_readable_names(areas, street_layer,
                                                              make_hotspot):  # noqa: F811
    spot = make_hotspot([1.0] * 168)
    Hotspot.objects.filter(pk=spot.pk).update(
        geom=Polygon.from_bbox((529300, 184200, 529450, 184350)))
    svg = briefing_svg(hotspot_ids=[spot.pk], area_id=areas[CAMDEN].pk)
    # Framed on the hot spot with 400 m round it and 3% of that again: the ends of Camden
    # High Street and Pratt Street reach in, and the unnamed path; each name printed once.
    printed = streets_in_box(x0=528871.5, y0=183771.5, x1=529878.5, y1=184778.5)
    assert sorted((s.name, s.rank) for s in printed) == [
        ("", 3), ("Camden High Street", 0), ("Camden Road", 0), ("Pratt Street", 2),
        ("Royal College Street", 1)]
    for name in ("Camden High Street", "Camden Road", "Pratt Street", "Royal College Street"):
        assert svg.count(f'class="street-name">{name}</text>') == 1, name
    assert svg.count('stroke="#adb5bd"') == len(printed)
    stroke = (529450 + 400 - (529300 - 400)) * 1.06 / 640
    assert f'font-size="{11 * stroke:.0f}"' in svg
    # Streets under the hot spot, names over it, its number over everything.
    assert svg.index('stroke="#adb5bd"') < svg.index('fill="#dc3545"') \
        < svg.index('class="street-name"') < svg.index('font-weight="bold">1</text>')


def test_an_admin_uploads_a_street_layer_and_a_bad_file_is_refused_on_the_form(
        api, users, tmp_path):
    admin = users["admin"]
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client = api(admin)
    url = reverse("admin:streets_streetlayer_add")
    bad = tmp_path / "roads.gpkg"
    bad.write_bytes(b"PK\x03\x04 not a geopackage")
    with bad.open("rb") as upload:
        refused = client.post(url, {"file": upload, "name": "Bad", "attribution": ""})
    assert refused.status_code == 200
    assert ("roads.gpkg: not a street file GDAL can read (GeoPackage, GeoJSON or Shapefile)"
            in refused.content.decode())
    assert (StreetLayer.objects.count(), Street.objects.count()) == (0, 0)

    with open_roads_gpkg(tmp_path).open("rb") as upload:
        done = client.post(url, {"file": upload, "name": "OS Open Roads (Camden)",
                                 "attribution": "Contains OS data"})
    assert done.status_code == 302
    layer = StreetLayer.objects.get()
    assert (layer.name, layer.streets, layer.attribution, layer.imported_by) == (
        "OS Open Roads (Camden)", 6, "Contains OS data", admin)
    assert AuditEvent.objects.get(action="streets.import").actor == admin

    listing = client.get(reverse("admin:streets_streetlayer_changelist")).content.decode()
    assert "OS Open Roads (Camden)" in listing
    change = client.get(reverse("admin:streets_streetlayer_change", args=[layer.pk]))
    assert change.status_code == 200 and "oproad_camden.gpkg" in change.content.decode()
    deleted = client.post(reverse("admin:streets_streetlayer_delete", args=[layer.pk]),
                          {"post": "yes"})
    assert deleted.status_code == 302
    assert (StreetLayer.objects.count(), Street.objects.count()) == (0, 0)
    assert AuditEvent.objects.get(action="streets.delete").detail == {
        "name": "OS Open Roads (Camden)", "streets": 6}

    # A file larger than the 1 MB every other form may send: a force's streets are tens of
    # MB (a grid of 12,000 short streets over Camden Town here, 2.6 MB).
    import json

    big = tmp_path / "big.geojson"
    big.write_text(json.dumps({"type": "FeatureCollection", "crs": {
        "type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": [{"type": "Feature", "properties": {"name": f"Grid Street {i}",
                                                        "highway": "residential"},
                      "geometry": {"type": "LineString", "coordinates": [
                          [528000 + i % 120 * 10, 183000 + i // 120 * 10],
                          [528010 + i % 120 * 10, 183000 + i // 120 * 10]]}}
                     for i in range(12_000)]}))
    assert big.stat().st_size > 2 * 1024 * 1024
    with big.open("rb") as upload:
        large = client.post(url, {"file": upload, "name": "Grid"})
    assert large.status_code == 302
    assert StreetLayer.objects.get(name="Grid").streets == 12_000
    StreetLayer.objects.filter(name="Grid").delete()

    # A supervisor is not staff: the admin sends them to its sign-in, nothing is stored.
    with open_roads_gpkg(tmp_path / "again").open("rb") as upload:
        other = api(users["supervisor"]).post(url, {"file": upload, "name": "Mine"})
    assert other.status_code == 302 and "/admin/login/" in other["Location"]
    assert StreetLayer.objects.count() == 0
