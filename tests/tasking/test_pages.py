"""Server-rendered tasking pages: shifts and capacity, plan generation from the page,
problem solving and the officer's list; refusals change nothing."""

import pytest
from django.urls import reverse

from tasking.models import ProblemSolving, ShiftCapacity, ShiftPattern, TaskingPlan
from tests.conftest import CAMDEN
from tests.html_forms import as_sent, form_fields

from .conftest import WEEK, capacity_body


def test_supervisor_adds_a_shift_on_the_page(api, users, areas, teams):
    client = api(users["supervisor"])
    response = client.post(reverse("shifts"), {
        "action": "pattern", "area": areas[CAMDEN].pk, "week": WEEK.isoformat(),
        "name": "Night", "start": "23:00", "hours": "8", "days": ["Fri", "Sat"]})
    assert response.status_code == 302
    pattern = ShiftPattern.objects.get()
    assert (pattern.name, pattern.duration_minutes, pattern.day_names()) == (
        "Night", 480, ["Fri", "Sat"])
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "Shift added." in html
    # The week's two nights appear in the capacity grid, one input per team.
    assert html.count('-minutes" value=') == 2 * 2


@pytest.mark.parametrize(("form", "message"), [
    ({"name": "Long", "start": "06:00", "hours": "25"}, "at most 24 hours"),
    ({"name": "Clash", "start": "10:00", "hours": "2"}, "overlaps the Early shift"),
    ({"name": "Odd", "start": "late", "hours": "2"}, "Start must be a time"),
    ({"name": "None", "start": "05:00", "hours": "1", "days": []}, "at least one day"),
])
def test_bad_shifts_on_the_page_are_refused_and_nothing_is_added(api, users, areas, patterns,
                                                                form, message):
    body = {"action": "pattern", "area": areas[CAMDEN].pk, "days": ["Mon"], **form}
    response = api(users["supervisor"]).post(reverse("shifts"), body)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ShiftPattern.objects.count() == 3


def test_a_refused_shift_comes_back_as_it_was_sent(api, users, areas, patterns):
    sent = {"action": "pattern", "area": str(areas[CAMDEN].pk), "week": WEEK.isoformat(),
            "name": "Late <b>", "start": "17:30", "hours": "6.5", "days": ["Tue", "Sun"]}
    response = api(users["supervisor"]).post(reverse("shifts"), sent)

    assert response.status_code == 400
    assert "cannot contain HTML tags" in response.content.decode()
    assert form_fields(response.content, "pattern-form") == as_sent(sent)
    assert ShiftPattern.objects.count() == 3


def test_a_capacity_past_the_column_is_a_400_and_changes_nothing(api, users, areas, patterns,
                                                                  teams):
    """3,000,000,000 minutes typed in the grid was a database error (a 500): issue 15."""
    client = api(users["supervisor"])
    client.get(reverse("shifts"), {"area": areas[CAMDEN].pk, "week": WEEK.isoformat()})
    early = ShiftCapacity.objects.filter(shift__pattern__name="Early", shift__date=WEEK,
                                         team=teams["ct"]).get()
    before = sorted(ShiftCapacity.objects.values_list("shift_id", "team_id", "minutes"))
    refused = client.post(reverse("shifts"), capacity_body(
        {(early.shift_id, teams["ct"].pk): "3000000000"},
        action="capacity", area=areas[CAMDEN].pk, week=WEEK.isoformat()))
    assert refused.status_code == 400
    assert "capacity is at most 100,000 minutes" in refused.content.decode()
    assert sorted(ShiftCapacity.objects.values_list("shift_id", "team_id", "minutes")) == before


