from typing import Any

from rest_framework.permissions import BasePermission


class RolePermission(BasePermission):
    """Each view names the Django permissions each HTTP method needs; anything unnamed is refused.

    A view sets `required_perms = {"GET": ("hotspots.view_crime",), "POST": (...)}`.
    HEAD and OPTIONS count as GET.
    """

    message = "Your role does not allow this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        needed = getattr(view, "required_perms", {}).get(method)
        if needed is None:
            return False
        return bool(user.has_perms(needed))
