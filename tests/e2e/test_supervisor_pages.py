"""The supervisor's pages (issue 18, items 9-12): a cancelled reassignment leaves the visit
as it was, an added visit that takes a shift over capacity says so at once, visits due or
past in a published plan cannot be changed, and the Live page follows the shift by itself."""

import time
import uuid
from datetime import timedelta

from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils import timezone

from patrols.models import Visit
from tasking.models import PatrolTask
from tasking.services import plan_generate, plan_publish
from tests.conftest import CAMDEN, upcoming_monday
from tests.tasking.conftest import (  # noqa: F401  (fixtures)
    day_profile,
    make_hotspot,
    patterns,
    teams,
)

from .conftest import login, shot
from .patrol_phone import shift_now  # noqa: F401  (fixture)

WEEK = upcoming_monday()


def _plan(areas, make_hotspot, publish: bool):  # noqa: F811
    for weight in (4.0, 3.0, 2.0):
        make_hotspot(day_profile(weight))
    plan = plan_generate(area=areas[CAMDEN], week_start=WEEK, actor=None, seed=2)
    if publish:
        plan = plan_publish(plan=plan, version=plan.version, actor=None)
    early = (plan.tasks.filter(shift__date=WEEK, shift__pattern__name="Early")
             .order_by("starts_at", "id"))
    return plan, early


def _open(page, live_server, plan, shift_id: int) -> None:
    page.goto(f"{live_server.url}{reverse('plan-detail', args=[plan.pk])}?shift={shift_id}")
    page.wait_for_selector("#plan-wrap[data-loaded]", timeout=15_000)


def test_a_cancelled_reassignment_leaves_the_visit_as_it_was(page, live_server, users, areas,
                                                             patterns, teams,  # noqa: F811
                                                             make_hotspot):  # noqa: F811
    plan, early = _plan(areas, make_hotspot, publish=True)
    task = early.first()
    was = f"team:{task.assignee_team_id}"
    login(page, live_server.url, "supervisor")
    _open(page, live_server, plan, task.shift_id)
    select = f"#task-list tr[data-task='{task.pk}'] select"
    assert page.input_value(select) == was
    # The plan's area is drawn: with no tiles the outline says where the map is (item 8).
    assert page.locator("path[data-boundary='1']").count() == 1
    page.once("dialog", lambda d: d.dismiss())
    page.select_option(select, f"user:{users['officer'].pk}")
    assert page.input_value(select) == was  # not "Nobody yet"
    page.wait_for_timeout(500)
    task.refresh_from_db()
    plan.refresh_from_db()
    assert (task.assignee_user, f"team:{task.assignee_team_id}", plan.version) == (None, was, 2)


def test_a_visit_that_fills_a_shift_past_capacity_warns_at_once(page, live_server, users,
                                                                areas, patterns, teams,  # noqa: F811
                                                                make_hotspot):  # noqa: F811
    plan, early = _plan(areas, make_hotspot, publish=False)
    shift = early.first().shift
    capacity = sum(c.minutes for c in shift.capacities.all())
    planned = sum(t.minutes for t in early)
    login(page, live_server.url, "supervisor")
    _open(page, live_server, plan, shift.pk)
    assert page.inner_text("[data-testid=planned]") == str(planned)
    # Add visits until the shift is over: the header, the picker and a warning follow.
    added = 0
    while planned + added <= capacity or added < 40:  # at least two, both at 14:00
        page.locator("#task-list tbody tr a").first.click()
        page.fill("#add-time", "14:00")
        page.fill("#add-minutes", "20")
        version = page.inner_text("[data-testid=plan-version]")
        page.click("#add-form button[type=submit]")
        page.wait_for_function(
            "v => document.querySelector('[data-testid=plan-version]').textContent !== v",
            arg=version, timeout=10_000)
        added += 20
    total = PatrolTask.objects.filter(plan=plan, shift=shift, status="planned")
    now_planned = sum(t.minutes for t in total)
    assert now_planned == planned + added > capacity
    page.wait_for_selector(f"[data-testid=planned]:text-is('{now_planned}')")
    assert page.is_visible("[data-testid=over]")
    # The visit count too (a review saw "24 visits" after the 25th was added).
    assert page.inner_text("#shift option:checked").endswith(
        f"{total.count()} visits · {now_planned}/{capacity} min OVER")
    warning = page.locator("[data-testid=over-warning]").inner_text()
    assert warning == (f"This shift is now over capacity: {now_planned} of {capacity} "
                       "patrol minutes planned.")
    # Two visits at 14:00 to one place: flagged with a short badge that keeps the table
    # inside its column (the long one pushed it sideways).
    assert page.locator("[data-testid=too-soon]").count() >= 1
    assert page.locator("[data-testid=too-soon]").first.inner_text() == "too soon"
    shot(page, "tasking-over-capacity")
    widths = page.evaluate("() => { const t = document.querySelector('#task-list'); "
                           "return [t.scrollWidth, t.parentElement.clientWidth]; }")
    assert widths[0] <= widths[1], widths
    assert page.locator("[data-testid=over-warning]").count() == 1  # the latest only


def test_visits_due_or_past_in_a_published_plan_cannot_be_changed(page, live_server, users,
                                                                 areas, patterns,  # noqa: F811
                                                                 teams,  # noqa: F811
                                                                 make_hotspot):  # noqa: F811
    plan, early = _plan(areas, make_hotspot, publish=True)
    past, future = list(early[:2])
    PatrolTask.objects.filter(pk=past.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    login(page, live_server.url, "supervisor")
    _open(page, live_server, plan, past.shift_id)
    row = page.locator(f"#task-list tr[data-task='{past.pk}']")
    assert row.locator("select").is_disabled()
    assert row.locator("button").count() == 0
    assert "due or past" in row.inner_text()
    other = page.locator(f"#task-list tr[data-task='{future.pk}']")
    assert not other.locator("select").is_disabled()
    assert other.locator("button:has-text('Remove')").count() == 1
    shot(page, "tasking-past-visits")


def test_the_live_page_turns_a_hot_spot_green_by_itself(page, live_server, users, settings,
                                                       shift_now):  # noqa: F811
    settings.LIVE_REFRESH_SECONDS = 1
    _tasks, spots = shift_now
    login(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/live/")
    row = page.locator(f"[data-testid=live-rows] tr[data-hotspot-key='{spots[0].key}']")
    assert "table-danger" in row.get_attribute("class")
    undone = page.inner_text("[data-testid=undone]")
    assert undone == "3 of 4"
    assert page.locator("path[data-boundary='1']").count() == 1  # Camden's outline
    assert page.locator("path[data-done='true']").count() == 1
    # An officer checks in at the missed hot spot; nobody reloads the page.
    c = spots[0].geom.centroid
    now = timezone.now()
    Visit.objects.create(id=uuid.uuid4(), officer=users["officer"], hotspot=spots[0],
                         started_at=now - timedelta(minutes=6),
                         ended_at=now - timedelta(minutes=1),
                         start_point=Point(c.x, c.y, srid=27700), start_inside=True,
                         activities=["foot"], notes="", body_hash="y")
    deadline = time.monotonic() + 15
    while "table-success" not in (row.get_attribute("class") or "") \
            and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert "table-success" in row.get_attribute("class")
    assert page.inner_text("[data-testid=undone]") == "2 of 4"
    page.wait_for_selector("path[data-done='true'] >> nth=1", state="attached", timeout=5_000)
    shot(page, "live-refreshed")
