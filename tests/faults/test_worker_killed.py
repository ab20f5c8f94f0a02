"""A Celery worker killed (SIGKILL) in the middle of a hot spot recompute loses no work, and
the work done again is not doubled (issue 7, "Faults")."""

import signal
from datetime import timedelta

import psycopg

from audit.models import AuditEvent
from config.celery_app import app
from hotspots.models import Hotspot, HotspotRun
from hotspots.recompute import hotspot_run_execute, hotspot_run_queue, hotspot_runs_resume
from tests.faults.procs import child_env, database_url_for_children, wait_for, worker
from tests.hotspots.test_runs import UNTIL, crimes  # noqa: F401  (fixture)


def _libpq_url() -> str:
    return database_url_for_children().replace("postgis://", "postgresql://", 1)


def _waiting_on_lock(side: psycopg.Connection) -> list[int]:
    rows = side.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()").fetchall()
    return [r[0] for r in rows]


def _alive(side: psycopg.Connection, pid: int) -> bool:
    row = side.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                       [pid]).fetchone()
    return row is not None and row[0] == 1


def test_a_worker_killed_mid_recompute_loses_nothing_and_doubles_nothing(
        transactional_db, areas, users, crimes, tmp_path):  # noqa: F811
    app.control.purge()
    env = child_env()
    watcher = psycopg.connect(_libpq_url(), autocommit=True)
    blocker = psycopg.connect(_libpq_url())
    # Hold the hot spot table so that the worker stops inside its final transaction, after
    # it has marked the run running and computed everything: the middle of the recompute.
    blocker.execute("LOCK TABLE hotspots_hotspot IN EXCLUSIVE MODE")
    try:
        with worker(tmp_path / "worker-1.log", env, "first") as first:
            wait_for(lambda: b"ready." in (tmp_path / "worker-1.log").read_bytes(), 60,
                     "the first worker to start")
            run = hotspot_run_queue(area=areas["CN"], actor=users["analyst"],
                                    trigger="manual", window_end=UNTIL)
            wait_for(lambda: bool(_waiting_on_lock(watcher)), 60,
                     "the worker to reach the hot spot table")
            [backend] = _waiting_on_lock(watcher)
            run.refresh_from_db()
            assert run.status == HotspotRun.Status.RUNNING
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            assert first.returncode == -signal.SIGKILL
        blocker.rollback()  # the dead worker's transaction resumes, then finds no client
        wait_for(lambda: not _alive(watcher, backend), 30, "the dead worker's session to end")
    finally:
        blocker.close()

    # Nothing half-written: the run is still "running", no hot spot, no "done" event.
    run.refresh_from_db()
    assert run.status == HotspotRun.Status.RUNNING
    assert Hotspot.objects.count() == 0
    assert not AuditEvent.objects.filter(action="hotspot_run.done").exists()

    # The beat task that resumes lost runs queues it again; a second worker finishes it.
    assert hotspot_runs_resume(stale_after=timedelta(0)) == [run.pk]
    with worker(tmp_path / "worker-2.log", env, "second"):
        wait_for(lambda: HotspotRun.objects.get(pk=run.pk).status == "done", 120,
                 "the second worker to finish the run")
    watcher.close()

    run.refresh_from_db()
    assert (run.metrics["selected"], run.metrics["new"]) == (2, 2)
    assert sorted(Hotspot.objects.values_list("key", flat=True)) == sorted(
        [crimes["hot"], crimes["rob"]])
    assert AuditEvent.objects.filter(action="hotspot_run.done").count() == 1
    # The broker may still hand the killed worker's message out again: it does nothing.
    assert hotspot_run_execute(run_id=run.pk) == "done"
    assert Hotspot.objects.count() == 2
    assert AuditEvent.objects.filter(action="hotspot_run.done").count() == 1


def test_resume_leaves_a_run_a_live_worker_holds(transactional_db, areas, users,
                                                 crimes):  # noqa: F811
    """A run whose lock is held (a worker computing it) is not queued a second time."""
    from core.jobs import LockId

    app.control.purge()
    run = hotspot_run_queue(area=areas["CN"], actor=users["analyst"], trigger="manual",
                            window_end=UNTIL)
    holder = psycopg.connect(_libpq_url(), autocommit=True)
    try:
        holder.execute("SELECT pg_advisory_lock(%s, %s)", [LockId.HOTSPOT_RUNS, run.pk])
        assert hotspot_runs_resume(stale_after=timedelta(0)) == []
        # A fresh run is not touched either, however it is queued.
        holder.execute("SELECT pg_advisory_unlock(%s, %s)", [LockId.HOTSPOT_RUNS, run.pk])
        assert hotspot_runs_resume(stale_after=timedelta(minutes=10)) == []
        assert hotspot_runs_resume(stale_after=timedelta(0)) == [run.pk]
    finally:
        holder.close()
        app.control.purge()
