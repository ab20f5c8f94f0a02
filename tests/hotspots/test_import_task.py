"""The upload path end to end with a real Celery worker on the real Redis broker."""

import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hotspots.models import Crime, ImportJob
from hotspots.services import import_job_execute
from tests.conftest import FIXTURES

MARCH = FIXTURES / "policeuk" / "2024-03-metropolitan-street.csv"


def wait_for(job_id: int, seconds: float = 30) -> ImportJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = ImportJob.objects.get(pk=job_id)
        if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
            return job
        time.sleep(0.1)
    raise AssertionError(f"import {job_id} did not finish in {seconds} s")


def test_uploaded_file_is_imported_by_the_worker(client, users, celery_worker):
    client.force_login(users["analyst"])
    upload = SimpleUploadedFile("2024-03-metropolitan-street.csv", MARCH.read_bytes())

    response = client.post(reverse("api-imports"), {"file": upload, "format": "police_uk"})

    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["original_name"], body["source"]) == (
        "queued", "2024-03-metropolitan-street.csv", "police.uk")
    job = wait_for(body["id"])
    assert job.status == ImportJob.Status.DONE
    assert job.summary == "read 6, inserted 6, duplicate 0, rejected 0"
    assert job.progress_percent == 100
    assert job.bytes_read == job.bytes_total == MARCH.stat().st_size
    assert Crime.objects.filter(import_job=job).count() == 6
    detail = client.get(reverse("api-import", args=[job.pk])).json()
    assert detail["summary"] == "read 6, inserted 6, duplicate 0, rejected 0"


def test_a_redelivered_task_does_nothing_twice(client, users, celery_worker):
    client.force_login(users["analyst"])
    upload = SimpleUploadedFile("march.csv", MARCH.read_bytes())
    job_id = client.post(reverse("api-imports"), {"file": upload}).json()["id"]
    wait_for(job_id)

    # The broker hands the same task out again (a worker died before acknowledging it).
    assert import_job_execute(job_id=job_id) == "done"

    job = ImportJob.objects.get(pk=job_id)
    assert (job.rows_inserted, job.rows_duplicate) == (6, 0)
    assert Crime.objects.count() == 6


def test_a_job_left_running_by_a_killed_worker_is_completed_once(users, transactional_db):
    from django.core.files.base import ContentFile

    job = ImportJob(created_by=users["analyst"], format="police_uk", source="police.uk",
                    original_name="march.csv", bytes_total=MARCH.stat().st_size,
                    status=ImportJob.Status.RUNNING)
    job.upload.save("march.csv", ContentFile(MARCH.read_bytes()), save=True)

    assert import_job_execute(job_id=job.pk) == "done"
    assert import_job_execute(job_id=job.pk) == "done"
    job.refresh_from_db()
    assert job.summary == "read 6, inserted 6, duplicate 0, rejected 0"
    assert Crime.objects.count() == 6


def test_bad_upload_requests_are_400_and_store_nothing(client, users, settings, transactional_db):
    client.force_login(users["analyst"])
    empty = client.post(reverse("api-imports"), {"file": SimpleUploadedFile("e.csv", b"")})
    assert empty.status_code == 400
    bad_json = client.post(reverse("api-imports"), {
        "file": SimpleUploadedFile("g.csv", b"a,b\n1,2\n"), "format": "generic",
        "mapping": "{not json"})
    assert bad_json.status_code == 400
    assert bad_json.json()["mapping"][0].startswith("the mapping is not valid JSON")
    no_mapping = client.post(reverse("api-imports"), {
        "file": SimpleUploadedFile("g.csv", b"a,b\n1,2\n"), "format": "generic"})
    assert (no_mapping.status_code, no_mapping.json()) == (
        400, {"detail": "a generic import needs a column mapping"})
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    too_big = client.post(reverse("api-imports"),
                          {"file": SimpleUploadedFile("big.csv", b"x" * 101)})
    assert (too_big.status_code, too_big.json()) == (
        400, {"detail": "big.csv: 101 bytes is over the limit of 100"})
    assert ImportJob.objects.count() == 0
    assert Crime.objects.count() == 0


