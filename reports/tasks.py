from celery import shared_task


@shared_task(name="reports.tasks.export_run", ignore_result=True)
def export_run(job_id: int) -> str:
    from .services import export_execute

    return export_execute(job_id=job_id)


@shared_task(name="reports.tasks.exports_resume", ignore_result=True)
def exports_resume() -> list[int]:
    """Exports a lost worker or a broker outage left behind."""
    from .services import exports_resume as resume

    return resume()
