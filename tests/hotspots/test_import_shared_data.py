"""The whole real files of ../shared/data (skipped, with the reason, where they are absent)."""

import pytest

from hotspots.models import Crime
from hotspots.services import crime_import_paths
from tests.conftest import shared_file

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]


def test_metropolitan_burglary_year_imports_every_row_once():
    path = shared_file("policeuk", "metropolitan-burglary-2024-03-to-2025-02.zip")
    job = crime_import_paths(paths=[path], format="police_uk", source="police.uk")
    assert (job.rows_read, job.rows_inserted, job.rows_duplicate, job.rows_rejected) == (
        51_266, 51_266, 0, 0)
    again = crime_import_paths(paths=[path], format="police_uk", source="police.uk")
    assert (again.rows_inserted, again.rows_duplicate) == (0, 51_266)
    assert Crime.objects.count() == 51_266


def test_northumbria_asb_keeps_every_repeated_incident():
    path = shared_file("northumbria-asb-2022.tsv.gz")
    mapping = {"columns": {"date": "month", "lon": "longitude", "lat": "latitude",
                           "location": "location", "lsoa": "lsoa_code"},
               "default_type": "anti-social-behaviour", "date_precision": "month"}
    job = crime_import_paths(paths=[path], format="generic", source="northumbria",
                             mapping=mapping)
    # 14,005 rows repeat another row exactly: each is a separate incident.
    assert (job.rows_read, job.rows_inserted, job.rows_rejected) == (39_706, 39_706, 0)
    again = crime_import_paths(paths=[path], format="generic", source="northumbria",
                               mapping=mapping)
    assert (again.rows_inserted, again.rows_duplicate) == (0, 39_706)
