from typing import Any

from django.db.models import QuerySet

from .models import EmailChoice, Notice


def notices_of(*, user: Any) -> QuerySet[Notice]:
    return Notice.objects.filter(user=user)


def unread_count(*, user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


def email_kinds(*, user: Any) -> set[str]:
    return set(EmailChoice.objects.filter(user=user).values_list("kind", flat=True))


def kinds() -> list[tuple[str, str]]:
    return list(Notice.Kind.choices)