def test_a_vanished_upload_fails_the_job_with_a_message(users, transactional_db):
    from django.core.files.base import ContentFile

    job = ImportJob(created_by=users["analyst"], format="police_uk", source="police.uk",
                    original_name="march.csv", bytes_total=MARCH.stat().st_size)
    job.upload.save("march.csv", ContentFile(MARCH.read_bytes()), save=True)
    job.upload.storage.delete(job.upload.name)

    assert import_job_execute(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert (job.status, job.error) == (ImportJob.Status.FAILED, "march.csv: no such file")
    assert Crime.objects.count() == 0


def test_an_unexpected_failure_marks_the_job_failed_and_reaches_celery(users, settings,
                                                                      transactional_db):
    from pathlib import Path

    # An upload path that is a directory fails deep inside the reader, unforeseen.
    folder = Path(settings.MEDIA_ROOT) / "imports" / "odd.csv"
    folder.mkdir(parents=True, exist_ok=True)
    job = ImportJob.objects.create(created_by=users["analyst"], format="police_uk",
                                   source="police.uk", original_name="odd.csv",
                                   upload="imports/odd.csv", bytes_total=1)
    try:
        import_job_execute(job_id=job.pk)
    except IsADirectoryError:
        pass
    else:
        raise AssertionError("the error should reach Celery, which logs it")
    finally:
        folder.rmdir()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error == ("the import stopped unexpectedly (IsADirectoryError); nothing was "
                         "half-written, and it can be uploaded again")
    assert Crime.objects.count() == 0


def run_in_thread(work, seconds: float = 60):
    """Runs `work` on its own thread; fails instead of hanging if it never returns."""
    import threading

    from django.db import connection

    result: dict = {}

    def target():
        try:
            result["value"] = work()
        finally:
            connection.close()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    return result["value"]


def test_progress_is_written_while_a_file_is_read(users, transactional_db, monkeypatch):
    """Progress goes through the import's own connection, which cannot run a statement
    while a COPY is open: it used to wait for ever at the 50,000th row."""
    from hotspots.importers import pipeline
    from hotspots.services import import_layout

    monkeypatch.setattr(pipeline, "PROGRESS_EVERY", 2)
    job = ImportJob.objects.create(format="police_uk", source="police.uk",
                                   original_name="march.csv", bytes_total=MARCH.stat().st_size)
    seen = []

    def progress(done: int, total: int, rows: int) -> None:
        # What the task does: an ORM write on the import's connection, seen at once.
        ImportJob.objects.filter(pk=job.pk).update(rows_read=rows)
        seen.append((rows, ImportJob.objects.get(pk=job.pk).rows_read))

    outcome = run_in_thread(lambda: pipeline.run_import(
        inputs=[(MARCH, MARCH.name)], layout=import_layout(format="police_uk", mapping={}),
        source="police.uk", job_id=job.pk, progress=progress))

    assert outcome.summary() == "read 6, inserted 6, duplicate 0, rejected 0"
    assert seen == [(2, 2), (4, 4), (6, 6), (6, 6)]
    assert Crime.objects.filter(import_job=job).count() == 6


def test_a_job_reports_progress_through_the_task_path(users, transactional_db, monkeypatch):
    from django.core.files.base import ContentFile

    from hotspots.importers import pipeline

    monkeypatch.setattr(pipeline, "PROGRESS_EVERY", 2)
    job = ImportJob(created_by=users["analyst"], format="police_uk", source="police.uk",
                    original_name="march.csv", bytes_total=MARCH.stat().st_size)
    job.upload.save("march.csv", ContentFile(MARCH.read_bytes()), save=True)

    assert run_in_thread(lambda: import_job_execute(job_id=job.pk)) == "done"
    job.refresh_from_db()
    assert job.summary == "read 6, inserted 6, duplicate 0, rejected 0"
    assert (job.rows_read, job.bytes_read) == (6, MARCH.stat().st_size)
