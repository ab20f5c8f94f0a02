"""The load scenario (issue 7): 10 minutes of 40 officers logging visits, 15 supervisors on
the map, 200 GPS devices at 5 s and 5 analysts exporting, with locust against gunicorn (as
the Procfile runs it) and a Celery worker for the exports.

Prints p50, p95 and p99 per request type and in all, the error count, and the pings stored
against the pings the devices sent. LOAD_SECONDS shortens the run for a trial (default 600).
Uses the database in DATABASE_URL (make load: hotspots_bench).
"""

import csv
import json
import os
import subprocess
import sys
import time
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.gis.geos import Point, Polygon  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import roles  # noqa: E402
from accounts.models import Team, User  # noqa: E402
from accounts.tokens import token_issue  # noqa: E402
from benchmarks.areas import fresh_area  # noqa: E402
from benchmarks.sessions import session_for  # noqa: E402
from hotspots.models import Hotspot  # noqa: E402
from patrols.models import Device, GpsPing  # noqa: E402
from patrols.services import device_create, ping_partitions_ensure  # noqa: E402
from reports.models import ExportJob  # noqa: E402
from tasking.models import PatrolTask, ShiftPattern, TaskingPlan  # noqa: E402
from tasking.services import (  # noqa: E402
    plan_generate,
    plan_publish,
    shift_pattern_create,
    week_monday,
)

PORT = int(os.environ.get("BENCH_PORT", "8767"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "600"))
X0, Y0 = 440000, 440000  # an empty part of the grid, away from other benchmarks
OUT = ROOT / ".bench" / "load"
BIN = ROOT / ".venv" / "bin"


def wgs84(x: float, y: float) -> tuple[float, float]:
    p = Point(x, y, srid=27700)
    p.transform(4326)
    return p.y, p.x


