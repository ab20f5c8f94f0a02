"""Tracking figures, each beside a peer measured in the same run:

1. GPS ingest through the batch API against gunicorn (the Procfile's 3 workers): 4 client
   threads posting 5,000-ping JSON batches, against the same pings inserted one statement
   per ping (psycopg executemany), the obvious first implementation.
2. Presence for one day of 500 devices pinging every 5 s (8,640,000 pings) against 300 hot
   spots, set-based in PostGIS, against a per-ping Python loop over a sample of devices,
   scaled up.
3. Visit check-in latency with 50 concurrent officers (each checking in once a second,
   far above a real force's rate), and the closed-loop most the server can take.

Prints one JSON line. Uses DATABASE_URL (make bench: hotspots_bench).
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.gis.geos import Point, Polygon  # noqa: E402
from django.db import connection  # noqa: E402

from accounts import roles  # noqa: E402
from accounts.models import Area, Team, User  # noqa: E402
from accounts.tokens import token_issue  # noqa: E402
from benchmarks.areas import fresh_area  # noqa: E402
from hotspots.models import Hotspot  # noqa: E402
from patrols.models import Device, Presence, PresenceRun, Visit  # noqa: E402
from patrols.services import device_create, ping_partitions_ensure, presence_update  # noqa: E402

PORT = int(os.environ.get("BENCH_PORT", "8766"))
DAY = date(2026, 11, 24)
X0, Y0 = 420000, 420000  # an empty part of the grid, away from other benchmarks
SPOTS = 300
DEVICES = 500


def reset() -> tuple[Area, list[Hotspot], Team]:
    with connection.cursor() as cur:
        cur.execute("TRUNCATE patrols_gpsping, patrols_presence, patrols_presencerun, "
                    "patrols_visit CASCADE")
        cur.execute("DELETE FROM patrols_device")
    area, run = fresh_area(code="BTRK", name="Bench tracking", x0=X0, y0=Y0, size=20000)
    spots = [Hotspot(run_area=area, area=area, key=f"b:{i}",
                     geom=Polygon.from_bbox((X0 + 500 + (i % 20) * 900, Y0 + 500 + (i // 20) * 900,
                                             X0 + 650 + (i % 20) * 900,
                                             Y0 + 650 + (i // 20) * 900)),
                     status="approved", first_run=run, last_selected_run=run,
                     profile=[1.0] * 168, stats={}) for i in range(SPOTS)]
    Hotspot.objects.bulk_create(spots)
    team = Team.objects.create(name="Bench response", area=area)
    return area, list(Hotspot.objects.filter(run_area=area).order_by("id")), team


def start_server() -> "subprocess.Popen[bytes]":

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--bind",
         f"127.0.0.1:{PORT}", "--workers", "3", "--timeout", "120"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            c.request("GET", "/login/")
            c.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def lonlat_grid(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 of grid points (few distinct ones here, so GEOS point by point is fine)."""
    seen: dict[tuple[float, float], tuple[float, float]] = {}
    lon, lat = np.empty(len(xs)), np.empty(len(xs))
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        key = (float(x), float(y))
        if key not in seen:
            p = Point(key[0], key[1], srid=settings.HOTSPOTS_SRID)
            p.transform(4326)
            seen[key] = (p.x, p.y)
        lon[i], lat[i] = seen[key]
    return lon, lat


