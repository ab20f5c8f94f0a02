from celery import shared_task

from .services import notices_email_send


@shared_task(name="notices.tasks.notices_email", autoretry_for=(OSError,), retry_backoff=60,
             max_retries=5)
def notices_email(notice_ids: list[int]) -> int:
    """Idempotent: each notice's email is sent once (emailed_at)."""
    return notices_email_send(notice_ids=notice_ids)
