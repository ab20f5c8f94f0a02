"""The crime table checks its offence type on the rare side, not per imported row.

There is no per-row foreign key (docs/adr/0002): a trigger refuses to delete or renumber an
offence type that crimes use, and the importer locks the types it writes.
"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from hotspots.importers.errors import ImportInputError
from hotspots.importers.pipeline import run_import
from hotspots.models import Crime, ImportJob, OffenceType
from hotspots.services import crime_import_paths, import_layout
from tests.conftest import FIXTURES

MARCH = FIXTURES / "policeuk" / "2024-03-metropolitan-street.csv"

pytestmark = pytest.mark.django_db


def type_rows() -> list[tuple]:
    return list(OffenceType.objects.order_by("id").values_list("id", "code", "harm_weight"))


def test_an_offence_type_in_use_cannot_be_deleted_even_in_sql():
    crime_import_paths(paths=[MARCH], format="police_uk", source="police.uk")
    used = Crime.objects.values_list("offence_type_id", flat=True)[0]
    before, crimes = type_rows(), Crime.objects.count()

    with pytest.raises(ProtectedError):
        OffenceType.objects.get(pk=used).delete()
    for sql in ("DELETE FROM hotspots_offencetype WHERE id = %s",
                "UPDATE hotspots_offencetype SET id = id + 100000 WHERE id = %s"):
        with pytest.raises(IntegrityError, match="is used by recorded crimes"), \
                transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [used])

    assert type_rows() == before
    assert Crime.objects.count() == crimes == 6


def test_an_unused_offence_type_can_be_deleted_and_other_columns_edited():
    crime_import_paths(paths=[MARCH], format="police_uk", source="police.uk")
    used = set(Crime.objects.values_list("offence_type_id", flat=True))
    unused = OffenceType.objects.exclude(pk__in=used).first()
    with connection.cursor() as cur:
        cur.execute("UPDATE hotspots_offencetype SET harm_weight = 2 WHERE id = ANY(%s)",
                    [list(used)])
        cur.execute("DELETE FROM hotspots_offencetype WHERE id = %s", [unused.pk])
    assert not OffenceType.objects.filter(pk=unused.pk).exists()
    assert set(OffenceType.objects.filter(pk__in=used).values_list("harm_weight", flat=True)) \
        == {2}


def test_an_offence_type_deleted_during_an_import_stops_it_with_a_message():
    layout = import_layout(format="police_uk", mapping={})
    # Between reading the types and inserting, an analyst deletes one (here: unused).
    OffenceType.objects.filter(code="bicycle-theft").delete()

    with pytest.raises(ImportInputError, match="an offence type was deleted during the import"):
        run_import(inputs=[(MARCH, MARCH.name)], layout=layout, source="police.uk", job_id=None)
    assert Crime.objects.count() == 0


def test_the_command_records_that_failure_on_its_job(monkeypatch):
    from hotspots import services

    real = services.import_layout

    def layout_then_delete(**kwargs):
        layout = real(**kwargs)
        OffenceType.objects.filter(code="bicycle-theft").delete()
        return layout

    monkeypatch.setattr(services, "import_layout", layout_then_delete)
    with pytest.raises(ImportInputError):
        crime_import_paths(paths=[MARCH], format="police_uk", source="police.uk")
    job = ImportJob.objects.get()
    assert (job.status, job.error) == (
        ImportJob.Status.FAILED, "an offence type was deleted during the import; run it again")
    assert Crime.objects.count() == 0
