"""Personal data is never cached (issue 15, item 12), and the schema says what the API really
answers (item 14)."""

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from tests.security.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users, areas):
    return build_world(users, areas)


@pytest.mark.parametrize(("who", "route", "kind", "place"), [
    ("supervisor", "api-device-track", "device", "camden"),
    ("supervisor", "api-visits", None, None),
    ("officer", "api-visits", None, None),
    ("officer", "patrol", None, None),
    ("supervisor", "api-export-download", "export", "supervisor"),
    ("supervisor", "export-download", "export", "supervisor"),
    ("supervisor", "api-exports", None, None),
    ("auditor", "api-audit", None, None),
    ("auditor", "audit", None, None),
    ("supervisor", "live", None, None),
])
def test_personal_data_is_never_stored_by_a_cache(api, users, world, who, route, kind, place):
    kwargs = {"pk": world.ids[kind][place]} if kind else {}
    response = api(users[who]).get(reverse(route, kwargs=kwargs))
    assert response.status_code == 200, response.content[:200]
    assert response["Cache-Control"] == "no-store, private"


def test_even_a_refusal_from_the_api_is_not_stored(client):
    response = client.get(reverse("api-visits"))
    assert response.status_code == 401 and response["Cache-Control"] == "no-store, private"


def test_the_service_worker_keeps_its_own_caching(client):
    response = client.get(reverse("patrol-sw"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    out = tmp_path_factory.mktemp("schema") / "schema.yml"
    call_command("spectacular", "--file", str(out))
    return yaml.safe_load(out.read_text())


def test_fields_that_can_be_null_say_so(schema):
    parts = schema["components"]["schemas"]
    assert parts["ProblemSolvingOutput"]["properties"]["updated_at"]["nullable"] is True
    assert parts["ImportJobOutput"]["properties"]["created_by"]["nullable"] is True


def test_the_cell_layer_documents_geojson_by_its_media_type(schema, api, users, world):
    answers = schema["paths"]["/api/v1/hotspot-runs/{id}/cells.geojson"]["get"]["responses"]
    assert set(answers["200"]["content"]) == {"application/geo+json", "application/json"}


def test_an_import_from_the_command_line_answers_with_a_null_creator(api, users, world):
    from hotspots.models import ImportJob

    job = ImportJob.objects.create(created_by=None, format="police_uk", source="police.uk",
                                   original_name="cli.csv", status="done")
    row = api(users["analyst"]).get(reverse("api-import", args=[job.pk])).json()
    assert row["created_by"] is None