def test_capacity_grid_saves_changes_all_or_nothing(api, users, areas, patterns, teams):
    client = api(users["supervisor"])
    page = client.get(reverse("shifts"), {"area": areas[CAMDEN].pk, "week": WEEK.isoformat()})
    assert page.status_code == 200
    early = ShiftCapacity.objects.filter(shift__pattern__name="Early", shift__date=WEEK,
                                         team=teams["ct"]).get()
    night = ShiftCapacity.objects.filter(shift__pattern__name="Night", shift__date=WEEK,
                                         team=teams["kt"]).get()
    base = {"action": "capacity", "area": areas[CAMDEN].pk, "week": WEEK.isoformat()}
    refused = client.post(reverse("shifts"), capacity_body(
        {(early.shift_id, teams["ct"].pk): "45", (night.shift_id, teams["kt"].pk): "-5"},
        **base))
    assert refused.status_code == 400
    assert "capacity is a number of minutes, 0 or more" in refused.content.decode()
    # The grid shows what was typed, to be put right, not what is stored.
    html = refused.content.decode()
    assert (f'value="45" data-cell="{early.shift_id}-{teams["ct"].pk}"' in html
            and f'value="-5" data-cell="{night.shift_id}-{teams["kt"].pk}"' in html)
    early.refresh_from_db()
    assert early.minutes == 60
    saved = client.post(reverse("shifts"), capacity_body(
        {(early.shift_id, teams["ct"].pk): "45", (night.shift_id, teams["kt"].pk): "20"},
        **base))
    assert saved.status_code == 302
    early.refresh_from_db()
    night.refresh_from_db()
    assert (early.minutes, night.minutes) == (45, 20)
    # An officer may not change capacity.
    assert api(users["officer"]).post(reverse("shifts"), capacity_body(
        {(early.shift_id, teams["ct"].pk): "0"}, **base)).status_code == 403
    early.refresh_from_db()
    assert early.minutes == 45


