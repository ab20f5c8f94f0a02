"""Reads for training: each person's standing in each module (done, due soon, overdue,
not done), the training matrix of an area, and who is not trained for tasking."""

from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Area, User
from accounts.roles import ADMIN, ANALYST, OFFICER, SUPERVISOR, user_role
from accounts.selectors import area_subtree_ids, areas_visible, users_visible

from .document import Document, parse_document
from .models import Completion, Module, ModuleImage

DUE_SOON = timedelta(days=30)
LABELS = {"done": "Done", "due_soon": "Due soon", "overdue": "Overdue",
          "not_done": "Not done", "optional": "Optional", "not_required": "Not required"}
# Who the matrix lists, in this order: the people who patrol and the people who task them.
MATRIX_ROLES = (OFFICER, SUPERVISOR, ANALYST, ADMIN)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (the month's last day when it is shorter)."""
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    return moment.replace(year=year, month=month,
                          day=min(moment.day, monthrange(year, month)[1]))


@dataclass(frozen=True)
class Standing:
    """A person's standing in one module."""

    state: str          # done, due_soon, overdue, not_done, optional, not_required
    passed_at: datetime | None
    due_at: datetime | None
    score: int | None

    @property
    def label(self) -> str:
        return LABELS[self.state]

    @property
    def current(self) -> bool:
        return self.state in ("done", "due_soon")

    @property
    def retake(self) -> bool:
        """Overdue because the module changed, not because time ran out."""
        return self.state == "overdue" and self.due_at is None


def standing(*, module: Module, role: str | None, last_pass: Completion | None,
             now: datetime, for_matrix: bool = False) -> Standing:
    """Done until `refresher_months` after the last pass of the current version; due soon
    in its last 30 days; overdue after, or at once when a material change made a new
    version; not done when never passed. Modules not required of the role are optional."""
    required = role in module.required_roles
    if last_pass is None:
        state = "not_done" if required else ("not_required" if for_matrix else "optional")
        return Standing(state, None, None, None)
    if last_pass.module_version < module.version:
        return Standing("overdue" if required else "optional", last_pass.answered_at, None,
                        last_pass.score)
    due = add_months(last_pass.answered_at, module.refresher_months)
    if due <= now:
        state = "overdue" if required else "optional"
    elif due - now <= DUE_SOON:
        state = "due_soon"
    else:
        state = "done"
    return Standing(state, last_pass.answered_at, due, last_pass.score)


def modules_active() -> QuerySet[Module]:
    return Module.objects.filter(active=True).order_by("order", "title")


def modules_readable(*, user: Any) -> QuerySet[Module]:
    """Every active module: lessons are the force's own, open to everyone who learns."""
    return modules_active()


def module_visible(*, slug: str) -> Module | None:
    return modules_active().filter(slug=slug).first()


def last_passes(*, user_ids: list[int], module_ids: list[int]
                ) -> dict[tuple[int, int], Completion]:
    """Each person's latest pass of each module, in one query (DISTINCT ON)."""
    rows = (Completion.objects.filter(user_id__in=user_ids, module_id__in=module_ids,
                                      passed=True)
            .order_by("user_id", "module_id", "-answered_at")
            .distinct("user_id", "module_id"))
    return {(c.user_id, c.module_id): c for c in rows}


def my_modules(*, user: Any) -> list[dict[str, Any]]:
    """The modules a person sees on the learning page, those their role requires first."""
    role = user_role(user)
    modules = list(modules_active())
    passes = last_passes(user_ids=[user.pk], module_ids=[m.pk for m in modules])
    now = timezone.now()
    rows: list[dict[str, Any]] = [{"module": m, "required": role in m.required_roles,
             "standing": standing(module=m, role=role, last_pass=passes.get((user.pk, m.pk)),
                                  now=now)} for m in modules]
    rows.sort(key=lambda r: (not r["required"], r["module"].order, r["module"].title))
    return rows


def last_sitting(*, user: Any, module: Module) -> Completion | None:
    return Completion.objects.filter(user=user, module=module).order_by("-answered_at").first()


def retakers(*, module: Module) -> int:
    """Active people whose latest pass is of an older version: asked to take it again."""
    latest = (Completion.objects.filter(module=module, passed=True, user__is_active=True)
              .order_by("user_id", "-answered_at").distinct("user_id")
              .values_list("module_version", flat=True))
    return sum(version < module.version for version in latest)


def questions_missed(*, completion: Completion) -> list[int]:
    """The numbers (from 1) of the questions a sitting answered wrongly, against the
    questions of the revision it was marked on."""
    revision = completion.module.revisions.filter(
        revision=completion.module_revision).values_list("body", flat=True).first()
    if revision is None:
        return []
    questions = parse_document(revision).questions
    return [n for n, (given, q) in enumerate(zip(completion.answers, questions,
                                                 strict=False), 1) if given != q.answer]


def module_document(*, module: Module) -> Document:
    return parse_document(module.body)


def module_image_ids(*, module: Module) -> set[int]:
    return set(module.images.values_list("pk", flat=True))


def module_images(*, module: Module) -> QuerySet[ModuleImage]:
    return module.images.all()


def image_visible(*, pk: int) -> ModuleImage | None:
    """A lesson picture: every signed-in reader of lessons may see every module's."""
    return ModuleImage.objects.filter(pk=pk, module__active=True).first()


def matrix_people(*, viewer: Any, area_ids: list[int] | None,
                  team_id: int | None) -> list[User]:
    """Active people the viewer may see, in the areas (all of theirs with None), with a
    role that learns: officers, supervisors, analysts and admins."""
    people = users_visible(user=viewer).filter(is_active=True)
    if area_ids is not None:
        people = people.filter(area_id__in=area_ids)
    if team_id is not None:
        people = people.filter(team_id=team_id)
    found = [p for p in people.select_related("team").prefetch_related("groups")
             .order_by("last_name", "first_name", "username")
             if user_role(p) in MATRIX_ROLES]
    return found


def matrix(*, viewer: Any, area: Any | None, team_id: int | None) -> dict[str, Any]:
    """People against modules: each cell a standing. Totals count people, not cells: a
    person is ready when every module their role requires is current."""
    area_ids = area_subtree_ids(area=area) if area is not None else None
    people = matrix_people(viewer=viewer, area_ids=area_ids, team_id=team_id)
    modules = list(modules_active())
    passes = last_passes(user_ids=[p.pk for p in people], module_ids=[m.pk for m in modules])
    now = timezone.now()
    rows = []
    counts = {state: 0 for state in LABELS}
    for person in people:
        role = user_role(person)
        cells = [standing(module=m, role=role, last_pass=passes.get((person.pk, m.pk)),
                          now=now, for_matrix=True) for m in modules]
        for cell in cells:
            counts[cell.state] += 1
        required = [c for m, c in zip(modules, cells, strict=True) if role in m.required_roles]
        rows.append({"person": person, "role": role, "cells": cells,
                     "ready": all(c.current for c in required)})
    return {"modules": modules, "rows": rows, "counts": counts,
            "ready": sum(r["ready"] for r in rows), "people": len(rows)}


def training_gaps(*, user_ids: list[int]) -> dict[int, list[str]]:
    """For each person, the titles of the modules their role requires that they do not
    hold a current pass of (empty when trained). Used by tasking's warning and briefing."""
    people = list(User.objects.filter(pk__in=user_ids).prefetch_related("groups"))
    modules = [m for m in modules_active() if m.required_roles]
    passes = last_passes(user_ids=user_ids, module_ids=[m.pk for m in modules])
    now = timezone.now()
    gaps: dict[int, list[str]] = {}
    for person in people:
        role = user_role(person)
        gaps[person.pk] = [
            m.title for m in modules if role in m.required_roles
            and not standing(module=m, role=role, last_pass=passes.get((person.pk, m.pk)),
                             now=now).current]
    return gaps


def completion_by_role(*, viewer: Any, area: Any | None) -> list[dict[str, Any]]:
    """For the reports: per role, how many people hold a current pass of every module
    the role requires, and how many (role, module) requirements are current."""
    data = matrix(viewer=viewer, area=area, team_id=None)
    return _tally_by_role(data["rows"], data["modules"], {})


def _tally_by_role(rows: list[dict[str, Any]], modules: list[Module],
                   fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Matrix rows counted per role: people, ready people, required (person, module)
    pairs and the current ones; each entry starts with `fields`. In MATRIX_ROLES order."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = out.setdefault(row["role"], {**fields, "role": row["role"], "people": 0,
                                             "ready": 0, "required": 0, "current": 0})
        entry["people"] += 1
        entry["ready"] += int(row["ready"])
        for m, cell in zip(modules, row["cells"], strict=True):
            if row["role"] in m.required_roles:
                entry["required"] += 1
                entry["current"] += int(cell.current)
    return [out[r] for r in MATRIX_ROLES if r in out]


