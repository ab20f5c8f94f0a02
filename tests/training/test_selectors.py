"""Standing in a module at exact moments, the matrix's counts, who tasking warns about,
and the funding return's share of trained people at a month's end."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Team, User
from tests.conftest import CAMDEN, make_user
from training import selectors
from training.models import Module, ModuleRevision
from training.selectors import add_months, standing
from training.services import module_save

from .conftest import BODY, sit

pytestmark = pytest.mark.django_db


def test_months_are_added_on_the_calendar():
    assert add_months(datetime(2026, 1, 31, 9, tzinfo=UTC), 1) == datetime(2026, 2, 28, 9,
                                                                            tzinfo=UTC)
    assert add_months(datetime(2025, 12, 7, tzinfo=UTC), 12) == datetime(2026, 12, 7,
                                                                         tzinfo=UTC)
    assert add_months(datetime(2024, 2, 29, tzinfo=UTC), 12) == datetime(2025, 2, 28,
                                                                         tzinfo=UTC)


@pytest.mark.parametrize(("days_ago", "state"), [
    (0, "done"), (334, "done"), (336, "due_soon"), (364, "due_soon"), (366, "overdue")])
def test_a_pass_is_done_then_due_soon_then_overdue(users, small_module, days_ago, state):
    """12 months from the pass (7 Dec 2025 + 12 months = 7 Dec 2026); due soon in its last
    30 days."""
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    done = sit(users["officer"], small_module)
    done.answered_at = now - timedelta(days=days_ago)  # in memory only: rows never change
    got = standing(module=small_module, role="officer", last_pass=done, now=now)
    assert got.state == state
    assert got.due_at == add_months(now - timedelta(days=days_ago), 12)


def test_a_material_change_makes_a_pass_overdue_at_once(users, small_module):
    passed = sit(users["officer"], small_module)
    module = module_save(module=small_module, actor=None, title="Small", body=BODY,
                         required_roles=["officer"], pass_mark=50, material=True)
    got = standing(module=module, role="officer", last_pass=passed, now=timezone.now())
    assert (got.state, got.retake, got.current, got.due_at) == ("overdue", True, False, None)
    assert standing(module=module, role="supervisor", last_pass=None,
                    now=timezone.now()).state == "optional"
    assert standing(module=module, role="officer", last_pass=None,
                    now=timezone.now()).state == "not_done"


def test_the_matrix_lists_people_against_modules_with_exact_counts(users, areas, shipped):
    camden = areas[CAMDEN]
    team = Team.objects.get(name="Camden Town SNT")
    pc2 = make_user("pc2", "officer", camden, team)
    make_user("elsewhere", "officer", areas["E09000019"])
    for slug in ("why-hot-spots", "in-a-hot-spot", "targeting", "patrol-page"):
        sit(users["officer"], shipped[slug], days_ago=10)
    sit(pc2, shipped["why-hot-spots"], days_ago=400)       # overdue
    sit(pc2, shipped["patrol-page"], days_ago=350)         # due soon
    sit(pc2, shipped["targeting"], answers=[0, 0, 0, 0, 0])  # a fail is not a pass
    data = selectors.matrix(viewer=users["supervisor"], area=camden, team_id=None)
    assert [m.slug for m in data["modules"]] == ["why-hot-spots", "in-a-hot-spot",
                                                 "targeting", "patrol-page", "supervisors"]
    rows = {r["person"].username: ([c.state for c in r["cells"]], r["ready"])
            for r in data["rows"]}
    assert rows == {
        "officer": (["done", "done", "done", "done", "not_required"], True),
        "pc2": (["overdue", "not_done", "not_done", "due_soon", "not_required"], False),
        "supervisor": (["not_done", "not_done", "not_done", "not_required", "not_done"],
                       False),
    }
    assert (data["people"], data["ready"]) == (3, 1)
    assert data["counts"]["not_done"] == 6 and data["counts"]["overdue"] == 1
    by_team = selectors.matrix(viewer=users["supervisor"], area=camden, team_id=team.pk)
    assert [r["person"].username for r in by_team["rows"]] == ["officer", "pc2"]
    # Totals by role count the same people as the matrix.
    assert selectors.completion_by_role(viewer=users["supervisor"], area=camden) == [
        {"role": "officer", "people": 2, "ready": 1, "required": 8, "current": 5},
        {"role": "supervisor", "people": 1, "ready": 0, "required": 4, "current": 0}]


def test_training_gaps_name_the_modules_a_role_lacks(users, shipped):
    sit(users["officer"], shipped["why-hot-spots"])
    sit(users["officer"], shipped["patrol-page"])
    gaps = selectors.training_gaps(user_ids=[users["officer"].pk, users["auditor"].pk])
    assert gaps == {users["officer"].pk: ["What to do in a hot spot",
                                          "How harm weighting and targeting work"],
                    users["auditor"].pk: []}


def test_readiness_at_a_months_end_counts_what_held_then(users, areas, shipped):
    why = shipped["why-hot-spots"]
    now = timezone.now()
    User.objects.update(date_joined=now - timedelta(days=60))
    ModuleRevision.objects.update(saved_at=now - timedelta(days=50))
    for slug in ("why-hot-spots", "in-a-hot-spot", "targeting", "patrol-page"):
        sit(users["officer"], shipped[slug], days_ago=20)
    camden_ids = [areas[CAMDEN].pk]
    assert selectors.readiness_at(area_ids=camden_ids, at=now) == (1, 2)
    # Before the passes, nobody was ready; before any module, no figure; before the people
    # joined, nobody was counted.
    assert selectors.readiness_at(area_ids=camden_ids, at=now - timedelta(days=21)) == (0, 2)
    assert selectors.readiness_at(area_ids=camden_ids, at=now - timedelta(days=55)) == (0, 0)
    ModuleRevision.objects.update(saved_at=now - timedelta(days=90))
    assert selectors.readiness_at(area_ids=camden_ids, at=now - timedelta(days=61)) == (0, 0)
    # A material change later does not undo a month already past.
    ModuleRevision.objects.update(saved_at=now - timedelta(days=50))
    module_save(module=Module.objects.get(pk=why.pk), actor=None, title=why.title,
                body=why.body, required_roles=why.required_roles, material=True)
    assert selectors.readiness_at(area_ids=camden_ids, at=now - timedelta(days=1)) == (1, 2)
    assert selectors.readiness_at(area_ids=camden_ids, at=timezone.now()) == (0, 2)


def test_the_reports_figures_by_area_and_role_add_up_to_the_matrix(users, areas, shipped):
    for slug in ("why-hot-spots", "in-a-hot-spot", "targeting", "patrol-page"):
        sit(users["officer"], shipped[slug])
    make_user("isl", "officer", areas["E09000019"])
    rows = selectors.completion_by_area_and_role(viewer=users["admin"])
    got = {(r["area"], r["role"]): (r["ready"], r["people"], r["current"], r["required"])
           for r in rows}
    assert got == {
        ("Test force", "officer"): (1, 2, 4, 8), ("Test force", "supervisor"): (0, 1, 0, 4),
        ("Test force", "analyst"): (0, 1, 0, 2), ("Test force", "admin"): (0, 1, 0, 2),
        ("Central North", "officer"): (1, 2, 4, 8),
        ("Central North", "supervisor"): (0, 1, 0, 4),
        ("Camden", "officer"): (1, 1, 4, 4), ("Camden", "supervisor"): (0, 1, 0, 4),
        ("Islington", "officer"): (0, 1, 0, 4)}
    # The force's row counts the same people as the matrix.
    whole = selectors.matrix(viewer=users["admin"], area=None, team_id=None)
    assert whole["people"] == sum(r["people"] for r in rows if r["area"] == "Test force")
    assert whole["ready"] == sum(r["ready"] for r in rows if r["area"] == "Test force")


def test_small_groups_are_withheld_from_those_who_may_not_see_the_matrix(users, areas,
                                                                         shipped):
    rows = selectors.completion_by_area_and_role(viewer=users["analyst"], smallest=3)
    camden = [r for r in rows if r["area"] == "Camden"]
    assert [(r["role"], r["people"], r["withheld"], r["ready"]) for r in camden] == [
        ("officer", 1, True, None), ("supervisor", 1, True, None)]
