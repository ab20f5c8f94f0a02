"""The training API: modules without their answers, a sitting sent twice stored once, a
person's progress within scope, and the matrix for those who may see it."""

import uuid

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from tests.conftest import make_user
from training.models import Completion

from .conftest import sit

pytestmark = pytest.mark.django_db
URL = "/api/v1/training/"


def test_modules_list_the_callers_standing(api, users, shipped):
    sit(users["officer"], shipped["why-hot-spots"], days_ago=3)
    got = api(users["officer"]).get(f"{URL}modules/").json()
    assert [(m["slug"], m["required_for_role"], m["standing"]["state"]) for m in got] == [
        ("why-hot-spots", True, "done"), ("in-a-hot-spot", True, "not_done"),
        ("targeting", True, "not_done"), ("patrol-page", True, "not_done"),
        ("supervisors", False, "optional")]


def test_a_module_gives_its_lessons_and_check_without_the_answers(api, users, shipped):
    module = shipped["patrol-page"]
    got = api(users["officer"]).get(f"{URL}modules/{module.pk}/").json()
    assert (got["slug"], got["version"], got["pass_mark"]) == ("patrol-page", 1, 80)
    assert len(got["lessons"]) == 4 and len(got["questions"]) == 5
    assert set(got["questions"][0]) == {"text", "choices"}
    assert "[x]" not in str(got) and "<script" not in str(got)


def test_a_sitting_sent_twice_is_stored_once_and_other_answers_are_a_conflict(
        api, users, small_module):
    client = api(users["officer"])
    body = {"id": str(uuid.uuid4()), "module": small_module.pk, "version": 1,
            "answers": [1, 0], "answered_at": timezone.now().isoformat()}
    first = client.post(f"{URL}completions/", body, content_type="application/json")
    again = client.post(f"{URL}completions/", body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert (first.json()["score"], first.json()["passed"], first.json()["correct"],
            first.json()["wrong"]) == (100, True, 2, [])
    missed = client.post(f"{URL}completions/", {**body, "id": str(uuid.uuid4()),
                                                 "answers": [0, 1]},
                         content_type="application/json").json()
    assert (missed["passed"], missed["wrong"]) == (False, [1, 2])
    clash = client.post(f"{URL}completions/", {**body, "answers": [0, 0]},
                        content_type="application/json")
    assert clash.status_code == 409
    assert Completion.objects.count() == 2
    assert {c["id"] for c in client.get(f"{URL}completions/").json()} >= {body["id"]}


@pytest.mark.parametrize(("change", "status"), [
    ({"answers": [1]}, 400), ({"answers": ["x", 0]}, 400), ({"module": 999999}, 404),
    ({"version": 0}, 400), ({"id": "not-a-uuid"}, 400), ({"answered_at": "yesterday"}, 400)])
def test_bad_answers_are_refused_and_nothing_is_stored(api, users, small_module, change,
                                                       status):
    body = {"id": str(uuid.uuid4()), "module": small_module.pk, "version": 1,
            "answers": [1, 0], **change}
    got = api(users["officer"]).post(f"{URL}completions/", body,
                                     content_type="application/json")
    assert got.status_code == status
    assert Completion.objects.count() == 0
    assert not AuditEvent.objects.filter(action="training.completed").exists()


def test_a_form_body_is_refused(api, users, small_module):
    got = api(users["officer"]).post(f"{URL}completions/", {"module": small_module.pk})
    assert got.status_code == 415 and Completion.objects.count() == 0


def test_progress_is_ones_own_unless_one_sees_the_matrix_and_the_person(api, users, areas,
                                                                      small_module):
    other = make_user("isl", "officer", areas["E09000019"])
    sit(users["officer"], small_module)
    mine = api(users["officer"]).get(f"{URL}progress/").json()
    assert (mine["user"], mine["role"], mine["modules"][0]["standing"]["state"]) == (
        users["officer"].pk, "officer", "done")
    assert api(users["officer"]).get(
        f"{URL}progress/?user={users['supervisor'].pk}").status_code == 404
    sup = api(users["supervisor"])
    assert sup.get(f"{URL}progress/?user={users['officer'].pk}").json()["user"] == \
        users["officer"].pk
    assert sup.get(f"{URL}progress/?user={other.pk}").status_code == 404
    assert sup.get(f"{URL}progress/?user=abc").status_code == 404


def test_the_matrix_is_for_supervisors_and_admins_within_their_areas(api, users, areas,
                                                                    small_module):
    sit(users["officer"], small_module)
    got = api(users["supervisor"]).get(f"{URL}matrix/").json()
    assert got["modules"] == ["Small"] and (got["people"], got["ready"]) == (2, 2)
    assert [(r["name"], r["standings"][0]["state"]) for r in got["rows"]] == [
        ("officer", "done"), ("supervisor", "not_required")]
    assert api(users["supervisor"]).get(
        f"{URL}matrix/?area={areas['E09000019'].pk}").status_code == 404
    assert api(users["officer"]).get(f"{URL}matrix/").status_code == 403
    assert api(users["analyst"]).get(f"{URL}matrix/").status_code == 403
    assert api(users["admin"]).get(f"{URL}matrix/?team=x").status_code == 404


def test_answers_made_on_a_shared_phone_by_someone_else_are_refused_and_kept(
        api, users, small_module):
    """A tab left open after its officer's session ran out sends their answers while
    another person is signed in: 403 (the phone keeps them), nothing stored."""
    body = {"id": str(uuid.uuid4()), "module": small_module.pk, "version": 1,
            "answers": [1, 0], "officer": users["officer"].pk}
    other = api(users["supervisor"]).post(f"{URL}completions/", body,
                                          content_type="application/json")
    assert other.status_code == 403 and Completion.objects.count() == 0
    assert "made on this phone by someone else" in other.json()["detail"]
    mine = api(users["officer"]).post(f"{URL}completions/", body,
                                      content_type="application/json")
    assert mine.status_code == 201 and Completion.objects.get().user == users["officer"]
    listed = api(users["officer"]).get(f"{URL}completions/").json()
    assert "wrong" not in listed[0] and listed[0]["score"] == 100
