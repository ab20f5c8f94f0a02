"""Pages and files for reports: exports, the monthly funding return, the neighbourhood
summary."""

import csv
import io
import re
import tempfile
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from accounts.selectors import (
    actor_of,
    area_subtree_ids,
    areas_visible,
    team_member_ids,
    teams_visible,
)
from audit.services import audit_record
from core import writers
from core.errors import AppError, InputError
from core.http import object_or_404
from core.params import date_param, whole_number
from hotspots.selectors import hotspots_for_dashboard
from training.selectors import completion_by_area_and_role

from . import selectors, services
from .models import ExportJob


@login_required
@permission_required("reports.add_exportjob", raise_exception=True)
@require_http_methods(["GET", "POST"])
def reports_home(request: HttpRequest) -> HttpResponse:
    areas = areas_visible(user=request.user).order_by("level", "name")
    status = 200
    if request.method == "POST":
        tz = ZoneInfo(settings.TIME_ZONE)
        try:
            start = datetime.combine(date_param(request.POST.get("from", ""), "from"), time(0), tz)
            end = datetime.combine(date_param(request.POST.get("to", ""), "to"), time(0), tz)
            typed = (request.POST.get("area") or "").strip()
            chosen = whole_number(typed)
            area = areas.filter(pk=chosen).first() if chosen is not None else None
            if typed and area is None:  # an area given must be one of theirs, never ignored
                raise InputError("choose the area from the list: that is not one of yours")
            job = services.export_create(
                actor=request.user, kind=request.POST.get("kind", ""),  # type: ignore[arg-type]
                fmt=request.POST.get("format", ""), start=start, end=end, area=area,
                recipient=request.POST.get("recipient", ""),
                purpose=request.POST.get("purpose", ""))
        except (ValueError, AppError) as exc:
            messages.error(request, str(exc) if isinstance(exc, services.ExportInputError
                                                           | AppError)
                           else "Give the period as two dates.")
            status = 400
        else:
            messages.success(request, f"Export {job.pk} is being written: {job.rows_expected:,} "
                                      "rows. It appears below when it is ready.")
            return redirect("reports")
    jobs = ExportJob.objects.filter(created_by_id=request.user.pk)[:30]
    pending = any(j.status in ("queued", "running") for j in jobs)
    today = timezone.localdate()
    return render(request, "reports/home.html", {
        "areas": areas, "jobs": jobs, "pending": pending, "kinds": ExportJob.Kind.choices,
        "formats": ExportJob.Format.choices, "today": today,
        "month_ago": today.replace(day=1), "this_month": today.strftime("%Y-%m"),
        "year_ago": date(today.year - 1, today.month, 1).strftime("%Y-%m"),
        # A refused export shows the form as it was sent, to be put right.
        "posted": request.POST if status == 400 else None,
        "training": completion_by_area_and_role(
            viewer=request.user,
            smallest=1 if request.user.has_perm("training.view_training_matrix") else 3),
    }, status=status)


@login_required
@permission_required("reports.add_exportjob", raise_exception=True)
@require_safe
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    job = get_object_or_404(ExportJob, pk=pk, created_by_id=request.user.pk, status="done")
    services.export_downloaded(job=job, actor=actor_of(request))
    return FileResponse(job.file.open("rb"), as_attachment=True,
                        filename=Path(job.file.name).name)


