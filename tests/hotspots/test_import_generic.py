"""CSV/TSV with a column mapping: dates or windows, lon/lat or x/y, mapped types."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotspots.importers.errors import ImportInputError
from hotspots.models import Crime, ImportJob
from hotspots.services import crime_import_paths

pytestmark = pytest.mark.django_db


def generic(path: Path, mapping: dict, source: str = "force") -> ImportJob:
    return crime_import_paths(paths=[path], format="generic", source=source, mapping=mapping)


def test_lon_lat_and_local_timestamps_become_utc_instants(tmp_path):
    path = tmp_path / "rms.csv"
    path.write_text(
        "ref,when,lon,lat,offence\n"
        "CR1,2024-07-01 12:30,-0.1462,51.5617,BURG\n"    # BST: 11:30 UTC
        "CR2,2024-01-15 23:10,-0.1462,51.5617,ASB\n"     # GMT: 23:10 UTC
    )
    job = generic(path, {"columns": {"reference": "ref", "date": "when", "lon": "lon",
                                     "lat": "lat", "type": "offence"},
                         "types": {"BURG": "burglary", "ASB": "anti-social-behaviour"}})

    assert (job.rows_inserted, job.rows_rejected) == (2, 0)
    cr1 = Crime.objects.get(reference="CR1")
    assert cr1.occurred_from == cr1.occurred_to == datetime(2024, 7, 1, 11, 30, tzinfo=UTC)
    assert cr1.offence_type.code == "burglary"
    cr2 = Crime.objects.get(reference="CR2")
    assert cr2.occurred_from == datetime(2024, 1, 15, 23, 10, tzinfo=UTC)
    assert cr2.offence_type.code == "anti-social-behaviour"


def test_committed_between_window_in_uk_format_with_x_y_in_british_national_grid(tmp_path):
    path = tmp_path / "rms.tsv"
    path.write_text(
        "crime_no\tfrom\tto\teasting\tnorthing\ttype\n"
        "A1\t30/03/2024 22:00\t31/03/2024 09:00\t529000\t186500\tBurglary\n"
        "A2\t01/04/2024 10:00\t01/04/2024 08:00\t529000\t186500\tBurglary\n"   # ends before start
        "A3\t01/04/2024 10:00\t\t529100.5\t186400.25\tRobbery\n"             # no end: an instant
    )
    job = generic(path, {"columns": {"reference": "crime_no", "from": "from", "to": "to",
                                     "x": "easting", "y": "northing", "type": "type"},
                         "srid": 27700})

    assert (job.rows_read, job.rows_inserted, job.rows_rejected) == (3, 2, 1)
    a1 = Crime.objects.get(reference="A1")
    # 22:00 GMT on 30 March; 09:00 BST on 31 March (the clocks went forward at 01:00).
    assert a1.occurred_from == datetime(2024, 3, 30, 22, 0, tzinfo=UTC)
    assert a1.occurred_to == datetime(2024, 3, 31, 8, 0, tzinfo=UTC)
    assert (a1.location.x, a1.location.y) == (529000.0, 186500.0)
    a3 = Crime.objects.get(reference="A3")
    assert a3.occurred_from == a3.occurred_to == datetime(2024, 4, 1, 9, 0, tzinfo=UTC)
    assert (a3.location.x, a3.location.y) == (529100.5, 186400.25)
    assert job.rejects_sample == [{
        "file": "rms.tsv", "line": 3,
        "reason": "window ends before it starts: 2024-04-01T09:00:00+00:00 to "
                  "2024-04-01T07:00:00+00:00"}]


def test_unmapped_type_is_rejected_not_guessed(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("d,lon,lat,t\n2024-05-01,-0.14,51.56,BURG\n2024-05-01,-0.14,51.56,XYZ\n")
    job = generic(path, {"columns": {"date": "d", "lon": "lon", "lat": "lat", "type": "t"},
                         "types": {"BURG": "burglary"}, "default_type": "other-crime"})
    assert (job.rows_inserted, job.rows_rejected) == (1, 1)
    assert job.rejects_sample[0]["reason"] == "unknown offence type: 'XYZ'"
    # A day-only date covers the whole local day (BST: 23:00 UTC the day before).
    crime = Crime.objects.get()
    assert crime.occurred_from == datetime(2024, 4, 30, 23, 0, tzinfo=UTC)
    assert crime.occurred_to == datetime(2024, 5, 1, 23, 0, tzinfo=UTC)


def test_default_type_when_the_file_has_no_type_column_and_month_precision(tmp_path):
    # The shape of the shared Northumbria ASB file: month written as the first day.
    path = tmp_path / "asb.tsv"
    path.write_text("month\tlongitude\tlatitude\tlocation\tlsoa_code\n"
                    "2022-01-01\t-1.5467\t55.215\tLyne Terrace\tE01027451\n"
                    "2022-01-01\t-1.5467\t55.215\tLyne Terrace\tE01027451\n")
    job = generic(path, {"columns": {"date": "month", "lon": "longitude", "lat": "latitude",
                                     "location": "location", "lsoa": "lsoa_code"},
                         "default_type": "anti-social-behaviour", "date_precision": "month"},
                  source="northumbria")
    assert (job.rows_inserted, job.rows_duplicate) == (2, 0)
    crime = Crime.objects.first()
    assert crime.occurred_from == datetime(2022, 1, 1, tzinfo=UTC)
    assert crime.occurred_to == datetime(2022, 2, 1, tzinfo=UTC)
    assert crime.lsoa_code == "E01027451"



@pytest.mark.parametrize(("srid", "good", "bad", "reason"), [
    # x/y in a geographic CRS are a longitude and a latitude, checked row by row.
    (4326, "-0.1462,51.5617", "-0.1462,100",
     "coordinate out of range: latitude '100' not in [-90, 90]"),
    # PROJ cannot take this easting into British National Grid: only its row is rejected.
    (32630, "699000,5710000", "1e20,5000000",
     "coordinate outside the coordinate system: (1e+20, 5e+06) in EPSG:32630 cannot be "
     "placed in EPSG:27700"),
])
def test_a_point_that_cannot_be_placed_rejects_only_its_row(tmp_path, srid, good, bad, reason):
    path = tmp_path / "xy.csv"
    path.write_text(f"ref,d,x,y,t\nG1,2024-05-01,{good},Burglary\nG2,2024-05-01,{bad},Burglary\n")
    job = generic(path, {"columns": {"reference": "ref", "date": "d", "x": "x", "y": "y",
                                     "type": "t"}, "srid": srid})

    assert (job.status, job.rows_read, job.rows_inserted, job.rows_rejected) == (
        "done", 2, 1, 1)
    assert list(Crime.objects.values_list("reference", flat=True)) == ["G1"]
    assert job.rejects_sample == [{"file": "xy.csv", "line": 3, "reason": reason}]


@pytest.mark.parametrize(("mapping", "message"), [
    ({"columns": {"date": "d", "lon": "lon", "lat": "lat"}},
     "mapping: give a type column or a default_type"),
    ({"columns": {"date": "d", "lon": "lon", "lat": "lat", "x": "x", "y": "y", "type": "t"}},
     "mapping: give either lon and lat, or x and y (with srid)"),
    ({"columns": {"lon": "lon", "lat": "lat", "type": "t"}},
     "mapping: give a date column, or a from column (and optionally to)"),
    ({"columns": {"date": "d", "lon": "lon", "lat": "lat", "type": "t"}, "colour": "red"},
     "mapping: unknown option(s) colour; known: columns, srid, delimiter, date_format, "
     "date_precision, types, default_type, timezone"),
    ({"columns": {"date": "d", "lon": "lon", "lat": "lat", "type": "t"}, "timezone": "Mars/Base"},
     "mapping: unknown time zone 'Mars/Base'"),
    ({"columns": {"date": "d", "lon": "lon", "lat": "lat", "type": "t"}, "srid": 27700},
     "mapping: lon/lat are WGS84 (srid 4326); use x and y for other CRSs"),
    ({"columns": {"date": "d", "x": "lon", "y": "lat", "type": "t"}, "srid": 99999},
     "mapping: srid 99999 is not a coordinate reference system this database knows "
     "(27700 is British National Grid)"),
    ({"columns": {"date": "d", "lon": "lon", "lat": "lat", "type": "t"},
      "types": {"B": "no-such-type"}},
     "type mapping: 'B' maps to unknown offence type 'no-such-type'"),
    ({"columns": "x"}, 'mapping: "columns" must map fields to column names, e.g. '
                       '{"date": "Date", "lon": "Longitude"}'),
    ({"columns": {"date": 5, "lon": "lon", "lat": "lat", "type": "t"}},
     'mapping: "columns" must map fields to column names, e.g. '
     '{"date": "Date", "lon": "Longitude"}'),
    ({"columns": {"date": "d", "lon": "lon", "lat": "lat", "type": "t"}, "types": ["a"]},
     'mapping: "types" must map values of the type column to offence type codes, e.g. '
     '{"BURG": "burglary"}'),
    ({"columns": {"date": "d", "lon": "lon", "lat": "lat"}, "default_type": 3},
     "mapping: default_type must be text"),
    ({"columns": {"date": "d", "lon": "lon", "lat": "lat", "type": "t", "colour": "c"}},
     "mapping: unknown field(s) colour; fields: reference, date, from, to, lon, lat, x, y, "
     "type, location, lsoa, outcome"),
])
def test_mapping_mistakes_are_explained_before_anything_is_written(tmp_path, mapping, message):
    path = tmp_path / "x.csv"
    path.write_text("d,lon,lat,t\n2024-05-01,-0.14,51.56,Burglary\n")
    with pytest.raises(ImportInputError) as err:
        generic(path, mapping)
    assert str(err.value) == message
    assert ImportJob.objects.count() == 0
    assert Crime.objects.count() == 0


def test_a_mapped_column_missing_from_the_file_is_named(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("when,lon,lat,t\n2024-05-01,-0.14,51.56,Burglary\n")
    job = generic(path, {"columns": {"date": "date", "lon": "lon", "lat": "lat", "type": "t"}})
    assert job.status == ImportJob.Status.FAILED
    assert job.error == "x.csv: no column 'date'; the header has: when, lon, lat, t"
    assert Crime.objects.count() == 0


@pytest.mark.parametrize("mapping", ['{"columns": "x"}',
                                     '{"columns": {"date": "d"}, "types": [1]}'])
def test_command_explains_a_malformed_mapping(tmp_path, mapping):
    from django.core.management import CommandError, call_command

    path = tmp_path / "m.csv"
    path.write_text("d,lon,lat\n2024-01-01,-0.1,51.5\n")
    with pytest.raises(CommandError, match=r"^mapping: \"(columns|types)\" must map"):
        call_command("import_crimes", str(path), "--mapping", mapping)
    assert ImportJob.objects.count() == 0

