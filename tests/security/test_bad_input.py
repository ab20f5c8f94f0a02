"""Bad input at every endpoint (issue 7): oversized bodies, invalid geometries, far-future
times, NUL bytes, HTML and formula injection. Each gets a 4xx with a clear message or is
stored as harmless text, never a 500, and a refusal changes nothing.

Wrong types at every API operation are the fuzzer's negative mode (test_fuzz.py)."""

import json
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from patrols.models import Visit
from tasking.models import ProblemSolving, TaskingPlan
from tests.conftest import CAMDEN
from tests.security.test_access_matrix import ROUTES, TARGETS, _methods
from tests.security.world import build_world, fingerprint

pytestmark = pytest.mark.django_db

WRITES = sorted((name, method) for name, callback in ROUTES.items()
                for method in _methods(callback) if method in ("post", "put", "patch")
                and name != "admin:index")


@pytest.fixture
def world(users, areas):
    return build_world(users, areas)


def _url(name: str, world) -> str:
    _, spec = TARGETS.get(name, [("-", {})])[0]
    kwargs = {k: world.ids[kind][where] for k, (kind, where) in spec.items()}
    return reverse(name, kwargs={k: getattr(v, "pk", v) for k, v in kwargs.items()})


@pytest.mark.parametrize(("name", "method"), WRITES)
def test_an_oversized_body_is_413_before_anything_reads_it(client, users, world, settings,
                                                           name, method):
    from config.middleware import RequestSizeMiddleware

    settings.IMPORT_MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # not a gigabyte of test body

    url = _url(name, world)
    limit = RequestSizeMiddleware.limit(url)
    filler = "x" * 1000
    body = json.dumps({"notes": [filler] * (limit // 1000 + 10)})
    client.force_login(users["admin"])
    before = fingerprint()
    response = getattr(client, method)(url, data=body, content_type="application/json")
    assert response.status_code == 413
    assert f"the limit here is {limit:,} bytes" in response.content.decode()
    assert fingerprint() == before


GEOMETRIES = {
    "bow tie (self-intersecting)": {"type": "Polygon", "coordinates": [[
        [-0.14, 51.54], [-0.13, 51.55], [-0.13, 51.54], [-0.14, 51.55], [-0.14, 51.54]]]},
    "ring not closed": {"type": "Polygon", "coordinates": [[
        [-0.14, 51.54], [-0.13, 51.54], [-0.13, 51.55]]]},
    "a point, not an area": {"type": "Point", "coordinates": [-0.14, 51.54]},
    "latitude 91": {"type": "Polygon", "coordinates": [[
        [-0.14, 91], [-0.13, 91], [-0.13, 90.5], [-0.14, 91]]]},
    "not a number": {"type": "Polygon", "coordinates": [[
        [-0.14, "north"], [-0.13, 51.54], [-0.13, 51.55], [-0.14, 51.54]]]},
    "empty": {"type": "Polygon", "coordinates": []},
    "not GeoJSON": "POLYGON((0 0, 1 0, 1 1, 0 0))",
}


@pytest.mark.parametrize("kind", list(GEOMETRIES))
def test_invalid_exclusion_geometries_are_400_and_change_nothing(client, users, areas, kind):
    client.force_login(users["analyst"])
    before = fingerprint()
    response = client.post(reverse("api-exclusions"), data={
        "area": areas[CAMDEN].pk, "name": "Prison", "reason": "Not patrolled",
        "geometry": GEOMETRIES[kind]}, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith("the shape ")
    assert fingerprint() == before


FAR = "2999-01-04"


@pytest.mark.parametrize(("name", "body", "message"), [
    ("api-plans", {"week_start": FAR}, "week"),
    ("api-trials", {"name": "t", "design": "parallel", "start_date": FAR,
                    "end_date": "2999-02-01",
                    "arms": [{"name": "a", "visit_minutes": 10, "role": "pc"},
                             {"name": "c", "control": True}]}, "start"),
    ("api-exports", {"kind": "visits", "format": "csv", "start": f"{FAR}T00:00:00Z",
                     "end": "2999-02-01T00:00:00Z", "recipient": "Funder",
                     "purpose": "Return"}, "must be between 1900 and 2200"),
    ("api-visits", {"id": "3f2b1c6e-8a4d-4e7b-9c1a-2d5e6f7a8b9c",
                    "started_at": f"{FAR}T10:00:00Z"}, "must be between 1900 and 2200"),
])
def test_far_future_times_are_400_and_change_nothing(client, users, world, areas, name, body,
                                                     message):
    body = {**body}
    if name in ("api-plans", "api-trials"):
        body["area"] = areas[CAMDEN].pk
    if name == "api-visits":
        body["hotspot"] = world.ids["hotspot"]["camden"]
    role = {"api-visits": "officer", "api-plans": "supervisor"}.get(name, "analyst")
    client.force_login(users[role])
    before = fingerprint()
    response = client.post(reverse(name), data=body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert message in response.content.decode().lower()
    assert fingerprint() == before


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+cmd|' /C calc'!A0",
            "@SUM(1+1)", "-2+3", "Under 5 min: <5 people about, 2 < 3 & quiet"]
TAGS = ["<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "</textarea><b>",
        "<!-- hidden -->", "< svg onload=alert(1)>"]


def test_formulas_and_plain_less_than_signs_in_notes_are_kept_as_typed(client, users, world):
    """A note may start with "=", "+", "-" or "@" and say "<5": those are a person's words.
    They are stored as typed and answered as JSON; spreadsheets neutralise the formulas
    (tests/reports/test_exports.py)."""
    client.force_login(users["officer"])
    started = timezone.now() - timedelta(hours=1)
    for i, text in enumerate(FORMULAS):
        response = client.post(reverse("api-visits"), data={
            "id": str(uuid.UUID(int=i + 1)), "hotspot": world.ids["hotspot"]["camden"],
            "started_at": (started + timedelta(minutes=i)).isoformat(), "notes": text},
            content_type="application/json")
        assert response.status_code == 201, response.content
    assert sorted(Visit.objects.filter(notes__in=FORMULAS).values_list("notes", flat=True)) == \
        sorted(FORMULAS)
    listed = client.get(reverse("api-visits"))
    assert listed["Content-Type"] == "application/json"
    assert sorted(v["notes"] for v in listed.json()["results"] if v["notes"] in FORMULAS) == \
        sorted(FORMULAS)


def _free_text_requests(world, areas):
    """(role, route, kwargs, body with {text} where the free text goes, field named)."""
    now = timezone.now()
    camden = areas[CAMDEN].pk
    spot = world.ids["hotspot"]["camden"]
    square = {"type": "Polygon", "coordinates": [[[-0.14, 51.54], [-0.139, 51.54],
                                                  [-0.139, 51.541], [-0.14, 51.54]]]}
    return [
        ("officer", "api-visits", {}, {"id": str(uuid.uuid4()), "hotspot": spot,
                                       "started_at": (now - timedelta(hours=1)).isoformat(),
                                       "notes": "{text}"}, "notes"),
        ("supervisor", "api-problem-solving", {"pk": spot},
         {"version": world.ids["ps_version"]["camden"], "analysis": "{text}"}, "analysis"),
        ("analyst", "api-exports", {}, {"kind": "visits", "format": "csv",
                                        "start": (now - timedelta(days=7)).isoformat(),
                                        "end": now.isoformat(), "recipient": "{text}",
                                        "purpose": "Return"}, "recipient"),
        ("analyst", "api-exclusions", {}, {"area": camden, "name": "{text}",
                                           "reason": "Prison", "geometry": square}, "name"),
        ("analyst", "api-trials", {}, {"area": camden, "name": "{text}", "design": "parallel",
                                       "start_date": "2027-01-04", "end_date": "2027-01-17",
                                       "arms": [{"name": "a", "visit_minutes": 10},
                                                {"name": "c", "control": True}]}, "name"),
        ("supervisor", "api-shift-patterns", {}, {"area": camden, "name": "{text}",
                                                  "start_time": "07:00",
                                                  "duration_minutes": 60}, "name"),
        ("admin", "api-devices", {}, {"name": "{text}", "kind": "radio", "area": camden},
         "name"),
        ("analyst", "api-hotspot-review", {"pk": spot}, {"action": "approve",
                                                         "note": "{text}"}, "note"),
        # Issue 15, item 8: these took HTML before.
        ("analyst", "api-trials", {}, {"area": camden, "name": "Arms", "design": "parallel",
                                       "start_date": "2027-01-04", "end_date": "2027-01-17",
                                       "arms": [{"name": "{text}", "visit_minutes": 10},
                                                {"name": "c", "control": True}]}, "arm's name"),
        ("analyst", "api-offence-type", {"pk": world.ids["offence_type"]["any"]},
         {"harm_weight": 10, "include_in_targeting": True, "weight_source": "{text}"},
         "weight's source"),
        ("supervisor", "api-task", {"pk": world.ids["task"]["camden"]},
         {"version": TaskingPlan.objects.get(pk=world.ids["plan"]["camden"]).version,
          "callsign": "{text}", "confirm_published": True}, "callsign"),
    ]


METHODS = {"api-problem-solving": "put", "api-offence-type": "put", "api-task": "patch"}


@pytest.mark.parametrize("case", range(11))
@pytest.mark.parametrize("tag", TAGS)
def test_html_in_any_free_text_is_400_and_changes_nothing(client, users, world, areas, case,
                                                          tag):
    role, name, kwargs, body, field = _free_text_requests(world, areas)[case]
    body = json.loads(json.dumps(body).replace('"{text}"', json.dumps(tag)))
    client.force_login(users[role])
    before = fingerprint()
    method = METHODS.get(name, "post")
    response = getattr(client, method)(reverse(name, kwargs=kwargs), data=body,
                                       content_type="application/json")
    assert response.status_code == 400, (name, response.content)
    message = response.content.decode()
    assert "cannot contain HTML tags" in message and field in message
    assert fingerprint() == before


@pytest.mark.parametrize("case", range(11))
@pytest.mark.parametrize("text", ["Holloway \u202edaoR", "red \x1b[31m alert"])
def test_control_characters_in_any_free_text_are_400_and_change_nothing(
        client, users, world, areas, case, text):
    """An escape sequence or a right-to-left override makes text read other than it is
    stored (a review of issue 18's routes): refused like a tag."""
    role, name, kwargs, body, field = _free_text_requests(world, areas)[case]
    body = json.loads(json.dumps(body).replace('"{text}"', json.dumps(text)))
    client.force_login(users[role])
    before = fingerprint()
    response = getattr(client, METHODS.get(name, "post"))(
        reverse(name, kwargs=kwargs), data=body, content_type="application/json")
    assert response.status_code == 400, (name, response.content)
    message = response.content.decode()
    assert "cannot contain control characters" in message and field in message
    assert fingerprint() == before


def test_a_nul_in_an_exclusion_area_changed_on_its_page_is_refused(client, users, world):
    client.force_login(users["analyst"])
    exclusion = world.ids["exclusion"]["camden"]
    before = fingerprint()
    response = client.post(reverse("exclusion-change", args=[getattr(exclusion, "pk",
                                                                     exclusion)]),
                           {"name": "a\x00b", "reason": "Prison"}, follow=True)
    assert response.status_code == 200
    assert ("the name and reason cannot contain control characters"
            in response.content.decode())
    assert fingerprint() == before


@pytest.mark.parametrize("tag", TAGS)
@pytest.mark.parametrize("where", ["file name", "source"])
def test_html_in_an_uploads_name_or_source_is_400_and_stores_nothing(client, users, tag,
                                                                    where):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from hotspots.models import ImportJob

    name = f"{tag}.csv" if where == "file name" else "2024-03.csv"
    upload = SimpleUploadedFile(name.replace("/", "_"), b"Crime ID,Month\n", "text/csv")
    client.force_login(users["analyst"])
    before = fingerprint()
    response = client.post(reverse("api-imports"), {
        "file": upload, "format": "police_uk",
        "source": tag if where == "source" else "police.uk"})
    assert response.status_code == 400, response.content
    assert "the file name and source cannot contain HTML tags" in response.json()["detail"]
    assert fingerprint() == before and ImportJob.objects.count() == 0


def test_text_with_ampersands_and_less_than_is_escaped_on_the_pages(client, users, world):
    client.force_login(users["supervisor"])
    spot = world.ids["hotspot"]["camden"]
    ps = ProblemSolving.objects.get(hotspot_id=spot)
    text = "Tom & Jerry's <5 min \"visits\""
    response = client.put(reverse("api-problem-solving", args=[spot]), data={
        "version": ps.version, "analysis": text}, content_type="application/json")
    assert response.status_code == 200, response.content
    escaped = "Tom &amp; Jerry&#x27;s &lt;5 min &quot;visits&quot;"
    page = client.get(reverse("problem-solving", args=[spot])).content.decode()
    assert escaped in page
    # The briefing shows the same notes to the officers of the shift, escaped too.
    briefing = client.get(reverse("briefing", args=[world.ids["plan"]["camden"],
                                                    world.ids["shift"]["camden"]]))
    assert briefing.status_code == 200
    assert f"<em>Analysis:</em> {escaped}" in briefing.content.decode()


@pytest.mark.parametrize(("name", "role", "field"), [
    ("api-visits", "officer", "notes"),
    ("api-exports", "analyst", "recipient"),
    ("api-exclusions", "analyst", "name"),
])
def test_a_nul_byte_in_text_is_400_not_a_database_error(client, users, world, areas, name,
                                                        role, field):
    bodies = {
        "api-visits": {"id": str(uuid.uuid4()), "hotspot": world.ids["hotspot"]["camden"],
                       "started_at": (timezone.now() - timedelta(hours=1)).isoformat()},
        "api-exports": {"kind": "visits", "format": "csv", "purpose": "Return",
                        "start": (timezone.now() - timedelta(days=7)).isoformat(),
                        "end": timezone.now().isoformat()},
        "api-exclusions": {"area": areas[CAMDEN].pk, "reason": "Prison", "geometry": {
            "type": "Polygon", "coordinates": [[[-0.14, 51.54], [-0.139, 51.54],
                                                [-0.139, 51.541], [-0.14, 51.54]]]}},
    }
    client.force_login(users[role])
    before = fingerprint()
    response = client.post(reverse(name), data={**bodies[name], field: "before\x00after"},
                           content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert fingerprint() == before


# --- Issue 15, item 4: each of these was a 500 with a traceback ------------------------------
HUGE = "99999999999999999999"


@pytest.mark.parametrize("route", ["api-visits", "api-my-tasks", "api-plans", "api-trials",
                                   "api-exports", "api-audit"])
@pytest.mark.parametrize(("param", "message"), [
    ("limit", "limit must be a whole number from 1 to 1,000"),
    ("offset", "offset must be a whole number from 0 to 1,000,000,000"),
])
def test_a_huge_limit_or_offset_is_a_400(api, users, route, param, message):
    who = users["officer"] if route in ("api-visits", "api-my-tasks") else users["admin"]
    response = api(who).get(reverse(route), {param: HUGE})
    assert response.status_code == 400
    assert response.json() == {"detail": message}
    # Ordinary values still page.
    assert api(who).get(reverse(route), {"limit": "2", "offset": "0"}).status_code == 200


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00-23:59", "9999-12-31T23:59:59+23:59",
                                   "1066-10-14T09:00:00Z"])
def test_a_time_outside_the_calendar_is_a_400(api, users, value):
    response = api(users["analyst"]).get(reverse("api-crimes"), {"occurred_after": value})
    assert response.status_code == 400
    assert response.json() == {"occurred_after": ["this time must be between 1900 and 2200"]}
    response = api(users["supervisor"]).get(reverse("api-dosage"), {"from": value})
    assert response.status_code == 400
    assert response.json() == {"detail": "from must be between 1900 and 2200"}


DEEP = "[" * 3000 + "]" * 3000


@pytest.mark.parametrize(("route", "who"), [("api-token", None), ("api-visits", "officer"),
                                            ("api-pings", "device"),
                                            ("api-exclusions", "analyst")])
def test_json_nested_3000_deep_is_a_400_and_changes_nothing(client, users, world, route, who):
    from patrols.services import device_create

    headers = {}
    if who == "device":
        _, token = device_create(name="radio deep", kind="radio", area=users["officer"].area,
                                 actor=None)
        headers["HTTP_AUTHORIZATION"] = f"Device {token}"
    elif who is not None:
        client.force_login(users[who])
    before = fingerprint()
    response = client.post(reverse(route), data=DEEP, content_type="application/json",
                           **headers)
    assert response.status_code == 400
    assert response.json()["detail"] in (
        "JSON parse error - the body is nested more than 32 levels deep",  # DRF's parser
        "the body is nested more than 32 levels deep")  # a GPS batch, parsed by its service
    assert fingerprint() == before


# --- The reviewer's second round (issue 15): each of these was still a 500 ------------------
@pytest.mark.parametrize("url", ["/hotspots/?run=%C2%B2", "/hotspots/?run=99999999999999999999",
                                 "/tasking/shifts/?area=%C2%B2",
                                 "/tasking/shifts/?week=0001-01-01",
                                 "/tasking/shifts/?week=9999-12-31"])
def test_superscript_digits_huge_ids_and_calendar_ends_in_pages(client, users, world, url):
    client.force_login(users["analyst"])
    response = client.get(url)
    assert response.status_code in (200, 404), (url, response.status_code)


def test_a_shift_of_infinite_hours_is_a_400_and_adds_nothing(client, users, world, areas):
    from tasking.models import ShiftPattern

    client.force_login(users["supervisor"])
    before = ShiftPattern.objects.count()
    response = client.post(reverse("shifts"), {"action": "pattern", "area": areas[CAMDEN].pk,
                                               "name": "Long", "start": "09:00",
                                               "hours": "1e308", "days": ["mon"]})
    assert response.status_code == 400
    assert "a shift lasts more than 0 and at most 24 hours" in response.content.decode()
    assert ShiftPattern.objects.count() == before


@pytest.mark.parametrize(("route", "who", "body", "field"), [
    ("api-runs", "analyst", {"until": "0001-01-01"}, "until"),
    ("api-plans", "supervisor", {"week_start": "0001-01-01"}, "week_start"),
])
def test_a_date_at_the_calendars_start_is_a_400(client, users, world, areas, route, who, body,
                                                field):
    client.force_login(users[who])
    before = fingerprint()
    response = client.post(reverse(route), data={"area": areas[CAMDEN].pk, **body},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()[field] == ["this date must be between 1900 and 2200"]
    assert fingerprint() == before


def test_deep_json_in_a_form_field_is_a_400(client, users, world, areas):
    client.force_login(users["analyst"])
    before = fingerprint()
    response = client.post(reverse("api-exclusions"), {
        "area": areas[CAMDEN].pk, "name": "Deep", "reason": "test",
        "geometry": "[" * 3000 + "]" * 3000})
    assert response.status_code == 400
    assert response.json() == {
        "geometry": ["this field is nested more than 32 levels deep"]}
    assert fingerprint() == before


@pytest.mark.parametrize("mapping", [
    '{"columns": {"reference": "<b>id</b>", "date": "d", "lon": "x", "lat": "y"}}',
    '{"columns": {"reference": "id", "date": "d", "lon": "x", "lat": "y"}, '
    '"types": {"<script>alert(1)</script>": "burglary"}}',
])
def test_html_in_an_import_mapping_is_400_and_stores_nothing(client, users, mapping):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from hotspots.models import ImportJob

    client.force_login(users["analyst"])
    before = fingerprint()
    response = client.post(reverse("api-imports"), {
        "file": SimpleUploadedFile("force.csv", b"id,d,x,y\\n", "text/csv"),
        "format": "generic", "source": "force RMS", "mapping": mapping})
    assert response.status_code == 400, response.content
    assert response.json() == {"mapping": [
        "the mapping cannot contain HTML tags such as <b> or <script>: write it as plain text"]}
    assert fingerprint() == before and ImportJob.objects.count() == 0


@pytest.mark.parametrize(("query", "status"), [
    ("area=%C2%B2", 200), ("area=99999999999999999999", 200), ("weeks=%C2%B2", 400),
    ("hotspot=%C2%B2", 200), ("hotspot=99999999999999999999", 200)])
def test_the_dashboard_takes_only_plain_whole_numbers(client, users, world, query, status):
    """Issue 15: a superscript digit passed str.isdigit() and int() raised: a 500. An id
    that is not a plain number is ignored (the first area, every hot spot); weeks is
    refused."""
    client.force_login(users["supervisor"])
    response = client.get(f"{reverse('dashboard')}?{query}")
    assert response.status_code == status, query
    if status == 400:
        assert response.content == b"Dashboard: weeks is 1 to 104."
    else:
        assert response.context["area"] == users["supervisor"].area
        assert response.context["hotspot"] is None


@pytest.mark.parametrize(("start", "end", "message"), [
    ("0001-01", "2025-01", "from must be a month from 1900-01 to 2200-12"),
    ("2025-01", "9999-12", "to must be a month from 1900-01 to 2200-12"),
    ("2025-01", "2025-13", "to must be a month from 1900-01 to 2200-12"),
    ("2025-01-01", "2025-02", "give from as a month written YYYY-MM"),
])
def test_a_funding_return_outside_the_calendar_is_a_400(client, users, world, areas, start,
                                                        end, message):
    client.force_login(users["analyst"])
    response = client.get(reverse("funding-return"), {"area": areas[CAMDEN].pk, "from": start,
                                                      "to": end})
    assert response.status_code == 400
    assert response.content.decode() == f"Funding return: {message}."


def test_a_funding_return_in_an_unknown_format_is_a_400(client, users, world, areas):
    client.force_login(users["analyst"])
    response = client.get(reverse("funding-return"), {
        "area": areas[CAMDEN].pk, "from": "2025-01", "to": "2025-02", "format": "pdf"})
    assert (response.status_code, response.content) == (
        400, b"Funding return: format is xlsx or csv.")


def test_an_export_from_year_one_is_a_400_and_writes_nothing(client, users, world, areas):
    from reports.models import ExportJob

    client.force_login(users["analyst"])
    before = ExportJob.objects.count()
    response = client.post(reverse("reports"), {
        "kind": "visits", "format": "csv", "from": "0001-01-01", "to": "2025-01-01",
        "area": "\u00b2", "recipient": "Analyst team", "purpose": "Monthly review"})
    assert response.status_code == 400
    assert "from must be between 1900 and 2200" in response.content.decode()
    assert ExportJob.objects.count() == before


@pytest.mark.parametrize("area", ["abc", "islington"])
def test_an_export_for_an_area_not_yours_is_a_400_not_every_area(client, users, world, areas,
                                                                  area):
    """The second review: an area the form could not use was dropped, and the export
    covered every area the supervisor sees."""
    from reports.models import ExportJob
    from tests.conftest import ISLINGTON

    client.force_login(users["supervisor"])
    before = ExportJob.objects.count()
    response = client.post(reverse("reports"), {
        "kind": "visits", "format": "csv", "from": "2025-01-01", "to": "2025-02-01",
        "area": areas[ISLINGTON].pk if area == "islington" else area,
        "recipient": "Analyst team", "purpose": "Monthly review"})
    assert response.status_code == 400
    assert "choose the area from the list: that is not one of yours" in response.content.decode()
    assert ExportJob.objects.count() == before


@pytest.mark.parametrize(("cost", "message"), [
    ("1e999", "hourly cost for pc must be a number"),
    ("inf", "hourly cost for pc must be a number"),
    ("nan", "hourly cost for pc must be a number"),
    ("10001", "the hourly cost for pc is at most £10,000")])
def test_an_hourly_cost_that_is_not_a_finite_sum_is_a_400(client, users, world, areas, cost,
                                                          message):
    from evaluation.models import Trial

    client.force_login(users["analyst"])
    before = Trial.objects.count()
    response = client.post(reverse("api-trials"), data={
        "area": areas[CAMDEN].pk, "name": "Costly", "design": "parallel",
        "start_date": "2027-01-04", "end_date": "2027-01-31",
        "arms": [{"name": "a", "visit_minutes": 10, "role": "pc"},
                 {"name": "c", "control": True}],
        "hourly_cost": {"pc": cost}}, content_type="application/json")
    assert (response.status_code, response.json()) == (400, {"detail": message})
    assert Trial.objects.count() == before


@pytest.mark.parametrize(("srid", "message"), [
    ("1e400", "mapping: srid '1e400' is not a number"),
    (10**30, f"mapping: srid {10**30} is not a coordinate reference system code (EPSG "
             "codes are 1 to 999999)"),
    (-5, "mapping: srid -5 is not a coordinate reference system code (EPSG codes are 1 to "
         "999999)")])
def test_an_import_mapping_with_an_impossible_srid_is_a_400(client, users, srid, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from hotspots.models import ImportJob

    client.force_login(users["analyst"])
    before = ImportJob.objects.count()
    mapping = json.dumps({"columns": {"reference": "id", "date": "d", "x": "x", "y": "y",
                                      "type": "t"}, "srid": srid})
    response = client.post(reverse("api-imports"), {
        "file": SimpleUploadedFile("crimes.csv", b"id,d,x,y,t\n", "text/csv"),
        "format": "generic", "mapping": mapping, "source": "test"})
    assert (response.status_code, response.json()) == (400, {"detail": message})
    assert ImportJob.objects.count() == before


def test_a_visit_sent_as_a_form_is_refused_and_nothing_is_stored(client, users, world):
    """The phone sends JSON. A form body's values are lists, which slipped past the note's
    markup check and read "false" as true (and a bad location was a 500)."""
    client.force_login(users["officer"])
    started = (timezone.now() - timedelta(hours=1)).isoformat()
    before = fingerprint()
    for extra in ({"notes": "<b>bold</b>", "retrospective": "false"}, {"start": "x"}):
        response = client.post(reverse("api-visits"), data={
            "id": str(uuid.uuid4()), "hotspot": world.ids["hotspot"]["camden"],
            "started_at": started, **extra})
        assert response.status_code == 415
        assert response.json()["detail"] == (
            'Unsupported media type "multipart/form-data; boundary=BoUnDaRyStRiNg" in request.')
    assert fingerprint() == before
