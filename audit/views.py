"""The auditor's page: search the trail of who did what, and who looked at what."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from core.errors import InputError

from . import selectors


@login_required
@permission_required("audit.view_auditevent", raise_exception=True)
@require_safe
def audit_page(request: HttpRequest) -> HttpResponse:
    try:
        terms = selectors.params(request.GET)
    except InputError as exc:
        return render(request, "audit/search.html", {
            "error": f"{exc}.", "terms": request.GET, "page": None}, status=400)
    page = Paginator(selectors.audit_search(**terms), 100).get_page(request.GET.get("page"))
    return render(request, "audit/search.html", {"page": page, "terms": request.GET})
