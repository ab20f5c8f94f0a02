"""The training pages: the learning list, a module taken without a script, the editor with
its pictures, and the matrix with its CSV and XLSX."""

import csv
import io
import uuid

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEvent
from training.models import Completion, Module, ModuleImage

from .conftest import BODY, sit

pytestmark = pytest.mark.django_db
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def test_the_learning_list_puts_required_modules_first(api, users, shipped):
    sit(users["supervisor"], shipped["supervisors"], days_ago=2)
    page = api(users["supervisor"]).get("/learn/").content.decode()
    order = [page.index(f'data-module="{s}"') for s in
             ("why-hot-spots", "in-a-hot-spot", "targeting", "supervisors", "patrol-page")]
    assert order == sorted(order)
    assert page.count('"standing">Done<') == 1 and page.count('"standing">Optional<') == 1


def test_a_module_taken_without_a_script_is_marked_once(api, users, small_module):
    client = api(users["officer"])
    page = client.get("/learn/small/").content.decode()
    assert "Most crime happens in a <strong>few</strong> places." in page
    sitting = str(uuid.uuid4())
    body = {"id": sitting, "version": "1", "q0": "1", "q1": "1"}
    done = client.post("/learn/small/", body)
    assert done.status_code == 302
    assert client.post("/learn/small/", body).status_code == 302  # a double tap
    stored = Completion.objects.get()
    assert (str(stored.pk), stored.score, stored.passed) == (sitting, 50, True)
    missing = client.post("/learn/small/", {"id": str(uuid.uuid4()), "version": "1",
                                            "q0": "1"})
    assert missing.status_code == 400 and "answer every question" in missing.content.decode()
    assert Completion.objects.count() == 1
    assert client.get("/learn/nothing-here/").status_code == 404


def test_the_learning_pages_service_worker_is_served_to_anyone(client):
    got = client.get("/learn/sw.js")
    assert got.status_code == 200 and got["Content-Type"] == "application/javascript"
    assert 'const CACHE = "learn-v1";' in got.content.decode()


def test_an_analyst_writes_a_module_and_a_typo_fix_keeps_its_version(api, users,
                                                                       small_module):
    client = api(users["analyst"])
    made = client.post("/learn/manage/new/", {
        "slug": "new-one", "title": "New one", "summary": "s", "body": BODY,
        "pass_mark": "60", "refresher_months": "6", "order": "9", "roles": ["officer", "x"],
        "active": "on"})
    assert made.status_code == 302
    module = Module.objects.get(slug="new-one")
    assert (module.version, module.revision, module.required_roles, module.refresher_months,
            module.pass_mark) == (1, 1, ["officer"], 6, 60)
    fields = {"title": "New one", "summary": "s", "pass_mark": "60", "refresher_months": "6",
              "order": "9", "roles": ["officer"], "active": "on"}
    client.post("/learn/manage/new-one/", {**fields, "body": BODY.replace("few", "fewer")})
    module.refresh_from_db()
    assert (module.version, module.revision) == (1, 2)
    sit(users["officer"], module)
    saved = client.post("/learn/manage/new-one/", {**fields, "body": BODY, "material": "on"},
                        follow=True)
    assert ("Saved: version 2, revision 3. 1 person who had passed it will be asked to take "
            "it again.") in saved.content.decode()
    module.refresh_from_db()
    assert (module.version, module.revision) == (2, 3)
    # Answers from a page still on version 1 are marked, and told they do not count.
    stale = api(users["officer"]).post("/learn/new-one/", {
        "id": str(uuid.uuid4()), "version": "1", "q0": "1", "q1": "0"}, follow=True)
    assert "You passed the version you had open, but the module has changed since" in \
        stale.content.decode()
    failed = api(users["officer"]).post("/learn/new-one/", {
        "id": str(uuid.uuid4()), "version": "2", "q0": "0", "q1": "1"}, follow=True)
    assert "Look again at questions 1, 2." in failed.content.decode()
    client = api(users["analyst"])
    bad = client.post("/learn/manage/new-one/", {**fields, "body": "# Lesson: A\ntext"})
    assert bad.status_code == 400 and "a module needs a knowledge check" in bad.content.decode()
    assert "# Lesson: A\ntext" in bad.content.decode()  # what they typed stays
    module.refresh_from_db()
    assert module.revision == 3


