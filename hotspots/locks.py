"""A PostgreSQL advisory lock per job, so that two deliveries of one task never run side by
side (Redis hands an unacknowledged task to a second worker after the visibility timeout)."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

IMPORT_JOBS = 7301
HOTSPOT_RUNS = 7302
EXPORT_JOBS = 7303


@contextmanager
def job_lock(kind: int, job_id: int) -> Iterator[bool]:
    """Yields True when this process holds the lock, False when another one does."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [kind, job_id])
        held = bool(cur.fetchone()[0])
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", [kind, job_id])


def jobs_resume(*, model: Any, kind: int, task: Any, stale_after: timedelta) -> list[int]:
    """Send again the jobs a dead worker left behind. With late acknowledgement the broker
    hands a killed worker's task out again only after its visibility timeout (hours), and a
    task that never reached the broker (Redis down at commit) would wait for ever. A job
    still queued or running after `stale_after` whose lock no live worker holds is sent
    again now; a second delivery of a finished job does nothing, so sending one that was
    only waiting in a long queue costs nothing."""
    cutoff = timezone.now() - stale_after
    waiting = model.objects.filter(status__in=["queued", "running"], created_at__lt=cutoff)
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
