"""GPS ping batches: checked as arrays, stored once per (device, time), refusals explained."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from patrols import services
from patrols.services import TrackingInputError, pings_ingest, pings_purge

from .conftest import T0, ping, track


def stored() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM patrols_gpsping")
        return int(cur.fetchone()[0])


def post(client, token, body, content_type="application/json"):
    return client.post(reverse("api-pings"), data=body, content_type=content_type,
                       HTTP_AUTHORIZATION=f"Device {token}")


def test_a_batch_is_stored_once_however_often_it_is_sent(client, device):
    now = timezone.now()
    batch = {"pings": track(now - timedelta(minutes=2), 60, 5, 527400, 184300)}
    first = post(client, device.token, batch)
    assert first.status_code == 200, first.content
    assert first.json() == {"received": 13, "accepted": 13, "duplicates": 0, "rejected": 0,
                            "rejections": []}
    again = post(client, device.token, batch)
    assert again.json()["accepted"] == 0 and again.json()["duplicates"] == 13
    assert stored() == 13


def test_bad_pings_are_refused_with_reasons_and_the_good_ones_kept(device):
    now = T0 + timedelta(days=1)
    good = ping(now - timedelta(minutes=30), 527400, 184300)
    pings = [
        good,
        {**ping(now - timedelta(minutes=29), 527400, 184300), "lat": 91},
        {**ping(now - timedelta(minutes=28), 527400, 184300), "lon": "NaN"},
        ping(now + timedelta(days=1), 527400, 184300),              # a day ahead
        ping(now + timedelta(minutes=10), 527400, 184300),          # clock 10 min fast
        ping(now - timedelta(minutes=10), 527410, 184300),          # clock 10 min slow: late
        ping(now - timedelta(minutes=27), 527400, 184300, 500.0),   # accuracy 500 m
        {**ping(now - timedelta(minutes=26), 527400, 184300), "t": "2026-11-21T09:34:00"},
        {**ping(now - timedelta(minutes=25), 527400, 184300), "lat": 0, "lon": 0},
        ping(now - timedelta(minutes=29, seconds=50), 537400, 184300),  # 10 km in 10 s
        good,                                                          # twice in one batch
        ping(now - timedelta(days=91), 527400, 184300),             # past retention
    ]
    result = pings_ingest(device=device, pings=pings, now=now)
    assert result.accepted == 2 and result.duplicates == 1  # the same time twice
    assert result.rejected == [
        {"index": 1, "reason": "latitude or longitude out of range"},
        {"index": 2, "reason": "latitude or longitude missing or not a number"},
        {"index": 3, "reason": "time is in the future: check the device clock"},
        {"index": 4, "reason": "time is in the future: check the device clock"},
        {"index": 6, "reason": "accuracy worse than 100 m"},
        {"index": 7, "reason": "no time, or a time without its UTC offset"},
        {"index": 8, "reason": "0,0 is a device with no fix"},
        {"index": 9, "reason": "implausible speed (997 m/s from the ping before)"},
        {"index": 11, "reason": "older than the 90-day retention period"},
    ]
    assert stored() == 2


def test_pings_spread_over_days_go_to_their_partitions(device):
    now = T0 + timedelta(days=2)
    result = pings_ingest(device=device, pings=[ping(T0, 527400, 184300),
                                                 ping(T0 + timedelta(days=1), 527400, 184300)],
                          now=now)
    assert result.accepted == 2
    names = [n for n, _ in services.ping_partitions()]
    assert names == ["patrols_gpsping_p20261120", "patrols_gpsping_p20261121"]
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM patrols_gpsping_p20261121")
        assert cur.fetchone()[0] == 1


def test_csv_batches(client, device):
    now = timezone.now()
    rows = track(now - timedelta(minutes=1), 20, 10, 527400, 184300)
    text = "t,lat,lon,accuracy\n" + "".join(
        f"{r['t']},{r['lat']},{r['lon']},{r['accuracy']}\n" for r in rows)
    response = post(client, device.token, text, content_type="text/csv")
    assert response.status_code == 200 and response.json()["accepted"] == 3
    bad = post(client, device.token, "when,where\n1,2\n", content_type="text/csv")
    assert bad.status_code == 400
    assert bad.json()["detail"] == "the CSV needs the columns t, lat, lon (and accuracy)"
    assert stored() == 3


def test_a_batch_over_the_limit_is_413_and_nothing_is_stored(client, device, settings):
    settings.PING_MAX_BATCH = 50
    now = timezone.now()
    batch = {"pings": track(now - timedelta(minutes=10), 300, 5, 527400, 184300)}
    response = post(client, device.token, batch)
    assert response.status_code == 413
    assert response.json()["detail"].startswith("at most 50 pings per request; this one has 61")
    assert stored() == 0


def test_a_million_pings_are_refused_before_being_read(client, device):
    one = json.dumps(ping(timezone.now(), 527400, 184300))
    body = '{"pings": [' + ",".join([one] * 1_000_000) + "]}"
    response = post(client, device.token, body)
    assert response.status_code == 413
    assert stored() == 0


@pytest.mark.parametrize(("header", "code", "detail"), [
    (None, 401, "Authentication credentials were not provided."),
    ("Device not-a-token", 401, "unknown device token"),
    ("Token abc", 401, "Authentication credentials were not provided."),
])
def test_unauthenticated_batches_are_refused(client, device, header, code, detail):
    kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post(reverse("api-pings"), data={"pings": [ping(
        timezone.now(), 527400, 184300)]}, content_type="application/json", **kwargs)
    assert response.status_code == code and response.json()["detail"] == detail
    assert stored() == 0


def test_a_disabled_device_is_refused(client, device, users):
    services.device_set_active(device=device, active=False, actor=users["supervisor"])
    response = post(client, device.token, {"pings": [ping(timezone.now(), 527400, 184300)]})
    assert response.status_code == 403
    assert response.json()["detail"] == "this device is disabled; its pings are not accepted"
    assert stored() == 0


def test_not_json_is_a_clear_400(client, device):
    response = post(client, device.token, "{pings: oops")
    assert response.status_code == 400 and response.json()["detail"] == "the body is not JSON"
    with pytest.raises(TrackingInputError, match="send"):
        services.pings_parse_json(b'{"points": []}')


def test_expired_partitions_are_dropped_and_the_purge_is_audited(device):
    now = T0 + timedelta(days=100)
    pings_ingest(device=device, pings=track(T0, 20, 5, 527400, 184300), now=T0)
    pings_ingest(device=device, pings=track(now - timedelta(days=1), 10, 5, 527400, 184300),
                 now=now)
    dropped = pings_purge(now=now)
    assert dropped == {"patrols_gpsping_p20261120": 5}
    assert stored() == 3
    event = AuditEvent.objects.get(action="pings.purge")
    assert event.detail["pings"] == 5 and event.detail["retention_days"] == 90
    assert pings_purge(now=now) == {}
