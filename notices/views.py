"""The notice centre: a person's own notices, newest first, each leading to what it is
about; and which kinds also come by email."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import AppError

from . import selectors, services


@login_required
@require_http_methods(["GET", "POST"])
def notice_list(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "read-all":
            n = services.notices_read_all(user=request.user)
            messages.success(request, f"{n} notice{'s' if n != 1 else ''} marked read.")
            return redirect("notices")
        try:
            services.email_choices_set(user=request.user, kinds=request.POST.getlist("email"))
        except AppError as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            messages.success(request, "Email choices saved.")
            return redirect("notices")
    return render(request, "notices/list.html", {
        "notices": selectors.notices_of(user=request.user)[:100],
        "kinds": selectors.kinds(), "emailed": selectors.email_kinds(user=request.user),
        "has_email": bool(getattr(request.user, "email", ""))}, status=status)


@login_required
@require_POST
def notice_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notice read and go to what it is about (a path of this application)."""
    notice = get_object_or_404(selectors.notices_of(user=request.user), pk=pk)
    services.notice_read(notice=notice)
    return redirect(notice.url if notice.url.startswith("/") and not
                    notice.url.startswith("//") else "notices")
