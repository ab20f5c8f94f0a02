from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from .roles import needs_second_factor
from .second_factor import (
    ENROLMENT_SESSION_KEY,
    confirmed_device,
    enrolment_code_check,
    enrolment_device,
    enrolment_qr_svg,
    enrolment_secret,
    second_factor_verify,
)


@login_required
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """The code page after the password. The first time, an account with no authenticator
    gives the one-time enrolment code an admin issued, and only then sees its QR code and
    secret; after that, a 6-digit code at every sign-in."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = ""
    user: Any = request.user
    if not needs_second_factor(user) or user.is_verified():
        return redirect(next_url or "home")
    error = ""
    device = confirmed_device(user)
    enrolling = (None if device is not None else
                 enrolment_device(user, request.session.get(ENROLMENT_SESSION_KEY)))
    if device is None and enrolling is None:
        if request.method == "POST":
            result, enrolling = enrolment_code_check(
                user=user, code=request.POST.get("enrolment_code", ""))
            if result.ok and enrolling is not None:
                request.session[ENROLMENT_SESSION_KEY] = enrolling.persistent_id
                url = reverse("second-factor")
                return redirect(f"{url}?{urlencode({'next': next_url}, safe='/')}" if next_url
                                else url)
            error = result.message
        return render(request, "registration/second_factor.html",
                      {"next": next_url, "error": error, "asking_enrolment_code": True},
                      status=400 if error else 200)
    if request.method == "POST":
        result = second_factor_verify(request, request.POST.get("code", ""), enrolling)
        if result.ok:
            request.session.pop(ENROLMENT_SESSION_KEY, None)
            if result.enrolled:
                messages.success(request, "Your authenticator app is set up. You will be "
                                          "asked for a code each time you sign in.")
            return redirect(next_url or "home")
        error = result.message
    context: dict[str, Any] = {"next": next_url, "error": error, "enrolling": device is None}
    if device is None and enrolling is not None:
        context.update(qr_svg=enrolment_qr_svg(enrolling), secret=enrolment_secret(enrolling))
    return render(request, "registration/second_factor.html", context,
                  status=400 if error else 200)
