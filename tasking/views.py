"""Pages for tasking: plans, the supervisor map, briefings, problem solving, officers' visits."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from accounts.selectors import (
    actor_of,
    area_outlines,
    areas_visible,
    people_of_areas,
    teams_of_area,
)
from audit.services import audit_record
from core.errors import InputError
from core.http import object_or_404
from core.params import date_param, whole_number
from hotspots.selectors import hotspots_visible

from . import selectors, services
from .errors import PlanConflict, TaskingInputError
from .forms import ShiftPatternForm, capacity_formset, capacity_minutes, capacity_typed
from .models import DAYS, ProblemSolving, Shift

# Types only: views and APIs read other apps' models through their selectors.
if TYPE_CHECKING:
    from accounts.models import Area, Team, User
    from hotspots.models import Hotspot


def _next_monday() -> date:
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


@login_required
@permission_required("tasking.view_taskingplan", raise_exception=True)
@require_http_methods(["GET", "POST"])
def plan_list(request: HttpRequest) -> HttpResponse:
    areas = selectors.areas_with_shifts(areas=areas_visible(user=request.user))
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("tasking.add_taskingplan"):
            return HttpResponse("Your role cannot generate plans.", status=403)
        area = object_or_404(areas, request.POST.get("area"))
        try:
            week = services.week_monday(date_param(request.POST.get("week", ""), "the week"))
            plan = services.plan_generate(area=area, week_start=week, actor=actor_of(request),
                                          version=whole_number(request.POST.get("version")))
        except (InputError, TaskingInputError) as exc:
            messages.error(request, str(exc))
            status = 400
        except PlanConflict as exc:
            messages.error(request, str(exc))
            status = 409
            # Regenerating from the plan's page: back to the plan, with the reason, not to
            # the list (issue 18, item 18).
            plan_id = whole_number(request.POST.get("plan"))
            back = (selectors.plans_visible(user=request.user).filter(pk=plan_id).first()
                    if plan_id is not None else None)
            if back is not None:
                return redirect("plan-detail", pk=back.pk)
        else:
            visits = plan.tasks.count()
            messages.success(request, f"Generated {visits} visits for {area.name}, week of "
                                      f"{plan.week_start:%d %B %Y} (seed {plan.seed}).")
            return redirect("plan-detail", pk=plan.pk)
    plans = selectors.plans_visible(user=request.user)[:30]
    return render(request, "tasking/plan_list.html", {
        "plans": plans, "areas": areas, "next_monday": _next_monday(),
        "can_generate": request.user.has_perm("tasking.add_taskingplan"),
    }, status=status)


@login_required
@permission_required("tasking.view_taskingplan", raise_exception=True)
@require_safe
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(selectors.plans_visible(user=request.user), pk=pk)
    shifts = selectors.plan_shifts(plan=plan)
    chosen = request.GET.get("shift", "")
    shift = next((s for s in shifts if str(s["id"]) == chosen), None)
    if shift is None and shifts:
        now = timezone.now()
        # The shift on now, else the first of the week.
        shift = next((s for s in shifts if s["ends_at"] > now), shifts[0])
    stale = services.plan_stale_tasks(plan=plan)
    return render(request, "tasking/plan_detail.html", {
        "plan": plan, "shifts": shifts, "shift": shift, "stale": stale,
        "boundary": area_outlines(area_ids=[plan.area_id]),
        "assignees": selectors.plan_assignees(
            plan=plan, with_training=request.user.has_perm("tasking.change_patroltask")),
        "can_edit": request.user.has_perm("tasking.change_patroltask"),
        "can_publish": request.user.has_perm("tasking.publish_taskingplan"),
        "can_generate": request.user.has_perm("tasking.add_taskingplan"),
    })


def _shifts_post(request: HttpRequest, area: Area, week: date) -> HttpResponse:
    """Adds a shift pattern or saves the week's capacity grid; raises TaskingInputError
    for the page to show with what was typed."""
    if request.POST.get("action") == "pattern":
        if not request.user.has_perm("tasking.add_shiftpattern"):
            return HttpResponse("Your role cannot add shifts.", status=403)
        form = ShiftPatternForm(request.POST)
        if not form.is_valid():
            raise TaskingInputError(form.first_error())
        services.shift_pattern_create(
            area=area, name=form.cleaned_data["name"],
            start_time=form.cleaned_data["start"],
            duration_minutes=round(form.cleaned_data["hours"] * 60),
            days=services.days_mask(request.POST.getlist("days")),
            actor=actor_of(request))
        messages.success(request, "Shift added.")
    elif request.POST.get("action") == "capacity":
        if not request.user.has_perm("tasking.change_shiftcapacity"):
            return HttpResponse("Your role cannot change capacity.", status=403)
        changed = _capacity_save(request, area, week)
        messages.success(request, f"{changed} capacit{'y' if changed == 1 else 'ies'} saved.")
    return redirect(f"{request.path}?area={area.pk}&week={week.isoformat()}")


def _capacity_grid(area: Area, week: date, teams: list[Team],
                   typed: dict[tuple[int, int], str]) -> tuple[object, list[dict[str, object]]]:
    """The week's shifts against the area's teams, as a formset and the rows that lay its
    forms out. Showing a week makes its dated shifts (idempotent): their capacity starts as
    the patterns' and is what the supervisor then adjusts. A refused grid shows what was
    typed (`typed`), to be put right."""
    week_shifts = services.shifts_ensure(area=area, week_start=week)
    caps = selectors.shift_capacities(shifts=week_shifts)
    cells = [(s.pk, t.pk) for s in week_shifts for t in teams]
    formset: Any = capacity_formset(cells=cells, minutes={**caps, **typed})
    forms = iter(formset.forms)
    rows = [{"shift": s, "cells": [(t, next(forms)) for t in teams],
             "total": sum(caps.get((s.pk, t.pk), 0) for t in teams)} for s in week_shifts]
    return formset, rows


@login_required
@permission_required("tasking.view_shiftpattern", raise_exception=True)
@require_http_methods(["GET", "POST"])
def shifts(request: HttpRequest) -> HttpResponse:
    """Shift patterns of an area and each team's patrol minutes in a week's shifts."""
    areas = areas_visible(user=request.user).filter(level__gte=2).order_by("level", "name")
    source = request.POST if request.method == "POST" else request.GET
    chosen = whole_number(source.get("area"))
    area = (areas.filter(pk=chosen).first() if chosen is not None
            else areas.filter(shift_patterns__isnull=False).first() or areas.first())
    try:
        week = services.week_monday(date_param(source.get("week", ""), "the week"))
    except InputError:
        week = _next_monday()
    refused = ""
    if request.method == "POST" and area is not None:
        try:
            return _shifts_post(request, area, week)
        except TaskingInputError as exc:
            messages.error(request, str(exc))
            refused = request.POST.get("action", "")
    patterns = selectors.shift_patterns_of(area=area) if area else []
    teams = list(teams_of_area(area=area)) if area else []
    grid: list[dict[str, object]] = []
    formset = None
    if area is not None and patterns:
        typed = capacity_typed(request.POST) if refused == "capacity" else {}
        formset, grid = _capacity_grid(area, week, teams, typed)
    return render(request, "tasking/shifts.html", {
        "areas": areas, "area": area, "week": week, "patterns": patterns, "teams": teams,
        "grid": grid, "formset": formset, "days": DAYS, "prev_week": week - timedelta(days=7),
        "next_week": week + timedelta(days=7),
        "can_add": request.user.has_perm("tasking.add_shiftpattern"),
        "can_capacity": request.user.has_perm("tasking.change_shiftcapacity"),
        # A refused shift shows the form as it was sent, to be put right.
        "posted": request.POST if refused == "pattern" else None,
        "posted_days": request.POST.getlist("days"),
    }, status=400 if refused else 200)


def _capacity_save(request: HttpRequest, area: Area, week: date) -> int:
    """The grid's cells, checked by its form, saved through the service (all or none)."""
    teams = [t.pk for t in teams_of_area(area=area)]
    cells = [(s.pk, t) for s in services.shifts_ensure(area=area, week_start=week) for t in teams]
    minutes = capacity_minutes(request.POST, cells=cells)
    return services.shift_capacities_set(area=area, week_start=week, minutes=minutes,
                                         actor=actor_of(request))


