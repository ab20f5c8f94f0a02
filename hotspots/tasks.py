from celery import shared_task
from django.conf import settings


@shared_task(name="hotspots.tasks.crime_import_run", ignore_result=True)
def crime_import_run(job_id: int) -> str:
    from .services import import_job_execute

    return import_job_execute(job_id=job_id)


@shared_task(name="hotspots.tasks.import_uploads_purge", ignore_result=True)
def import_uploads_purge() -> int:
    from .services import import_staging_purge
    from .services import import_uploads_purge as purge

    import_staging_purge()
    return purge(older_than_days=settings.IMPORT_UPLOAD_RETENTION_DAYS)


@shared_task(name="hotspots.tasks.hotspot_run_compute", ignore_result=True)
def hotspot_run_compute(run_id: int) -> str:
    from .recompute import hotspot_run_execute

    return hotspot_run_execute(run_id=run_id)


@shared_task(name="hotspots.tasks.hotspot_runs_nightly", ignore_result=True)
def hotspot_runs_nightly() -> list[int]:
    from .recompute import hotspot_runs_nightly as queue

    return queue()


@shared_task(name="hotspots.tasks.jobs_resume", ignore_result=True)
def jobs_resume() -> dict[str, list[int]]:
    """Runs and imports a lost worker or a broker outage left behind (each app resumes its
    own jobs: reports.tasks.exports_resume does exports)."""
    from .recompute import hotspot_runs_resume
    from .services import import_jobs_resume

    return {"runs": hotspot_runs_resume(), "imports": import_jobs_resume()}
