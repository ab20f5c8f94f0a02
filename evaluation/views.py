"""Pages for trials: list and design, one trial's assignments and its outcome."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.selectors import actor_of, areas_visible
from core.errors import InputError
from core.http import object_or_404
from core.params import date_param, whole_number

from . import selectors, services
from .models import Trial


def _arms(post: "dict[str, str]", design: str) -> list[dict[str, object]]:
    """Arms from the form: visit lengths ("10, 15"), a role, and a control arm if ticked."""
    try:
        lengths = [int(x) for x in post.get("lengths", "15").replace(" ", "").split(",") if x]
    except ValueError:
        raise services.TrialInputError("visit lengths are whole minutes, e.g. 10, 15") from None
    role = post.get("role") or None
    arms: list[dict[str, object]] = [
        {"name": f"{m} min{' ' + role.upper() if role else ''}", "visit_minutes": m,
         **({"role": role} if role else {})} for m in lengths]
    if design == Trial.Design.PARALLEL and post.get("control"):
        arms.append({"name": "control", "control": True})
    return arms


@login_required
@permission_required("evaluation.view_trial", raise_exception=True)
@require_http_methods(["GET", "POST"])
def trial_list(request: HttpRequest) -> HttpResponse:
    areas = areas_visible(user=request.user).order_by("level", "name")
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("evaluation.add_trial"):
            return HttpResponse("Your role cannot design trials.", status=403)
        post = request.POST.dict()
        try:
            area = object_or_404(areas, post.get("area"))
            design = post.get("design", "")
            costs = {r: post[f"cost_{r}"] for r in ("pc", "pcso", "special")
                     if post.get(f"cost_{r}")}
            trial = services.trial_create(
                area=area, name=post.get("name", ""), design=design,
                arms=_arms(post, design), start_date=date_param(post.get("start", ""), "start"),
                end_date=date_param(post.get("end", ""), "end"), actor=actor_of(request),
                seed=whole_number(post.get("seed")), hourly_cost=costs)
        except (InputError, services.TrialInputError) as exc:
            messages.error(request, str(exc))
            status = 400
        except ValueError:
            messages.error(request, "Check the trial's arms and costs: numbers only.")
            status = 400
        else:
            messages.success(request, f"{trial.name}: {trial.places.count()} hot spots "
                                      f"randomised with seed {trial.seed}.")
            return redirect("trial-detail", pk=trial.pk)
    today = timezone.localdate()
    trials = list(selectors.trials_visible(user=request.user))
    for t in trials:
        t.phase = selectors.trial_phase(trial=t, today=today)  # type: ignore[attr-defined]
    return render(request, "evaluation/trial_list.html", {
        "trials": trials, "areas": areas,
        "can_add": request.user.has_perm("evaluation.add_trial"),
        # A refused design shows the form as it was sent, to be put right.
        "posted": request.POST if status == 400 else None}, status=status)


@login_required
@permission_required("evaluation.view_trial", raise_exception=True)
@require_http_methods(["GET", "POST"])
def trial_detail(request: HttpRequest, pk: int) -> HttpResponse:
    trial = get_object_or_404(selectors.trials_visible(user=request.user), pk=pk)
    if request.method == "POST":
        if not request.user.has_perm("evaluation.start_trial"):
            return HttpResponse("Your role cannot start trials.", status=403)
        try:
            trial = services.trial_start(trial=trial, actor=actor_of(request))
        except services.TrialInputError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Started: the randomisation is locked and tasking "
                                      "follows it.")
        return redirect("trial-detail", pk=trial.pk)
    outcome = None
    if trial.status != Trial.Status.DRAFT and request.user.has_perm("patrols.view_presence"):
        outcome = selectors.trial_outcome(trial=trial, user=request.user)
    places = trial.places.select_related("hotspot").order_by("block", "hotspot_id")
    rows = [{"key": p.hotspot.key, "name": p.hotspot.name, "harm": p.harm, "block": p.block,
             "arm": trial.arms[p.arm]["name"] if p.arm is not None else "daily crossover"}
            for p in places]
    return render(request, "evaluation/trial_detail.html", {
        "trial": trial, "rows": rows, "outcome": outcome,
        "phase": selectors.trial_phase(trial=trial, today=timezone.localdate()),
        "calendar": selectors.crossover_calendar(trial=trial)
        if trial.design == Trial.Design.CROSSOVER else None,
        "can_start": request.user.has_perm("evaluation.start_trial")
        and trial.status == Trial.Status.DRAFT})
