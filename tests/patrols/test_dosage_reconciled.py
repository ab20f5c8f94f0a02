"""Dosage that adds up (issue 16, part 5): each person's minute counts once, at one hot spot
and in one shift, so dosage by hot spot, team, role and shift each sum to the distinct
person-minutes. Tracks are generated here (there is no public GPS data): two hot spots
whose tolerance zones overlap, a candidate hot spot, overlapping Late and Night shifts, an
officer's radio and check-in, a PCSO's tasked check-in and a van's tracker with no holder."""

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from patrols.models import Presence, Visit
from patrols.selectors import dosage, dosage_reconciled, dosage_total
from patrols.services import device_create, pings_ingest, presence_update
from tasking.models import PatrolTask, Shift, ShiftPattern, TaskingPlan
from tests.conftest import CAMDEN, ISLINGTON, make_user

from .conftest import X0, Y0, pc_with_radio, square, stay

DAY = datetime(2026, 11, 20, tzinfo=UTC)  # a Friday; London is on UTC in November
NOW = DAY + timedelta(days=1)


def at(hh: int, mm: int = 0, day: datetime = DAY) -> datetime:
    return day + timedelta(hours=hh, minutes=mm)


def build_places(day: datetime, areas, make_hotspot) -> dict:
    """A and B: 150 m squares 30 m apart, so their 25 m tolerance zones overlap in a 20 m
    strip; C: a candidate hot spot (not approved), far from both. Late 15-23 and Night
    22-06 on `day`, overlapping from 22:00 to 23:00."""
    camden = areas[CAMDEN]
    a = square(make_hotspot([1.0] * 168), X0, Y0)
    b = square(make_hotspot([1.0] * 168), X0 + 180, Y0)
    c = square(make_hotspot([1.0] * 168, status="candidate"), X0 + 900, Y0)
    # Made directly: the overlap is the point (the pattern check of the day refuses
    # overlapping patterns; shifts in the table may overlap).
    late_p = ShiftPattern.objects.create(area=camden, name="Late", start_time=time(15),
                                         duration_minutes=480)
    night_p = ShiftPattern.objects.create(area=camden, name="Night", start_time=time(22),
                                          duration_minutes=480)
    late = Shift.objects.create(pattern=late_p, area=camden, date=day.date(),
                                starts_at=at(15, day=day), ends_at=at(23, day=day))
    night = Shift.objects.create(pattern=night_p, area=camden, date=day.date(),
                                 starts_at=at(22, day=day), ends_at=at(30, day=day))
    return {"a": a, "b": b, "c": c, "late": late, "night": night}


@pytest.fixture
def places(areas, make_hotspot):
    return build_places(DAY, areas, make_hotspot)


def test_the_four_findings_of_the_issue_are_gone(places, users, teams, areas):
    """Before: 20 minutes in two overlapping tolerance zones counted 20 at each hot spot; a
    device with no holder and the officer's check-in made 2 people; overlapping Late and
    Night counted each minute in both; by shift the total was 4 times the truth."""
    a, night = places["a"], places["night"]
    officer, radio = pc_with_radio(users, teams["ct"], areas)
    # 30 minutes, 22:15-22:45, in the strip where A's and B's zones overlap (8 m from A,
    # 22 m from B), when Late and Night are both on.
    pings_ingest(device=radio, now=NOW,
                 pings=stay(at(22, 15), at(22, 45), X0 + 158, Y0 + 75))
    van, _ = device_create(name="Van 3", kind="vehicle", area=areas[CAMDEN], team=teams["ct"],
                           actor=None)  # no holder
    pings_ingest(device=van, now=NOW, pings=stay(at(22, 15), at(22, 45), X0 + 75, Y0 + 75))
    presence_update()
    Visit.objects.create(id=uuid.uuid4(), officer=officer, hotspot=a, started_at=at(22, 15),
                         ended_at=at(22, 45), body_hash="x")
    sup, lo, hi = users["supervisor"], at(21), at(24)
    one = {"minutes": 30.0, "not_approved_minutes": 0.0, "unattributed_minutes": 0.0,
           "people": 1, "unattributed_devices": 0}
    assert dosage(user=sup, start=lo, end=hi, by="hotspot") == [{"hotspot": a.pk, **one}]
    assert dosage(user=sup, start=lo, end=hi, by="shift") == [{"shift": night.pk, **one}]
    assert dosage_total(user=sup, start=lo, end=hi) == one


