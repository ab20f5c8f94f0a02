"""Tasking knows about training (issue 19): giving a visit to someone without a current
pass of their role's required modules warns (a setting refuses it), the map marks them, and
the shift briefing lists who is not yet trained."""

import pytest
from django.test import override_settings
from django.urls import reverse

from audit.models import AuditEvent
from tasking.models import PatrolTask
from tasking.selectors import plan_assignees
from tasking.services import plan_generate
from tests.conftest import CAMDEN
from tests.training.conftest import (
    shipped,  # noqa: F401  (fixture)
    sit,
)

from .conftest import WEEK, night_profile

pytestmark = pytest.mark.django_db

LACKS = ("officer has not done the training their role requires: Why hot spots, What to do "
         "in a hot spot, How harm weighting and targeting work, Using the patrol page. The "
         "visit is theirs; they can take the modules on their phone, under Learning.")


@pytest.fixture
def plan(areas, patterns, make_hotspot, shipped):  # noqa: F811
    make_hotspot(night_profile(5.0))
    return plan_generate(area=areas[CAMDEN], week_start=WEEK, actor=None, seed=3)


def _assign(client, task, version, user):
    return client.patch(reverse("api-task", args=[task.pk]),
                        data={"version": version, "assignee_user": user.pk},
                        content_type="application/json")


def test_assigning_an_untrained_officer_warns_and_a_trained_one_does_not(
        api, users, plan, shipped):  # noqa: F811
    client = api(users["supervisor"])
    task = plan.tasks.first()
    got = _assign(client, task, 1, users["officer"])
    assert got.status_code == 200
    assert got.json()["training_warning"] == LACKS
    assert PatrolTask.objects.get(pk=task.pk).assignee_user == users["officer"]
    people = plan_assignees(plan=plan, with_training=True)["users"]
    assert [(u["name"], u["untrained"][:1]) for u in people] == [("officer",
                                                                  ["Why hot spots"])]
    for slug in ("why-hot-spots", "in-a-hot-spot", "targeting", "patrol-page"):
        sit(users["officer"], shipped[slug])
    other = plan.tasks.exclude(pk=task.pk).first()
    trained = _assign(client, other, 2, users["officer"])
    assert trained.status_code == 200 and trained.json()["training_warning"] is None


def test_those_who_only_read_plans_are_not_shown_who_is_untrained(api, users, plan):
    page = api(users["analyst"]).get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert '"untrained": []' in page and "Why hot spots" not in page
    sup = api(users["supervisor"]).get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert '"untrained": ["Why hot spots"' in sup


@override_settings(TRAINING_REFUSE_UNTRAINED=True)
def test_a_force_can_refuse_visits_to_untrained_officers(api, users, plan):
    client = api(users["supervisor"])
    task = plan.tasks.first()
    before = (task.assignee_user_id, task.assignee_team_id)
    events = AuditEvent.objects.count()
    got = _assign(client, task, 1, users["officer"])
    assert got.status_code == 400
    assert "officer has not done the training their role requires (Why hot spots" in \
        got.content.decode()
    task.refresh_from_db()
    plan.refresh_from_db()
    assert (task.assignee_user_id, task.assignee_team_id) == before and plan.version == 1
    assert AuditEvent.objects.count() == events


def test_the_briefing_lists_who_is_not_yet_trained(api, users, plan, shipped):  # noqa: F811
    task = plan.tasks.first()
    _assign(api(users["supervisor"]), task, 1, users["officer"])
    page = api(users["supervisor"]).get(
        reverse("briefing", args=[plan.pk, task.shift_id])).content.decode()
    assert ("<strong>Not yet trained</strong> (a module their role requires is not done or "
            "is overdue): officer (Why hot spots, What to do in a hot spot, How harm "
            "weighting and targeting work, Using the patrol page).") in page
    for slug in ("why-hot-spots", "in-a-hot-spot", "targeting", "patrol-page"):
        sit(users["officer"], shipped[slug])
    # Analysts read briefings but not people's training.
    analyst = api(users["analyst"]).get(
        reverse("briefing", args=[plan.pk, task.shift_id])).content.decode()
    assert "Not yet trained" not in analyst and "Why it is hot" in analyst
    again = api(users["supervisor"]).get(
        reverse("briefing", args=[plan.pk, task.shift_id])).content.decode()
    assert "Not yet trained" not in again