def test_generate_from_the_page_and_the_second_time_asks_for_the_version(api, users, areas,
                                                                        patterns, make_hotspot):
    make_hotspot([1.0] * 168)
    client = api(users["supervisor"])
    made = client.post(reverse("plan-list"), {"area": areas[CAMDEN].pk,
                                              "week": WEEK.isoformat()})
    plan = TaskingPlan.objects.get()
    assert made.status_code == 302 and made["Location"] == reverse("plan-detail",
                                                                   args=[plan.pk])
    again = client.post(reverse("plan-list"), {"area": areas[CAMDEN].pk,
                                               "week": WEEK.isoformat()})
    assert again.status_code == 409
    assert "already has a plan for this week" in again.content.decode()
    regenerated = client.post(reverse("plan-list"), {"area": areas[CAMDEN].pk,
                                                     "week": WEEK.isoformat(), "version": "1"})
    assert regenerated.status_code == 302
    plan.refresh_from_db()
    assert plan.version == 2 and TaskingPlan.objects.count() == 1
    detail = client.get(reverse("plan-detail", args=[plan.pk]))
    assert detail.status_code == 200 and "Regenerate" in detail.content.decode()
    assert f'<input type="hidden" name="plan" value="{plan.pk}">' in detail.content.decode()
    # Regenerating from the plan's page on a version someone has moved past: back to the
    # plan with the reason (issue 18, item 18), and nothing changed.
    stale = client.post(reverse("plan-list"), {"area": areas[CAMDEN].pk, "plan": plan.pk,
                                               "week": WEEK.isoformat(), "version": "1"})
    assert (stale.status_code, stale["Location"]) == (302, reverse("plan-detail",
                                                                   args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.version == 2
    shown = client.get(stale["Location"]).content.decode()
    assert "you edited version 1" in shown


def test_officers_cannot_open_plans_or_shifts(api, users, areas, patterns):
    officer = api(users["officer"])
    assert officer.get(reverse("plan-list")).status_code == 403
    assert officer.get(reverse("shifts")).status_code == 403
    assert officer.post(reverse("plan-list"), {"area": areas[CAMDEN].pk,
                                               "week": WEEK.isoformat()}).status_code == 403
    assert TaskingPlan.objects.count() == 0
    assert officer.get(reverse("my-visits")).status_code == 200


def test_problem_solving_page_escapes_and_refuses_a_stale_save(api, users, make_hotspot):
    spot = make_hotspot([1.0] * 168)
    client = api(users["supervisor"])
    url = reverse("problem-solving", args=[spot.pk])
    tagged = client.post(url, {"version": "0", "scanning": "<b>bold</b>", "status": "scanning"})
    assert tagged.status_code == 400
    assert "cannot contain HTML tags" in tagged.content.decode()
    assert not ProblemSolving.objects.filter(version__gt=1).exists()
    client.post(url, {"version": "0", "scanning": "Tom & Jerry <5 min", "status": "scanning"})
    page = client.get(url).content.decode()
    assert "Tom &amp; Jerry &lt;5 min" in page and "Jerry <5" not in page
    stale = client.post(url, {"version": "1", "scanning": "lost?", "status": "analysis"})
    assert stale.status_code == 409
    record = ProblemSolving.objects.get()
    assert (record.scanning, record.status, record.version) == ("Tom & Jerry <5 min",
                                                               "scanning", 2)


def test_problem_solving_owner_must_see_the_hot_spot(api, users, areas, make_hotspot):
    from tests.conftest import ISLINGTON, make_user

    spot = make_hotspot([1.0] * 168)
    sergeant = make_user("bcu-sergeant", "supervisor", areas["CN"])  # above Camden: sees it
    outsider = make_user("isl-pc", "officer", areas[ISLINGTON])
    client = api(users["supervisor"])
    url = reverse("problem-solving", args=[spot.pk])
    page = client.get(url).content.decode()
    assert f'<option value="{sergeant.pk}">' in page and f'value="{outsider.pk}"' not in page
    saved = client.post(url, {"version": "0", "owner": str(sergeant.pk), "status": "scanning"})
    assert saved.status_code == 302
    refused = client.post(url, {"version": "2", "owner": str(outsider.pk),
                                "status": "scanning"})
    assert refused.status_code == 400
    # Refused without naming the outsider: a lookup over every user listed other areas'
    # people by name (issue 15, the second review).
    html = refused.content.decode()
    assert "Choose the owner from the list: no such officer here." in html
    assert outsider.username not in html
    record = ProblemSolving.objects.get()
    assert (record.owner, record.version) == (sergeant, 2)


def test_a_tampered_capacity_grid_is_refused_and_nothing_changes(api, users, areas, patterns,
                                                                 teams):
    """The grid is a formset (issue 17): its management form and every cell are checked
    before the service sees a number."""
    client = api(users["supervisor"])
    client.get(reverse("shifts"), {"area": areas[CAMDEN].pk, "week": WEEK.isoformat()})
    early = ShiftCapacity.objects.filter(shift__pattern__name="Early", shift__date=WEEK,
                                         team=teams["ct"]).get()
    before = sorted(ShiftCapacity.objects.values_list("shift_id", "team_id", "minutes"))
    base = {"action": "capacity", "area": areas[CAMDEN].pk, "week": WEEK.isoformat()}
    no_management = {k: v for k, v in capacity_body(
        {(early.shift_id, teams["ct"].pk): "30"}, **base).items() if "FORMS" not in k}
    holloway = teams["hw"]  # Islington's team: not in Camden's grid
    for body, message in (
            (no_management, "the capacity grid arrived damaged or incomplete"),
            (capacity_body({(early.shift_id, holloway.pk): "30"}, **base),
             "that shift or team is not in this area&#x27;s week"),
            (capacity_body({(early.shift_id, teams["ct"].pk): "ten"}, **base),
             "capacity must be whole minutes; &#x27;ten&#x27; is not"),
            ({**capacity_body({(early.shift_id, teams["ct"].pk): "30"}, **base),
              "cap-TOTAL_FORMS": "100000"}, "the capacity grid arrived damaged or incomplete")):
        refused = client.post(reverse("shifts"), body)
        assert refused.status_code == 400, message
        assert message in refused.content.decode()
        assert sorted(ShiftCapacity.objects.values_list("shift_id", "team_id", "minutes")
                      ) == before
