"""My patrols (issue 19): an officer's real minutes this month against those tasked, the
crime trend at the hot spots they patrolled most, and their observations used."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.gis.geos import Point

from accounts.models import Team
from hotspots.models import Crime, OffenceType
from patrols.models import Device, Presence, Visit
from patrols.services import observation_act
from reports.selectors import my_patrols
from tasking.models import PatrolTask, Shift, ShiftPattern, TaskingPlan
from tests.conftest import CAMDEN
from tests.tasking.conftest import make_hotspot  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def at(day: str, hhmm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+00:00")


def _visit(officer, spot, start: datetime, minutes: int, notes: str = "") -> Visit:
    return Visit.objects.create(id=uuid.uuid4(), officer=officer, hotspot=spot,
                                started_at=start, ended_at=start + timedelta(minutes=minutes),
                                notes=notes, body_hash="x")


def _crime(ref: str, spot, when: datetime, area) -> None:
    c = spot.geom.centroid
    Crime.objects.create(source="t", reference=ref, area=area,
                         offence_type=OffenceType.objects.get(code="burglary"),
                         occurred_from=when, occurred_to=when,
                         location=Point(c.x, c.y, srid=27700))


@pytest.fixture
def month(users, areas, make_hotspot):  # noqa: F811
    officer, camden = users["officer"], areas[CAMDEN]
    a, b = make_hotspot([1.0] * 168), make_hotspot([1.0] * 168)
    # November: a 15-minute check-in with the officer's radio there 10:05-10:25 (the
    # minutes overlap: 10:00-10:25 is 25 minutes, counted once), and a 20-minute one.
    _visit(officer, a, at("2026-11-05"), 15, notes="Gate behind the shops left open")
    device = Device.objects.create(name="Radio", kind="radio", area=camden, holder=officer,
                                   token_hash="h1")
    Presence.objects.create(device=device, hotspot=a, started_at=at("2026-11-05", "10:05"),
                            ended_at=at("2026-11-05", "10:25"), pings=120, seconds=1200.0)
    _visit(officer, a, at("2026-11-12"), 20)
    _visit(officer, b, at("2026-10-20"), 10)           # October: in the 90 days, not the month
    _visit(officer, a, at("2026-11-25"), 30)           # after "now"
    _visit(users["supervisor"], a, at("2026-11-06"), 40)  # someone else's
    # Tasked: three published visits this month so far, one cancelled, one still to come.
    pattern = ShiftPattern.objects.create(area=camden, name="Day", start_time="08:00",
                                          duration_minutes=600)
    plan = TaskingPlan.objects.create(area=camden, week_start=date(2026, 11, 2),
                                      status="published", seed=1)
    for day, status in (("2026-11-03", "planned"), ("2026-11-04", "planned"),
                        ("2026-11-05", "planned"), ("2026-11-06", "cancelled"),
                        ("2026-11-21", "planned")):
        shift = Shift.objects.create(pattern=pattern, area=camden, date=at(day).date(),
                                     starts_at=at(day, "08:00"), ends_at=at(day, "18:00"))
        PatrolTask.objects.create(plan=plan, shift=shift, hotspot=a, starts_at=at(day),
                                  minutes=15, assignee_user=officer, status=status)
    # And one for the officer's team with no one named (shown apart: any member's to make).
    PatrolTask.objects.create(plan=plan, shift=shift, hotspot=a, starts_at=at("2026-11-06"),
                              minutes=20, assignee_team=officer.team)
    # Crime: the data end on 31 Oct 2026; the 12 weeks to then start on 9 Aug 2026.
    for i, day in enumerate(("2026-10-31", "2026-10-01", "2026-08-10", "2025-09-02",
                             "2025-01-05")):
        _crime(f"a{i}", a, at(day), camden)
    for i, day in enumerate(("2025-10-01", "2025-10-02", "2026-08-08")):
        _crime(f"b{i}", b, at(day), camden)
    return officer, a, b


def test_an_officers_month_and_the_trend_at_their_hot_spots(users, month):
    officer, a, b = month
    data = my_patrols(viewer=officer, people=[officer.pk], team_ids=[officer.team_id], now=NOW)
    assert (data["visits"], data["minutes"]) == (2, 45)
    assert (data["tasked_visits"], data["tasked_minutes"]) == (3, 45)
    assert (data["team_visits"], data["team_minutes"]) == (1, 20)
    trend = data["trend"]
    assert (trend["from"], trend["to"]) == (date(2026, 8, 9), date(2026, 10, 31))
    assert (trend["before_from"], trend["before_to"]) == (date(2025, 8, 10), date(2025, 11, 1))
    assert trend["rows"] == [
        {"hotspot": a.pk, "name": a.key, "minutes": 45.0, "crimes": 3, "harm": 900.0,
         "crimes_before": 1, "harm_before": 300.0},
        {"hotspot": b.pk, "name": b.key, "minutes": 10.0, "crimes": 0, "harm": 0.0,
         "crimes_before": 2, "harm_before": 600.0}]
    assert trend["data_from"] == date(2025, 1, 5)
    assert data["trials"] == []
    assert [v.notes for v in data["observations"]] == ["Gate behind the shops left open"]


def test_a_year_before_the_data_begin_is_not_a_year_of_no_crime(users, month):
    """With the data beginning on 5 Jan 2025 the year before (from 10 Aug 2025) is known;
    when the data begin after the year-before window starts, it is not compared."""
    officer = month[0]
    Crime.objects.filter(reference="a4").delete()  # the data now begin on 2 Sep 2025
    data = my_patrols(viewer=officer, people=[officer.pk], team_ids=[], now=NOW)
    assert data["trend"]["data_from"] == date(2025, 9, 2)
    assert [(r["crimes"], r["crimes_before"], r["harm_before"])
            for r in data["trend"]["rows"]] == [(3, None, None), (0, None, None)]
    page_data = data["trend"]
    assert page_data["from"] == date(2026, 8, 9)


def test_an_observation_marked_acted_on_shows_on_my_patrols(api, users, month):
    officer = month[0]
    visit = Visit.objects.get(notes__startswith="Gate")
    observation_act(visit=visit, actor=users["supervisor"], comment="Council told")
    page = api(officer).get("/my-patrols/").content.decode()
    assert "Acted on" in page and "Council told" in page
    assert "Read this with care." in page


def test_a_supervisor_sees_the_team_together_and_an_officer_only_themselves(api, users,
                                                                           areas, month):
    officer = month[0]
    team = Team.objects.get(name="Camden Town SNT")
    sup = api(users["supervisor"]).get(f"/my-patrols/?team={team.pk}")
    assert sup.status_code == 200 and "Camden Town SNT: what our patrols did" in \
        sup.content.decode()
    other = Team.objects.create(name="Elsewhere", area=areas["E09000019"])
    assert api(users["supervisor"]).get(f"/my-patrols/?team={other.pk}").status_code == 404
    mine = api(officer).get(f"/my-patrols/?team={team.pk}").content.decode()
    assert "My patrols" in mine and "what our patrols did" not in mine
    assert api(users["auditor"]).get("/my-patrols/").status_code == 403  # no visits to see
    # Analysts see visits but not who made them: a team of one would be a person.
    analyst = api(users["analyst"]).get(f"/my-patrols/?team={team.pk}").content.decode()
    assert "what our patrols did" not in analyst and "My patrols" in analyst