def setup() -> dict:
    """A BCU of 200 approved hot spots, four teams, a published plan for this week, and the
    people and devices of the scenario."""
    with connection.cursor() as cur:
        cur.execute("TRUNCATE patrols_gpsping, patrols_presence, patrols_presencerun, "
                    "patrols_visit, reports_exportjob, tasking_patroltask, "
                    "tasking_taskingplan, tasking_shiftcapacity, tasking_shift, "
                    "tasking_patterncapacity, tasking_shiftpattern CASCADE")
        cur.execute("DELETE FROM patrols_device")
    area, run = fresh_area(code="BLOAD", name="Bench load", x0=X0, y0=Y0, size=20000)
    Hotspot.objects.bulk_create([
        Hotspot(run_area=area, area=area, key=f"load:{i}",
                geom=Polygon.from_bbox((X0 + 500 + (i % 20) * 900, Y0 + 500 + (i // 20) * 900,
                                        X0 + 650 + (i % 20) * 900, Y0 + 650 + (i // 20) * 900)),
                status="approved", first_run=run, last_selected_run=run,
                profile=[1.0 + (i % 7) for _ in range(168)],
                stats={"count": 10, "harm": 100.0 + i, "z": 4.0})
        for i in range(200)])
    spots = list(Hotspot.objects.filter(run_area=area).order_by("id"))
    teams = [Team.objects.create(name=f"Load team {n}", area=area) for n in range(4)]
    for name, start in (("Early", 7), ("Late", 15), ("Night", 23)):
        shift_pattern_create(area=area, name=name, start_time=dtime(start),
                             duration_minutes=480, capacities={t: 240 for t in teams})
    roles.roles_sync()

    def person(username: str, role: str, team: Team | None = None) -> User:
        user, _ = User.objects.update_or_create(username=username,
                                                defaults={"area": area, "team": team})
        user.groups.set([Group.objects.get(name=role)])
        return user

    officers = [person(f"load-pc-{n}", roles.OFFICER, teams[n % 4]) for n in range(40)]
    supervisors = [person(f"load-sgt-{n}", roles.SUPERVISOR) for n in range(15)]
    analysts = [person(f"load-analyst-{n}", roles.ANALYST) for n in range(5)]
    week = week_monday(timezone.localdate())
    plan = plan_generate(area=area, week_start=week, actor=supervisors[0], seed=1)
    plan = plan_publish(plan=plan, version=plan.version, actor=supervisors[0])
    now = timezone.now()
    current = (PatrolTask.objects.filter(plan=plan, shift__starts_at__lte=now,
                                         shift__ends_at__gt=now).values_list("shift_id",
                                                                             flat=True).first()
               or PatrolTask.objects.filter(plan=plan).values_list("shift_id", flat=True)[0])
    ping_partitions_ensure(days=[now.date(), (now + timedelta(days=1)).date()])
    devices = []
    for n in range(200):
        _, token = device_create(name=f"load radio {n}", kind="radio", area=area,
                                 actor=None, team=teams[n % 4])
        lat, lon = wgs84(X0 + 1000 + (n % 20) * 900, Y0 + 1000 + (n // 20) * 900)
        devices.append({"token": token, "lat": lat, "lon": lon})
    return {
        "plan_id": plan.pk,
        "officers": [{"token": token_issue(user=u)[1]} for u in officers],
        "supervisors": [{"session": session_for(u), "plan": plan.pk, "shift": current}
                        for u in supervisors],
        "analysts": [{"token": token_issue(user=u, with_second_factor=True)[1]}
                     for u in analysts],
        "devices": devices,
        "hotspots": [dict(zip(("lat", "lon"), wgs84(s.geom.centroid.x, s.geom.centroid.y),
                              strict=True), id=s.pk) for s in spots],
    }


def start(args: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    data = setup()
    (OUT / "data.json").write_text(json.dumps(data))
    web = start([str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{PORT}",
                 "--workers", "3", "--timeout", "120"], OUT / "web.log")
    worker = start([str(BIN / "celery"), "-A", "config.celery_app", "worker", "-P", "solo",
                    "-l", "WARNING", "-Q", "celery"], OUT / "worker.log")
    started = timezone.now()

    def locust(prefix: str, users: int, seconds: int, quiet: bool) -> None:
        env = {**os.environ, "LOAD_DATA": str(OUT / "data.json"),
               "LOAD_PINGS_OUT": str(OUT / f"{prefix}-pings.json"),
               "LOAD_QUIET": "1" if quiet else "0"}
        subprocess.run([str(BIN / "locust"), "-f", str(ROOT / "benchmarks" / "locustfile.py"),
                        "--headless", "-u", str(users), "-r", "26", "-t", f"{seconds}s",
                        "--host", f"http://127.0.0.1:{PORT}", "--csv", str(OUT / prefix),
                        "--only-summary", "--stop-timeout", "30", "--loglevel", "WARNING"],
                       cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    try:
        time.sleep(4)
        # The baseline: one user of each kind, so each request is timed on an idle server.
        locust("quiet", 4, 90, quiet=True)
        locust("run", 260, SECONDS, quiet=False)
    finally:
        stop(web)
        stop(worker)
    quiet = {r["Name"]: float(r["50%"]) for r in csv.DictReader((OUT / "quiet_stats.csv").open())}
    rows = list(csv.DictReader((OUT / "run_stats.csv").open()))
    tokens_sent = pending = 0
    for prefix in ("quiet", "run"):
        sent = json.loads((OUT / f"{prefix}-pings.json").read_text())
        tokens_sent += sum(sent["sent"].values())
        pending += sum(sent["pending"].values())
    devices = Device.objects.filter(area__code="BLOAD")
    stored = GpsPing.objects.filter(device__in=devices, recorded_at__gte=started).count()
    distinct = (GpsPing.objects.filter(device__in=devices, recorded_at__gte=started)
                .values("device_id", "recorded_at").distinct().count())
    exports = dict(ExportJob.objects.values_list("status").annotate(n=Count("id")))
    table = []
    for r in rows:
        table.append({"name": r["Name"], "requests": int(r["Request Count"]),
                      "failures": int(r["Failure Count"]), "p50_ms": float(r["50%"]),
                      "p95_ms": float(r["95%"]), "p99_ms": float(r["99%"]),
                      "rps": round(float(r["Requests/s"]), 1),
                      "idle_p50_ms": quiet.get(r["Name"])})
    print(json.dumps({"seconds": SECONDS, "requests": table, "pings_sent": tokens_sent,
                      "pings_pending": pending, "pings_stored": stored,
                      "pings_distinct": distinct, "exports": exports,
                      "plans": TaskingPlan.objects.filter(area__code="BLOAD").count(),
                      "patterns": ShiftPattern.objects.filter(area__code="BLOAD").count()}))


if __name__ == "__main__":
    main()
