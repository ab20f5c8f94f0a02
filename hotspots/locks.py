"""A PostgreSQL advisory lock per job, so that two deliveries of one task never run side by
side (Redis hands an unacknowledged task to a second worker after the visibility timeout)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

IMPORT_JOBS = 7301
HOTSPOT_RUNS = 7302


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
