"""Session lifetime (30 minutes idle, 12 hours absolute) and the second-factor gate."""

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

SEEN, SIGNED_IN = "_seen", "_signed_in"


class SessionLifetimeMiddleware:
    """Idle and absolute limits on a signed-in session. The last-seen time is written at
    most once a minute, so a busy page does not write its session on every request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            session = request.session
            signed_in = session.get(SIGNED_IN)
            seen = session.get(SEEN)
            if signed_in is None:
                session[SIGNED_IN] = now
            elif (now - signed_in > settings.SESSION_ABSOLUTE_SECONDS
                  or (seen is not None and now - seen > settings.SESSION_IDLE_SECONDS)):
                logout(request)  # the request goes on as anonymous: pages ask to sign in
            if request.user.is_authenticated and (seen is None or now - seen > 60):
                session[SEEN] = now
        return self.get_response(request)


# Paths a signed-in user reaches before the second factor: signing in and out, the code
# page itself, static files, and the token endpoint (which asks for the code itself).
# Every path decision reads request.path_info, the path inside the application: request.path
# also holds SCRIPT_NAME, which a proxy (or a client, where a server trusts the header) sets,
# and "/login" + "/api/v1/me/" must not pass as a sign-in page.
SECOND_FACTOR_EXEMPT = ("/login/", "/logout/", "/static/", "/api/v1/auth/token/")


class SecondFactorMiddleware:
    """Supervisors, analysts, admins and auditors see nothing until their session has passed
    the TOTP check: pages redirect to the code page, the API answers 403. API tokens are only
    issued with a code, so a token request is not a session and passes through to DRF."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from accounts.roles import needs_second_factor

        user: Any = getattr(request, "user", None)
        if (user is not None and user.is_authenticated
                and not request.path_info.startswith(SECOND_FACTOR_EXEMPT)
                and not user.is_verified() and needs_second_factor(user)):
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {"detail": "This account needs its second factor: sign in with the code "
                               "from your authenticator app, or use an API token."},
                    status=403)
            return redirect_to_login(request.get_full_path(), reverse("second-factor"))
        return self.get_response(request)


class RequestSizeMiddleware:
    """Refuse a request body over its limit before anything reads it (413). Django's own
    DATA_UPLOAD_MAX_MEMORY_SIZE is not enough: Django REST framework's parsers read the
    stream directly. GPS batches and crime uploads have limits of their own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = self.limit(request.path_info)
        if length > limit:
            message = (f"The request is too large: {length:,} bytes; the limit here is "
                       f"{limit:,} bytes.")
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def limit(path: str) -> int:
        if path.startswith(("/imports/", "/api/v1/imports/")):
            return int(settings.IMPORT_MAX_UPLOAD_BYTES) + 1024 * 1024  # the form around it
        if path.startswith("/admin/streets/streetlayer/add/"):  # a street file (streets/)
            return int(settings.STREETS_MAX_UPLOAD_BYTES) + 1024 * 1024
        if path.startswith("/api/v1/gps/pings/"):
            return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return int(settings.MAX_REQUEST_BYTES)


class NoStoreMiddleware:
    """Answers to the API and to anyone signed in carry `Cache-Control: no-store`: tracks,
    visits, exports and the audit trail are personal data, and neither a shared proxy nor a
    shared patrol phone's cache may keep them (issue 15, item 12). A view that sets its own
    Cache-Control (the service worker, static files) keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if "Cache-Control" not in response and (
                signed_in or request.path_info.startswith("/api/")):
            response["Cache-Control"] = "no-store, private"
        return response
