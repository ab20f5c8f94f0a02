"""The demo force: real Camden and Islington burglary, users for every role, teams and areas."""

import base64
import csv
import io
import random
import tempfile
import time as time_module
import uuid as uuidlib
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from accounts.models import Area, Team, User
from accounts.services import area_create_from_children, areas_import
from core.geo import coord_transform
from hotspots.models import ImportJob
from hotspots.services import crime_import_paths

DEMO_DIR = Path(settings.BASE_DIR) / "demo"
CRIME_ZIP = DEMO_DIR / "policeuk-burglary-camden-islington-2024-03-to-2025-02.zip"
# The references are police.uk Crime IDs, so the records share police.uk's key space:
# uploading the same police.uk month later adds nothing.
DEMO_SOURCE = "police.uk"
DEMO_PASSWORD = "hotspots-demo-2026"  # noqa: S105 - printed on screen for a local demo
# The demo's staff roles share one published authenticator key, so the demo can be tried
# without enrolling a phone: `manage.py demo_code` prints its current code.
DEMO_TOTP_KEY = "11ca0dc0b7172678a90130bdf23155b7d9763b73"

USERS = [
    # username, first, last, role, rank, area code, team
    ("officer", "Priya", "Shah", roles.OFFICER, User.Rank.PC, "E09000007", "Camden Town SNT"),
    ("pcso", "Tom", "Reilly", roles.OFFICER, User.Rank.PCSO, "E09000019", "Holloway SNT"),
    ("supervisor", "Dan", "Okafor", roles.SUPERVISOR, User.Rank.SERGEANT, "CN", None),
    ("analyst", "Mei", "Chen", roles.ANALYST, User.Rank.STAFF, "MET-DEMO", None),
    ("admin", "Sam", "Hughes", roles.ADMIN, User.Rank.STAFF, "MET-DEMO", None),
    ("auditor", "Ruth", "Evans", roles.AUDITOR, User.Rank.STAFF, "MET-DEMO", None),
]
TEAMS = [("Camden Town SNT", "CT1", "E09000007"), ("Kentish Town SNT", "KT1", "E09000007"),
         ("Holloway SNT", "HW1", "E09000019"), ("Angel SNT", "AN1", "E09000019")]


