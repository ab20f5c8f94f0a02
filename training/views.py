"""Training pages: the learning list and a module (phone first, readable offline), the
editor for analysts and admins, lesson pictures, and the training matrix."""

import tempfile
import uuid
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from accounts.roles import ROLES
from accounts.selectors import actor_of, areas_visible, teams_visible
from core import writers
from core.errors import AppError
from core.http import object_or_404
from core.params import whole_number

from . import selectors, services
from .document import TrainingInputError
from .models import Module
from .rendering import render_lesson


@login_required
@permission_required("training.view_module", raise_exception=True)
@require_safe
def learn_home(request: HttpRequest) -> HttpResponse:
    return render(request, "training/home.html", {
        "rows": selectors.my_modules(user=request.user),
        "can_write": request.user.has_perm("training.change_module"),
        "can_matrix": request.user.has_perm("training.view_training_matrix")})


def _module_context(request: HttpRequest, module: Module) -> dict[str, Any]:
    doc = selectors.module_document(module=module)
    images = selectors.module_image_ids(module=module)
    lessons = [{"title": title, "html": render_lesson(body, image_ids=images,
                                                      user=request.user)}
               for title, body in doc.lessons]
    rows = {r["module"].pk: r for r in selectors.my_modules(user=request.user)}
    return {"module": module, "lessons": lessons, "questions": doc.questions,
            "row": rows.get(module.pk), "sitting_id": uuid.uuid4(),
            "last": selectors.last_sitting(user=request.user, module=module)}


@login_required
@permission_required("training.view_module", raise_exception=True)
@require_http_methods(["GET", "POST"])
def module_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The lessons one at a time, then the check. The page's script sends the answers
    through the API (queued on the phone when there is no signal); without a script the
    form posts here."""
    module = selectors.module_visible(slug=slug)
    if module is None:
        raise Http404("No such module.")
    if request.method == "POST":
        if not request.user.has_perm("training.add_completion"):
            return HttpResponse("Your role cannot take knowledge checks.", status=403)
        try:
            sitting = uuid.UUID(request.POST.get("id", ""))
            version = whole_number(request.POST.get("version")) or 0
            count = len(selectors.module_document(module=module).questions)
            answers = [whole_number(request.POST.get(f"q{i}")) for i in range(count)]
            if any(a is None for a in answers):
                raise TrainingInputError("answer every question")
            body = {"id": str(sitting), "module": module.pk, "version": version,
                    "answers": answers}
            done, _ = services.completion_record(
                user=request.user, module=module, completion_id=sitting, version=version,  # type: ignore[arg-type]
                answers=[int(a) for a in answers if a is not None],
                answered_at=timezone.now(), body=body)
        except (ValueError, AppError) as exc:
            messages.error(request, str(exc) if isinstance(exc, AppError)
                           else "The form was sent without its id: reload the page.")
            return render(request, "training/module.html", _module_context(request, module),
                          status=getattr(exc, "status", 400))
        missed = selectors.questions_missed(completion=done)
        if done.passed and done.module_version < module.version:
            messages.warning(request, "You passed the version you had open, but the module "
                             "has changed since: take it again below.")
        elif done.passed:
            messages.success(request, f"Passed: {done.correct} of {done.questions} right "
                             f"({done.score}%).")
        else:
            look = (f" Look again at question{'s' if len(missed) > 1 else ''} "
                    f"{', '.join(map(str, missed))}." if missed else "")
            messages.warning(request, f"Not passed this time: {done.correct} of "
                             f"{done.questions} right ({done.score}%); the pass mark is "
                             f"{module.pass_mark}%.{look} Read the lessons again and retake "
                             "it.")
        return redirect("learn-module", slug=module.slug)
    return render(request, "training/module.html", _module_context(request, module))


@require_safe
def learn_service_worker(request: HttpRequest) -> HttpResponse:
    """The learning pages' service worker, served from /learn/ so that it controls them.
    No login: it holds no data, only how to keep pages once opened."""
    response = render(request, "training/sw.js", content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@permission_required("training.view_module", raise_exception=True)
@require_safe
def image(request: HttpRequest, pk: int) -> FileResponse:
    found = selectors.image_visible(pk=pk)
    if found is None:
        raise Http404("No such picture.")
    response = FileResponse(found.image.open("rb"), content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
@permission_required("training.change_module", raise_exception=True)
@require_safe
def manage(request: HttpRequest) -> HttpResponse:
    return render(request, "training/manage.html", {
        "modules": Module.objects.order_by("order", "title")})


def _form_values(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    return {"title": post.get("title", "")[:200], "summary": post.get("summary", "")[:300],
            "body": post.get("body", "")[:100_000],
            "order": whole_number(post.get("order")) or 100,
            "pass_mark": whole_number(post.get("pass_mark"), digits=3) or 0,
            "refresher_months": whole_number(post.get("refresher_months"), digits=3) or 0,
            "required_roles": [r for r in post.getlist("roles") if r in ROLES],
            "active": post.get("active") == "on", "material": post.get("material") == "on"}


@login_required
@permission_required("training.change_module", raise_exception=True)
@require_http_methods(["GET", "POST"])
def module_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Write or change a module. A material change asks everyone to take it again; a typo
    fix does not (changing the check's answers or the pass mark always does)."""
    module = Module.objects.filter(slug=slug).first() if slug else None
    if slug and module is None:
        raise Http404("No such module.")
    values: dict[str, Any] = {}
    status = 200
    if request.method == "POST" and request.POST.get("action") == "image" and module:
        try:
            upload = request.FILES.get("image")
            if upload is None:
                raise TrainingInputError("choose a picture to upload")
            picture = services.image_add(module=module, upload=upload,
                                         alt=request.POST.get("alt", ""),
                                         actor=actor_of(request))
        except AppError as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            messages.success(request, f"Picture added: write ![{picture.alt}]"
                             f"(image:{picture.pk}) in a lesson to show it.")
            return redirect("learn-edit", slug=module.slug)
    elif request.method == "POST":
        values = _form_values(request)
        new_slug = request.POST.get("slug", "").strip()[:80]
        try:
            saved = services.module_save(module=module, actor=actor_of(request),
                                         slug=new_slug, **values)
        except AppError as exc:
            messages.error(request, str(exc))
            status = 400
            values["slug"] = new_slug
        else:
            material = module is not None and saved.version > module.version
            retake = selectors.retakers(module=saved) if material else 0
            asked = (f" {retake} {'person who had' if retake == 1 else 'people who had'} "
                     "passed it will be asked to take it again." if retake else "")
            messages.success(request, f"Saved: version {saved.version}, revision "
                             f"{saved.revision}.{asked}")
            return redirect("learn-edit", slug=saved.slug)
    shown = {"slug": "", "title": "", "summary": "", "body": "", "pass_mark": 75,
             "refresher_months": 12, "order": 100, "required_roles": ["officer"],
             "active": True}
    if module is not None:
        shown.update({k: getattr(module, k) for k in shown})
    shown.update(values)  # what they typed, when it was refused
    return render(request, "training/edit.html", {
        "module": module, "form": shown, "roles": ROLES,
        "images": selectors.module_images(module=module) if module else [],
        "revisions": module.revisions.select_related("saved_by")[:20] if module else []},
        status=status)


