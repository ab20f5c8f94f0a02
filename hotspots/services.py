"""Writes for crime data: imports and offence types."""

import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from audit.services import audit_record
from core.errors import InputError
from core.jobs import LockId, job_lock, jobs_resume
from core.resilience import enqueue_on_commit
from core.text import markup_problem

from .importers.errors import ImportInputError
from .importers.layouts import Layout, TypeResolver, generic_layout, police_uk_layout
from .importers.pipeline import ImportOutcome, run_import
from .models import ImportJob, OffenceType
from .offence_defaults import DEFAULT_OFFENCE_TYPES, SOURCE
from .selectors import crs_kind

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


def offence_types_ensure_defaults() -> int:
    """Create any missing default offence type; existing ones (and their weights) are kept."""
    created = 0
    for code, name, category, weight, include, aliases in DEFAULT_OFFENCE_TYPES:
        _, was_created = OffenceType.objects.get_or_create(
            code=code,
            defaults={"name": name, "category": category, "harm_weight": weight,
                      "weight_source": SOURCE, "include_in_targeting": include,
                      "aliases": aliases},
        )
        created += was_created
    return created


@transaction.atomic
def offence_type_update(*, offence_type: OffenceType, actor: "User | None", harm_weight: float,
                        include_in_targeting: bool, weight_source: str) -> OffenceType:
    """Change an offence type's harm weight or targeting flag, with an audit event."""
    if harm_weight < 0 or harm_weight != harm_weight or harm_weight > 1_000_000:
        raise InputError("harm weight must be a number from 0 to 1,000,000")
    if problem := markup_problem("the weight's source", weight_source):
        raise InputError(problem)
    locked = OffenceType.objects.select_for_update().get(pk=offence_type.pk)
    before = {"harm_weight": locked.harm_weight,
              "include_in_targeting": locked.include_in_targeting}
    locked.harm_weight = harm_weight
    locked.include_in_targeting = include_in_targeting
    locked.weight_source = weight_source[:300]
    locked.save(update_fields=["harm_weight", "include_in_targeting", "weight_source"])
    audit_record(actor=actor, action="offence_type.update", target=locked,
                 detail={"before": before, "after": {"harm_weight": harm_weight,
                                                     "include_in_targeting": include_in_targeting}})
    return locked


def import_layout(*, format: str, mapping: dict[str, Any]) -> Layout:
    """The layout for a format and mapping; raises ImportInputError with a clear message."""
    types: list[dict[str, Any]] = [
        dict(t) for t in OffenceType.objects.values("id", "code", "name", "aliases")]
    if format == ImportJob.Format.POLICE_UK:
        return police_uk_layout(types=TypeResolver(types), tz=_tz())
    if format == ImportJob.Format.GENERIC:
        if not isinstance(mapping, dict) or not mapping:
            raise ImportInputError("a generic import needs a column mapping")
        return generic_layout(mapping=mapping, types_table=types, default_tz=settings.TIME_ZONE,
                              crs_kind=crs_kind)
    raise ImportInputError(f"unknown format {format!r}; use police_uk or generic")


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _record_outcome(job: ImportJob, outcome: ImportOutcome) -> None:
    job.rows_read = outcome.read
    job.rows_inserted = outcome.inserted
    job.rows_duplicate = outcome.duplicate
    job.rows_rejected = outcome.rejected
    job.rejects_by_reason = outcome.rejects.by_reason
    job.rejects_sample = outcome.rejects.sample
    job.finished_at = timezone.now()
    nothing_read = outcome.read == 0 and outcome.file_errors
    job.status = ImportJob.Status.FAILED if nothing_read else ImportJob.Status.DONE
    # A file that could not be read is the error when nothing was read, a warning beside
    # what was; never both (the page showed a refused upload's message twice).
    job.warnings = outcome.warnings if nothing_read else outcome.file_errors + outcome.warnings
    if nothing_read:
        job.error = "; ".join(outcome.file_errors)
    job.save()


def crime_import_paths(*, paths: list[Path], format: str, source: str,
                       mapping: dict[str, Any] | None = None,
                       actor: "User | None" = None) -> ImportJob:
    """Import files from the server's disk now (the command line), recorded as an ImportJob."""
    mapping = mapping or {}
    layout = import_layout(format=format, mapping=mapping)
    job = ImportJob.objects.create(
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        status=ImportJob.Status.RUNNING, format=format, source=source, mapping=mapping,
        original_name=", ".join(p.name for p in paths)[:255], started_at=timezone.now(),
        bytes_total=sum(p.stat().st_size for p in paths if p.exists()),
    )
    try:
        outcome = run_import(inputs=[(p, p.name) for p in paths], layout=layout,
                             source=source, job_id=job.pk)
    except ImportInputError as exc:
        _job_failed(job.pk, str(exc))
        raise
    except Exception as exc:
        # As in the task: the job must not sit at "running" on the analyst's page.
        _job_failed(job.pk, f"the import stopped unexpectedly ({type(exc).__name__})")
        raise
    with transaction.atomic():
        _record_outcome(job, outcome)
        audit_record(actor=actor, action="crime_import.run", target=job,
                     detail={"files": [str(p) for p in paths], "summary": outcome.summary()})
    return job


