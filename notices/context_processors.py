from typing import Any

from django.http import HttpRequest

from .selectors import unread_count


def bell(request: HttpRequest) -> dict[str, Any]:
    """The unread count under the bell on every page."""
    return {"notices_unread": unread_count(user=request.user)}