def _window(rng: random.Random, month_start: datetime, month_end: datetime,
            tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A plausible burglary 'committed between' window inside the month (local time)."""
    days = (month_end - month_start).days
    day = month_start + timedelta(days=rng.randrange(days))
    kind = rng.random()
    if kind < 0.45:  # while the home is empty in the day: left at 7-9, back at 16-19
        start = day.replace(hour=rng.randint(7, 9), minute=rng.choice((0, 15, 30, 45)))
        end = day.replace(hour=rng.randint(16, 19), minute=rng.choice((0, 15, 30, 45)))
    elif kind < 0.80:  # evening and night, a few hours
        start = day.replace(hour=rng.choice((18, 19, 20, 21, 22, 23)), minute=rng.choice((0, 30)))
        end = start + timedelta(hours=rng.randint(1, 6))
    else:  # seen or heard: within the hour, most in the evening
        hour = min(23, max(0, int(rng.gauss(19, 4))))
        start = day.replace(hour=hour, minute=rng.randrange(60))
        end = start + timedelta(minutes=rng.randint(5, 60))
    return start, min(end, month_end - timedelta(minutes=1))


# The subset's real months end here (the first instant after February 2025, local time).
REAL_DATA_END = datetime(2025, 3, 1)
# police.uk publishes a month's crime about two months after it ends.
PUBLISHING_LAG = timedelta(days=61)


def demo_shift(today: date) -> timedelta:
    """How far the demo's crime is moved forward so that its data end where a force's
    police.uk data would on `today` (about two months back): whole weeks, so every weekday
    and every gap between two crimes stays as it was, and so does what the runs find."""
    behind = (datetime.combine(today, time(0)) - PUBLISHING_LAG) - REAL_DATA_END
    return timedelta(weeks=max(0, behind.days // 7))


def demo_crimes_csv(target: Path, seed: int = 2026,
                    shift: timedelta = timedelta(0)) -> int:
    """Write the police.uk subset as a force extract with seeded 'committed between' times,
    moved forward by `shift` (whole weeks; demo_shift)."""
    rng = random.Random(seed)
    tz = ZoneInfo(settings.TIME_ZONE)
    count = 0
    with zipfile.ZipFile(CRIME_ZIP) as archive, target.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["crime_ref", "offence", "committed_from", "committed_to",
                         "longitude", "latitude", "location", "lsoa"])
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if not info.filename.endswith(".csv"):
                continue
            for row in csv.DictReader(io.TextIOWrapper(archive.open(info), encoding="utf-8-sig")):
                year, month = (int(p) for p in row["Month"].split("-"))
                start_of_month = datetime(year, month, 1)
                end_of_month = datetime(year + (month == 12), month % 12 + 1, 1)
                start, end = _window(rng, start_of_month, end_of_month, tz)
                start, end = start + shift, end + shift
                writer.writerow([row["Crime ID"], row["Crime type"],
                                 start.strftime("%Y-%m-%d %H:%M"), end.strftime("%Y-%m-%d %H:%M"),
                                 row["Longitude"], row["Latitude"], row["Location"],
                                 row["LSOA code"]])
                count += 1
    return count


DEMO_MAPPING = {
    "columns": {"reference": "crime_ref", "type": "offence", "from": "committed_from",
                "to": "committed_to", "lon": "longitude", "lat": "latitude",
                "location": "location", "lsoa": "lsoa"},
}


@transaction.atomic
def _people() -> None:
    roles.roles_sync()
    for name, callsign, area_code in TEAMS:
        Team.objects.update_or_create(area=Area.objects.get(code=area_code), name=name,
                                      defaults={"callsign": callsign})
    for username, first, last, role, rank, area_code, team in USERS:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "rank": rank,
                      "area": Area.objects.get(code=area_code),
                      "team": Team.objects.get(name=team) if team else None,
                      "is_staff": role == roles.ADMIN, "is_superuser": role == roles.ADMIN},
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        if role in roles.SECOND_FACTOR_ROLES:
            TOTPDevice.objects.update_or_create(
                user=user, name="demo", defaults={"key": DEMO_TOTP_KEY, "confirmed": True})


def seed_demo() -> list[str]:
    """Load (or refresh) the demo force. Safe to run again: nothing is doubled."""
    lines = []
    result = areas_import(path=DEMO_DIR / "areas.geojson", level=Area.Level.NEIGHBOURHOOD,
                          name_field="name", code_field="gss_code")
    lines.append(result.summary())
    area_create_from_children(code="CN", name="Central North BCU", level=Area.Level.BCU,
                              child_codes=["E09000007", "E09000019"])
    area_create_from_children(code="MET-DEMO", name="Metropolitan Police (demo)",
                              level=Area.Level.FORCE, child_codes=["CN"])
    _people()
    # Always imported: the keys make a second run add nothing (and keep the dates of the
    # first: a demo re-seeded months later keeps its crime where it was).
    shift = demo_shift(timezone.localdate())
    data_end = REAL_DATA_END + shift
    last_day = data_end - timedelta(days=1)
    lines.append(f"demo crime dates: the real months March 2024 to February 2025, moved "
                 f"forward {shift.days // 7} weeks to end on {last_day:%d %b %Y}, "
                 "about when police.uk would publish them")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-force-extract.csv"
        demo_crimes_csv(path, shift=shift)
        job = crime_import_paths(paths=[path], format=ImportJob.Format.GENERIC,
                                 source=DEMO_SOURCE, mapping=DEMO_MAPPING)
        lines.append(f"demo crimes: {job.summary}")
    # Hot spots from the demo's year of data, to where it ends.
    from hotspots.recompute import hotspot_run_create, hotspot_run_execute

    run = hotspot_run_create(area=Area.objects.get(code="CN"), trigger="command",
                             window_end=data_end.replace(tzinfo=ZoneInfo(settings.TIME_ZONE)))
    hotspot_run_execute(run_id=run.pk)
    run.refresh_from_db()
    lines.append(f"demo hot spots: {run.metrics.get('selected', 0)} selected of "
                 f"{run.metrics.get('significant', 0)} significant cells ({run.status})")
    lines.extend(_tasking())
    lines.extend(_tracking())
    lines.extend(_training())
    return lines


# Early, late and night shifts, and each team's patrol minutes in them (a demo's guess).
DEMO_SHIFTS = [("Early", time(7), 480, 120), ("Late", time(15), 480, 180),
               ("Night", time(23), 480, 60)]


def _tasking() -> list[str]:
    """Shift patterns for both boroughs, the demo's hot spots approved (an analyst would
    review them one by one), and this week's plan for Camden generated and published."""
    from hotspots.models import Hotspot
    from tasking.models import ShiftPattern, TaskingPlan
    from tasking.services import plan_generate, plan_publish, shift_pattern_create

    for code in ("E09000007", "E09000019"):
        area = Area.objects.get(code=code)
        teams = list(Team.objects.filter(area=area))
        for name, start, minutes, per_team in DEMO_SHIFTS:
            if not ShiftPattern.objects.filter(area=area, name=name).exists():
                shift_pattern_create(area=area, name=name, start_time=start,
                                     duration_minutes=minutes,
                                     capacities={t: per_team for t in teams})
    approved = Hotspot.objects.filter(status=Hotspot.Status.CANDIDATE).update(
        status=Hotspot.Status.APPROVED)
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    lines = []
    for code in ("E09000007", "E09000019"):
        area = Area.objects.get(code=code)
        plan = TaskingPlan.objects.filter(area=area, week_start=monday).first()
        if plan is None:
            plan = plan_generate(area=area, week_start=monday, actor=None, seed=2026)
        if plan.status == TaskingPlan.Status.DRAFT and plan.tasks.exists():
            plan = plan_publish(plan=plan, version=plan.version, actor=None)
        lines.append(f"demo tasking: {area.name}'s plan for the week of {monday:%d %b %Y} "
                     f"has {plan.tasks.count()} visits ({plan.status})")
    return [f"demo tasking: {approved} hot spots approved", *lines]


