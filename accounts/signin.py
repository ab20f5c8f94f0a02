"""Sign-in events that Django and django-axes announce by signal, written to the audit trail
(failed sign-ins and lockouts, issue 15 item 6), and the answer to a locked-out sign-in: a
page for the site, JSON for the API (item 11)."""

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from audit.services import audit_record

from .models import User


def _who(username: str) -> User | None:
    return User.objects.filter(username=username).first() if username else None


def _address(request: Any) -> str:
    return str(getattr(request, "axes_ip_address", "") or
               (request.META.get("REMOTE_ADDR", "") if request is not None else ""))


def login_failed_audit(sender: Any, credentials: dict[str, Any] | None = None,
                       request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django's user_login_failed: the password is never in `credentials` (Django removes it)."""
    username = str((credentials or {}).get("username", ""))[:150]
    path = request.path_info if request is not None else ""
    audit_record(actor=None, action="login.failed", target=_who(username),
                 detail={"username": username, "address": _address(request),
                         "through": "api" if path.startswith("/api/") else "page"})


def locked_out_audit(sender: Any, request: HttpRequest | None = None, username: str = "",
                     ip_address: str = "", **kwargs: Any) -> None:
    """django-axes' user_locked_out: sent at the lockout and at each try during it."""
    audit_record(actor=None, action="login.locked_out", target=_who(str(username or "")),
                 detail={"username": str(username or "")[:150], "address": str(ip_address)})


def lockout_response(request: HttpRequest, original_response: Any = None,
                     credentials: Any = None) -> HttpResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = (f"Too many failed sign-ins for this username from this address: try again in "
               f"{minutes} minutes.")
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE,
                  {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes,
                   "message": message}, status=429)


def client_ip(request: HttpRequest) -> str:
    """The address a sign-in came from, for the lockout (django-axes) and the audit trail.

    Behind a proxy every request comes from the proxy's address, so a lockout keyed on it
    would lock a username out for everyone. A request from one of TRUSTED_PROXY_IPS is
    judged by the address that proxy appended, the last in X-Forwarded-For; anyone else's
    X-Forwarded-For is ignored, or a client could choose its own address per try."""
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    trusted = getattr(settings, "TRUSTED_PROXY_IPS", [])
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "") or "")
    if remote in trusted and forwarded:
        last = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            return remote
    return remote
