"""Writes for reports: exports made by Celery, whole files only, each disclosure audited."""

import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts.models import Area, User
from accounts.selectors import area_subtree_ids
from audit.services import audit_record
from core import writers
from core.errors import InputError
from core.jobs import JobStatus, LockId, job_run, jobs_resume
from core.resilience import enqueue_on_commit
from core.text import markup_problem

from .datasets import dataset
from .models import ExportJob


class ExportInputError(InputError):
    """The export cannot be made as asked; the message says why (HTTP 400)."""


def export_create(*, actor: User, kind: str, fmt: str, start: datetime, end: datetime,
                  recipient: str, purpose: str, area: Area | None = None) -> ExportJob:
    """Check and queue an export; refused with a message when it would hold nothing."""
    if problem := markup_problem("the recipient and purpose", recipient, purpose):
        raise ExportInputError(problem)
    if kind not in ExportJob.Kind.values:
        raise ExportInputError(f"the export is one of {', '.join(ExportJob.Kind.values)}")
    if fmt not in ExportJob.Format.values:
        raise ExportInputError(f"the format is one of {', '.join(ExportJob.Format.values)}")
    if kind == ExportJob.Kind.VISITS and not actor.has_perm("patrols.view_all_visits"):
        raise ExportInputError("your role cannot export other officers' visits")
    if not recipient.strip() or not purpose.strip():
        raise ExportInputError("say who the file is for and why: every disclosure is logged")
    if end <= start:
        raise ExportInputError("the period ends before it starts")
    if end - start > timedelta(days=800):
        raise ExportInputError("an export covers at most two years")
    if start > timezone.now():
        raise ExportInputError("the period starts in the future: there is nothing to export yet")
    area_ids = _area_ids(area)
    found = dataset(kind=kind, user=actor, start=start, end=end, area_ids=area_ids).count
    if found == 0:
        raise ExportInputError(f"there is nothing to export: no {kind} in that period and "
                               "area")
    with transaction.atomic():
        job = ExportJob.objects.create(kind=kind, format=fmt, area=area, period_start=start,
                                       period_end=end, recipient=recipient.strip()[:200],
                                       purpose=purpose.strip()[:300], rows_expected=found,
                                       created_by=actor)
        audit_record(actor=actor, action="export.create", target=job,
                     detail={"kind": kind, "format": fmt, "recipient": job.recipient,
                             "purpose": job.purpose, "rows": found,
                             "period": [start.isoformat(), end.isoformat()],
                             "area": area.pk if area else None})
        from .tasks import export_run

        enqueue_on_commit(export_run, job.pk)
    return job


def _area_ids(area: Area | None) -> list[int] | None:
    if area is None:
        return None
    return area_subtree_ids(area=area)


def export_execute(*, job_id: int) -> str:
    """Write the file to a temporary place, then store it whole: a failed export leaves no
    half file. Safe to run twice: a finished job is not written again, and two deliveries
    never write side by side (core.jobs.job_run: an advisory lock per job, and FAILED with
    the reason on any error)."""
    return job_run(model=ExportJob, kind=LockId.EXPORT_JOBS, job_id=job_id, work=_export_write)


def exports_resume(*, stale_after: timedelta = timedelta(minutes=10)) -> list[int]:
    """Queue again the exports a killed worker (or a broker outage) left behind."""
    from .tasks import export_run

    return jobs_resume(model=ExportJob, kind=LockId.EXPORT_JOBS, task=export_run,
                       stale_after=stale_after)


def _export_write(job: ExportJob) -> None:
    geo = {"geojson": "geojson", "gpkg": "wkt"}.get(job.format)
    data = dataset(kind=job.kind, user=job.created_by, start=job.period_start,
                   end=job.period_end, area_ids=_area_ids(job.area), geo=geo)
    data.rows = _counted(data.rows, job.pk)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    name = f"{job.kind}-{stamp}-OFFICIAL-SENSITIVE.{job.format}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        if job.format == "csv":
            n = writers.write_csv(path, data.columns, data.rows)
        elif job.format == "xlsx":
            n = writers.write_xlsx(path, data.columns, data.rows, title=job.kind)
        elif job.format == "geojson":
            assert data.geometry is not None
            n = writers.write_geojson(path, data.columns, data.rows, data.geometry)
        else:
            assert data.geometry is not None
            shape = "POLYGON" if job.kind in ("hotspots", "dosage") else "POINT"
            n = writers.write_gpkg(path, data.columns, data.rows, data.geometry,
                                   settings.HOTSPOTS_SRID, job.kind, shape)
        with path.open("rb") as f:
            job.file.save(name, File(f), save=False)
    job.rows_written, job.status, job.finished_at = n, JobStatus.DONE, timezone.now()
    job.save(update_fields=["file", "rows_written", "status", "finished_at"])


def _counted(rows: Iterator[tuple[Any, ...]], job_id: int,
             every: int = 5000) -> Iterator[tuple[Any, ...]]:
    """Pass rows through, saving how many have been written every `every` rows: the page
    shows the progress of a long export."""
    n = 0
    for n, row in enumerate(rows, 1):
        yield row
        if n % every == 0:
            ExportJob.objects.filter(pk=job_id).update(rows_written=n)


def export_downloaded(*, job: ExportJob, actor: "User | None") -> None:
    audit_record(actor=actor, action="export.download", target=job,
                 detail={"recipient": job.recipient, "rows": job.rows_written})
