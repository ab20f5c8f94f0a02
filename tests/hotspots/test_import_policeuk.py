"""police.uk imports: real rows in, stable keys, windows, geometry, areas, re-imports."""

import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.gis.gdal import AxisOrder, CoordTransform, OGRGeometry, SpatialReference

from hotspots.models import Crime, ImportJob
from hotspots.services import crime_import_paths
from tests.conftest import CAMDEN, FIXTURES

MARCH = FIXTURES / "policeuk" / "2024-03-metropolitan-street.csv"
APRIL = FIXTURES / "policeuk" / "2024-04-metropolitan-street.csv"
ASB = FIXTURES / "policeuk" / "2022-01-northumbria-asb.csv"

pytestmark = pytest.mark.django_db


def police_uk(*paths: Path) -> ImportJob:
    return crime_import_paths(paths=list(paths), format="police_uk", source="police.uk")


def test_real_rows_are_imported_with_their_crime_id_month_window_and_type():
    job = police_uk(MARCH)

    assert (job.rows_read, job.rows_inserted, job.rows_duplicate, job.rows_rejected) == (6, 6, 0, 0)
    assert job.status == ImportJob.Status.DONE
    crime = Crime.objects.get(
        reference="bee7cc5ec904e2d1983457fd2f33f5705b450a8bae5c901246ed879531cab645")
    assert crime.source == "police.uk"
    assert crime.offence_type.code == "burglary"
    # March 2024 in London: 1 March 00:00 GMT up to 1 April 00:00 BST (23:00 UTC).
    assert crime.occurred_from == datetime(2024, 3, 1, 0, 0, tzinfo=UTC)
    assert crime.occurred_to == datetime(2024, 3, 31, 23, 0, tzinfo=UTC)
    assert crime.location_text == "On or near Brookfield Park"
    assert crime.lsoa_code == "E01000909"
    assert crime.outcome == "Investigation complete; no suspect identified"
    assert crime.import_job_id == job.pk


def test_point_is_stored_in_british_national_grid_as_gdal_transforms_it():
    police_uk(MARCH)
    crime = Crime.objects.get(
        reference="bee7cc5ec904e2d1983457fd2f33f5705b450a8bae5c901246ed879531cab645")
    wgs = SpatialReference(4326, axis_order=AxisOrder.TRADITIONAL)  # longitude first
    expected: Any = OGRGeometry("POINT (-0.146183 51.561727)", srs=wgs)
    expected.transform(CoordTransform(wgs, SpatialReference(27700)))

    assert crime.location.srid == 27700
    assert crime.location.x == pytest.approx(expected.x, abs=0.01)
    assert crime.location.y == pytest.approx(expected.y, abs=0.01)
    assert 528_000 < crime.location.x < 530_000 and 186_000 < crime.location.y < 188_000


def test_reimporting_the_same_file_adds_nothing():
    police_uk(MARCH, APRIL)
    again = police_uk(MARCH, APRIL)

    assert (again.rows_read, again.rows_inserted, again.rows_duplicate) == (10, 0, 10)
    assert Crime.objects.count() == 10


def test_a_month_across_the_clock_change_ends_at_local_midnight():
    police_uk(APRIL)
    crime = Crime.objects.order_by("id").first()
    assert crime.occurred_from == datetime(2024, 3, 31, 23, 0, tzinfo=UTC)
    assert crime.occurred_to == datetime(2024, 4, 30, 23, 0, tzinfo=UTC)


def test_identical_asb_rows_without_crime_id_stay_separate_and_reimport_adds_nothing():
    first = police_uk(ASB)
    second = police_uk(ASB)

    assert (first.rows_read, first.rows_inserted, first.rows_duplicate) == (5, 5, 0)
    assert (second.rows_inserted, second.rows_duplicate) == (0, 5)
    lyne = Crime.objects.filter(location_text="On or near Lyne Terrace")
    assert lyne.count() == 3
    refs = sorted(lyne.values_list("reference", flat=True))
    # One content digest, repeat numbers 1, 2, 3.
    assert len({r.rsplit(":", 1)[0] for r in refs}) == 1
    assert [r.rsplit(":", 1)[1] for r in refs] == ["1", "2", "3"]
    assert all(c.offence_type.code == "anti-social-behaviour" for c in lyne)