def ingest(area: Area, team: Team) -> dict:
    """4 threads x 6 batches x 5,000 pings through the API; the peer inserts 30,000 pings
    one statement each."""
    tokens = []
    for n in range(24):
        _, token = device_create(name=f"ingest {n}", kind="radio", area=area, team=team,
                                 actor=None)
        tokens.append(token)
    now = datetime.now(UTC).replace(microsecond=0)
    ping_partitions_ensure(days=[(now - timedelta(hours=2)).date(), now.date()])
    t = np.arange(5000)
    xs = X0 + 1000 + np.abs((t % 200) - 100) * 1.5  # walking up and down a street
    lon, lat = lonlat_grid(xs, np.full(5000, Y0 + 1000.0))
    bodies = []
    for n in range(24):
        start = now - timedelta(seconds=5000 + n)
        bodies.append(json.dumps({"pings": [
            {"t": (start + timedelta(seconds=int(i))).isoformat(), "lat": float(lat[i]),
             "lon": float(lon[i]), "accuracy": 8.0} for i in range(5000)]}).encode())
    proc = start_server()
    accepted = [0]
    lock = threading.Lock()
    errors = [0]
    first_error: list[str] = []

    def worker(k: int) -> None:
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        for j in range(6):
            n = k * 6 + j
            c.request("POST", "/api/v1/gps/pings/", body=bodies[n],
                      headers={"Content-Type": "application/json",
                               "Authorization": f"Device {tokens[n]}"})
            r = c.getresponse()
            data = r.read()
            with lock:
                if r.status == 200:
                    accepted[0] += json.loads(data)["accepted"]
                else:
                    errors[0] += 1
                    first_error.append(f"{r.status} {data[:300]!r}")

    try:
        started = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        api_s = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    # The peer: one INSERT per ping, in one transaction, from this process.
    device = Device.objects.filter(name="ingest 0").get()
    rows = [(device.pk, now - timedelta(days=1, seconds=int(i)), float(lon[i % 5000]),
             float(lat[i % 5000])) for i in range(30000)]
    ping_partitions_ensure(days=[(now - timedelta(days=1, seconds=30000)).date(),
                                 (now - timedelta(days=1)).date()])
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO patrols_gpsping (device_id, recorded_at, geom, accuracy_m) VALUES "
            "(%s, %s, ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 27700), 8) "
            "ON CONFLICT DO NOTHING", rows)
    peer_s = time.perf_counter() - started
    return {"pings": accepted[0], "seconds": api_s, "per_s": accepted[0] / api_s,
            "errors": errors[0], "first_error": first_error[:1], "peer_pings": 30000, "peer_seconds": peer_s,
            "peer_per_s": 30000 / peer_s}


def day_of_pings(area: Area, spots: list[Hotspot], team: Team) -> int:
    """500 devices, every 5 s for a day: each spends 15 minutes of each hour at a hot spot
    (its own sequence) and the rest walking 1 km away. Generated inside PostgreSQL."""
    devices = []
    for n in range(DEVICES):
        d, _ = device_create(name=f"day {n}", kind="radio", area=area, team=team, actor=None)
        devices.append(d.pk)
    ping_partitions_ensure(days=[DAY])
    centres = [(s.geom.centroid.x, s.geom.centroid.y) for s in spots]
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_centre")
        cur.execute("CREATE TEMP TABLE bench_centre (i int, x float8, y float8)")
        with cur.copy("COPY bench_centre FROM STDIN") as copy:
            for i, (x, y) in enumerate(centres):
                copy.write_row((i, x, y))
        cur.execute(
            """
            INSERT INTO patrols_gpsping (device_id, recorded_at, received_at, geom, accuracy_m)
            SELECT d.id, %s::timestamptz + make_interval(secs => s),
                   %s::timestamptz + make_interval(secs => s),
                   ST_SetSRID(ST_MakePoint(
                       c.x + CASE WHEN s %% 3600 < 900 THEN 0 ELSE 1000 END
                           + (random() - 0.5) * 20,
                       c.y + (random() - 0.5) * 20), %s), 8
            FROM unnest(%s::bigint[]) WITH ORDINALITY AS d(id, n)
            CROSS JOIN generate_series(0, 86395, 5) AS s
            JOIN bench_centre c ON c.i = ((d.n * 7 + (s / 3600) * 13) %% %s)
            """, [datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC),
                  datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC), settings.HOTSPOTS_SRID,
                  devices, SPOTS])
    # Steady state before timing: the day's partition vacuumed and analysed, as autovacuum
    # would leave it (otherwise autovacuum competes with the measurement for the 2 cores).
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) patrols_gpsping")
        cur.execute("SELECT count(*) FROM patrols_gpsping WHERE recorded_at >= %s "
                    "AND recorded_at < %s", [datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC),
                                             datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
                                             + timedelta(days=1)])
        return int(cur.fetchone()[0])


