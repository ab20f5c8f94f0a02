"""Ids in request bodies (issue 17, item 3): every id a body names comes through a field
scoped to the caller (core.api.ScopedId), so an id in another area reads exactly as one
that does not exist; a number too large for the database, "" or text is a 400 field error;
every field's own error comes before any id is looked up; and nothing is written."""

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import User
from tasking.models import PatrolTask
from tests.conftest import CAMDEN, make_user
from tests.security.world import TRIAL_END, TRIAL_START, WEEK, build_world, fingerprint

pytestmark = pytest.mark.django_db

HUGE = 10**30
NOT_FOUND = {"detail": "No Area matches the given query."}


def _bodies(w: Any) -> list[tuple[str, str, str, str, dict[str, Any], str]]:
    """(caller, method, route name, path id kind, body with one foreign id, field)."""
    here, there = (lambda kind: w.ids[kind]["camden"]), (lambda kind: w.ids[kind]["islington"])
    draft_task = PatrolTask.objects.select_related("plan").get(pk=here("task"))
    assert draft_task.plan.status == "draft"
    pattern = {"name": "Extra", "start_time": "05:00", "duration_minutes": 60}
    task = {"version": 1, "shift": here("shift"), "hotspot": here("hotspot"),
            "starts_at": f"{WEEK.isoformat()}T16:00:00Z", "minutes": 15}
    trial = {"name": "Probe", "design": "parallel", "start_date": TRIAL_START.isoformat(),
             "end_date": TRIAL_END.isoformat(),
             "arms": [{"name": "10", "visit_minutes": 10, "role": "pc"},
                      {"name": "control", "control": True}]}
    export = {"kind": "visits", "format": "csv", "start": "2025-01-01T00:00:00Z",
              "end": "2025-01-08T00:00:00Z", "recipient": "Funder", "purpose": "Return"}
    visit = {"id": "6f0c1a52-8f0e-4d4c-9d61-3f7f3c1d2a10",
             "started_at": "2025-01-01T10:00:00Z", "ended_at": "2025-01-01T10:15:00Z"}
    return [
        ("supervisor", "post", "api-shift-patterns", "", {**pattern, "area": there("area")},
         "area"),
        ("supervisor", "post", "api-shift-patterns", "",
         {**pattern, "area": here("area"), "capacities": [{"team": there("team"),
                                                            "minutes": 30}]}, "team"),
        ("supervisor", "put", "api-shift-capacity", "shift",
         {"team": there("team"), "minutes": 30}, "team"),
        ("supervisor", "post", "api-plans", "", {"area": there("area"),
                                                 "week_start": WEEK.isoformat()}, "area"),
        ("supervisor", "post", "api-plan-tasks", "plan", {**task, "hotspot": there("hotspot")},
         "hotspot"),
        ("supervisor", "post", "api-plan-tasks", "plan",
         {**task, "assignee_user": there("user").pk}, "officer"),
        ("supervisor", "post", "api-plan-tasks", "plan",
         {**task, "assignee_team": there("team")}, "team"),
        ("supervisor", "patch", "api-task", "task",
         {"version": 1, "assignee_user": there("user").pk}, "officer"),
        ("supervisor", "patch", "api-task", "task",
         {"version": 1, "assignee_team": there("team")}, "team"),
        ("analyst2", "put", "api-problem-solving", "hotspot",
         {"version": 1, "owner": there("user").pk}, "officer"),
        ("admin2", "post", "api-devices", "", {"name": "r", "kind": "radio",
                                              "area": there("area")}, "area"),
        ("admin2", "post", "api-devices", "", {"name": "r", "kind": "radio",
                                              "area": here("area"), "team": there("team")},
         "team"),
        ("admin2", "post", "api-devices", "", {"name": "r", "kind": "radio",
                                              "area": here("area"),
                                              "holder": there("user").pk}, "holder"),
        ("officer", "post", "api-visits", "", {**visit, "hotspot": there("hotspot")},
         "hotspot"),
        ("officer", "post", "api-visits", "", {**visit, "hotspot": here("hotspot"),
                                               "task": there("task")}, "task"),
        # At the task's own hot spot: only the field's scope (published tasks given to this
        # officer or their team) refuses a task of a plan still in draft.
        ("officer", "post", "api-visits", "", {**visit, "hotspot": draft_task.hotspot_id,
                                               "task": draft_task.pk}, "task"),
        ("analyst2", "post", "api-trials", "", {**trial, "area": there("area")}, "area"),
        ("analyst2", "post", "api-trials", "", {**trial, "area": here("area"),
                                                "hotspots": [here("hotspot"),
                                                             there("hotspot")]}, "hotspots"),
        ("supervisor", "post", "api-exports", "", {**export, "area": there("area")}, "area"),
        ("analyst2", "post", "api-runs", "", {"area": there("area")}, "area"),
        ("analyst2", "post", "api-exclusions", "",
         {"area": there("area"), "name": "Park", "reason": "Closed",
          "geometry": {"type": "Polygon", "coordinates": [[[-0.14, 51.54], [-0.13, 51.54],
                                                            [-0.13, 51.55], [-0.14, 51.54]]]}},
         "area"),
    ]


