"""Two beat schedulers running at once (a deployment mistake, or a rolling restart) do not
make a nightly job's work twice (issue 7, "Faults").

Both beats read the schedule from the database (django-celery-beat). A test entry sends the
nightly recompute every second, so each beat sends it several times within seconds; the job
itself decides, under a row lock per area, whether tonight's run exists."""

import re
import time

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.celery_app import app
from hotspots.models import HotspotRun
from tests.faults.procs import beat, child_env, wait_for, worker

pytestmark = pytest.mark.django_db(transaction=True)
TASK = "hotspots.tasks.hotspot_runs_nightly"


def _sent(log) -> int:
    return len(re.findall(rb"Sending due task nightly-every-second", log.read_bytes()))


def _done(log) -> int:
    return len(re.findall(rb"Task " + TASK.encode() + rb"\[[^\]]+\] succeeded", log.read_bytes()))


def test_two_beats_send_the_nightly_job_many_times_and_it_runs_once_a_night(areas, tmp_path):
    app.control.purge()
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="nightly-every-second", task=TASK, interval=every_second)
    env = child_env()
    logs = [tmp_path / "beat-1.log", tmp_path / "beat-2.log"]
    work_log = tmp_path / "worker.log"
    with worker(work_log, env, "nightly"), \
            beat(logs[0], env, tmp_path / "beat-1"), beat(logs[1], env, tmp_path / "beat-2"):
        wait_for(lambda: all(_sent(log) >= 3 for log in logs), 90,
                 "both beats to send the job three times")
        wait_for(lambda: _done(work_log) >= 6, 90, "the worker to run it six times")
        PeriodicTask.objects.filter(name="nightly-every-second").update(enabled=False)
        time.sleep(1)
    runs = HotspotRun.objects.filter(trigger=HotspotRun.Trigger.NIGHTLY)
    # One area at the run level (the BCU), so one run tonight, however often it was sent.
    assert list(runs.values_list("area__code", flat=True)) == ["CN"]
    assert _done(work_log) >= 6
    app.control.purge()
