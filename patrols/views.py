"""The officer's patrol page (an installable, offline-first web app) and the supervisor's
dosage page."""

import uuid
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.selectors import (
    actor_of,
    area_outlines,
    area_subtree_ids,
    areas_visible,
    rank_labels,
    team_names,
)
from core.errors import AppError, InputError
from core.params import date_param, whole_number
from hotspots.selectors import APPROVED, hotspot_status_labels, hotspots_visible
from tasking.selectors import shifts_by_id
from training.selectors import training_gaps

from . import selectors, services
from .models import Visit


@login_required
@permission_required("patrols.add_visit", raise_exception=True)
@require_safe
def patrol(request: HttpRequest) -> HttpResponse:
    area_id = getattr(request.user, "area_id", None)
    me = int(request.user.pk or 0)  # signed in: login_required
    return render(request, "patrols/patrol.html", {
        # The modules the officer's role requires and they have not passed (or that are
        # overdue): a reminder where they look every shift, linking to Learning.
        "training_due": training_gaps(user_ids=[me]).get(me, []),
        "activities": Visit.Activity.choices,
        "boundary": area_outlines(area_ids=[area_id] if area_id else []),
    })


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from /patrol/ so that it controls the patrol page. No
    login: it holds no data, only the list of the page's files to keep offline."""
    response = render(request, "patrols/sw.js", content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def manifest(request: HttpRequest) -> HttpResponse:
    return render(request, "patrols/manifest.webmanifest",
                  content_type="application/manifest+json")


@login_required
@permission_required("patrols.view_presence", raise_exception=True)
@require_safe
def dosage_page(request: HttpRequest) -> HttpResponse:
    """Planned against delivered for a period (the last 7 days by default) and an area
    (all of the user's by default), each approved hot spot once with the under-dosed
    first; dosage by team, role and shift with the total each adds up to; minutes at hot
    spots not approved apart."""
    areas = areas_visible(user=request.user).order_by("level", "name")
    try:
        start, end, first, last = _period(request)
        chosen = whole_number(request.GET.get("area"))
        area = areas.filter(pk=chosen).first() if chosen is not None else None
        if request.GET.get("area") and area is None:
            raise InputError("that area is not one of yours")
    except InputError as exc:
        # Refused: the form comes back as it was sent, to be put right.
        return render(request, "patrols/dosage.html", {
            "error": str(exc), "areas": areas, "from_value": request.GET.get("from", ""),
            "to_value": request.GET.get("to", "")}, status=400)
    area_ids = area_subtree_ids(area=area) if area is not None else None
    every = selectors.dosage_reconciled(user=request.user, start=start, end=end,
                                        area_ids=area_ids)
    rows = selectors.planned_against_delivered(user=request.user, start=start, end=end,
                                               delivered_rows=every["hotspot"],
                                               area_ids=area_ids)
    rows.sort(key=lambda r: (r["share"] if r["share"] is not None else 9, r["key"]))
    for r in rows:
        r["percent"] = round(100 * r["share"]) if r["share"] is not None else None
    approved = [r for r in rows if r["status"] == APPROVED]
    not_approved = [r for r in rows if r["status"] != APPROVED]
    statuses = hotspot_status_labels()
    for r in not_approved:
        r["status_label"] = statuses.get(r["status"], r["status"])
    by_team = every["team"]
    names = team_names(ids=[r["team"] for r in by_team])
    for r in by_team:
        r["name"] = names.get(r["team"], "No team")
    ranks = rank_labels()
    for r in every["role"]:
        r["name"] = ranks.get(r["role"], "") or ("Devices with no holder" if not r["people"]
                                                 else "Unknown")
    shifts = shifts_by_id(ids=[r["shift"] for r in every["shift"] if r["shift"]])
    for r in every["shift"]:
        r["shift_obj"] = shifts.get(r["shift"])
    for r in approved:
        r["under"] = r["share"] is not None and r["share"] < UNDER_DOSED
    return render(request, "patrols/dosage.html", {
        "rows": approved, "not_approved": not_approved, "by_team": by_team,
        "by_role": every["role"], "by_shift": every["shift"], "total": every["total"],
        "sums": every["sums"], "start": start, "end": end, "areas": areas, "area": area,
        "from_value": first.isoformat(), "to_value": last.isoformat(),
        "under_count": sum(1 for r in approved if r["under"]),
    })


# Less than half the planned minutes.
UNDER_DOSED = 0.5
MAX_DOSAGE_DAYS = 92


def _period(request: HttpRequest) -> tuple[datetime, datetime, date, date]:
    """`?from=&to=` local dates (both days whole), by default the last 7 days to now."""
    tz = timezone.get_current_timezone()
    if not request.GET.get("from") and not request.GET.get("to"):
        end = timezone.now()
        start = end - timedelta(days=7)
        return start, end, timezone.localtime(start).date(), timezone.localdate()
    first = date_param(request.GET.get("from", ""), "from")
    last = date_param(request.GET.get("to", ""), "to")
    if last < first:
        raise InputError("the last day is before the first")
    if (last - first).days + 1 > MAX_DOSAGE_DAYS:
        raise InputError(f"choose at most {MAX_DOSAGE_DAYS} days")
    start = datetime.combine(first, time(0), tz)
    end = min(datetime.combine(last + timedelta(days=1), time(0), tz), timezone.now())
    if end <= start:
        raise InputError("the period has not begun yet")
    return start, end, first, last


@login_required
@permission_required("patrols.view_presence", raise_exception=True)
@require_safe
def live_page(request: HttpRequest) -> HttpResponse:
    """The supervisor's view of the shift on now: hot spots done and still undone, and (for
    those allowed) where devices are, fetched from the audited live API."""
    data = selectors.live_shift(user=request.user)
    return render(request, "patrols/live.html", {
        "alarms": selectors.alarms_open(user=request.user),
        "can_acknowledge": request.user.has_perm("patrols.acknowledge_alarm"),
        "alarm_hours": settings.ALARM_NO_PRESENCE_HOURS,
        **data, "can_track": request.user.has_perm("patrols.view_track"),
        # Visited and not yet visited follow the shift by themselves (issue 18, item 12).
        "refresh_seconds": settings.LIVE_REFRESH_SECONDS, "refreshed": timezone.now(),
        "boundary": area_outlines(area_ids=sorted({s.area_id for s in data["shifts"]})),
        "undone": sum(1 for r in data["rows"] if not r["done"]),
    })


@login_required
@permission_required("tasking.view_problemsolving", raise_exception=True)
@require_http_methods(["GET", "POST"])
def hotspot_observations(request: HttpRequest, pk: int) -> HttpResponse:
    """Officers' observations at a hot spot (the notes left at visits in the last 180
    days), on its problem-solving page; those who may mark one acted on do so here."""
    hotspot = get_object_or_404(hotspots_visible(user=request.user), pk=pk)
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("patrols.act_on_observation"):
            return HttpResponse("Your role cannot mark observations acted on.", status=403)
        try:
            visit_id = uuid.UUID(request.POST.get("visit", ""))
        except ValueError:
            raise Http404("No such observation.") from None
        visit = selectors.observations_at(hotspot=hotspot).filter(pk=visit_id).first()
        if visit is None:
            raise Http404("No such observation.")
        try:
            undo = request.POST.get("action") == "undo"
            services.observation_act(visit=visit, actor=actor_of(request),
                                     comment=request.POST.get("comment", "")[:1000], undo=undo)
        except AppError as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            messages.success(request, "The mark is taken away." if undo else
                             "Marked acted on: the officer sees it on My patrols.")
            if not request.headers.get("HX-Request"):
                return redirect(reverse("problem-solving", args=[hotspot.pk]) + "#observations")
    return render(request, "patrols/_observations.html", {
        "hotspot": hotspot, "observations": selectors.observations_at(hotspot=hotspot)[:50],
        "can_act": request.user.has_perm("patrols.act_on_observation"),
        "named": request.user.has_perm("patrols.export_visit_identities")}, status=status)


@login_required
@permission_required("patrols.acknowledge_alarm", raise_exception=True)
@require_POST
def alarm_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """A supervisor acknowledges an open alarm with a reason (audited): its repeats stop."""
    alarm = get_object_or_404(selectors.alarms_open(user=request.user), pk=pk)
    try:
        services.alarm_acknowledge(alarm=alarm, actor=actor_of(request),
                                   reason=request.POST.get("reason", "")[:1000])
    except AppError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("live") + "#alarms")
    messages.success(request, "Acknowledged: the supervisors are not told again.")
    return redirect(reverse("live") + "#alarms")
