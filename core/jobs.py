"""Background jobs, whatever their app: their status, a PostgreSQL advisory lock per job so
that two deliveries of one task never run side by side (Redis hands an unacknowledged task
to a second worker after the visibility timeout), resuming what a lost worker left, and a
runner that ends a job FAILED with its reason on any exception."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from enum import IntEnum
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from .errors import AppError

logger = logging.getLogger(__name__)


class JobStatus(models.TextChoices):
    """The life of any background job: imports, hot spot runs and exports alike."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class LockId(IntEnum):
    """Advisory lock classes, one per kind of job. A number is never reused: a worker of
    the previous release may still hold it during a deploy."""

    IMPORT_JOBS = 7301
    HOTSPOT_RUNS = 7302
    EXPORT_JOBS = 7303
    PRESENCE_UPDATE = 7304


@contextmanager
def job_lock(kind: LockId, job_id: int) -> Iterator[bool]:
    """Yields True when this process holds the lock, False when another one does."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [int(kind), job_id])
        held = bool(cur.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", [int(kind), job_id])


def jobs_resume(*, model: Any, kind: LockId, task: Any, stale_after: timedelta) -> list[int]:
    """Send again the jobs a dead worker left behind. With late acknowledgement the broker
    hands a killed worker's task out again only after its visibility timeout (hours), and a
    task that never reached the broker (Redis down at commit) would wait for ever. A job
    still queued or running after `stale_after` whose lock no live worker holds is sent
    again now; a second delivery of a finished job does nothing, so sending one that was
    only waiting in a long queue costs nothing."""
    cutoff = timezone.now() - stale_after
    waiting = model.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
                                   created_at__lt=cutoff)
    resumed = []
    for job_id in waiting.order_by("id").values_list("id", flat=True):
        with job_lock(kind, job_id) as free:
            if not free:
                continue  # a live worker has it
        task.delay(job_id)
        resumed.append(job_id)
    if resumed:
        logger.warning("%s sent again after a lost worker: %s", model.__name__, resumed)
    return resumed


def job_run(*, model: Any, kind: LockId, job_id: int, work: Callable[[Any], None]) -> str:
    """Run `work(job)` once for a job: under its lock, skipped when finished, RUNNING while
    it works. `work` sets what the job produced and DONE. Any exception ends the job
    FAILED with a reason: the application's errors (core.errors) say theirs; anything else
    is a bug, logged with its traceback, and the job says only that it stopped. Before,
    a job that met an error its runner did not expect stayed RUNNING, and the resume task
    sent it again every five minutes for ever."""
    with job_lock(kind, job_id) as held:
        if not held:
            return "busy"
        with transaction.atomic():
            job = model.objects.select_for_update().get(pk=job_id)
            if job.status in (JobStatus.DONE, JobStatus.FAILED):
                return str(job.status)
            job.status = JobStatus.RUNNING
            job.save(update_fields=["status"])
        try:
            work(job)
        except (AppError, OSError) as exc:
            reason = str(exc)
        except Exception as exc:
            logger.exception("%s %s stopped", model.__name__, job_id)
            reason = (f"an unexpected error stopped this job ({type(exc).__name__}); it is in "
                      "the server's log")
        else:
            return JobStatus.DONE
        model.objects.filter(pk=job_id).update(status=JobStatus.FAILED, error=reason[:2000],
                                               finished_at=timezone.now())
        return JobStatus.FAILED