# What each field answers for an id it cannot see: the same as for one that does not exist.
EXPECTED: dict[str, tuple[int, Any]] = {
    "area": (404, lambda pk: NOT_FOUND),
    "team": (400, lambda pk: {"detail": f"no team {pk} in your areas"}),
    "officer": (400, lambda pk: {"detail": f"no officer {pk} in your areas"}),
    "holder": (404, lambda pk: {"detail": "No User matches the given query."}),
    "task": (400, lambda pk: {"detail": "that visit was not given to you at this hot spot"}),
    "hotspots": (400, lambda pk: {"detail": "some of those hot spots are not in your areas"}),
}


# Analysts and admins see the whole force, so no id is foreign to them. These callers are
# Camden supervisors given the analyst's and admin's permissions for the routes tested.
EXTRA = {"analyst2": ["evaluation.add_trial", "evaluation.view_trial",
                      "hotspots.add_hotspotrun", "hotspots.view_hotspotrun",
                      "hotspots.add_exclusionarea", "hotspots.view_exclusionarea",
                      "tasking.change_problemsolving", "tasking.view_problemsolving"],
         "admin2": ["patrols.add_device", "patrols.view_device"]}


@pytest.fixture
def world(users, areas):
    w = build_world(users, areas)
    for name, codes in EXTRA.items():
        user = make_user(name, "supervisor", areas[CAMDEN])
        for code in codes:
            app, codename = code.split(".")
            user.user_permissions.add(Permission.objects.get(content_type__app_label=app,
                                                             codename=codename))
        users[name] = User.objects.get(pk=user.pk)  # a fresh object: no cached permissions
        assert users[name].has_perm(codes[0]) and not users[name].has_perm(
            "accounts.view_all_areas")
    return w


def _expected(field: str, route: str, foreign: Any) -> tuple[int, Any]:
    if route == "api-devices" and field == "team":  # the device's own team: a 404 as before
        return 404, {"detail": "No Team matches the given query."}
    if field == "hotspot":
        if route == "api-visits":
            return 400, {"detail": f"no hot spot {foreign} in your areas"}
        return 404, {"detail": "No Hotspot matches the given query."}
    status, body = EXPECTED[field]
    return status, body(foreign)


def _send(client: Any, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data=body, content_type="application/json")


def test_a_foreign_id_in_a_body_reads_as_missing_and_changes_nothing(api, users, world):
    cases = _bodies(world)
    assert len(cases) == 21
    for who, method, route, path_kind, body, field in cases:
        url = reverse(route, args=[world.ids[path_kind]["camden"]] if path_kind else [])
        key = {"officer": "assignee_user" if "assignee_user" in body else "owner",
               "team": ("assignee_team" if "assignee_team" in body else
                        "capacities" if "capacities" in body else "team")}.get(field, field)
        foreign = body[key]
        if key == "capacities":
            foreign = body[key][0]["team"]
        elif key == "hotspots":
            foreign = body[key][1]
        elif hasattr(foreign, "pk"):
            body = {**body, key: foreign.pk}
            foreign = foreign.pk
        client = api(users[who])  # signing in writes its own rows: count from after it
        before = fingerprint()
        response = _send(client, method, url, body)
        status, expected = _expected(field, route, foreign)
        assert (response.status_code, response.json()) == (status, expected), (route, field)
        assert fingerprint() == before, (route, field)


