"""Searching the audit trail (auditors)."""

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from core.params import date_param

from .models import AuditEvent


def audit_search(*, action: str = "", actor: str = "", target: str = "",
                 start: date | None = None, end: date | None = None) -> QuerySet[AuditEvent]:
    """Events newest first; `action` matches a prefix ("export." for every export), `actor`
    a username, `target` "type" or "type:id"; dates are local and inclusive."""
    qs = AuditEvent.objects.select_related("actor")
    if action:
        qs = qs.filter(action__startswith=action.strip())
    if actor:
        qs = qs.filter(actor__username=actor.strip())
    if target:
        kind, _, ident = target.strip().partition(":")
        qs = qs.filter(target_type=kind)
        if ident:
            qs = qs.filter(target_id=ident)
    tz = ZoneInfo(settings.TIME_ZONE)
    if start:
        qs = qs.filter(at__gte=datetime.combine(start, time(0), tz))
    if end:
        qs = qs.filter(at__lt=datetime.combine(end + timedelta(days=1), time(0), tz))
    return qs.order_by("-at", "-id")


def params(get: Any) -> dict[str, Any]:
    """Search terms from a query string; a date that is not one is an InputError."""
    out: dict[str, Any] = {k: get.get(k, "") for k in ("action", "actor", "target")}
    for key in ("start", "end"):
        text = get.get(key, "")
        out[key] = date_param(text, key) if text else None
    return out