def _tracking() -> list[str]:
    """Radios for the two officers, and the last twelve hours of their patrols: the published
    visits they were given, made (GPS every 10 s while there, a check-in for most) or
    missed, so that the Live and Dosage pages have something true to the plan to show.
    The positions are made up, like the times of day."""

    from django.contrib.gis.geos import Point

    from patrols.models import Device, Visit
    from patrols.services import device_create, pings_ingest, presence_update
    from tasking.models import PatrolTask

    rng = random.Random(7)
    now = timezone.now()
    made = 0
    for username, code in (("officer", "E09000007"), ("pcso", "E09000019")):
        user = User.objects.get(username=username)
        device = Device.objects.filter(holder=user).first()
        if device is None:
            device, _ = device_create(name=f"Radio {user.collar_number or user.username}",
                                      kind=Device.Kind.RADIO, area=Area.objects.get(code=code),
                                      team=user.team, holder=user, actor=None)
        tasks = (PatrolTask.objects.filter(assignee_team=user.team, status="planned",
                                           plan__status="published",
                                           starts_at__gte=now - timedelta(hours=12),
                                           starts_at__lt=now - timedelta(minutes=20))
                 .select_related("hotspot").order_by("starts_at"))
        to_wgs84 = coord_transform(settings.HOTSPOTS_SRID, 4326)
        for i, task in enumerate(tasks):
            if i % 4 == 3:
                continue  # missed: shows as under-dosed
            centre = task.hotspot.geom.centroid
            pings = []
            for k in range(0, 14 * 60, 10):
                p = Point(centre.x + rng.uniform(-40, 40), centre.y + rng.uniform(-40, 40),
                          srid=centre.srid)
                p.transform(to_wgs84)
                pings.append({"t": (task.starts_at + timedelta(seconds=k)).isoformat(),
                              "lat": p.y, "lon": p.x, "accuracy": 8})
            made += pings_ingest(device=device, pings=pings).accepted
            if i % 4 != 2 and not Visit.objects.filter(task=task).exists():
                p = Point(centre.x, centre.y, srid=centre.srid)
                p.transform(to_wgs84)
                fix = {"lat": p.y, "lon": p.x, "accuracy": 6}
                from patrols.services import visit_record

                body = {"hotspot": task.hotspot_id, "task": task.pk, "start": fix, "end": fix,
                        "activities": ["foot", "engagement"], "notes": ""}
                visit_record(officer=user, visit_id=uuidlib.uuid4(), body=body,
                             hotspot=task.hotspot, task=task, started_at=task.starts_at,
                             ended_at=task.starts_at + timedelta(minutes=14))
    run = presence_update()
    return [f"demo tracking: {made} GPS pings, {Visit.objects.count()} visits, "
            f"{run.inserted} presence stays"]


