"""Session lifetime: signed out after 30 minutes idle and 12 hours after signing in."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

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
