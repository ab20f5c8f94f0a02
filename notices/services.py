"""Writes for notices: telling people something (once per event), reading, choosing which
kinds come by email, and sending those emails (a Celery task, after the commit)."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from core.errors import InputError
from core.resilience import enqueue_on_commit

from .models import EmailChoice, Notice


def notify(*, users: Iterable[Any], kind: str, title: str, url: str, key: str,
           body: str = "") -> list[Notice]:
    """Tell each person, once per `key`: a notice in the app, and an email to those who
    chose this kind. Returns the notices made now (none for people already told)."""
    if not url.startswith("/") or url.startswith("//"):
        raise ValueError("a notice leads to a path in this application")
    made = []
    with transaction.atomic():
        for user in users:
            notice, created = Notice.objects.get_or_create(
                user=user, key=key[:120],
                defaults={"kind": kind, "title": title[:200], "body": body, "url": url})
            if created:
                made.append(notice)
        wanted = set(EmailChoice.objects.filter(
            kind=kind, user_id__in=[n.user_id for n in made]).values_list("user_id",
                                                                           flat=True))
        to_email = [n.pk for n in made if n.user_id in wanted]
        if to_email:
            from .tasks import notices_email

            enqueue_on_commit(notices_email, to_email)
    return made


def notice_read(*, notice: Notice) -> Notice:
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


def notices_read_all(*, user: Any) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now())


def email_choices_set(*, user: Any, kinds: list[str]) -> None:
    unknown = set(kinds) - set(Notice.Kind.values)
    if unknown:
        raise InputError(f"no such kind of notice: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        EmailChoice.objects.filter(user=user).exclude(kind__in=kinds).delete()
        for kind in kinds:
            EmailChoice.objects.get_or_create(user=user, kind=kind)


def email_body(notice: Notice) -> str:
    """An email says what happened in a line and where to look: the details (places,
    people) stay behind the sign-in, not in a mailbox."""
    return (f"{notice.title}\n\nSee it in Hot spots policing (sign in first):\n"
            f"{settings.SITE_URL.rstrip('/')}{notice.url}\n\n"
            "You are sent this because you chose to be emailed about "
            f"\"{notice.get_kind_display().lower()}\". Change that under Notices.\n")


def notices_email_send(*, notice_ids: list[int]) -> int:
    """Send the emails not sent yet, to people who (still) chose the kind; each notice is
    marked as it goes, so a retried task sends none twice."""
    sent = 0
    chosen = set(EmailChoice.objects.filter(user__notices__pk__in=notice_ids)
                 .values_list("user_id", "kind"))
    with get_connection() as connection:
        for notice in Notice.objects.filter(pk__in=notice_ids, emailed_at__isnull=True) \
                .select_related("user"):
            if not notice.user.email or (notice.user_id, notice.kind) not in chosen:
                continue
            EmailMessage(subject=f"[Hot spots] {notice.title}", body=email_body(notice),
                         from_email=settings.DEFAULT_FROM_EMAIL, to=[notice.user.email],
                         connection=connection).send()
            Notice.objects.filter(pk=notice.pk).update(emailed_at=timezone.now())
            sent += 1
    return sent
