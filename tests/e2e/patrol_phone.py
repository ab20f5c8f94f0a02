"""The officer's phone at a hot spot, shared by the patrol page's browser tests."""

import uuid
from datetime import date, timedelta
from datetime import time as clock

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from patrols.models import Visit
from tasking.models import PatrolTask, Shift, ShiftPattern, TaskingPlan
from tasking.services import plan_generate, plan_publish
from tests.conftest import CAMDEN


def officer_at_hot_spot(browser, playwright, live_server, areas, spot, weeks: list[date]):
    """Published Camden plans for `weeks`; a Pixel 7 whose location is the hot spot's
    centre, signed in as the officer on /patrol/. Returns (context, page)."""
    from .conftest import login

    for week in weeks:
        plan = plan_generate(area=areas["E09000007"], week_start=week, actor=None, seed=4)
        plan_publish(plan=plan, version=plan.version, actor=None)
    centre = spot.geom.centroid.transform(4326, clone=True)
    context = browser.new_context(
        **playwright.devices["Pixel 7"], locale="en-GB", timezone_id="Europe/London",
        geolocation={"latitude": centre.y, "longitude": centre.x, "accuracy": 8},
        permissions=["geolocation"])
    page = context.new_page()
    login(page, live_server.url, "officer")
    page.goto(f"{live_server.url}/patrol/")
    return context, page


@pytest.fixture
def shift_now(users, areas, make_hotspot):
    """A Camden shift that began four hours ago with four visits for the officer: one
    missed three hours ago, one done two hours ago (inside), two still due."""
    now = timezone.now().replace(second=0, microsecond=0)
    start = now - timedelta(hours=4)
    local = timezone.localtime(start)
    pattern = ShiftPattern.objects.create(area=areas[CAMDEN], name="Now",
                                          start_time=clock(local.hour, local.minute),
                                          duration_minutes=480)
    shift = Shift.objects.create(pattern=pattern, area=areas[CAMDEN], date=local.date(),
                                 starts_at=start, ends_at=start + timedelta(hours=8))
    plan = TaskingPlan.objects.create(area=areas[CAMDEN], status="published", seed=1,
                                      week_start=local.date() - timedelta(days=local.weekday()))
    spots = [make_hotspot([1.0] * 168) for _ in range(4)]
    officer = users["officer"]
    tasks = {}
    for name, spot, at in (("missed", spots[0], now - timedelta(hours=3)),
                           ("done", spots[1], now - timedelta(hours=2)),
                           ("next", spots[2], now + timedelta(minutes=10)),
                           ("later", spots[3], now + timedelta(minutes=70))):
        tasks[name] = PatrolTask.objects.create(plan=plan, shift=shift, hotspot=spot,
                                                starts_at=at, minutes=15,
                                                assignee_user=officer, why="Burglary at night")
    c = spots[1].geom.centroid
    Visit.objects.create(id=uuid.uuid4(), officer=officer, hotspot=spots[1],
                         task=tasks["done"], started_at=tasks["done"].starts_at,
                         ended_at=tasks["done"].starts_at + timedelta(minutes=15),
                         start_point=Point(c.x, c.y, srid=27700), start_inside=True,
                         activities=["foot"], notes="", body_hash="x")
    return tasks, spots
