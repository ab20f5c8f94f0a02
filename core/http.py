"""Small helpers for pages."""

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from core.params import whole_number

M = TypeVar("M", bound=Model)


def object_or_404(queryset: QuerySet[M], raw: Any) -> M:
    """The object whose id a form or query string names, within what the user may see: a
    missing, malformed or out-of-scope id is a 404, never a 500."""
    pk = whole_number(raw)
    if pk is None:
        raise Http404("No such record.")
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404("No such record.")
    return found