# Who has passed what, and how long ago (days): Priya is up to date, Dan has done the
# supervisors' module, and Tom's "Why hot spots" is thirteen months old, so overdue.
DEMO_PASSES = [("officer", "why-hot-spots", 20), ("officer", "in-a-hot-spot", 19),
               ("officer", "targeting", 19), ("officer", "patrol-page", 18),
               ("supervisor", "why-hot-spots", 200), ("supervisor", "supervisors", 60),
               ("pcso", "why-hot-spots", 395), ("pcso", "patrol-page", 100)]


def _training() -> list[str]:
    """The shipped learning modules, some passes (one overdue), and two observations left
    at visits, one of them marked acted on by the supervisor."""
    from patrols.models import Visit
    from patrols.services import observation_act
    from training.document import parse_document
    from training.models import Completion, Module
    from training.services import completion_record, defaults_load

    made = defaults_load()
    now = timezone.now()
    passes = 0
    for username, slug, days in DEMO_PASSES:
        user, module = User.objects.get(username=username), Module.objects.get(slug=slug)
        if Completion.objects.filter(user=user, module=module).exists():
            continue
        answers = [q.answer for q in parse_document(module.body).questions]
        sitting = uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"demo/{username}/{slug}")
        completion_record(user=user, module=module, completion_id=sitting,
                          version=module.version, answers=answers,
                          answered_at=now - timedelta(days=days),
                          body={"demo": True, "answers": answers}, from_records=True)
        passes += 1
    notes = ["Side gate behind the shops left open again; bins stacked against the wall "
             "make it easy to climb.",
             "Street light out at the corner by the bus stop; people say it has been "
             "out for weeks."]
    visits = [] if Visit.objects.exclude(notes="").exists() else list(
        Visit.objects.filter(officer__username="officer").order_by("-started_at")[:2])
    for visit, note in zip(visits, notes, strict=False):
        Visit.objects.filter(pk=visit.pk).update(notes=note)
    if visits and not Visit.objects.exclude(notes_acted_at=None).exists():
        visits[0].refresh_from_db()
        observation_act(visit=visits[0], actor=User.objects.get(username="supervisor"),
                        comment="Reported to the council; the landlord has been asked to "
                                "lock the gate.")
    return [f"demo training: {len(made)} modules added, {passes} passes added (on a first "
            "seed: 5 and 8; Tom Reilly's 'Why hot spots' is overdue)"]


def demo_totp_secret() -> str:
    """The demo key in base32, as authenticator apps take it."""

    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode().rstrip("=")


def demo_totp_code() -> tuple[str, int]:
    """The demo key's current code and the seconds it stays valid."""
    from django_otp.oath import TOTP

    clock = TOTP(bytes.fromhex(DEMO_TOTP_KEY))
    clock.time = int(time_module.time())
    return f"{clock.token():06d}", 30 - int(clock.time) % 30