def _briefing_context(request: HttpRequest, pk: int, shift_id: int) -> dict[str, object]:
    plan = get_object_or_404(selectors.plans_visible(user=request.user), pk=pk)
    shift = get_object_or_404(Shift.objects.select_related("pattern"), pk=shift_id,
                              area_id=plan.area_id)
    data = selectors.briefing(plan=plan, shift=shift)
    audit_record(actor=request.user, action="briefing.view", target=plan,
                 detail={"shift": shift.pk})
    if not (request.user.has_perm("tasking.change_patroltask")
            or request.user.has_perm("training.view_training_matrix")):
        data["untrained"] = []  # a person's training is for those who assign or train them
    return {"plan": plan, "shift": shift, **data, "printed_at": timezone.now(),
            "tz": settings.TIME_ZONE}


@login_required
@permission_required("tasking.view_taskingplan", raise_exception=True)
@require_safe
def briefing(request: HttpRequest, pk: int, shift_id: int) -> HttpResponse:
    return render(request, "tasking/briefing.html", _briefing_context(request, pk, shift_id))


@login_required
@permission_required("tasking.view_taskingplan", raise_exception=True)
@require_safe
def briefing_pdf(request: HttpRequest, pk: int, shift_id: int) -> HttpResponse:
    from weasyprint import HTML

    context = _briefing_context(request, pk, shift_id)
    html = render_to_string("tasking/briefing.html", {**context, "pdf": True}, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    shift = context["shift"]
    assert isinstance(shift, Shift)
    name = f"briefing-{shift.date:%Y-%m-%d}-{shift.pattern.name.lower()}.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


PS_TEXT_FIELDS = ("scanning", "analysis", "response", "assessment")


@login_required
@permission_required("tasking.view_problemsolving", raise_exception=True)
@require_http_methods(["GET", "POST"])
def problem_solving(request: HttpRequest, pk: int) -> HttpResponse:
    hotspot = get_object_or_404(hotspots_visible(user=request.user), pk=pk)
    record = ProblemSolving.objects.filter(hotspot=hotspot).first()
    status = 200
    draft: dict[str, str] | None = None
    if request.method == "POST":
        if not request.user.has_perm("tasking.change_problemsolving"):
            return HttpResponse("Your role cannot change problem-solving notes.", status=403)
        fields: dict[str, object] = {k: request.POST.get(k, "")[:10_000]
                                     for k in PS_TEXT_FIELDS}
        fields["status"] = request.POST.get("status", "scanning")
        owner_id = whole_number(request.POST.get("owner"))
        # Only the people the page offers: a lookup over every user named people in other
        # areas in its refusal.
        fields["owner"] = (_owners(hotspot).filter(pk=owner_id).first()
                           if owner_id is not None else None)
        if owner_id is not None and fields["owner"] is None:
            messages.error(request, "Choose the owner from the list: no such officer here.")
            return render(request, "tasking/problem_solving.html", _ps_context(
                request, hotspot, record, {k: request.POST.get(k, "") for k in PS_TEXT_FIELDS}),
                status=400)
        version = whole_number(request.POST.get("version"))
        try:
            services.problem_solving_update(
                hotspot=hotspot, actor=actor_of(request), version=version or None,
                **fields)
        except (TaskingInputError, PlanConflict) as exc:
            messages.error(request, str(exc))
            status = 409 if isinstance(exc, PlanConflict) else 400
            if status == 400:  # what they typed stays in the form to be put right
                draft = {k: request.POST.get(k, "") for k in PS_TEXT_FIELDS}
        else:
            messages.success(request, "Problem-solving notes saved.")
            return redirect("problem-solving", pk=hotspot.pk)
    return render(request, "tasking/problem_solving.html",
                  _ps_context(request, hotspot, record, draft), status=status)


def _owners(hotspot: Hotspot) -> QuerySet[User]:
    """Who may own a hot spot's problem-solving: active people of its area or above."""
    return people_of_areas(
        area_ids=services.area_ancestor_ids(hotspot.area or hotspot.run_area))


def _ps_context(request: HttpRequest, hotspot: Hotspot, record: ProblemSolving | None,
                draft: dict[str, str] | None) -> dict[str, object]:
    return {
        "hotspot": hotspot, "record": record, "statuses": ProblemSolving.Status.choices,
        "text": draft if draft is not None else {
            k: getattr(record, k) if record else "" for k in PS_TEXT_FIELDS},
        "owners": _owners(hotspot),
        "history": record.history.select_related("actor")[:50] if record else [],
        "can_edit": request.user.has_perm("tasking.change_problemsolving"),
    }


@login_required
@permission_required("tasking.view_patroltask", raise_exception=True)
@require_safe
def my_visits(request: HttpRequest) -> HttpResponse:
    tasks = list(selectors.tasks_for_officer(user=request.user)[:500])
    show_all = request.GET.get("all") == "1"
    shifts = list(dict.fromkeys(t.shift_id for t in tasks))
    if not show_all:
        # The next three shifts with visits; the rest of the week is one tap away.
        tasks = [t for t in tasks if t.shift_id in shifts[:3]]
    return render(request, "tasking/my_visits.html", {
        "tasks": tasks, "more": not show_all and len(shifts) > 3})