def build_world(day: datetime, places: dict, areas, users, teams) -> dict:
    """On `day`: an officer's radio and check-in, a van and a spare radio with no holder,
    and a PCSO's tasked visit and a check-in at the candidate hot spot (see the figures in
    test_every_grouping_adds_up_to_the_distinct_person_minutes)."""
    camden = areas[CAMDEN]
    a, b, c, late = places["a"], places["b"], places["c"], places["late"]
    now = day + timedelta(days=1)

    def t(hh: int, mm: int = 0) -> datetime:
        return at(hh, mm, day=day)

    officer, radio = pc_with_radio(users, teams["ct"], areas)
    van, _ = device_create(name="Van 3", kind="vehicle", area=camden, team=teams["ct"],
                           actor=None)  # no holder
    spare, _ = device_create(name="Radio 9", kind="radio", area=camden, team=teams["ct"],
                             actor=None)  # no holder either
    pcso = make_user("pcso-kt", "officer", camden, teams["kt"])
    pcso.rank = User.Rank.PCSO
    pcso.save(update_fields=["rank"])

    bx, by = X0 + 255, Y0 + 75  # B's centre
    # The radio: 14:50-15:10 in the overlap strip, 8 m from A and 22 m from B; then
    # 22:10-22:30 in B.
    pings_ingest(device=radio, now=now, pings=[*stay(t(14, 50), t(15, 10), X0 + 158, Y0 + 75),
                                               *stay(t(22, 10), t(22, 30), bx, by)])
    # The van, whose crew is not known: in B 22:00-22:40; a spare radio 22:35-22:45.
    pings_ingest(device=van, now=now, pings=stay(t(22), t(22, 40), bx + 5, by))
    pings_ingest(device=spare, now=now, pings=stay(t(22, 35), t(22, 45), bx - 5, by))
    presence_update()
    # The officer checks in at B 22:05-22:25 (no task).
    Visit.objects.create(id=uuid.uuid4(), officer=officer, hotspot=b, started_at=t(22, 5),
                         ended_at=t(22, 25), body_hash="o1")
    # The PCSO: a visit to A tasked in the Late shift, 22:30-22:50, then a check-in at C
    # at 23:00 with no end (the default 15 minutes).
    plan = TaskingPlan.objects.create(
        area=camden, week_start=day.date() - timedelta(days=day.weekday()),
        status=TaskingPlan.Status.PUBLISHED, seed=1)
    task = PatrolTask.objects.create(plan=plan, shift=late, hotspot=a, starts_at=t(22, 30),
                                     minutes=20, assignee_user=pcso)
    Visit.objects.create(id=uuid.uuid4(), officer=pcso, hotspot=a, task=task,
                         started_at=t(22, 30), ended_at=t(22, 50), body_hash="p1")
    Visit.objects.create(id=uuid.uuid4(), officer=pcso, hotspot=c, started_at=t(23),
                         body_hash="p2")
    return {**places, "radio": radio, "teams": teams}


@pytest.fixture
def world(places, areas, users, teams):
    return build_world(DAY, places, areas, users, teams)


def test_presence_puts_each_ping_in_the_nearest_hot_spot_only(world):
    # The 20 minutes in the overlap strip are A's (8 m away), not also B's (22 m).
    stays = sorted(Presence.objects.filter(device=world["radio"])
                   .values_list("hotspot_id", "started_at", "ended_at", "seconds"))
    assert stays == sorted([(world["a"].pk, at(14, 50), at(15, 10), 1200.0),
                            (world["b"].pk, at(22, 10), at(22, 30), 1200.0)])


