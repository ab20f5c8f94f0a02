"""The supervisor map's data for 500 hot spots with their visits, under 20 concurrent clients
(wrk) against gunicorn run as the Procfile runs it; beside it, in the same run, the same
load on the plain DRF GeoJSON list of the same 500 hot spots (no visits), and the cost of
building the payload when the cache is cold (after every edit).

Prints one JSON line. Uses the database in DATABASE_URL (make bench: hotspots_bench).
"""

import json
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.gis.geos import MultiPolygon, Polygon  # noqa: E402
from django.db import connection  # noqa: E402

from accounts import roles  # noqa: E402
from accounts.models import Area, Team, User  # noqa: E402
from accounts.services import areas_rebuild_index  # noqa: E402
from benchmarks.sessions import session_for  # noqa: E402
from hotspots.models import Hotspot, HotspotRun  # noqa: E402
from tasking.models import PatrolTask, TaskingPlan  # noqa: E402
from tasking.selectors import _plan_map_build, shift_capacity_minutes  # noqa: E402
from tasking.services import plan_generate, shift_pattern_create  # noqa: E402

HOTSPOTS = 500
PORT = int(os.environ.get("BENCH_PORT", "8765"))
WEEK = date(2026, 11, 30)
LUA = ROOT / ".bench" / "percentiles.lua"


def setup() -> tuple[TaskingPlan, int, User, float]:
    """An area of 500 approved hot spots with seeded profiles, three shifts, two teams with
    room for 400 visits a shift, and a generated week."""
    with connection.cursor() as cur:
        cur.execute("TRUNCATE tasking_patroltask, tasking_taskingplan, tasking_shiftcapacity, "
                    "tasking_shift, tasking_patterncapacity, tasking_shiftpattern, "
                    "tasking_problemsolvingchange, tasking_problemsolving CASCADE")
    old = Area.objects.filter(code="BMAP").first()
    if old is not None:  # a previous run's: its rows protect it, so they go first
        Hotspot.objects.filter(run_area=old).delete()
        HotspotRun.objects.filter(area=old).delete()
        User.objects.filter(area=old).update(area=None)  # audited actors are kept
        Team.objects.filter(area=old).delete()
        old.delete()
    area = Area.objects.create(name="Bench map", code="BMAP", level=Area.Level.BCU,
                               geom=MultiPolygon(Polygon.from_bbox((400000, 400000, 410000,
                                                                    410000))))
    areas_rebuild_index()
    run = HotspotRun.objects.create(area=area, trigger="command", status="done",
                                    window_start=datetime(2024, 1, 1, tzinfo=UTC),
                                    window_end=datetime(2025, 1, 1, tzinfo=UTC))
    rng = random.Random(500)
    spots = []
    for i in range(HOTSPOTS):
        x, y = 400000 + (i % 25) * 400, 400000 + (i // 25) * 400
        profile = [round(rng.random() ** 3 * 10, 3) for _ in range(168)]
        spots.append(Hotspot(run_area=area, area=area, key=f"sq150:{x}:{y}",
                             geom=Polygon.from_bbox((x, y, x + 150, y + 150)),
                             status="approved", first_run=run, last_selected_run=run,
                             profile=profile, stats={"count": rng.randint(5, 60),
                                                     "harm": rng.randint(500, 9000)}))
    Hotspot.objects.bulk_create(spots)
    teams = [Team.objects.create(name=f"Bench team {n}", area=area) for n in (1, 2)]
    for name, start in (("Early", 7), ("Late", 15), ("Night", 23)):
        shift_pattern_create(area=area, name=name, start_time=dtime(start), duration_minutes=480,
                             capacities={t: 3000 for t in teams})
    roles.roles_sync()
    user, _ = User.objects.update_or_create(username="bench-supervisor",
                                            defaults={"area": area})
    user.groups.set([Group.objects.get(name=roles.SUPERVISOR)])
    started = time.perf_counter()
    plan = plan_generate(area=area, week_start=WEEK, actor=user, seed=1)
    generate_s = time.perf_counter() - started
    shift = (PatrolTask.objects.filter(plan=plan, shift__pattern__name="Late")
             .values_list("shift", flat=True).first())
    assert shift is not None
    return plan, int(shift), user, generate_s


def wrk(url: str, cookie: str, seconds: int = 20) -> dict:
    LUA.parent.mkdir(exist_ok=True)
    LUA.write_text(
        'done = function(summary, latency, requests)\n'
        '  local e = summary.errors\n'
        '  io.write(string.format("JSON {\\"requests\\": %d, \\"p50_ms\\": %.1f, '
        '\\"p95_ms\\": %.1f, \\"p99_ms\\": %.1f, \\"errors\\": %d, \\"non_2xx\\": %d, '
        '\\"seconds\\": %.2f}\\n", summary.requests, latency:percentile(50) / 1000, '
        'latency:percentile(95) / 1000, latency:percentile(99) / 1000, '
        'e.connect + e.read + e.write + e.timeout, e.status, summary.duration / 1e6))\n'
        'end\n')
    out = subprocess.run(["wrk", "-t2", "-c20", f"-d{seconds}s", "--timeout", "10s", "-s",
                          str(LUA), "-H", f"Cookie: sessionid={cookie}", url],
                         capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("JSON "))
    result = json.loads(line[5:])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def main() -> None:
    if not shutil.which("wrk"):
        print(json.dumps({"skipped": "wrk is not installed (scripts/setup.sh --bench)"}))
        return
    plan, shift_id, user, generate_s = setup()
    cookie = session_for(user)
    shift = plan.tasks.filter(shift_id=shift_id).first().shift  # type: ignore[union-attr]
    visits = plan.tasks.filter(shift_id=shift_id).count()
    # Building the payload from scratch (what the first request after an edit pays).
    builds = []
    for _ in range(5):
        started = time.perf_counter()
        text = _plan_map_build(plan=plan, shift=shift,
                               capacity=shift_capacity_minutes(shift=shift))
        builds.append(time.perf_counter() - started)
    size_kb = len(text.encode()) / 1024
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--bind",
         f"127.0.0.1:{PORT}", "--workers", "3", "--timeout", "120"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{PORT}"
        for _ in range(100):
            try:
                subprocess.run(["curl", "-sf", "-o", "/dev/null", f"{base}/login/"], check=True)
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        map_url = f"{base}/api/v1/plans/{plan.pk}/map/?shift={shift_id}"
        peer_url = f"{base}/api/v1/hotspots/?run_area={plan.area_id}&page_size=500"
        check = subprocess.run(["curl", "-sf", "-H", f"Cookie: sessionid={cookie}", map_url],
                               capture_output=True, text=True, check=True).stdout
        features = len(json.loads(check)["hotspots"]["features"])
        ours = wrk(map_url, cookie)
        peer = wrk(peer_url, cookie)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps({"hotspots": features, "visits_in_shift": visits,
                      "week_visits": plan.tasks.count(), "generate_s": generate_s,
                      "build_ms": 1000 * min(builds), "payload_kb": size_kb,
                      "map": ours, "peer": peer, "workers": 3,
                      "db": settings.DATABASES["default"]["NAME"]}))


if __name__ == "__main__":
    main()
