"""The funding return and the dashboard take patrol hours from dosage's total, in which each
person's minute counts once (issue 16, part 5): not from a sum over hot spots, which counted
a minute in two hot spots' reach twice and a device with no holder as one more person.
Hours at hot spots not approved are given apart."""

import uuid
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from patrols.models import Visit
from patrols.services import device_create, pings_ingest, presence_update
from tests.conftest import CAMDEN
from tests.patrols.conftest import X0, Y0, pc_with_radio, square, stay
from tests.reports.test_dashboard import _data
from tests.tasking.conftest import make_hotspot, teams  # noqa: F401  (fixtures)


def patrol(users, teams, areas, make_hotspot, start):  # noqa: F811
    """From `start`: 30 minutes by a PC whose radio is in the strip where two approved hot
    spots' tolerance zones overlap (nearer A), with a van of the PC's team and no holder
    beside A; then a 30-minute check-in at a candidate hot spot."""
    a = square(make_hotspot([1.0] * 168), X0, Y0)
    square(make_hotspot([1.0] * 168), X0 + 180, Y0)
    c = square(make_hotspot([1.0] * 168, status="candidate"), X0 + 900, Y0)
    officer, radio = pc_with_radio(users, teams["ct"], areas)
    van, _ = device_create(name="Van 3", kind="vehicle", area=areas[CAMDEN], team=teams["ct"],
                           actor=None)
    end = start + timedelta(minutes=30)
    now = start + timedelta(hours=2)
    pings_ingest(device=radio, now=now, pings=stay(start, end, X0 + 158, Y0 + 75))
    pings_ingest(device=van, now=now, pings=stay(start, end, X0 + 75, Y0 + 75))
    presence_update()
    Visit.objects.create(id=uuid.uuid4(), officer=officer, hotspot=c,
                         started_at=start + timedelta(hours=1),
                         ended_at=start + timedelta(hours=1, minutes=30), body_hash="c")
    return a, c


def test_the_funding_return_counts_each_minute_once(api, users, teams, areas,  # noqa: F811
                                                    make_hotspot):  # noqa: F811
    from datetime import UTC, datetime

    patrol(users, teams, areas, make_hotspot, datetime(2026, 11, 20, 10, tzinfo=UTC))
    response = api(users["analyst"]).get(reverse("funding-return"), {
        "area": areas[CAMDEN].pk, "from": "2026-11", "to": "2026-11", "format": "csv"})
    assert response.status_code == 200
    # 30 minutes at A: half an hour, not an hour for each hot spot's reach and another for
    # the van. The check-in at the candidate hot spot: half an hour, apart (and not a visit
    # to a hot spot the return counts).
    # The last column, staff trained, is blank: no learning module exists here.
    assert response.content.decode().splitlines()[2:] == ["2026-11,0.5,0.5,0,0,0,0,0,"]


def test_the_dashboard_charts_hours_counted_once(api, users, teams, areas,  # noqa: F811
                                                 make_hotspot):  # noqa: F811
    start = (timezone.now() - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    patrol(users, teams, areas, make_hotspot, start)
    data = _data(api(users["supervisor"]).get(reverse("dashboard"), {
        "area": areas[CAMDEN].pk, "weeks": "4"}))
    assert (data["hours"], data["hours_not_approved"]) == ([0.0, 0.0, 0.0, 0.5],
                                                           [0.0, 0.0, 0.0, 0.5])
    assert (data["hours_sum"], data["hours_not_approved_sum"]) == (0.5, 0.5)
    # Delivered against planned, by team: the half hour at the approved hot spot.
    assert (data["teams"], data["team_delivered"]) == (["Camden Town SNT"], [0.5])