@pytest.mark.parametrize(("value", "message"), [
    (HUGE, "Ensure this value is less than or equal to 9223372036854775807."),
    (-HUGE, "Ensure this value is greater than or equal to -9223372036854775808."),
    ("twelve", "A valid integer is required."),
    ("", "A valid integer is required."),
    (3.5, "A valid integer is required."),
    (True, "A valid integer is required."),
    (None, "This field may not be null."),
    (999_999_999, None),
])
def test_an_id_that_is_no_id_at_all_is_refused_plainly(api, users, world, value, message):
    """A number beyond PostgreSQL's bigint, "", text or a fraction is a field error that
    says so, never a database error; a well-formed id that matches nothing is missing."""
    client = api(users["supervisor"])
    before = fingerprint()
    response = client.post(
        reverse("api-plans"), data={"area": value, "week_start": WEEK.isoformat()},
        content_type="application/json")
    if message is None:
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    else:
        assert (response.status_code, response.json()) == (400, {"area": [message]})
    assert fingerprint() == before


def test_a_list_of_ids_with_one_too_large_is_a_400(api, users, world):
    client = api(users["analyst2"])
    before = fingerprint()
    response = client.post(
        reverse("api-trials"), content_type="application/json",
        data={"area": world.ids["area"]["camden"], "name": "P", "design": "parallel",
              "start_date": TRIAL_START.isoformat(), "end_date": TRIAL_END.isoformat(),
              "arms": [{"name": "c", "control": True}], "hotspots": [HUGE]})
    assert response.status_code == 400
    assert response.json() == {"hotspots": {"0": [
        "Ensure this value is less than or equal to 9223372036854775807."]}}
    assert fingerprint() == before


def test_the_ids_a_caller_may_see_are_accepted_as_objects(api, users, world):
    """The same fields resolve ids in the caller's scope: a device for Camden's team."""
    response = api(users["admin2"]).post(
        reverse("api-devices"), content_type="application/json",
        data={"name": "radio 9", "kind": "radio", "area": world.ids["area"]["camden"],
              "team": world.ids["team"]["camden"], "holder": users["officer"].pk})
    assert response.status_code == 201, response.content
    got = response.json()
    assert (got["area"], got["team"], got["holder"]) == (
        world.ids["area"]["camden"], world.ids["team"]["camden"], users["officer"].pk)


def test_every_fields_own_error_comes_before_any_id_is_looked_up(api, users, world):
    """As when views looked ids up after validation: a bad kind is reported, not the
    foreign area beside it (which would have been a 404)."""
    client = api(users["admin2"])
    before = fingerprint()
    response = client.post(reverse("api-devices"), content_type="application/json",
                           data={"name": "r", "kind": "bicycle",
                                 "area": world.ids["area"]["islington"]})
    assert (response.status_code, response.json()) == (
        400, {"kind": ['"bicycle" is not a valid choice.']})
    assert fingerprint() == before


def test_an_empty_assignee_is_refused_not_read_as_nobody(api, users, world):
    """DRF reads "" as null for related fields: a PATCH with "" would have unassigned it."""
    task = PatrolTask.objects.get(pk=world.ids["task"]["camden"])
    client = api(users["supervisor"])
    before = fingerprint()
    response = client.patch(reverse("api-task", args=[task.pk]), content_type="application/json",
                            data={"version": task.plan.version, "assignee_user": ""})
    assert (response.status_code, response.json()) == (
        400, {"assignee_user": ["A valid integer is required."]})
    assert fingerprint() == before
