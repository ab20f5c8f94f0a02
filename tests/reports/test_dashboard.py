"""The dashboard's figures and charts."""

import json
import uuid
from datetime import timedelta

from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils import timezone

from hotspots.models import Crime, OffenceType
from patrols.models import Visit
from tests.conftest import CAMDEN
from tests.tasking.conftest import make_hotspot  # noqa: F401  (fixture)


def _data(page) -> dict:
    html = page.content.decode()
    start = html.index('<script id="dashboard-data" type="application/json">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(body)


def _fill(users, make_hotspot):  # noqa: F811
    spot = make_hotspot([1.0] * 168)
    c = spot.geom.centroid
    burglary = OffenceType.objects.get(code="burglary")
    now = timezone.now()
    for i in range(3):
        when = now - timedelta(days=2 + i * 7)
        Crime.objects.create(source="t", reference=f"d{i}", offence_type=burglary,
                             occurred_from=when, occurred_to=when,
                             location=Point(c.x, c.y, srid=27700))
    Visit.objects.create(id=uuid.uuid4(), officer=users["officer"], hotspot=spot,
                         started_at=now - timedelta(days=1),
                         ended_at=now - timedelta(days=1) + timedelta(minutes=30),
                         activities=["foot"], body_hash="z")
    return spot


def test_dashboard_figures(api, users, areas, make_hotspot):  # noqa: F811
    spot = _fill(users, make_hotspot)
    page = api(users["supervisor"]).get(reverse("dashboard"), {
        "area": areas[CAMDEN].pk, "weeks": "4"})
    assert page.status_code == 200
    data = _data(page)
    assert len(data["weeks"]) == 4 and sum(data["crimes"]) == 3
    assert data["crimes"][-1] == 1 and data["hours"][-1] == 0.5
    assert sum(data["harm"]) == 3 * OffenceType.objects.get(code="burglary").harm_weight
    one = _data(api(users["supervisor"]).get(reverse("dashboard"), {
        "area": areas[CAMDEN].pk, "weeks": "4", "hotspot": spot.pk}))
    assert sum(one["crimes"]) == 3
    bad = api(users["supervisor"]).get(reverse("dashboard"), {"area": areas[CAMDEN].pk,
                                                              "weeks": "500"})
    assert bad.status_code == 400 and b"weeks is 1 to 104" in bad.content
    assert api(users["officer"]).get(reverse("dashboard")).status_code == 403
