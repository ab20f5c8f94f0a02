from datetime import timedelta

from celery import shared_task
from django.utils import timezone


@shared_task(name="patrols.tasks.presence_update", ignore_result=True)
def presence_update() -> int:
    from .services import presence_update as update

    return update().inserted


@shared_task(name="patrols.tasks.ping_partitions_maintain", ignore_result=True)
def ping_partitions_maintain() -> dict[str, int]:
    """Make today's and the next two days' partitions; drop the expired ones (audited)."""
    from .services import ping_partitions_ensure, pings_purge

    today = timezone.now().date()
    ping_partitions_ensure(days=[today + timedelta(days=d) for d in range(3)])
    return pings_purge()


@shared_task(name="patrols.tasks.alarms_check", ignore_result=True)
def alarms_check() -> dict[str, int]:
    """Alarms for unpatrolled hot spots in the shifts on now (idempotent)."""
    from .services import alarms_check as check

    return check()