def readiness_at(*, area_ids: list[int], at: datetime) -> tuple[int, int]:
    """(ready, people) as things stood at a moment: active people of these areas who had
    joined by then, with a role that learns, and how many held a current pass then of every
    module their role requires (a module counts from its first save; a pass counts if it
    was of the version current then and within its refresher interval). For the monthly
    funding return: each month's figure at its end. (0, 0) before any module existed."""
    people = [p for p in User.objects.filter(is_active=True, area_id__in=area_ids,
                                             date_joined__lt=at).prefetch_related("groups")
              if user_role(p) in MATRIX_ROLES]
    modules = [m for m in modules_active() if m.required_roles]
    versions = {m.pk: v for m in modules
                if (v := m.revisions.filter(saved_at__lte=at).order_by("-revision")
                    .values_list("version", flat=True).first()) is not None}
    if not versions:  # no training was asked of anyone yet: no figure, not 100%
        return 0, 0
    rows = (Completion.objects.filter(user_id__in=[p.pk for p in people],
                                      module_id__in=list(versions), passed=True,
                                      answered_at__lte=at)
            .order_by("user_id", "module_id", "-answered_at").distinct("user_id", "module_id"))
    passes = {(c.user_id, c.module_id): c for c in rows}
    ready = 0
    for person in people:
        role = user_role(person)
        ok = True
        for m in modules:
            if m.pk not in versions or role not in m.required_roles:
                continue
            c = passes.get((person.pk, m.pk))
            if (c is None or c.module_version < versions[m.pk]
                    or add_months(c.answered_at, m.refresher_months) <= at):
                ok = False
                break
        ready += ok
    return ready, len(people)


def completion_by_area_and_role(*, viewer: Any, smallest: int = 1) -> list[dict[str, Any]]:
    """For the reports page: for each area the viewer sees (and everything below it), per
    role, people ready of people and required modules current of required. One matrix of
    everyone the viewer sees, rolled up by the areas' paths: each person counts once in
    their own area and once in each area above it."""
    data = matrix(viewer=viewer, area=None, team_id=None)
    areas = list(areas_visible(user=viewer).order_by("level", "name"))
    paths = dict(Area.objects.filter(pk__in={r["person"].area_id for r in data["rows"]})
                 .values_list("pk", "path"))
    out: list[dict[str, Any]] = []
    for area in areas:
        inside = [row for row in data["rows"]
                  if paths.get(row["person"].area_id, "").startswith(area.path)]
        out.extend(_tally_by_role(inside, data["modules"], {
            "area": area.name, "level": area.get_level_display()}))
    # For those who may not see the matrix, a group smaller than `smallest` is one or two
    # people's standing: its figures are withheld (the row says so).
    for row in out:
        row["withheld"] = row["people"] < smallest
        if row["withheld"]:
            row.update(ready=None, required=None, current=None)
    return out
