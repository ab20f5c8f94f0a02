"""The GPS ping table's day partitions: made ahead, dropped when expired."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.services import audit_record

PARTITION_PREFIX = "patrols_gpsping_p"


def partition_name(day: date) -> str:
    return f"{PARTITION_PREFIX}{day:%Y%m%d}"


def ping_partitions_ensure(*, days: Iterable[date]) -> list[str]:
    """Make the daily (UTC) partitions for these days if missing; safe when run at once by
    several web workers. The owner's function makes them (patrols migration 0003): the
    application's role may not attach a partition itself."""
    made = []
    with connection.cursor() as cur:
        for day in sorted(set(days)):
            name = partition_name(day)
            cur.execute("SELECT to_regclass(%s)", [name])
            if cur.fetchone()[0] is not None:
                continue
            with transaction.atomic():
                cur.execute("SELECT patrols_ping_partition_create(%s)", [day])
            made.append(name)
    return made


def ping_partitions() -> list[tuple[str, date]]:
    with connection.cursor() as cur:
        cur.execute("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'patrols_gpsping'::regclass ORDER BY c.relname""")
        names = [r[0] for r in cur.fetchall()]
    return [(n, datetime.strptime(n[len(PARTITION_PREFIX):], "%Y%m%d").date()) for n in names]


def pings_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Drop the partitions wholly older than the retention period; the purge is audited
    with each partition's row count."""
    now = now or timezone.now()
    cutoff = (now - timedelta(days=settings.PING_RETENTION_DAYS)).date()
    dropped: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cur:
        for name, day in ping_partitions():
            if day < cutoff:  # the partition ends at midnight after `day`, before the cutoff
                cur.execute("SELECT patrols_ping_partition_drop(%s)", [day])
                dropped[name] = int(cur.fetchone()[0] or 0)
        if dropped:
            audit_record(actor=None, action="pings.purge",
                         detail={"retention_days": settings.PING_RETENTION_DAYS,
                                 "cutoff": cutoff.isoformat(), "partitions": dropped,
                                 "pings": sum(dropped.values())})
    return dropped