def test_every_grouping_adds_up_to_the_distinct_person_minutes(world, users):
    a, b, c, late, night = (world[k] for k in ("a", "b", "c", "late", "night"))
    ct, kt = world["teams"]["ct"].pk, world["teams"]["kt"].pk
    lo, hi = at(14), at(26)
    # Where each minute went:
    #   officer at A 14:50-15:10 (GPS in the overlap strip, nearest A): 20; 10 before any
    #     shift, 10 in Late (the only shift on then).
    #   officer at B 22:05-22:30: check-in 22:05-22:25 and radio 22:10-22:30 are one
    #     presence: 25, in Night (Late and Night are both on; Night started last).
    #   van at B 22:00-22:40 and spare radio 22:35-22:45 (no holder, Camden Town team):
    #     22:05-22:30 is the officer of their team checked in there, so not counted again;
    #     the two together count once: 22:00-22:05 and 22:30-22:45, 20 unattributed, in
    #     Night. Never a person.
    #   PCSO at A 22:30-22:50: 20, in Late, the shift the visit was tasked in (on then).
    #   PCSO at C 23:00-23:15 (no end: 15 minutes): 15, Night, at a hot spot not approved.
    # 20 + 25 + 20 + 20 + 15 = 100 person-minutes.
    total = {"minutes": 100.0, "not_approved_minutes": 15.0, "unattributed_minutes": 20.0,
             "people": 2, "unattributed_devices": 2}
    sup = users["supervisor"]
    assert dosage_total(user=sup, start=lo, end=hi) == total

    def row(key, value, minutes, people, devices=0, not_approved=0.0, unattributed=0.0):
        return {key: value, "minutes": minutes, "not_approved_minutes": not_approved,
                "unattributed_minutes": unattributed, "people": people,
                "unattributed_devices": devices}

    expected = {
        "hotspot": [row("hotspot", a.pk, 40.0, 2),
                    row("hotspot", b.pk, 45.0, 1, 2, unattributed=20.0),
                    row("hotspot", c.pk, 15.0, 1, not_approved=15.0)],
        "team": [row("team", ct, 65.0, 1, 2, unattributed=20.0),
                 row("team", kt, 35.0, 1, not_approved=15.0)],
        "role": [row("role", "", 20.0, 0, 2, unattributed=20.0),
                 row("role", "pc", 45.0, 1),
                 row("role", "pcso", 35.0, 1, not_approved=15.0)],
        "shift": [row("shift", late.pk, 30.0, 2),
                  row("shift", night.pk, 60.0, 2, 2, not_approved=15.0, unattributed=20.0),
                  row("shift", None, 10.0, 1)],
    }
    for by, rows in expected.items():
        assert dosage(user=sup, start=lo, end=hi, by=by) == rows, by
        assert sum(r["minutes"] for r in rows) == total["minutes"]
    every = dosage_reconciled(user=sup, start=lo, end=hi)
    assert every["total"] == total
    assert every["sums"] == {"hotspot": 100.0, "team": 100.0, "role": 100.0, "shift": 100.0}
    assert {by: every[by] for by in expected} == expected


def test_the_api_gives_the_rows_and_their_total(world, api, users):
    response = api(users["analyst"]).get(reverse("api-dosage"), {
        "from": at(14).isoformat(), "to": at(26).isoformat(), "by": "shift"})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == {"minutes": 100.0, "not_approved_minutes": 15.0,
                             "unattributed_minutes": 20.0, "people": 2,
                             "unattributed_devices": 2}
    assert [(r["shift"], r["minutes"]) for r in body["results"]] == [
        (world["late"].pk, 30.0), (world["night"].pk, 60.0), (None, 10.0)]
    bad = api(users["analyst"]).get(reverse("api-dosage"), {"by": "weather"})
    assert bad.status_code == 400 and "by is one of" in str(bad.json())


def test_a_window_cuts_minutes_without_moving_them(world, users):
    # 22:20-22:45: the officer at B 22:20-22:30 (10); the van and the spare radio 22:30-22:45
    # (15, both with some of it); the PCSO at A 22:30-22:45 (15).
    rows = dosage(user=users["supervisor"], start=at(22, 20), end=at(22, 45), by="hotspot")
    assert [(r["hotspot"], r["minutes"], r["people"], r["unattributed_devices"])
            for r in rows] == [(world["a"].pk, 15.0, 1, 0), (world["b"].pk, 25.0, 1, 2)]


def test_the_dosage_page_shows_the_figures_that_add_up(api, users, teams, areas,
                                                       make_hotspot):
    day = datetime.combine(timezone.now().date() - timedelta(days=2), time(0), tzinfo=UTC)
    world = build_world(day, build_places(day, areas, make_hotspot), areas, users, teams)
    page = api(users["supervisor"]).get(reverse("dosage"))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<strong data-testid="total-minutes">100</strong> person-minutes (2 people)' in html
    assert '<strong data-testid="total-not-approved">15</strong>' in html
    assert '<strong data-testid="total-unattributed">20</strong> from 2 devices' in html
    # The sums by hot spot, team, role and shift, and the total: all 100.
    assert ('<td>Minutes</td>' + '<td class="num">100</td>' * 5) in html
    # The candidate hot spot apart; the approved ones with planned and delivered minutes.
    assert (f'<td>{world["c"].key}</td><td>Candidate</td><td class="num">15</td>') in html
    assert (f'<td>{world["a"].key}</td><td class="num">20</td><td class="num">40</td>'
            '<td class="num">200%</td>') in html
    assert f'<td>{world["b"].key}</td><td class="num">0</td><td class="num">45</td>' in html
    assert world["c"].key not in html.split('data-testid="not-approved"')[0]
    shifts = html.split('data-testid="by-shift"')[1]
    assert '<td class="num">30</td><td class="num">2</td>' in shifts.split("Night")[0]
    assert "Outside every shift</td><td class=\"num\">10</td>" in shifts
    roles = html.split('data-testid="by-role"')[1]
    assert "<td>Devices with no holder</td><td class=\"num\">20</td><td class=\"num\">2 devices" \
        in roles


