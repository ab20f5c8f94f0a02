"""Bad input: a clear message or a per-row report, never a traceback, no good row lost."""

import gzip
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hotspots.importers.errors import ImportInputError
from hotspots.models import Crime, ImportJob
from hotspots.services import crime_import_paths

pytestmark = pytest.mark.django_db

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
          "LSOA name,Crime type,Last outcome category,Context")


def row(crime_id: str = "", month: str = "2024-03", lon: str = "-0.146183",
        lat: str = "51.561727", location: str = "On or near Brookfield Park",
        crime_type: str = "Burglary") -> str:
    return (f"{crime_id},{month},Metropolitan Police Service,Metropolitan Police Service,"
            f"{lon},{lat},{location},E01000909,Camden 001C,{crime_type},,")


def write(path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def police_uk(*paths: Path) -> ImportJob:
    return crime_import_paths(paths=list(paths), format="police_uk", source="police.uk")


def test_bad_rows_are_reported_with_line_and_reason_and_good_rows_kept(tmp_path):
    path = write(
        tmp_path / "mixed.csv", HEADER,
        row("good-1"),                                   # line 2
        row("no-coords", lon="", lat=""),                # line 3
        row("lat-91", lat="91"),                         # line 4
        row("not-a-number", lon="abc"),                  # line 5
        row("nan", lat="NaN"),                           # line 6
        row("bad-month", month="2024-13"),               # line 7
        row("unknown-type", crime_type="Jaywalking"),    # line 8
        row("good-2") + ",extra",                        # line 9: too many fields
        row("good-3", location="On or near High Street"),  # line 10
    )

    job = police_uk(path)

    assert (job.rows_read, job.rows_inserted, job.rows_duplicate, job.rows_rejected) == (9, 2, 0, 7)
    assert sorted(Crime.objects.values_list("reference", flat=True)) == ["good-1", "good-3"]
    assert job.rejects_sample == [
        {"file": "mixed.csv", "line": 3, "reason": "no coordinates: longitude is empty"},
        {"file": "mixed.csv", "line": 4,
         "reason": "coordinate out of range: latitude '91' not in [-90, 90]"},
        {"file": "mixed.csv", "line": 5, "reason": "coordinate not a number: longitude 'abc'"},
        {"file": "mixed.csv", "line": 6, "reason": "coordinate not a number: latitude 'NaN'"},
        {"file": "mixed.csv", "line": 7, "reason": "unknown date: '2024-13' is not a date"},
        {"file": "mixed.csv", "line": 8, "reason": "unknown offence type: 'Jaywalking'"},
        {"file": "mixed.csv", "line": 9,
         "reason": "wrong number of fields: expected 12, found 13"},
    ]
    assert job.rejects_by_reason == {
        "no coordinates": 1, "coordinate out of range": 1, "coordinate not a number": 2,
        "unknown date": 1, "unknown offence type": 1, "wrong number of fields": 1,
    }


def test_future_month_is_rejected(tmp_path):
    job = police_uk(write(tmp_path / "f.csv", HEADER, row("future", month="2099-01"), row("ok")))
    assert (job.rows_inserted, job.rows_rejected) == (1, 1)
    assert job.rejects_sample[0]["reason"] == "unknown date: '2099-01' is in the future"


def test_duplicate_rows_inside_one_file_count_as_duplicates(tmp_path):
    job = police_uk(write(tmp_path / "d.csv", HEADER, row("same"), row("same"), row("other")))
    assert (job.rows_read, job.rows_inserted, job.rows_duplicate, job.rows_rejected) == (3, 2, 1, 0)


def test_wrong_headers_name_what_is_missing_and_what_was_found(tmp_path):
    path = write(tmp_path / "wrong.csv", "date,place,what", "2024-01-01,Camden,Burglary")
    with pytest.raises(CommandError) as err:
        call_command("import_crimes", str(path))
    assert str(err.value) == (
        "wrong.csv: not a police.uk street file: missing Month, Longitude, Latitude, "
        "Crime type; the header has: date, place, what"
    )
    assert Crime.objects.count() == 0
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED


def test_empty_file_gives_a_clear_message(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match=r"^empty.csv: the file is empty$"):
        call_command("import_crimes", str(path))
    assert Crime.objects.count() == 0


def test_header_only_file_imports_nothing_without_error(tmp_path):
    job = police_uk(write(tmp_path / "header.csv", HEADER))
    assert (job.status, job.rows_read, job.rows_inserted) == (ImportJob.Status.DONE, 0, 0)


def test_zip_with_no_csv_gives_a_clear_message(tmp_path):
    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("2024-03/readme.md", "nothing here")
    with pytest.raises(CommandError, match=r"^photos.zip: the zip archive holds no CSV files$"):
        call_command("import_crimes", str(archive))
    assert Crime.objects.count() == 0


def test_one_bad_file_does_not_stop_the_good_files(tmp_path):
    good = write(tmp_path / "good.csv", HEADER, row("g1"), row("g2"))
    bad = write(tmp_path / "bad.csv", "a,b,c", "1,2,3")
    job = police_uk(bad, good)
    assert (job.status, job.rows_inserted) == (ImportJob.Status.DONE, 2)
    assert job.warnings == [
        "bad.csv: not a police.uk street file: missing Month, Longitude, Latitude, Crime type; "
        "the header has: a, b, c"
    ]


def test_windows_1252_file_is_read_and_the_fallback_reported(tmp_path):
    path = write(tmp_path / "excel.csv", HEADER, row("c1", location="On or near Café Road"),
                 encoding="cp1252")
    job = police_uk(path)
    assert job.rows_inserted == 1
    assert Crime.objects.get().location_text == "On or near Café Road"
    assert job.warnings == [
        "excel.csv: 1 byte(s) were not UTF-8 and were read as Windows-1252; check accented names"
    ]


def test_utf8_with_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "\n" + row("b1") + "\n").encode())
    assert police_uk(path).rows_inserted == 1


