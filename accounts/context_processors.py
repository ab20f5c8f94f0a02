from typing import Any

from django.http import HttpRequest

from .roles import user_role


def role(request: HttpRequest) -> dict[str, Any]:
    return {"user_role": user_role(request.user)}
