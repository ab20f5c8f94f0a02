from celery import shared_task


@shared_task(name="reports.tasks.export_run", ignore_result=True)
def export_run(job_id: int) -> str:
    from .services import export_execute

    return export_execute(job_id=job_id)
