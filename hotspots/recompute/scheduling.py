"""The nightly runs, and resuming runs a lost worker left."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction

from accounts.models import Area
from core.jobs import LockId, jobs_resume
from core.resilience import enqueue_on_commit

from ..models import HotspotRun
from .params import default_window_end, hotspot_run_create


def hotspot_runs_nightly() -> list[int]:
    """Queue tonight's run for each area at the run level; a second call the same night
    queues nothing (two beat processes, or a re-delivered task, do no double work)."""
    from ..tasks import hotspot_run_compute

    level = settings.HOTSPOTS_RUN_LEVEL
    areas = list(Area.objects.filter(level=level)) or list(
        Area.objects.filter(level=Area.Level.FORCE))
    queued = []
    for area in areas:
        with transaction.atomic():
            # Serialise per area: the check and the insert are one decision.
            Area.objects.select_for_update().get(pk=area.pk)
            end = default_window_end()
            if HotspotRun.objects.filter(area=area, trigger=HotspotRun.Trigger.NIGHTLY,
                                         window_end=end).exists():
                continue
            run = hotspot_run_create(area=area, trigger=HotspotRun.Trigger.NIGHTLY,
                                     window_end=end)
            enqueue_on_commit(hotspot_run_compute, run.pk)
            queued.append(run.pk)
    return queued


def hotspot_runs_resume(*, stale_after: timedelta = timedelta(minutes=10)) -> list[int]:
    """Queue again the runs a killed worker left half done (their work was rolled back)."""
    from ..tasks import hotspot_run_compute

    return jobs_resume(model=HotspotRun, kind=LockId.HOTSPOT_RUNS, task=hotspot_run_compute,
                       stale_after=stale_after)
