"""The tasking API: generate, read the map, reassign under a version check, publish, and
what each role may do. Refused requests also check that nothing changed."""

from datetime import timedelta

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tasking.models import PatrolTask, ShiftPattern, TaskingPlan
from tests.conftest import CAMDEN, ISLINGTON, api_time, local_utc

from .conftest import WEEK, day_profile, night_profile


@pytest.fixture
def spots(make_hotspot):
    return [make_hotspot(night_profile(5.0)), make_hotspot(day_profile(3.0)),
            make_hotspot([1.0] * 168)]


def generate(client, areas, **extra):
    return client.post(reverse("api-plans"), data={"area": areas[CAMDEN].pk,
                                                   "week_start": WEEK.isoformat(), **extra},
                       content_type="application/json")


def test_supervisor_generates_reads_the_map_reassigns_and_publishes(api, users, areas, patterns,
                                                                   spots, teams):
    client = api(users["supervisor"])
    made = generate(client, areas, seed=5)
    assert made.status_code == 201, made.content
    plan = made.json()
    assert (plan["status"], plan["version"], plan["seed"]) == ("draft", 1, 5)
    shifts = client.get(reverse("api-shifts"), {"area": areas[CAMDEN].pk,
                                                "week": WEEK.isoformat()}).json()
    assert shifts["count"] == 21
    night = next(s for s in shifts["results"] if s["pattern_name"] == "Night")
    assert (night["starts_at"], night["ends_at"]) == (
        api_time(local_utc(WEEK, 23)), api_time(local_utc(WEEK + timedelta(days=1), 7)))
    data = client.get(reverse("api-plan-map", args=[plan["id"]]), {"shift": night["id"]}).json()
    features = data["hotspots"]["features"]
    assert [f["properties"]["priority"] for f in features] == [1, 2, 3]
    top = features[0]["properties"]
    assert top["id"] == spots[0].pk and top["harm_in_shift"] == 40.0
    assert (top["crimes"], top["harm"], top["status"]) == (10, 100.0, "approved")
    assert [f["properties"]["harm_in_shift"] for f in features] == [40.0, 8.0, 0.0]
    assert len(top["tasks"]) == 2 and features[0]["geometry"]["type"] == "Polygon"
    lon, lat = features[0]["geometry"]["coordinates"][0][0]
    assert -0.2 < lon < -0.1 and 51.5 < lat < 51.6
    task = top["tasks"][0]
    changed = client.patch(reverse("api-task", args=[task["id"]]),
                           data={"version": 1, "assignee_user": users["officer"].pk},
                           content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["plan_version"] == 2
    assert (changed.json()["assignee_user"], changed.json()["assignee_team"]) == (
        users["officer"].pk, None)
    # A second supervisor still on version 1 is refused, and the first change stands.
    stale = client.patch(reverse("api-task", args=[task["id"]]),
                         data={"version": 1, "assignee_team": teams["kt"].pk},
                         content_type="application/json")
    assert stale.status_code == 409
    assert "reload the plan" in stale.json()["detail"]
    assert PatrolTask.objects.get(pk=task["id"]).assignee_user == users["officer"]
    fresh = client.get(reverse("api-plan-map", args=[plan["id"]]), {"shift": night["id"]}).json()
    assert fresh["plan"]["version"] == 2
    assert fresh["hotspots"]["features"][0]["properties"]["tasks"][0]["user"] == \
        users["officer"].pk
    published = client.post(reverse("api-plan-publish", args=[plan["id"]]),
                             data={"version": 2}, content_type="application/json")
    assert published.status_code == 200 and published.json()["status"] == "published"
    mine = api(users["officer"]).get(reverse("api-my-tasks")).json()
    team_visits = PatrolTask.objects.filter(plan_id=plan["id"], assignee_user__isnull=True,
                                            assignee_team=teams["ct"]).count()
    # The officer's own visit, and their team's (in shifts still to come).
    assert mine["count"] == team_visits + 1
    assert task["id"] in {t["id"] for t in mine["results"]}

    # An edit that changes nothing on the published plan: no new version, no "changed" mark
    # on the officer's list, no audit event. A field an edit cannot change is refused.
    events = AuditEvent.objects.filter(action="task.update").count()
    client = api(users["supervisor"])  # the one test client, signed in as the officer above
    same = client.patch(reverse("api-task", args=[task["id"]]),
                        data={"version": 3, "assignee_user": users["officer"].pk,
                              "confirm_published": True}, content_type="application/json")
    assert same.status_code == 200, same.content
    assert same.json()["plan_version"] == 3  # the page sends this with its next edit
    moved = client.patch(reverse("api-task", args=[task["id"]]),
                         data={"version": 3, "shift": night["id"], "confirm_published": True},
                         content_type="application/json")
    assert moved.status_code == 400
    assert moved.json()["detail"] == ("a visit's shift cannot be changed; remove it and add a "
                                      "new visit instead")
    odd = client.patch(reverse("api-task", args=[task["id"]]),
                       data={"version": 3, "colour": "red", "confirm_published": True},
                       content_type="application/json")
    assert (odd.status_code, odd.json()["detail"]) == (400, "unknown field(s): colour")
    stored = PatrolTask.objects.select_related("plan").get(pk=task["id"])
    assert (stored.plan.version, stored.changed_after_publish) == (3, False)
    assert AuditEvent.objects.filter(action="task.update").count() == events


def test_add_and_remove_a_visit(api, users, areas, patterns, spots):
    client = api(users["supervisor"])
    plan = generate(client, areas, seed=5).json()
    night = PatrolTask.objects.filter(plan_id=plan["id"], shift__pattern__name="Night").first()
    body = {"version": 1, "shift": night.shift_id, "hotspot": spots[2].pk,
            "starts_at": f"{WEEK + timedelta(days=1)}T03:30:00+00:00", "minutes": 20,
            "callsign": "CT21"}
    added = client.post(reverse("api-plan-tasks", args=[plan["id"]]), data=body,
                        content_type="application/json")
    assert added.status_code == 201, added.content
    assert (added.json()["source"], added.json()["minutes"], added.json()["callsign"]) == (
        "manual", 20, "CT21")
    gone = client.delete(reverse("api-task", args=[added.json()["id"]]) + "?version=2")
    assert gone.status_code == 204
    assert not PatrolTask.objects.filter(pk=added.json()["id"]).exists()
    assert TaskingPlan.objects.get().version == 3
    assert list(AuditEvent.objects.filter(action__startswith="task.").values_list(
        "action", flat=True).order_by("id")) == ["task.add", "task.remove"]


@pytest.mark.parametrize(("body", "message"), [
    ({"duration_minutes": 1500}, "at most 24 hours"),
    ({"start_time": "14:00"}, "overlaps the Early shift"),
    ({"days": ["Funday"]}, "not a day of the week"),
    ({"capacities": [{"team": -1, "minutes": 30}]}, "no team -1 in your areas"),
])
def test_bad_shift_patterns_through_the_api(api, users, areas, patterns, body, message):
    base = {"area": areas[CAMDEN].pk, "name": "Extra", "start_time": "06:00",
            "duration_minutes": 60}
    response = api(users["supervisor"]).post(reverse("api-shift-patterns"),
                                             data={**base, **body},
                                             content_type="application/json")
    assert response.status_code == 400
    assert message in str(response.json())
    assert ShiftPattern.objects.count() == 3


@pytest.mark.parametrize(("extra", "message"), [
    ({"week_start": (WEEK + timedelta(days=1)).isoformat()}, "a week starts on a Monday"),
    ({"rules": {"visit_minutes": 45}}, "10 to 20 minutes"),
    ({"seed": -3}, "greater than or equal to 0"),
    ({"week_start": "next week"}, "Date has wrong format"),
])
def test_bad_generate_requests_are_400_and_make_nothing(api, users, areas, patterns, spots,
                                                        extra, message):
    response = generate(api(users["supervisor"]), areas, **extra)
    assert response.status_code == 400
    assert message in str(response.json())
    assert TaskingPlan.objects.count() == 0 and PatrolTask.objects.count() == 0


def test_officers_cannot_generate_or_edit_and_others_areas_are_hidden(api, users, areas,
                                                                     patterns, spots):
    refused = generate(api(users["officer"]), areas)
    assert refused.status_code == 403 and TaskingPlan.objects.count() == 0
    plan = generate(api(users["supervisor"]), areas, seed=1).json()
    task = PatrolTask.objects.filter(plan_id=plan["id"]).first()
    officer = api(users["officer"])
    assert officer.patch(reverse("api-task", args=[task.pk]), data={"version": 1, "minutes": 10},
                         content_type="application/json").status_code == 403
    assert officer.get(reverse("api-plan", args=[plan["id"]])).status_code == 403
    # A supervisor of Islington does not see Camden's plan at all.
    from tests.conftest import make_user

    other = make_user("isl-sup", "supervisor", areas[ISLINGTON])
    client = api(other)
    assert client.get(reverse("api-plan", args=[plan["id"]])).status_code == 404
    assert client.patch(reverse("api-task", args=[task.pk]), data={"version": 1, "minutes": 10},
                        content_type="application/json").status_code == 404
    assert client.get(reverse("api-plans")).json()["count"] == 0
    task.refresh_from_db()
    assert task.minutes == 15 and TaskingPlan.objects.get().version == 1


def test_plan_list_does_not_query_per_plan(api, users, areas, patterns, spots,
                                           django_assert_max_num_queries):
    client = api(users["supervisor"])
    generate(client, areas, seed=1)
    with django_assert_max_num_queries(12):
        first = client.get(reverse("api-plans"))
    assert first.json()["count"] == 1


def test_the_plan_list_asks_the_same_queries_for_three_plans_as_for_one(
        api, users, areas, patterns, spots):
    """Issue 17: its serializer asked for each plan's stale visits one plan at a time."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(users["supervisor"])
    generate(client, areas, seed=1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("api-plans")).json()["count"] == 1
    for weeks in (1, 2):
        client.post(reverse("api-plans"), data={
            "area": areas[CAMDEN].pk, "week_start": (WEEK + timedelta(weeks=weeks)).isoformat(),
            "seed": 1}, content_type="application/json")
    spots[0].status = "retired"  # a stale visit in each plan, listed by id
    spots[0].save(update_fields=["status"])
    with CaptureQueriesContext(connection) as three:
        plans = client.get(reverse("api-plans")).json()["results"]
    assert len(plans) == 3 and all(p["stale_visits"] for p in plans)
    assert len(three.captured_queries) == len(one.captured_queries)


def test_problem_solving_through_the_api(api, users, spots):
    client = api(users["supervisor"])
    url = reverse("api-problem-solving", args=[spots[0].pk])
    empty = client.get(url).json()
    assert (empty["version"], empty["history"]) == (0, [])
    saved = client.put(url, data={"scanning": "Street robbery after the pubs close",
                                  "status": "analysis"}, content_type="application/json")
    assert saved.status_code == 200 and saved.json()["version"] == 2
    conflict = client.put(url, data={"version": 1, "response": "late"},
                          content_type="application/json")
    assert conflict.status_code == 409
    assert client.get(url).json()["response"] == ""
    assert api(users["officer"]).put(url, data={"response": "x"},
                                     content_type="application/json").status_code == 403


def test_briefing_html_and_pdf(api, users, areas, patterns, spots):
    client = api(users["supervisor"])
    plan = generate(client, areas, seed=5).json()
    night = PatrolTask.objects.filter(plan_id=plan["id"], shift__pattern__name="Night")[0].shift
    page = client.get(reverse("briefing", args=[plan["id"], night.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "OFFICIAL-SENSITIVE" in html
    assert html.count('data-testid="briefing-spot"') == 1
    assert spots[0].key in html and "<svg" in html
    # Why it is hot, in words read out at a briefing (a review: "harm 8100 ... Gi* z 7.5").
    why = html.split('data-testid="why-hot">', 1)[1].split("</div>", 1)[0]
    assert why.startswith("<strong>Why it is hot:</strong> 10 crimes recorded here from "
                          "1 Mar 2024 to 28 Feb 2025, hot most of the year. ")
    assert "Gi*" not in html and " z " not in why
    pdf = client.get(reverse("briefing-pdf", args=[plan["id"], night.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and len(pdf.content) > 5_000
    assert api(users["officer"]).get(reverse("briefing-pdf", args=[plan["id"], night.pk])
                                     ).status_code == 403


def test_tasking_operations_are_in_the_openapi_schema(api, users):
    paths = api(users["admin"]).get(reverse("api-schema") + "?format=json").json()["paths"]
    for path in ("/api/v1/plans/", "/api/v1/plans/{id}/publish/", "/api/v1/plans/{id}/map/",
                 "/api/v1/tasks/{id}/", "/api/v1/shift-patterns/", "/api/v1/my-tasks/",
                 "/api/v1/hotspots/{id}/problem-solving/", "/api/v1/shifts/{id}/capacity/"):
        assert path in paths, path


def test_map_data_follows_a_hot_spot_retired_after_tasking(api, users, areas, patterns, spots):
    from hotspots.recompute import hotspot_review

    client = api(users["supervisor"])
    plan = generate(client, areas, seed=5).json()
    night = PatrolTask.objects.filter(plan_id=plan["id"], shift__pattern__name="Night")[0]
    url = reverse("api-plan-map", args=[plan["id"]])
    before = client.get(url, {"shift": night.shift_id}).json()["hotspots"]["features"]
    assert before[0]["properties"]["status"] == "approved"
    hotspot_review(hotspot=spots[0], actor=users["analyst"], action="retire")
    after = client.get(url, {"shift": night.shift_id}).json()
    retired = next(f for f in after["hotspots"]["features"] if f["id"] == spots[0].pk)
    assert retired["properties"]["status"] == "retired"
    assert len(retired["properties"]["tasks"]) == 2
    detail = client.get(reverse("api-plan", args=[plan["id"]])).json()
    assert len(detail["stale_visits"]) == 14
    refused = client.post(reverse("api-plan-publish", args=[plan["id"]]), data={"version": 1},
                          content_type="application/json")
    assert refused.status_code == 400 and "no longer approved" in refused.json()["detail"]
    assert TaskingPlan.objects.get().status == "draft"


def test_a_visit_added_too_soon_after_another_is_flagged_on_the_map(api, users, areas, patterns,
                                                                   spots):
    client = api(users["supervisor"])
    plan = generate(client, areas, seed=5).json()
    first = PatrolTask.objects.filter(plan_id=plan["id"], hotspot=spots[0]).order_by(
        "starts_at")[0]
    added = client.post(reverse("api-plan-tasks", args=[plan["id"]]), data={
        "version": 1, "shift": first.shift_id, "hotspot": spots[0].pk,
        "starts_at": (first.starts_at + timedelta(minutes=20)).isoformat(), "minutes": 15},
        content_type="application/json")
    assert added.status_code == 201, added.content
    data = client.get(reverse("api-plan-map", args=[plan["id"]]),
                      {"shift": first.shift_id}).json()
    visits = next(f for f in data["hotspots"]["features"]
                  if f["id"] == spots[0].pk)["properties"]["tasks"]
    flags = {v["id"]: v["too_close"] for v in visits}
    assert flags[added.json()["id"]] is True and flags[first.pk] is False
    assert sum(flags.values()) == 1