@transaction.atomic
def import_job_create(*, actor: "User | None", upload: UploadedFile, format: str, source: str,
                      mapping: dict[str, Any] | None = None) -> ImportJob:
    """Store an uploaded file and queue its import; the mapping is checked before queueing."""
    from .tasks import crime_import_run

    mapping = mapping or {}
    import_layout(format=format, mapping=mapping)
    if not upload.size:
        raise ImportInputError(f"{upload.name}: the file is empty")
    if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise ImportInputError(
            f"{upload.name}: {upload.size:,} bytes is over the limit of "
            f"{settings.IMPORT_MAX_UPLOAD_BYTES:,}"
        )
    name = Path(upload.name or "upload.csv").name[:255]
    if problem := markup_problem("the file name and source", name, source):
        raise ImportInputError(problem)
    job = ImportJob(created_by=actor, format=format, source=source[:64], mapping=mapping,
                    original_name=name, bytes_total=upload.size)
    job.upload.save(name, upload, save=False)
    job.save()
    audit_record(actor=actor, action="crime_import.queue", target=job,
                 detail={"file": name, "bytes": upload.size, "format": format})
    enqueue_on_commit(crime_import_run, job.pk)
    return job


def import_job_execute(*, job_id: int) -> str:
    """Run a queued import once. A re-delivered task for a finished job does nothing."""
    with job_lock(LockId.IMPORT_JOBS, job_id) as held:
        if not held:
            return "busy"
        return _import_job_run(job_id)


def _import_job_run(job_id: int) -> str:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return job.status
    # A job left "running" by a killed worker is simply run again: the insert is one
    # statement with ON CONFLICT DO NOTHING, so nothing it had done can be doubled.
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), bytes_read=0, rows_read=0
    )
    try:
        layout = import_layout(format=job.format, mapping=job.mapping)
        path = Path(job.upload.path)
        outcome = run_import(
            inputs=[(path, job.original_name)], layout=layout, source=job.source,
            job_id=job.pk,
            progress=lambda done, total, rows: _job_progress(job_id, done, rows),
        )
    except ImportInputError as exc:
        _job_failed(job_id, str(exc))
        return ImportJob.Status.FAILED
    except Exception as exc:
        # Not a retry: the job must not sit at "running" on the analyst's page.
        logger.exception("import %s stopped", job_id)
        _job_failed(job_id, f"the import stopped unexpectedly ({type(exc).__name__}); "
                            "nothing was half-written, and it can be uploaded again")
        raise
    job.refresh_from_db()
    job.bytes_read = job.bytes_total
    with transaction.atomic():
        _record_outcome(job, outcome)
        audit_record(actor=job.created_by, action="crime_import.run", target=job,
                     detail={"summary": outcome.summary()})
    logger.info("import %s: %s", job_id, outcome.summary())
    return job.status


def _job_failed(job_id: int, error: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.FAILED, error=error, finished_at=timezone.now())


def _job_progress(job_id: int, done: int, rows: int) -> None:
    # Autocommit: the page polling this job sees each update at once.
    ImportJob.objects.filter(pk=job_id).update(bytes_read=done, rows_read=rows)


def import_staging_purge() -> list[str]:
    """Drop staging tables left behind by an import whose process was killed."""
    dropped = []
    with connection.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'hotspots_work' "
                    "AND tablename LIKE 'import\\_staging\\_%%'")
        names = [row[0] for row in cur.fetchall()]
        for name in names:
            # A running import holds a lock on its table: skip it rather than wait.
            with transaction.atomic():
                cur.execute("SET LOCAL lock_timeout = '100ms'")
                try:
                    with transaction.atomic():
                        cur.execute(f'DROP TABLE IF EXISTS hotspots_work."{name}"')
                    dropped.append(name)
                except OperationalError:
                    continue
    return dropped


def import_uploads_purge(*, older_than_days: int) -> int:
    """Delete uploaded source files of imports that finished long ago (data minimisation)."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    jobs = ImportJob.objects.filter(finished_at__lt=cutoff).exclude(upload="")
    purged = 0
    for job in jobs.iterator():
        job.upload.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(upload="")
        purged += 1
    return purged


def import_jobs_resume(*, stale_after: timedelta = timedelta(minutes=10)) -> list[int]:
    """Queue again the imports a killed worker (or a broker outage) left behind."""
    from .tasks import crime_import_run

    return jobs_resume(model=ImportJob, kind=LockId.IMPORT_JOBS, task=crime_import_run,
                       stale_after=stale_after)