def _month(text: str, name: str) -> date:
    """A month typed YYYY-MM, as its first day."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}", text.strip()):
        raise InputError(f"give {name} as a month written YYYY-MM")
    try:
        return date_param(text.strip() + "-01", name)
    except InputError:
        raise InputError(f"{name} must be a month from 1900-01 to 2200-12") from None


@login_required
@permission_required("reports.add_exportjob", raise_exception=True)
@require_safe
def funding_return(request: HttpRequest) -> HttpResponse:
    """The monthly funding return as XLSX (default) or CSV."""
    area = object_or_404(areas_visible(user=request.user), request.GET.get("area"))
    fmt = request.GET.get("format", "xlsx")
    try:
        first = _month(request.GET.get("from", ""), "from")
        last = _month(request.GET.get("to", ""), "to")
        if fmt not in ("xlsx", "csv"):
            raise InputError("format is xlsx or csv")
        rows = selectors.funding_return(user=request.user, area=area, first=first, last=last)
    except AppError as exc:
        return HttpResponse(f"Funding return: {exc}.", status=400, content_type="text/plain")
    audit_record(actor=request.user, action="report.funding_return",
                 detail={"area": area.pk, "from": first.isoformat(), "to": last.isoformat(),
                         "format": fmt})
    name = f"funding-return-{area.code}-{first:%Y-%m}-to-{last:%Y-%m}-OFFICIAL-SENSITIVE"
    csv_file = fmt == "csv"
    # The same marked, formula-safe writers as every export.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.{'csv' if csv_file else 'xlsx'}"
        if csv_file:
            writers.write_csv(path, selectors.FUNDING_COLUMNS, rows)
        else:
            writers.write_xlsx(path, selectors.FUNDING_COLUMNS, rows, title="funding return")
        data = path.read_bytes()
    response = HttpResponse(data, content_type="text/csv" if csv_file else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = f'attachment; filename="{path.name}"'
    return response


@login_required
@permission_required("patrols.view_presence", raise_exception=True)
@require_safe
def neighbourhoods(request: HttpRequest) -> HttpResponse:
    rows = selectors.neighbourhood_summary(user=request.user)
    if request.GET.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["neighbourhood", "patrol_hours_last_365_days",
                         "crimes_365_days_to_data_end", "crimes_365_days_before",
                         "change_percent", "crime_data_to"])
        for r in rows:
            writer.writerow([writers.neutralise(r["area"]), r["patrol_hours"], r["crimes"],
                             "" if r["crimes_year_before"] is None else r["crimes_year_before"],
                             "" if r["change"] is None else r["change"],
                             r["crime_data_to"] or ""])
        response = HttpResponse(out.getvalue(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="neighbourhoods.csv"'
        return response
    return render(request, "reports/neighbourhoods.html", {
        "rows": rows, "data_to": rows[0]["crime_data_to"] if rows else None})


@login_required
@permission_required("patrols.view_presence", raise_exception=True)
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    areas = areas_visible(user=request.user).order_by("level", "name")
    chosen = whole_number(request.GET.get("area"))
    area = areas.filter(pk=chosen).first() if chosen is not None else areas.first()
    if area is None:
        return render(request, "reports/dashboard.html", {"areas": areas, "data": None})
    weeks_text = request.GET.get("weeks") or "12"
    spot_text = request.GET.get("hotspot") or ""
    # The chosen area's hot spots only (a review found Islington's offered for Camden).
    spots = hotspots_for_dashboard(area_ids=area_subtree_ids(area=area))
    spot_id = whole_number(spot_text)
    hotspot = spots.filter(pk=spot_id).first() if spot_id is not None else None
    try:
        data = selectors.dashboard(user=request.user, area=area,
                                   weeks=whole_number(weeks_text, digits=4) or 0,
                                   hotspot_id=hotspot.pk if hotspot else None)
    except (ValueError, AppError) as exc:
        return HttpResponse(f"Dashboard: {exc}.", status=400, content_type="text/plain")
    return render(request, "reports/dashboard.html", {
        "areas": areas, "area": area, "data": data, "spots": spots[:500], "hotspot": hotspot,
        "weeks": weeks_text})


@login_required
@permission_required("patrols.view_visit", raise_exception=True)
@require_safe
def my_patrols(request: HttpRequest) -> HttpResponse:
    """What patrols did: an officer's own, or (for those who see every visit in their
    areas) a team's taken together. No person is ranked against another."""
    user = request.user
    team = None
    # Those who manage officers (and may see who made a visit): a team of one is a person,
    # so analysts, who see visits but not who made them, see only their own.
    can_team = user.has_perm("patrols.export_visit_identities")
    teams = teams_visible(user=user).order_by("name") if can_team else None
    if can_team:
        chosen = request.GET.get("team") or getattr(user, "team_id", None)
        if chosen is None and "team" not in request.GET and teams is not None:
            # A sergeant with no team of their own opens on a team, not on their own
            # (usually empty) patrols; "Mine" stays a choice.
            chosen = getattr(teams.first(), "pk", None)
        team = object_or_404(teams, chosen) if chosen else None  # type: ignore[arg-type]
    people = team_member_ids(team=team) if team is not None else [int(user.pk or 0)]
    team_id = team.pk if team is not None else getattr(user, "team_id", None)
    data = selectors.my_patrols(viewer=user, people=people,
                                team_ids=[team_id] if team_id else [])
    return render(request, "reports/my_patrols.html", {
        **data, "team": team, "teams": teams, "people": len(people)})