def test_dosage_by_week_cuts_at_the_week_edge_and_adds_up(world, users):
    """The dashboard's weekly patrol hours come from one query cut into 7-day weeks (issue
    17: it ran the dosage query once a week). A window whose week edge falls at 22:20 cuts
    the evening's 100 minutes where they lie; the weeks add up to the total."""
    sup = users["supervisor"]
    lo = at(22, 20) - timedelta(days=7)
    hi = at(22, 20) + timedelta(days=7)
    weeks = dosage(user=sup, start=lo, end=hi, by="week")
    total = dosage_total(user=sup, start=lo, end=hi)
    assert [w["week"] for w in weeks] == [0, 1]
    assert sum(w["minutes"] for w in weeks) == total["minutes"] == 100.0
    before_edge = dosage_total(user=sup, start=lo, end=at(22, 20))["minutes"]
    assert (weeks[0]["minutes"], weeks[1]["minutes"]) == (before_edge, 100.0 - before_edge)
    assert 0 < before_edge < 100


def test_the_dosage_page_takes_a_period_and_an_area_and_lists_each_hot_spot_once(
        api, users, teams, areas, make_hotspot):
    """Issue 18, item 13: the page showed the last 7 days of every area only, and listed an
    under-dosed hot spot twice (in its own table and again among all)."""
    day = datetime.combine(timezone.now().date() - timedelta(days=2), time(0), tzinfo=UTC)
    world = build_world(day, build_places(day, areas, make_hotspot), areas, users, teams)
    # a's 40 delivered minutes against 120 planned (two visits of 60): under-dosed.
    task = PatrolTask.objects.get(hotspot=world["a"])
    task.minutes = 60
    task.save()
    task.pk, task.starts_at = None, task.starts_at + timedelta(hours=1)
    task.save()
    client = api(users["supervisor"])
    html = client.get(reverse("dosage")).content.decode()
    table = html.split('data-testid="dosage"')[1].split("</table>")[0]
    for spot in (world["a"], world["b"]):
        assert table.count(f"<td>{spot.key}</td>") == 1
    assert f'<tr class="table-warning" data-under="1"><td>{world["a"].key}</td>' in table
    assert table.index(world["a"].key) < table.index(world["b"].key)  # under-dosed first
    assert '1 under-dosed (less than half the planned minutes)' in html

    local = timezone.localtime(day).date()
    same = client.get(reverse("dosage"), {"from": local - timedelta(days=1),
                                          "to": local + timedelta(days=1),
                                          "area": areas[CAMDEN].pk}).content.decode()
    assert '<strong data-testid="total-minutes">100</strong>' in same
    assert f'<option value="{areas[CAMDEN].pk}" selected>' in same
    before = client.get(reverse("dosage"), {"from": local - timedelta(days=30),
                                            "to": local - timedelta(days=10)}).content.decode()
    assert '<strong data-testid="total-minutes">0</strong>' in before
    assert "No planned or delivered patrol in this period." in before


@pytest.mark.parametrize(("query", "message"), [
    ({"from": "2026-05-10", "to": "2026-05-01"}, "the last day is before the first"),
    ({"from": "2026-01-01", "to": "2026-06-01"}, "choose at most 92 days"),
    ({"from": "yesterday", "to": "2026-05-01"}, "from must be a date written YYYY-MM-DD"),
    ({"area": "islington"}, "that area is not one of yours"),
])
def test_a_bad_dosage_period_or_area_is_refused_with_the_form_kept(api, users, areas, query,
                                                                    message):
    if query.get("area") == "islington":
        query = {"area": areas[ISLINGTON].pk}
    page = api(users["supervisor"]).get(reverse("dosage"), query)
    html = page.content.decode()
    assert page.status_code == 400
    assert f'<div class="alert alert-danger" role="alert" data-testid="dosage-error">{message}' \
        in html
    if "from" in query:
        assert f'value="{query["from"]}"' in html