MATRIX_FORMATS = ("csv", "xlsx")


@login_required
@permission_required("training.view_training_matrix", raise_exception=True)
@require_safe
def matrix_page(request: HttpRequest) -> HttpResponse:
    """People against modules for an area and team; CSV and XLSX carry the same cells."""
    areas = areas_visible(user=request.user).order_by("level", "name")
    area = object_or_404(areas, request.GET["area"]) if request.GET.get("area") else None
    teams = teams_visible(user=request.user)
    if area is not None:
        teams = teams.filter(area_id__in=[a.pk for a in areas if a.path.startswith(area.path)])
    team = object_or_404(teams, request.GET["team"]) if request.GET.get("team") else None
    data = selectors.matrix(viewer=request.user, area=area, team_id=team.pk if team else None)
    fmt = request.GET.get("format")
    if fmt:
        if fmt not in MATRIX_FORMATS:
            return HttpResponse("Training matrix: format is csv or xlsx.", status=400,
                                content_type="text/plain")
        return _matrix_file(data, fmt)
    return render(request, "training/matrix.html", {
        "data": data, "areas": areas, "area": area, "teams": teams.order_by("name"),
        "team": team})


def _matrix_file(data: dict[str, Any], fmt: str) -> HttpResponse:
    columns = ["name", "collar_number", "role", "team", "ready"]
    for m in data["modules"]:
        # Titles are the force's own text: neutralised as every cell is (a title starting
        # "=" must not become a formula in a header).
        title = str(writers.neutralise(m.title))
        columns += [f"{title}: standing", f"{title}: passed", f"{title}: due"]
    rows = []
    for row in data["rows"]:
        p = row["person"]
        line: list[Any] = [p.get_full_name() or p.username, p.collar_number, row["role"],
                           p.team.name if p.team else "", "yes" if row["ready"] else "no"]
        for cell in row["cells"]:
            line += [cell.label,
                     timezone.localtime(cell.passed_at).date().isoformat()
                     if cell.passed_at else "",
                     timezone.localtime(cell.due_at).date().isoformat() if cell.due_at else ""]
        rows.append(line)
    name = f"training-matrix-{timezone.localdate():%Y-%m-%d}-OFFICIAL-SENSITIVE.{fmt}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        if fmt == "csv":
            writers.write_csv(path, columns, rows)
        else:
            writers.write_xlsx(path, columns, rows, title="training matrix")
        payload = path.read_bytes()
    response = HttpResponse(payload, content_type="text/csv" if fmt == "csv" else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