def test_officers_and_supervisors_cannot_edit_modules(api, users, small_module):
    for role in ("officer", "supervisor"):
        client = api(users[role])
        assert client.get("/learn/manage/").status_code == 403
        assert client.post("/learn/manage/small/", {"title": "x", "body": BODY}).status_code \
            == 403
    small_module.refresh_from_db()
    assert (small_module.title, small_module.revision) == ("Small", 1)


def test_pictures_are_checked_by_their_bytes_and_shown_to_readers(api, users, small_module):
    client = api(users["analyst"])
    fake = io.BytesIO(b"<svg onload=alert(1)>")
    fake.name = "map.png"
    refused = client.post("/learn/manage/small/", {"action": "image", "alt": "a map",
                                                   "image": fake})
    assert refused.status_code == 400 and ModuleImage.objects.count() == 0
    good = io.BytesIO(PNG)
    good.name = "map.png"
    assert client.post("/learn/manage/small/", {"action": "image", "alt": "A map",
                                                "image": good}).status_code == 302
    picture = ModuleImage.objects.get()
    # Kept under a name of ours, with the extension of what the bytes are.
    assert picture.image.name.endswith(".png") and "map" not in picture.image.name
    shown = api(users["officer"]).get(f"/learn/images/{picture.pk}/")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert b"".join(shown.streaming_content) == PNG
    assert AuditEvent.objects.filter(action="training.image_added").count() == 1


def _matrix_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_matrix_exports_the_cells_it_shows(api, users, small_module):
    done = sit(users["officer"], small_module, days_ago=3)
    client = api(users["supervisor"])
    page = client.get("/learn/matrix/").content.decode()
    assert "<strong>2 of 2</strong> people are ready" in page
    got = client.get("/learn/matrix/?format=csv")
    rows = _matrix_rows(got.content.decode())
    passed = timezone.localtime(done.answered_at).date()
    due = passed.replace(year=passed.year + 1)
    assert rows[0] == ["# OFFICIAL-SENSITIVE"]
    assert rows[1:] == [
        ["name", "collar_number", "role", "team", "ready", "Small: standing", "Small: passed",
         "Small: due"],
        ["officer", "", "officer", "Camden Town SNT", "yes", "Done", passed.isoformat(),
         due.isoformat()],
        ["supervisor", "", "supervisor", "", "yes", "Not required", "", ""]]
    book = load_workbook(io.BytesIO(client.get("/learn/matrix/?format=xlsx").content))
    sheet = book.active
    assert [c.value for c in sheet[3]][:6] == ["officer", None, "officer", "Camden Town SNT",
                                               "yes", "Done"]
    assert client.get("/learn/matrix/?format=pdf").status_code == 400
    Module.objects.filter(pk=small_module.pk).update(title="=SUM(1)")
    header = _matrix_rows(client.get("/learn/matrix/?format=csv").content.decode())[1]
    assert header[5:] == ["'=SUM(1): standing", "'=SUM(1): passed", "'=SUM(1): due"]
    assert client.get("/learn/matrix/?team=99999").status_code == 404
    assert api(users["officer"]).get("/learn/matrix/").status_code == 403


def test_the_patrol_page_reminds_an_officer_of_training_to_take(api, users, shipped):
    page = api(users["officer"]).get("/patrol/").content.decode()
    assert ('Training to take: Why hot spots, What to do in a hot spot, How harm weighting '
            'and targeting work, Using the patrol page.') in page
    for slug in ("why-hot-spots", "in-a-hot-spot", "targeting", "patrol-page"):
        sit(users["officer"], shipped[slug])
    assert 'data-testid="training-due"' not in api(users["officer"]).get(
        "/patrol/").content.decode()
