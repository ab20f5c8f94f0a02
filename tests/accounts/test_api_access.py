"""Who may call what: every API operation against every role, and area scoping."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from hotspots.models import Crime, ImportJob, OffenceType
from hotspots.services import crime_import_paths
from tests.conftest import CAMDEN, FIXTURES, ISLINGTON

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "officer", "supervisor", "analyst", "admin", "auditor", "norole"]
GET_MATRIX = {
    #                officer supervisor analyst admin auditor norole
    "api-me":            (200, 200, 200, 200, 200, 200),
    "api-areas":         (200, 200, 200, 200, 403, 403),
    "api-teams":         (200, 200, 200, 200, 403, 403),
    "api-offence-types": (403, 200, 200, 200, 403, 403),
    "api-crimes":        (403, 200, 200, 200, 403, 403),
    "api-imports":       (403, 403, 200, 200, 403, 403),
    "api-hotspots":      (403, 200, 200, 200, 403, 403),
    "api-runs":          (403, 200, 200, 200, 403, 403),
    "api-shift-patterns": (403, 200, 200, 200, 403, 403),
    "api-shifts":        (403, 200, 200, 200, 403, 403),
    "api-plans":         (403, 200, 200, 200, 403, 403),
    "api-my-tasks":      (200, 200, 200, 200, 403, 403),
    "api-visits":        (200, 200, 200, 200, 403, 403),
    "api-devices":       (403, 200, 200, 200, 403, 403),
    "api-dosage":        (403, 200, 200, 200, 403, 403),
    "api-compliance":    (403, 200, 200, 200, 403, 403),
    "api-live":          (403, 200, 403, 200, 403, 403),
    "api-trials":        (403, 200, 200, 200, 403, 403),
    "api-exports":       (403, 200, 200, 200, 403, 403),
    "api-audit":         (403, 403, 403, 200, 200, 403),
    "api-schema":        (200, 200, 200, 200, 200, 200),
}


def call(client, users, role, method, url, **kwargs):
    if role != "anonymous":
        client.force_login(users[role])
    return getattr(client, method)(url, **kwargs)


@pytest.mark.parametrize("name", list(GET_MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_get_access_matrix(client, users, name, role):
    response = call(client, users, role, "get", reverse(name))
    expected = 401 if role == "anonymous" else GET_MATRIX[name][ROLES.index(role) - 1]
    assert response.status_code == expected, response.content[:300]


@pytest.mark.parametrize(("role", "expected"), [
    ("anonymous", 401), ("officer", 403), ("supervisor", 403), ("analyst", 200),
    ("admin", 200), ("auditor", 403), ("norole", 403),
])
def test_put_offence_type_access_and_nothing_changes_when_refused(client, users, role, expected):
    burglary = OffenceType.objects.get(code="burglary")
    response = call(client, users, role, "put", reverse("api-offence-type", args=[burglary.pk]),
                    data={"harm_weight": 412.5, "include_in_targeting": True},
                    content_type="application/json")
    assert response.status_code == expected
    burglary.refresh_from_db()
    if expected == 200:
        assert burglary.harm_weight == 412.5
        event = AuditEvent.objects.get(action="offence_type.update")
        assert event.actor == users[role]
        assert event.detail == {"before": {"harm_weight": 300.0, "include_in_targeting": True},
                                "after": {"harm_weight": 412.5, "include_in_targeting": True}}
    else:
        assert burglary.harm_weight == 300.0
        assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize("body", [
    {"harm_weight": -1, "include_in_targeting": True},
    {"harm_weight": "lots", "include_in_targeting": True},
    {"harm_weight": 2_000_000, "include_in_targeting": True},
    {"include_in_targeting": True},
])
def test_put_offence_type_bad_values_are_400_and_nothing_changes(api, users, body):
    drugs = OffenceType.objects.get(code="drugs")
    response = api(users["analyst"]).put(reverse("api-offence-type", args=[drugs.pk]),
                                         data=body, content_type="application/json")
    assert response.status_code == 400
    assert "harm_weight" in response.json()
    drugs.refresh_from_db()
    assert (drugs.harm_weight, drugs.include_in_targeting) == (15.0, False)
    assert AuditEvent.objects.count() == 0


@pytest.fixture
def camden_and_islington_crimes(areas):
    crime_import_paths(paths=[FIXTURES / "policeuk" / "2024-03-metropolitan-street.csv"],
                       format="police_uk", source="police.uk")
    # Move two of the six Camden crimes into Islington's area to have two areas to scope.
    moved = list(Crime.objects.order_by("id").values_list("id", flat=True)[:2])
    Crime.objects.filter(id__in=moved).update(area=areas[ISLINGTON])
    return moved


def test_supervisor_sees_only_crimes_in_their_area(api, users, camden_and_islington_crimes):
    body = api(users["supervisor"]).get(reverse("api-crimes")).json()
    assert body["count"] == 4
    ids = {f["id"] for f in body["features"]}
    assert ids.isdisjoint(camden_and_islington_crimes)
    assert {f["properties"]["area"] for f in body["features"]} == {
        Crime.objects.filter(area__code=CAMDEN).first().area_id}


def test_analyst_sees_the_whole_force(api, users, camden_and_islington_crimes):
    assert api(users["analyst"]).get(reverse("api-crimes")).json()["count"] == 6


def test_officer_sees_only_their_own_area(api, users, areas):
    body = api(users["officer"]).get(reverse("api-areas")).json()
    assert [f["properties"]["code"] for f in body["features"]] == [CAMDEN]


def test_user_without_area_or_force_permission_sees_nothing(api, users, areas):
    users["supervisor"].area = None
    users["supervisor"].save()
    body = api(users["supervisor"]).get(reverse("api-areas")).json()
    assert body["count"] == 0


def test_crimes_are_geojson_points_in_wgs84(api, users, camden_and_islington_crimes):
    body = api(users["analyst"]).get(reverse("api-crimes")).json()
    assert body["type"] == "FeatureCollection"
    ref = "bee7cc5ec904e2d1983457fd2f33f5705b450a8bae5c901246ed879531cab645"
    feature = next(f for f in body["features"] if f["properties"]["reference"] == ref)
    assert feature["geometry"]["type"] == "Point"
    lon, lat = feature["geometry"]["coordinates"]
    assert lon == pytest.approx(-0.146183, abs=2e-6)
    assert lat == pytest.approx(51.561727, abs=2e-6)
    assert feature["properties"]["offence_type"] == "burglary"


def test_bbox_filter_filters(api, users, camden_and_islington_crimes):
    client = api(users["analyst"])
    near = client.get(reverse("api-crimes"), {"in_bbox": "-0.1470,51.5610,-0.1450,51.5625"}).json()
    assert [f["properties"]["reference"][:8] for f in near["features"]] == ["bee7cc5e"]
    far = client.get(reverse("api-crimes"), {"in_bbox": "-1.6,55.0,-1.5,55.1"}).json()
    assert far["count"] == 0


@pytest.mark.parametrize("bbox", ["-179,-89,179,89", "-90,45,90,70", "-10,49,3,62"])
def test_a_box_reaching_past_the_projections_area_is_clipped_not_emptied(api, users, bbox,
                                                                        camden_and_islington_crimes):
    """Issue 15, item 13: the whole world used to give 0 crimes where half of it gave all."""
    client = api(users["analyst"])
    everything = client.get(reverse("api-crimes")).json()["count"]
    assert everything > 0
    assert client.get(reverse("api-crimes"), {"in_bbox": bbox}).json()["count"] == everything


def test_a_box_wholly_outside_the_projections_area_matches_nothing(api, users,
                                                                   camden_and_islington_crimes):
    response = api(users["analyst"]).get(reverse("api-crimes"), {"in_bbox": "100,-40,120,-20"})
    assert (response.status_code, response.json()["count"]) == (200, 0)


@pytest.mark.parametrize("bbox", ["a,b,c,d", "1,2,3", "10,10,5,5", "-200,0,0,1"])
def test_bad_bbox_is_400(api, users, bbox):
    response = api(users["analyst"]).get(reverse("api-crimes"), {"in_bbox": bbox})
    assert response.status_code == 400
    assert "in_bbox" in response.json()["detail"]


def test_crime_list_query_count_does_not_grow_with_rows(api, users, areas,
                                                        django_assert_max_num_queries):
    crime_import_paths(paths=[FIXTURES / "policeuk" / "2024-03-metropolitan-street.csv",
                              FIXTURES / "policeuk" / "2024-04-metropolitan-street.csv"],
                       format="police_uk", source="police.uk")
    client = api(users["analyst"])
    client.get(reverse("api-crimes"))  # warm the session and permission caches
    # Session, user, second-factor device, permissions, count, page, (savepoint): constant.
    with django_assert_max_num_queries(7):
        body = client.get(reverse("api-crimes")).json()
    assert body["count"] == 10


def test_offence_type_filter(api, users, camden_and_islington_crimes):
    client = api(users["analyst"])
    assert client.get(reverse("api-crimes"), {"offence_type": "burglary"}).json()["count"] == 6
    assert client.get(reverse("api-crimes"), {"offence_type": "robbery"}).json()["count"] == 0


def test_token_authentication(client, users):
    # An officer has no second factor: the password gives a token.
    response = client.post(reverse("api-token"),
                           {"username": "officer", "password": "pw-for-tests-only"})
    token = response.json()["token"]
    me = client.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token}").json()
    assert (me["username"], me["role"]) == ("officer", "officer")


def test_import_upload_refused_for_supervisor_and_nothing_stored(api, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("x.csv", (FIXTURES / "policeuk" /
                                          "2024-03-metropolitan-street.csv").read_bytes())
    response = api(users["supervisor"]).post(reverse("api-imports"), {"file": upload})
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0


def test_page_size_is_capped(api, users, camden_and_islington_crimes, monkeypatch):
    from core.geo import GeoPagination

    body = api(users["analyst"]).get(reverse("api-crimes"), {"page_size": 1}).json()
    assert (body["count"], len(body["features"])) == (6, 1)
    assert body["next"].endswith("page=2&page_size=1")
    # A client asking for more than the cap gets the cap (10,000 in production).
    monkeypatch.setattr(GeoPagination, "max_page_size", 4)
    body = api(users["analyst"]).get(reverse("api-crimes"), {"page_size": 1_000_000}).json()
    assert (body["count"], len(body["features"])) == (6, 4)


def test_asb_can_be_left_in_or_out(api, users, areas):
    crime_import_paths(paths=[FIXTURES / "policeuk" / "2024-03-metropolitan-street.csv",
                              FIXTURES / "policeuk" / "2022-01-northumbria-asb.csv"],
                       format="police_uk", source="police.uk")
    client = api(users["analyst"])
    assert client.get(reverse("api-crimes")).json()["count"] == 11
    assert client.get(reverse("api-crimes"), {"category": "crime"}).json()["count"] == 6
    assert client.get(reverse("api-crimes"), {"category": "asb"}).json()["count"] == 5
    assert client.get(reverse("api-crimes"), {"category": "other"}).status_code == 400