def test_binary_file_is_refused_clearly(tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(CommandError, match=r"^image.csv: this is not a text file"):
        call_command("import_crimes", str(path))


def test_malformed_quoting_and_nul_bytes_reject_only_their_rows(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes((HEADER + "\n" + row("ok-1") + "\n").encode()
                     + b"nul\x00row,2024-03,x,x,-0.1,51.5,x,x,x,Burglary,,\n"
                     + (row("ok-2") + "\n").encode())
    job = police_uk(path)
    assert (job.rows_read, job.rows_inserted, job.rows_rejected) == (3, 2, 1)
    assert job.rejects_sample[0]["line"] == 3
    assert job.rejects_sample[0]["reason"].startswith("malformed CSV")


def test_a_200_mb_row_is_rejected_and_the_rows_around_it_kept(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as out:
        out.write((HEADER + "\n" + row("before") + "\n").encode())
        chunk = b"x" * (1 << 20)
        out.write(b"huge,2024-03,")
        for _ in range(200):
            out.write(chunk)
        out.write(b",x\n")
        out.write((row("after") + "\n").encode())
    assert path.stat().st_size > 200 * 1024 * 1024

    job = police_uk(path)

    assert (job.rows_read, job.rows_inserted, job.rows_rejected) == (3, 2, 1)
    assert sorted(Crime.objects.values_list("reference", flat=True)) == ["after", "before"]
    assert job.rejects_sample[0]["reason"].startswith(
        "malformed CSV (field larger than field limit")


def test_gzip_file_is_streamed(tmp_path):
    path = tmp_path / "2024-03.csv.gz"
    with gzip.open(path, "wt") as out:
        out.write(HEADER + "\n" + row("gz-1") + "\n" + row("gz-2") + "\n")
    assert police_uk(path).rows_inserted == 2


def test_missing_file_is_a_clear_message(tmp_path):
    with pytest.raises(CommandError, match=r"^nope.csv: no such file$"):
        call_command("import_crimes", str(tmp_path / "nope.csv"))


def test_unknown_format_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ImportInputError, match="unknown format 'excel'"):
        crime_import_paths(paths=[tmp_path / "x.csv"], format="excel", source="s")
    assert ImportJob.objects.count() == 0


@pytest.mark.parametrize("parallel", [False, True])
def test_a_point_that_cannot_be_placed_is_rejected_not_the_file(tmp_path, settings, parallel,
                                                                 request):
    """Longitude 90 lies 92 degrees from British National Grid's central meridian, where
    PROJ cannot go: only that row is rejected (once on one connection, once on two)."""
    if parallel:
        request.getfixturevalue("transactional_db")
        settings.IMPORT_PARALLEL_MIN_ROWS = 1
    path = write(tmp_path / "far.csv", HEADER,
                 row("near-1"),                          # line 2
                 row("far-away", lon="90", lat="0"),     # line 3
                 row("near-2"),                          # line 4
                 row("", lon="90.5", lat="0.5"))         # line 5: no Crime ID, an ASB key
    job = police_uk(path)

    assert (job.status, job.rows_read, job.rows_inserted, job.rows_duplicate,
            job.rows_rejected) == ("done", 4, 2, 0, 2)
    assert sorted(Crime.objects.values_list("reference", flat=True)) == ["near-1", "near-2"]
    assert job.rejects_by_reason == {"coordinate outside the coordinate system": 2}
    assert job.rejects_sample == [
        {"file": "far.csv", "line": 3, "reason": "coordinate outside the coordinate system: "
                                                 "(90, 0) in EPSG:4326 cannot be placed in "
                                                 "EPSG:27700"},
        {"file": "far.csv", "line": 5, "reason": "coordinate outside the coordinate system: "
                                                 "(90.5, 0.5) in EPSG:4326 cannot be placed in "
                                                 "EPSG:27700"}]


def test_a_command_line_import_that_stops_unexpectedly_is_marked_failed(tmp_path):
    # A path that is a directory fails deep inside the reader, unforeseen.
    folder = tmp_path / "odd.csv"
    folder.mkdir()
    with pytest.raises(IsADirectoryError):
        police_uk(folder)
    job = ImportJob.objects.get()
    assert (job.status, job.error) == ("failed",
                                       "the import stopped unexpectedly (IsADirectoryError)")
    assert job.finished_at is not None
    assert Crime.objects.count() == 0


def _bomb_zip(path: Path) -> Path:
    """A police.uk-looking archive: 100 MiB of one byte in about 100 KB (issue 15, item 7)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("2024-03/2024-03-metropolitan-street.csv",
                   HEADER + "\n" + "0" * (100 * 1024 * 1024))
    return path


def test_a_zip_bomb_is_refused_before_a_row_is_read_and_good_files_still_import(tmp_path):
    bomb = _bomb_zip(tmp_path / "bomb.zip")
    assert bomb.stat().st_size < 200_000
    good = write(tmp_path / "good.csv", HEADER, row("g1"))
    job = police_uk(bomb, good)
    assert job.rows_inserted == 1 and job.rows_read == 1
    [message] = job.warnings
    [member] = zipfile.ZipFile(bomb).infolist()
    assert message == (f"bomb.zip: refused as a possible zip bomb: {member.compress_size:,} "
                       f"bytes would expand to {member.file_size:,} bytes (at most 100 times "
                       "the file and 8,589,934,592 bytes in all)")
    assert list(Crime.objects.values_list("reference", flat=True)) == ["g1"]


def test_a_gzip_bomb_is_refused_by_measuring_the_stream(tmp_path, settings):
    path = tmp_path / "2024-03.csv.gz"
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write((HEADER + "\n").encode() + b"0" * (50 * 1024 * 1024))
    with pytest.raises(CommandError, match=r"^2024-03.csv.gz: refused as a possible zip bomb: "
                                           r"[0-9,]+ bytes would expand to more than "):
        call_command("import_crimes", str(path))
    assert Crime.objects.count() == 0
    # The ratio is a setting: a force with unusual files can raise it.
    settings.IMPORT_MAX_EXPANSION_RATIO = 10_000
    job = police_uk(path)
    assert job.warnings == [] and job.rows_inserted == 0


def test_a_zip_bomb_padded_with_an_incompressible_file_is_still_refused(tmp_path):
    """The reviewer's bypass: a stored 2 MiB of random bytes beside the bomb raised the
    archive's size, and so its allowance, past what the CSV expands to."""
    import os

    bomb = _bomb_zip(tmp_path / "padded.zip")
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_STORED) as z:
        z.writestr("padding.bin", os.urandom(2 * 1024 * 1024))
    job = police_uk(bomb)
    # Nothing was read, so the refusal is the job's error, and only that (issue 18, item
    # 18: it was also repeated as a warning, and the page showed it twice).
    assert job.status == "failed" and job.warnings == []
    assert job.error.startswith("padded.zip: refused as a possible zip bomb: ")
    assert job.rows_read == 0 and Crime.objects.count() == 0