def test_same_crime_id_twice_in_one_month_is_one_crime(tmp_path):
    lines = MARCH.read_text().splitlines()
    header, first = lines[0], lines[1]
    updated = first.replace("Investigation complete; no suspect identified",
                            "Under investigation")
    path = tmp_path / "2024-03-metropolitan-street.csv"
    path.write_text("\n".join([header, first, updated]) + "\n")

    job = police_uk(path)

    assert (job.rows_read, job.rows_inserted, job.rows_duplicate, job.rows_rejected) == (2, 1, 1, 0)
    assert Crime.objects.count() == 1


def test_zip_archive_of_month_folders_is_read_in_full(tmp_path):
    archive = tmp_path / "2024-04.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(MARCH, "2024-03/2024-03-metropolitan-street.csv")
        z.write(APRIL, "2024-04/2024-04-metropolitan-street.csv")
        z.writestr("2024-04/", "")
        z.writestr("__MACOSX/2024-04/._2024-04-metropolitan-street.csv", "junk")
        z.writestr("README.txt.pdf", "not a csv")

    job = police_uk(archive)

    assert (job.rows_read, job.rows_inserted, job.rows_rejected) == (10, 10, 0)
    assert job.warnings == []


def test_crimes_get_the_most_specific_area_that_covers_them(areas):
    police_uk(MARCH)
    assert set(Crime.objects.values_list("area__code", flat=True)) == {CAMDEN}


def test_points_outside_every_area_are_kept_without_area_and_reported(areas):
    job = police_uk(ASB)  # Northumbria, far from Camden and Islington
    assert job.rows_inserted == 5
    assert Crime.objects.filter(area__isnull=True).count() == 5
    assert job.warnings == ["5 crime(s) fall outside every area and have no area"]


def test_command_prints_one_summary_line(capsys):
    from django.core.management import call_command

    call_command("import_crimes", str(MARCH), str(ASB))
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == "read 11, inserted 11, duplicate 0, rejected 0"


def test_a_place_no_child_covers_takes_the_deepest_area_that_does(areas, tmp_path):
    """A parent has parts only where its children leave it uncovered; points there take it."""
    from django.contrib.gis.geos import MultiPolygon

    from accounts.models import AreaPart
    from accounts.services import areas_rebuild_index

    force, bcu = areas["FORCE"], areas["CN"]
    # Tiled by its children, a parent has no parts of its own.
    assert AreaPart.objects.filter(area__in=[force, bcu]).count() == 0
    # Widen the force by 1 km: the ring outside Central North is the force's alone.
    force.geom = MultiPolygon(force.geom.buffer(1000), srid=force.geom.srid)
    force.save()
    areas_rebuild_index()
    ring = force.geom.difference(bcu.geom)
    parts = AreaPart.objects.filter(area=force)
    assert parts.exists() and not parts.filter(is_leaf=True).exists()
    assert sum(p.geom.area for p in parts) == pytest.approx(ring.area, rel=1e-6)

    inside_ring = ring.point_on_surface
    inside_camden = areas[CAMDEN].geom.point_on_surface
    rows = []
    for n, point in enumerate([inside_ring, inside_camden]):
        wgs = point.transform(4326, clone=True)
        rows.append(f"ring-{n},2024-03,Met,Met,{wgs.x:.6f},{wgs.y:.6f},On or near X,"
                    "E01000001,Camden 001A,Burglary,Under investigation,")
    rows.append("far,2024-03,Met,Met,-1.6,54.97,On or near Y,E01000002,N,Burglary,,")
    path = tmp_path / "ring.csv"
    path.write_text(MARCH.read_text().splitlines()[0] + "\n" + "\n".join(rows) + "\n")

    job = police_uk(path)

    assert (job.rows_inserted, job.rows_rejected) == (3, 0)
    assert dict(Crime.objects.values_list("reference", "area__code")) == {
        "ring-0": "FORCE", "ring-1": CAMDEN, "far": None}
