"""Small helpers for pages."""

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)


def object_or_404(queryset: QuerySet[M], raw: Any) -> M:
    """The object whose id a form or query string names, within what the user may see: a
    missing, malformed or out-of-scope id is a 404, never a 500."""
    text = str(raw or "").strip()
    if not text.isdigit() or len(text) > 18:
        raise Http404("No such record.")
    found = queryset.filter(pk=int(text)).first()
    if found is None:
        raise Http404("No such record.")
    return found
