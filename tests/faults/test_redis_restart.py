"""Redis restarted while devices send GPS pings: no ping is lost or stored twice, and the
pages that use the cache keep answering (issue 7, "Faults").

The web server and a Redis of its own run as real processes; this Redis keeps nothing on
disk, as on these machines, so its restart also empties the queue and the cache."""

import json
import signal
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from patrols.models import GpsPing
from patrols.services import device_create, ping_partitions_ensure, presence_update
from tests.faults.procs import BIN, child_env, free_port, port_open, process, wait_for
from tests.patrols.conftest import lonlat
from tests.tasking.conftest import INSIDE

pytestmark = pytest.mark.django_db(transaction=True)
BATCHES, PER_BATCH, DEVICES = 40, 25, 2


def redis(port: int, log):
    return process(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no"], log, child_env())


def _post(url: str, token: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310
        "Authorization": f"Device {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, ConnectionError):
        return 0


def test_redis_restart_during_ingestion_loses_no_ping(areas, users, tmp_path):
    from accounts.models import Team

    camden = areas["E09000007"]
    team = Team.objects.get(name="Camden Town SNT")
    start = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)
    ping_partitions_ensure(days=[start.date(), timezone.now().date()])
    tokens = [device_create(name=f"radio {i}", kind="radio", area=camden, actor=users["admin"],
                            team=team)[1] for i in range(DEVICES)]
    redis_port, web_port = free_port(), free_port()
    env = child_env(TEST_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0")
    url = f"http://127.0.0.1:{web_port}/api/v1/gps/pings/"
    x, y = INSIDE["E09000007"]
    sent: list[tuple[int, object]] = []
    statuses: list[int] = []
    restarted = threading.Event()

    def send_all() -> None:
        for b in range(BATCHES):
            for d, token in enumerate(tokens):
                pings = []
                for i in range(PER_BATCH):
                    t = start + timedelta(seconds=5 * (b * PER_BATCH + i))
                    lon, lat = lonlat(x + d * 10, y + i)
                    pings.append({"t": t.isoformat(), "lat": lat, "lon": lon, "accuracy": 8})
                body = json.dumps({"pings": pings}).encode()
                status = _post(url, token, body)
                while status != 200:  # the phone keeps the batch and sends it again
                    statuses.append(status)
                    time.sleep(0.2)
                    status = _post(url, token, body)
                statuses.append(status)
                sent.extend((d, p["t"]) for p in pings)
            if b == 5:
                restarted.wait(timeout=60)

    redis_one = redis(redis_port, tmp_path / "redis-1.log")
    server = redis_one.__enter__()
    try:
        wait_for(lambda: port_open(redis_port), 10, "Redis to start")
        web = process([str(BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{web_port}",
                       "-w", "2", "--timeout", "60"], tmp_path / "web.log", env)
        with web:
            wait_for(lambda: port_open(web_port), 30, "the web server to start")
            sender = threading.Thread(target=send_all)
            sender.start()
            wait_for(lambda: len(statuses) >= 4, 60, "the first batches")
            server.send_signal(signal.SIGKILL)  # Redis dies: queue and cache gone
            server.wait(timeout=10)
            redis_one.__exit__(None, None, None)
            wait_for(lambda: len(statuses) >= 8, 60, "batches while Redis is down")
            redis_two = redis(redis_port, tmp_path / "redis-2.log")
            redis_two.__enter__()
            wait_for(lambda: port_open(redis_port), 10, "Redis to start again")
            restarted.set()
            sender.join(timeout=300)
            assert not sender.is_alive()
            redis_two.__exit__(None, None, None)
    finally:
        if server.poll() is None:
            redis_one.__exit__(None, None, None)

    # Every batch was taken first time: ingestion never waits on Redis.
    assert statuses == [200] * (BATCHES * DEVICES)
    assert len(sent) == BATCHES * PER_BATCH * DEVICES == 2_000
    stored = GpsPing.objects.filter(recorded_at__gte=start)
    assert stored.count() == 2_000
    assert stored.values("device_id", "recorded_at").distinct().count() == 2_000
    # Presence works from the stored pings by its own watermark, not from queued messages,
    # so the queue Redis lost held nothing it needs.
    run = presence_update(until=datetime.now(UTC) + timedelta(minutes=5))
    assert run.devices == DEVICES
