from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from accounts.selectors import actor_of, area_outlines, area_subtree_ids, areas_visible
from core.http import object_or_404
from core.params import whole_number

from .forms import ImportUploadForm, OffenceTypeForm
from .importers.errors import ImportInputError
from .models import HotspotRun, ImportJob
from .recompute import (
    RunInputError,
    exclusion_area_delete,
    exclusion_area_update,
    hotspot_run_queue,
)
from .selectors import (
    area_crime_counts,
    crimes_outside_areas,
    crimes_total,
    exclusions_visible,
    import_jobs_visible,
    offence_types_all,
    run_backtest,
    run_lorenz_points,
    runs_visible,
)
from .services import import_job_create, offence_type_update


@login_required
@permission_required("hotspots.view_importjob", raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest) -> HttpResponse:
    form = ImportUploadForm()
    if request.method == "POST":
        if not request.user.has_perm("hotspots.add_importjob"):
            return HttpResponse("Your role cannot import data.", status=403)
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            fmt = data["format"]
            try:
                job = import_job_create(
                    actor=actor_of(request), upload=data["file"], format=fmt,
                    source=data.get("source")
                    or ("police.uk" if fmt == ImportJob.Format.POLICE_UK else "force"),
                    mapping=data["mapping_dict"],
                )
            except ImportInputError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{job.original_name} is queued for import.")
                return redirect("import-detail", pk=job.pk)
    jobs = import_jobs_visible(user=request.user)[:50]
    status = 400 if form.errors else 200
    return render(request, "hotspots/import_list.html", {"form": form, "jobs": jobs},
                  status=status)


@login_required
@permission_required("hotspots.view_importjob", raise_exception=True)
@require_safe
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(import_jobs_visible(user=request.user), pk=pk)
    template = ("hotspots/_import_progress.html" if request.headers.get("HX-Request")
                else "hotspots/import_detail.html")
    return render(request, template, {"job": job})


@login_required
@permission_required("hotspots.view_offencetype", raise_exception=True)
@require_http_methods(["GET", "POST"])
def offence_types(request: HttpRequest) -> HttpResponse:
    types = list(offence_types_all())
    errors: dict[int, str] = {}
    if request.method == "POST":
        if not request.user.has_perm("hotspots.change_offencetype"):
            return HttpResponse("Your role cannot change harm weights.", status=403)
        target = object_or_404(offence_types_all(), request.POST.get("id"))
        form = OffenceTypeForm(request.POST)
        if form.is_valid():
            offence_type_update(
                offence_type=target, actor=actor_of(request),
                harm_weight=form.cleaned_data["harm_weight"],
                include_in_targeting=form.cleaned_data["include_in_targeting"],
                weight_source=form.cleaned_data["weight_source"] or target.weight_source,
            )
            weight = form.cleaned_data["harm_weight"]
            messages.success(request, f"{target.name}: weight {weight:g} saved.")
            return redirect("offence-types")
        errors[target.pk] = "; ".join(str(e) for errs in form.errors.values() for e in errs)
    status = 400 if errors else 200
    return render(request, "hotspots/offence_types.html", {"types": types, "errors": errors},
                  status=status)


@login_required
@permission_required("hotspots.view_hotspotrun", raise_exception=True)
@require_safe
def hotspot_map(request: HttpRequest) -> HttpResponse:
    runs = runs_visible(user=request.user)
    done = runs.filter(status=HotspotRun.Status.DONE)
    run = None
    chosen = whole_number(request.GET.get("run"))
    run = get_object_or_404(runs, pk=chosen) if chosen is not None else done.first()
    curve = run_lorenz_points(run=run) if run and run.status == HotspotRun.Status.DONE else []
    svg_points = " ".join(f"{20 + 260 * x:.1f},{220 - 200 * y:.1f}" for x, y in curve)
    shares = {}
    if run and run.status == HotspotRun.Status.DONE:
        shares = {k: 100 * run.metrics.get(k, 0.0)
                  for k in ("top_1_percent", "top_5_percent", "top_10_percent")}
    run_areas = areas_visible(user=request.user).filter(level=settings.HOTSPOTS_RUN_LEVEL)
    backtest = run_backtest(run=run) if run and run.status == HotspotRun.Status.DONE else {}
    return render(request, "hotspots/hotspot_map.html", {
        # Runs still queued or computing are listed too, so the one just asked for can be
        # found and watched (issue 18, item 18).
        "run": run, "runs": runs[:30], "curve_points": svg_points, "shares": shares,
        "backtest": backtest,
        "run_areas": run_areas, "can_run": request.user.has_perm("hotspots.add_hotspotrun"),
        "can_exclude": request.user.has_perm("hotspots.add_exclusionarea"),
        "can_review": request.user.has_perm("hotspots.review_hotspot"),
        "exclusions": exclusions_visible(user=request.user).filter(
            area_id__in=area_subtree_ids(area=run.area)).order_by("name") if run else [],
        "can_change_exclusion": request.user.has_perm("hotspots.change_exclusionarea"),
        "boundary": area_outlines(area_ids=[run.area_id] if run else []),
        "can_delete_exclusion": request.user.has_perm("hotspots.delete_exclusionarea"),
    })


@login_required
@permission_required("hotspots.view_exclusionarea", raise_exception=True)
@require_http_methods(["POST"])
def exclusion_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename or re-explain an exclusion area, or remove it (issue 18, item 15); back to
    the hot spot map it was changed from. Both audited by the services."""
    exclusion = get_object_or_404(exclusions_visible(user=request.user), pk=pk)
    back = f"{reverse('hotspot-map')}?run={whole_number(request.POST.get('run')) or ''}"
    if request.POST.get("action") == "delete":
        if not request.user.has_perm("hotspots.delete_exclusionarea"):
            return HttpResponse("Your role cannot remove exclusion areas.", status=403)
        exclusion_area_delete(actor=actor_of(request), exclusion=exclusion)
        messages.success(request, f"{exclusion.name} is no longer excluded, from the next run.")
        return redirect(back)
    if not request.user.has_perm("hotspots.change_exclusionarea"):
        return HttpResponse("Your role cannot change exclusion areas.", status=403)
    try:
        exclusion_area_update(actor=actor_of(request), exclusion=exclusion,
                              name=request.POST.get("name", ""),
                              reason=request.POST.get("reason", ""))
    except RunInputError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(request, "Exclusion area saved.")
    return redirect(back)


@login_required
@permission_required("hotspots.add_hotspotrun", raise_exception=True)
@require_http_methods(["POST"])
def hotspot_run_now(request: HttpRequest) -> HttpResponse:
    area = object_or_404(areas_visible(user=request.user), request.POST.get("area"))
    run = hotspot_run_queue(area=area, actor=actor_of(request), trigger=HotspotRun.Trigger.ANALYST)
    messages.success(request, f"Run {run.pk} for {area.name} is queued; this page shows it "
                              "when it is done.")
    return redirect(f"{reverse('hotspot-map')}?run={run.pk}")


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The first page after sign-in: crime by area for those who may see crime. It lives
    here, not in accounts, because it reads crime (accounts sits below hotspots)."""
    can_see_crime = request.user.has_perm("hotspots.view_crime")
    context = {
        "area_rows": area_crime_counts(user=request.user) if can_see_crime else [],
        "crime_total": crimes_total(user=request.user) if can_see_crime else None,
        "crime_outside": crimes_outside_areas(user=request.user) if can_see_crime else None,
        "can_see_crime": can_see_crime,
    }
    return render(request, "accounts/home.html", context)