def naive_presence(device_ids: list[int], spots: list[Hotspot]) -> tuple[float, int]:
    """The peer: read each device's pings, test each against every hot spot in Python."""
    boxes = [(s.geom.extent, s.pk) for s in spots]
    tol = settings.PRESENCE_TOLERANCE_M
    started = time.perf_counter()
    stays = 0
    with connection.cursor() as cur:
        for device_id in device_ids:
            cur.execute("SELECT recorded_at, ST_X(geom), ST_Y(geom) FROM patrols_gpsping "
                        "WHERE device_id = %s ORDER BY recorded_at", [device_id])
            current, last_t = None, None
            for t, x, y in cur.fetchall():
                inside = None
                for (x0, y0, x1, y1), pk in boxes:
                    if x0 - tol <= x <= x1 + tol and y0 - tol <= y <= y1 + tol:
                        inside = pk
                        break
                if inside is not None and (inside != current or last_t is None
                                           or (t - last_t).total_seconds() > 180):
                    stays += 1
                current, last_t = (inside, t) if inside is not None else (current, last_t)
    return time.perf_counter() - started, stays


def checkins(area: Area, spots: list[Hotspot], team: Team) -> dict:
    roles.roles_sync()
    officers = []
    for n in range(50):
        user, _ = User.objects.update_or_create(username=f"bench-pc-{n}",
                                                defaults={"area": area, "team": team})
        user.groups.set([Group.objects.get(name=roles.OFFICER)])
        officers.append(token_issue(user=user)[1])
    centre = spots[0].geom.centroid
    p = Point(centre.x, centre.y, srid=settings.HOTSPOTS_SRID)
    p.transform(4326)
    proc = start_server()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def body() -> bytes:
        now = datetime.now(UTC)
        return json.dumps({"id": str(uuid.uuid4()), "hotspot": spots[0].pk,
                           "started_at": (now - timedelta(minutes=15)).isoformat(),
                           "ended_at": now.isoformat(),
                           "start": {"lat": p.y, "lon": p.x, "accuracy": 8},
                           "end": {"lat": p.y, "lon": p.x, "accuracy": 8},
                           "activities": ["foot"], "notes": ""}).encode()

    def officer(token: str, seconds: float, period: float, phase: float) -> None:
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        # Officers are not synchronised: each starts at its own moment within the period.
        time.sleep(phase)
        end = time.monotonic() + seconds
        nxt = time.monotonic()
        while time.monotonic() < end:
            started = time.perf_counter()
            c.request("POST", "/api/v1/visits/", body=body(),
                      headers={"Content-Type": "application/json",
                               "Authorization": f"Token {token}"})
            r = c.getresponse()
            r.read()
            with lock:
                latencies.append(time.perf_counter() - started)
                statuses[r.status] = statuses.get(r.status, 0) + 1
            if period:
                nxt += period
                time.sleep(max(0.0, nxt - time.monotonic()))

    def run(period: float, seconds: float) -> dict:
        latencies.clear()
        statuses.clear()
        phases = np.random.default_rng(7).uniform(0, period, len(officers))
        threads = [threading.Thread(target=officer, args=(tok, seconds, period, float(ph)))
                   for tok, ph in zip(officers, phases, strict=True)]
        started = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - started
        ms = sorted(1000 * x for x in latencies)
        return {"requests": len(ms), "rps": len(ms) / wall,
                "p50_ms": statistics.median(ms), "p95_ms": ms[int(0.95 * (len(ms) - 1))],
                "p99_ms": ms[int(0.99 * (len(ms) - 1))],
                "errors": sum(n for s, n in statuses.items() if s != 201)}

    try:
        paced = run(1.0, 20)
        flat_out = run(0.0, 10)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"paced": paced, "closed_loop": flat_out, "stored": Visit.objects.count()}


def main() -> None:
    area, spots, team = reset()
    result: dict = {"ingest": ingest(area, team)}
    with connection.cursor() as cur:
        cur.execute("TRUNCATE patrols_gpsping")
    Device.objects.all().delete()
    pings = day_of_pings(area, spots, team)
    PresenceRun.objects.all().delete()
    started = time.perf_counter()
    run = presence_update()
    presence_s = time.perf_counter() - started
    sample = list(Device.objects.order_by("id").values_list("id", flat=True)[:10])
    naive_s, _ = naive_presence(sample, spots)
    result["presence"] = {"pings": pings, "devices": run.devices, "seconds": presence_s,
                          "stays": Presence.objects.count(),
                          "naive_sample_devices": len(sample),
                          "naive_sample_seconds": naive_s,
                          "naive_scaled_seconds": naive_s * DEVICES / len(sample)}
    result["checkin"] = checkins(area, spots, team)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
