"""Officers' observations on the hot spot's problem-solving page (issue 19): read there,
marked acted on by supervisors and analysts (audited), refused to everyone else with
nothing changed."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from patrols.models import Visit
from tests.conftest import ISLINGTON
from tests.tasking.conftest import make_hotspot  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def noted(users, make_hotspot):  # noqa: F811
    spot = make_hotspot([1.0] * 168)
    when = timezone.now() - timedelta(days=2)
    visit = Visit.objects.create(id=uuid.uuid4(), officer=users["officer"], hotspot=spot,
                                 started_at=when, ended_at=when + timedelta(minutes=15),
                                 notes="Street light out by the bus stop", body_hash="x")
    Visit.objects.create(id=uuid.uuid4(), officer=users["officer"], hotspot=spot,
                         started_at=when, body_hash="y")  # no notes: not an observation
    return spot, visit


def test_the_problem_solving_page_lists_observations_and_a_supervisor_marks_one(
        api, users, noted):
    spot, visit = noted
    client = api(users["supervisor"])
    assert f'hx-get="/hotspots/{spot.pk}/observations/"' in client.get(
        f"/hotspots/{spot.pk}/problem-solving/").content.decode()
    listed = client.get(f"/hotspots/{spot.pk}/observations/").content.decode()
    assert listed.count("data-visit=") == 1 and "Street light out by the bus stop" in listed
    assert "officer" in listed  # supervisors see who noticed it
    done = client.post(f"/hotspots/{spot.pk}/observations/",
                       {"visit": str(visit.pk), "comment": "Reported to the council"},
                       HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and "Acted on" in done.content.decode()
    visit.refresh_from_db()
    assert (visit.notes_acted_by, visit.notes_acted_comment) == (users["supervisor"],
                                                                 "Reported to the council")
    event = AuditEvent.objects.get(action="visit.observation_acted_on")
    assert event.detail["comment"] == "Reported to the council"


def test_an_analyst_sees_observations_without_names(api, users, noted):
    spot, _ = noted
    listed = api(users["analyst"]).get(f"/hotspots/{spot.pk}/observations/").content.decode()
    assert "Street light out" in listed and "· officer" not in listed


@pytest.mark.parametrize(("role", "body", "status"), [
    ("officer", {"comment": "x"}, 403),
    ("supervisor", {"comment": "<b>x</b>"}, 400),
    ("supervisor", {"comment": "x" * 301}, 400),
    ("supervisor", {"visit": "not-a-uuid"}, 404),
    ("supervisor", {"visit": str(uuid.uuid4())}, 404),
])
def test_refused_marks_change_nothing(api, users, noted, role, body, status):
    spot, visit = noted
    got = api(users[role]).post(f"/hotspots/{spot.pk}/observations/",
                                {"visit": str(visit.pk), **body})
    assert got.status_code == status
    visit.refresh_from_db()
    assert visit.notes_acted_at is None
    assert not AuditEvent.objects.filter(action="visit.observation_acted_on").exists()


def test_another_areas_observations_are_not_found(api, users, areas, make_hotspot):  # noqa: F811
    spot = make_hotspot([1.0] * 168, borough=ISLINGTON)
    assert api(users["supervisor"]).get(f"/hotspots/{spot.pk}/observations/").status_code \
        == 404


def test_a_mark_made_by_mistake_is_taken_away_and_both_are_audited(api, users, noted):
    spot, visit = noted
    client = api(users["supervisor"])
    client.post(f"/hotspots/{spot.pk}/observations/", {"visit": str(visit.pk),
                                                       "comment": "Done"})
    undone = client.post(f"/hotspots/{spot.pk}/observations/",
                         {"visit": str(visit.pk), "action": "undo"})
    assert undone.status_code == 302
    visit.refresh_from_db()
    assert (visit.notes_acted_at, visit.notes_acted_by, visit.notes_acted_comment) == (
        None, None, "")
    assert list(AuditEvent.objects.filter(action__startswith="visit.observation")
                .order_by("id").values_list("action", flat=True)) == [
        "visit.observation_acted_on", "visit.observation_unmarked"]
    client.post(f"/hotspots/{spot.pk}/observations/", {"visit": str(visit.pk),
                                                       "action": "undo"})
    assert AuditEvent.objects.filter(action__startswith="visit.observation").count() == 2


def test_a_visit_made_on_a_shared_phone_by_someone_else_is_refused(api, users, noted):
    spot, _ = noted
    before = Visit.objects.count()
    body = {"id": str(uuid.uuid4()), "hotspot": spot.pk, "officer": users["supervisor"].pk,
            "started_at": (timezone.now() - timedelta(minutes=20)).isoformat(),
            "ended_at": (timezone.now() - timedelta(minutes=5)).isoformat()}
    got = api(users["officer"]).post("/api/v1/visits/", body, content_type="application/json")
    assert got.status_code == 403 and Visit.objects.count() == before
    ok = api(users["officer"]).post("/api/v1/visits/", {**body, "officer": users["officer"].pk},
                                    content_type="application/json")
    assert ok.status_code == 201 and Visit.objects.count() == before + 1
