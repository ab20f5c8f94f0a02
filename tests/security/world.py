"""A small force with one of everything in each of two areas, for the access matrix.

Camden is the supervisor's and officer's area; Islington is another area of the same BCU.
Everything an endpoint can address by id exists in both, so each id-taking route is called
once for an object the caller may reach and once for one they may not."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from accounts.models import Area, Team, User
from accounts.tokens import token_issue
from evaluation.services import trial_create
from hotspots.models import ExclusionArea, Hotspot, HotspotRun, ImportJob, OffenceType
from patrols.models import Visit
from patrols.services import device_create
from reports.models import ExportJob
from tasking.models import PatrolTask
from tasking.services import plan_generate, problem_solving_update, shift_pattern_create
from tests.conftest import CAMDEN, ISLINGTON, make_user, upcoming_monday

# Points well inside each borough (British National Grid metres).
INSIDE = {CAMDEN: (527400.0, 184300.0), ISLINGTON: (531400.0, 184800.0)}
WEEK = upcoming_monday()
TRIAL_START, TRIAL_END = WEEK + timedelta(days=7), WEEK + timedelta(days=20)


@dataclass
class World:
    """Ids by kind and place: world.ids["plan"]["camden"]."""

    ids: dict[str, dict[str, Any]] = field(default_factory=dict)

    def put(self, kind: str, where: str, value: Any) -> None:
        self.ids.setdefault(kind, {})[where] = value


def _hotspots(areas: dict[str, Area], run: HotspotRun, borough: str) -> list[Hotspot]:
    x0, y0 = INSIDE[borough]
    spots = []
    for i in range(3):
        x, y = x0 + 400 * i, y0
        spots.append(Hotspot.objects.create(
            run_area=areas["CN"], area=areas[borough], key=f"sq150:{borough}:{i}",
            geom=Polygon.from_bbox((x, y, x + 150, y + 150)), status="approved",
            first_run=run, last_selected_run=run, profile=[1.0] * 168,
            stats={"count": 10, "harm": 100.0 * (3 - i), "z": 4.2, "pattern": "persistent"}))
    return spots


def build_world(users: dict[str, User], areas: dict[str, Area]) -> World:
    world = World()
    camden, islington = areas[CAMDEN], areas[ISLINGTON]
    assert users["officer"].team is not None
    teams = {CAMDEN: users["officer"].team,
             ISLINGTON: Team.objects.create(name="Holloway SNT", area=islington)}
    other_officer = make_user("officer2", "officer", islington, teams[ISLINGTON])
    world.put("user", "islington", other_officer)
    world.put("user", "camden", users["officer"])
    token, _ = token_issue(user=users["officer"])
    world.put("token", "officer", token.token_key[:8])

    world.put("offence_type", "any", OffenceType.objects.get(code="burglary").pk)
    for who in ("analyst", "admin"):
        job = ImportJob.objects.create(created_by=users[who], format="police_uk",
                                       source="police.uk", original_name=f"{who}.csv",
                                       status="done")
        world.put("import", who, job.pk)

    runs = {}
    for where, area in (("camden", camden), ("islington", islington)):
        runs[where] = HotspotRun.objects.create(
            area=area, trigger="command", status="done",
            window_start=datetime(2024, 3, 1, tzinfo=UTC),
            window_end=datetime(2025, 3, 1, tzinfo=UTC))
        world.put("run", where, runs[where].pk)

    for borough, where in ((CAMDEN, "camden"), (ISLINGTON, "islington")):
        area = areas[borough]
        spots = _hotspots(areas, runs[where], borough)
        world.put("hotspot", where, spots[0].pk)
        shift_pattern_create(area=area, name="Late", start_time=time(15), duration_minutes=480,
                             capacities={teams[borough]: 120})
        plan = plan_generate(area=area, week_start=WEEK, actor=users["supervisor"], seed=1)
        world.put("plan", where, plan.pk)
        task = PatrolTask.objects.filter(plan=plan).order_by("id").first()
        assert task is not None
        world.put("task", where, task.pk)
        world.put("shift", where, task.shift_id)
        ps = problem_solving_update(hotspot=spots[0], actor=users["analyst"], version=None,
                                    scanning="Burglary at night")
        world.put("ps_version", where, ps.version)
        world.put("area", where, area.pk)
        world.put("team", where, teams[borough].pk)
        device, _ = device_create(name=f"radio {where}", kind="radio", area=area,
                                  actor=users["admin"], team=teams[borough])
        world.put("device", where, device.pk)
        trial = trial_create(area=area, name=f"{where} trial", design="parallel",
                             arms=[{"name": "10 min", "visit_minutes": 10, "role": "pc"},
                                   {"name": "control", "control": True}],
                             start_date=TRIAL_START, end_date=TRIAL_END,
                             actor=users["analyst"], seed=1)
        world.put("trial", where, trial.pk)
        x, y = INSIDE[borough]
        exclusion = ExclusionArea.objects.create(
            area=area, name=f"{where} prison", reason="a prison",
            geom=MultiPolygon(Polygon.from_bbox((x + 2000, y, x + 2100, y + 100)), srid=27700))
        world.put("exclusion", where, exclusion.pk)
        officer = users["officer"] if borough == CAMDEN else other_officer
        c = spots[0].geom.centroid
        started = timezone.now() - timedelta(days=2)
        visit = Visit.objects.create(
            id=uuid.uuid4(), officer=officer, hotspot=spots[0], started_at=started,
            ended_at=started + timedelta(minutes=15), start_point=Point(c.x, c.y, srid=27700),
            start_inside=True, activities=["stop"], notes="Gate left open", body_hash="x")
        world.put("visit", where, str(visit.pk))

    for who in ("supervisor", "analyst"):
        export = ExportJob.objects.create(
            created_by=users[who], kind="visits", format="csv",
            period_start=timezone.now() - timedelta(days=7), period_end=timezone.now(),
            recipient="Funder", purpose="Quarterly return", status="done")
        export.file.save(f"visits-{who}.csv", ContentFile(b"OFFICIAL-SENSITIVE\nid\n"))
        world.put("export", who, export.pk)
    # A learning module with a picture (training is the force's, not an area's: "any").
    from training.models import ModuleImage
    from training.services import module_save

    module = module_save(module=None, actor=None, slug="world", title="World", body=(
        "# Lesson: One\nText.\n\n# Check\n## Q: Right?\n- [x] Yes\n- [ ] No\n"),
        required_roles=["officer"])
    world.put("module", "any", module.pk)
    world.put("module_slug", "any", module.slug)
    image = ModuleImage.objects.create(module=module, content_type="image/png", alt="A map")
    image.image.save("map.png", ContentFile(b"\x89PNG\r\n\x1a\n"))
    world.put("image", "any", image.pk)
    # An alarm in Camden, in no shift on now: acknowledging it reads as not found.
    from patrols.models import Alarm
    from tasking.models import Shift

    any_shift = Shift.objects.filter(area=camden).first()
    assert any_shift is not None
    alarm = Alarm.objects.create(hotspot_id=world.ids["hotspot"]["camden"], shift=any_shift,
                                 rule="no_presence", detail="no patrol for 2 h 00 min",
                                 raised_at=timezone.now())
    world.put("alarm", "camden", alarm.pk)
    # A notice for the officer (each person opens only their own).
    from notices.services import notify

    notice = notify(users=[users["officer"]], kind="training", title="Training to take",
                    url="/learn/", key="world")[0]
    world.put("notice", "officer", notice.pk)
    # A street tile over Camden Town at zoom 16 (routes with z, x and y).
    for axis, value in (("z", 16), ("x", 32743), ("y", 21782)):
        world.put("tile", axis, value)
    return world


APP_LABELS = {"accounts", "hotspots", "tasking", "patrols", "evaluation", "reports", "audit",
              "otp_totp", "training", "notices"}


def fingerprint() -> str:
    """A digest of every row of every table of the application: equal before and after a
    refused request means it changed nothing."""
    tables = sorted({m._meta.db_table for m in apps.get_models()
                     if m._meta.app_label in APP_LABELS})
    sql = " UNION ALL ".join(
        f"SELECT '{t}', md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) "
        f'FROM "{t}" x' for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return repr(cursor.fetchall())
