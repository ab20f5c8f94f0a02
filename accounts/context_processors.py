from typing import Any

from django.http import HttpRequest

from .roles import needs_second_factor, user_role


def role(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    # Before the second factor the menu would only lead back to the code page.
    pending = bool(getattr(user, "is_authenticated", False) and hasattr(user, "is_verified")
                   and not user.is_verified() and needs_second_factor(user))
    return {"user_role": user_role(user), "second_factor_pending": pending}
