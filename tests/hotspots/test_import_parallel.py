"""Large imports split the insert over two connections: same result, nothing left behind."""

import pytest
from django.db import connection

from hotspots.models import Crime
from hotspots.services import crime_import_paths, import_staging_purge
from tests.conftest import CAMDEN, FIXTURES

MARCH = FIXTURES / "policeuk" / "2024-03-metropolitan-street.csv"
APRIL = FIXTURES / "policeuk" / "2024-04-metropolitan-street.csv"
ASB = FIXTURES / "policeuk" / "2022-01-northumbria-asb.csv"


def staging_tables() -> list[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'import\\_staging%%'")
        return [r[0] for r in cur.fetchall()]


@pytest.fixture
def parallel(settings, transactional_db):
    settings.IMPORT_PARALLEL_MIN_ROWS = 1
    settings.IMPORT_PARALLEL_WORKERS = 2


def test_parallel_import_gives_the_same_rows_keys_and_areas(parallel, areas):
    job = crime_import_paths(paths=[MARCH, APRIL, ASB], format="police_uk", source="police.uk")

    assert (job.rows_read, job.rows_inserted, job.rows_duplicate, job.rows_rejected) == (
        15, 15, 0, 0)
    assert Crime.objects.filter(area__code=CAMDEN).count() == 10
    assert Crime.objects.filter(area__isnull=True).count() == 5  # Northumbria
    lyne = sorted(Crime.objects.filter(location_text="On or near Lyne Terrace")
                  .values_list("reference", flat=True))
    assert [r.rsplit(":", 1)[1] for r in lyne] == ["1", "2", "3"]
    assert staging_tables() == []

    again = crime_import_paths(paths=[MARCH, APRIL, ASB], format="police_uk", source="police.uk")
    assert (again.rows_inserted, again.rows_duplicate) == (0, 15)
    assert Crime.objects.count() == 15


def test_same_crime_id_twice_lands_in_one_partition(parallel, tmp_path):
    lines = MARCH.read_text().splitlines()
    path = tmp_path / "twice.csv"
    path.write_text("\n".join([lines[0], *lines[1:], *lines[1:]]) + "\n")
    job = crime_import_paths(paths=[path], format="police_uk", source="police.uk")
    assert (job.rows_read, job.rows_inserted, job.rows_duplicate) == (12, 6, 6)


def test_leftover_staging_tables_are_purged(transactional_db):
    with connection.cursor() as cur:
        cur.execute("CREATE UNLOGGED TABLE hotspots_work.import_staging_deadbeef (x int)")
    assert import_staging_purge() == ["import_staging_deadbeef"]
    assert staging_tables() == []


def test_an_import_waits_for_a_boundary_change_and_takes_the_new_areas(parallel, areas):
    """Camden is deleted while an import is under way: the import waits for the change to
    commit, then its crimes take the area now there (Central North, which Camden leaves
    uncovered), not the id of an area that no longer exists."""
    import threading

    from django.db import transaction

    from accounts.models import Area
    from accounts.services import areas_rebuild_index

    changed, release = threading.Event(), threading.Event()
    outcome: dict = {}

    def boundary_change() -> None:
        try:
            with transaction.atomic():
                Area.objects.filter(code=CAMDEN).delete()
                outcome["moved"] = areas_rebuild_index()
                changed.set()
                release.wait(30)
        finally:
            connection.close()

    def import_files() -> None:
        try:
            outcome["job"] = crime_import_paths(paths=[MARCH, APRIL], format="police_uk",
                                                source="police.uk")
        finally:
            connection.close()

    change = threading.Thread(target=boundary_change, daemon=True)
    change.start()
    assert changed.wait(30)
    importing = threading.Thread(target=import_files, daemon=True)
    importing.start()
    importing.join(3)
    assert importing.is_alive()  # waiting for the boundary change
    assert Crime.objects.count() == 0
    release.set()
    change.join(30)
    importing.join(60)
    assert not change.is_alive() and not importing.is_alive()
    assert (outcome["moved"], outcome["job"].rows_inserted) == (0, 10)
    assert list(Crime.objects.values_list("area__code", flat=True).distinct()) == ["CN"]
