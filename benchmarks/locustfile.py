"""The force at work for the load scenario (bench_load.py starts it; issue 7, "Load").

40 officers log visits from their phones, 15 supervisors watch the shift's map, 200 GPS
devices send a ping every 5 s, and 5 analysts export and download. Credentials and ids come
from the JSON file in LOAD_DATA, written by bench_load.py. Each locust process writes the
pings its devices sent to LOAD_PINGS_OUT, so that they can be counted against the database.
"""

import itertools
import json
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from locust import HttpUser, between, constant_pacing, events, task

DATA = json.loads(open(os.environ["LOAD_DATA"]).read())  # noqa: SIM115
# LOAD_QUIET=1: one user of each kind, for the unloaded baseline run beside the real one.
QUIET = os.environ.get("LOAD_QUIET") == "1"


def count(n: int) -> int:
    return 1 if QUIET else n
_next = {kind: itertools.count() for kind in ("officers", "supervisors", "devices", "analysts")}
SENT: dict[str, int] = {}  # device token -> pings the server confirmed
PENDING: dict[str, int] = {}  # device token -> pings still in its outbox at the end


def take(kind: str) -> dict:
    return DATA[kind][next(_next[kind]) % len(DATA[kind])]


class Officer(HttpUser):
    """Refreshes their tasks, walks to a hot spot, logs the visit (about every 30 s)."""

    fixed_count = count(40)
    wait_time = between(20, 40)

    def on_start(self) -> None:
        me = take("officers")
        self.headers = {"Authorization": f"Token {me['token']}"}
        self.spots = DATA["hotspots"]

    @task
    def log_a_visit(self) -> None:
        self.client.get("/api/v1/my-tasks/", headers=self.headers, name="officer: my tasks")
        spot = random.choice(self.spots)
        now = datetime.now(UTC)
        body = {"id": str(uuid.uuid4()), "hotspot": spot["id"],
                "started_at": (now - timedelta(minutes=15)).isoformat(),
                "ended_at": now.isoformat(),
                "start": {"lat": spot["lat"], "lon": spot["lon"], "accuracy": 8},
                "end": {"lat": spot["lat"], "lon": spot["lon"], "accuracy": 8},
                "activities": ["foot"], "notes": "Quiet; spoke to two residents."}
        self.client.post("/api/v1/visits/", json=body, headers=self.headers,
                         name="officer: log visit")


class Supervisor(HttpUser):
    """Keeps the shift's map open: its data every 5 to 15 s, the page now and then."""

    fixed_count = count(15)
    wait_time = between(5, 15)

    def on_start(self) -> None:
        me = take("supervisors")
        self.client.cookies.set("sessionid", me["session"])
        self.plan, self.shift = me["plan"], me["shift"]

    @task(5)
    def map_data(self) -> None:
        self.client.get(f"/api/v1/plans/{self.plan}/map/?shift={self.shift}",
                        name="supervisor: map data")

    @task(1)
    def plan_page(self) -> None:
        self.client.get(f"/tasking/plans/{self.plan}/", name="supervisor: plan page")


class Device(HttpUser):
    """A radio's GPS: one ping every 5 s. A batch that fails is kept and sent again with
    the next one, as the device firmware does, so nothing it measured is dropped."""

    fixed_count = count(200)
    wait_time = constant_pacing(5)

    def on_start(self) -> None:
        me = take("devices")
        self.token, self.lat, self.lon = me["token"], me["lat"], me["lon"]
        self.headers = {"Authorization": f"Device {me['token']}"}
        self.outbox: list[dict] = []
        SENT.setdefault(self.token, 0)

    @task
    def ping(self) -> None:
        self.lat += random.uniform(-0.00005, 0.00005)
        self.lon += random.uniform(-0.00005, 0.00005)
        t = datetime.now(UTC).replace(microsecond=0)
        self.outbox.append({"t": t.isoformat(), "lat": self.lat, "lon": self.lon,
                            "accuracy": 6})
        with self.client.post("/api/v1/gps/pings/", json={"pings": self.outbox},
                              headers=self.headers, name="device: pings",
                              catch_response=True) as response:
            if response.status_code == 200:
                SENT[self.token] += len(self.outbox)
                self.outbox = []
                response.success()
            else:
                response.failure(f"{response.status_code}")
            PENDING[self.token] = len(self.outbox)


class Analyst(HttpUser):
    """Asks for a visits export now and then, waits for it, downloads it."""

    fixed_count = count(5)
    wait_time = between(30, 90)

    def on_start(self) -> None:
        me = take("analysts")
        self.headers = {"Authorization": f"Token {me['token']}"}

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/api/v1/dosage/", headers=self.headers, name="analyst: dosage")

    @task(1)
    def export(self) -> None:
        now = datetime.now(UTC)
        made = self.client.post("/api/v1/exports/", headers=self.headers, json={
            "kind": "visits", "format": "csv", "start": (now - timedelta(days=7)).isoformat(),
            "end": now.isoformat(), "recipient": "Load test", "purpose": "Load scenario"},
            name="analyst: export")
        if made.status_code != 202:
            return
        job = made.json()["id"]
        for _ in range(60):
            time.sleep(2)
            state = self.client.get(f"/api/v1/exports/{job}/", headers=self.headers,
                                    name="analyst: export status").json()
            if state["status"] in ("done", "failed"):
                break
        if state["status"] == "done":
            self.client.get(f"/api/v1/exports/{job}/download/", headers=self.headers,
                            name="analyst: download")


@events.quitting.add_listener
def _write_sent(environment, **kwargs) -> None:
    out = os.environ.get("LOAD_PINGS_OUT")
    if out:
        with open(out, "w") as f:
            json.dump({"sent": SENT, "pending": PENDING}, f)
