"""A supervisor generates next week, reassigns visits on the map (by select and by drag),
meets a colleague's change, publishes; the officer then sees the visit on a phone."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from tasking.models import PatrolTask, TaskingPlan
from tasking.services import task_update
from tests.tasking.conftest import (  # noqa: F401  (fixtures)
    day_profile,
    make_hotspot,
    night_profile,
    patterns,
    teams,
)

from .conftest import login, shot


def _next_monday():
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


def test_supervisor_generates_reassigns_publishes_and_the_officer_sees_it(
        page, browser, playwright, live_server, users, areas, patterns, teams,  # noqa: F811
        make_hotspot):  # noqa: F811
    spots = [make_hotspot(day_profile(4.0)), make_hotspot(night_profile(2.0)),
             make_hotspot([1.0] * 168), make_hotspot(day_profile(1.0))]
    login(page, live_server.url, "supervisor")
    page.click("a.nav-link[href='/tasking/']")
    assert page.input_value("#gen-week") == _next_monday().isoformat()
    page.click("button:has-text('Generate')")
    page.wait_for_selector("#plan-wrap[data-loaded]", timeout=15_000)
    plan = TaskingPlan.objects.get()
    assert plan.week_start == _next_monday() and plan.status == "draft"
    assert page.locator(".alert-success").inner_text().startswith(
        f"Generated {plan.tasks.count()} visits for Camden")
    # The first shift of the week is the early one: the day-time hot spot is top priority.
    rows = page.locator("#task-list tbody tr")
    early = plan.tasks.filter(shift__date=plan.week_start, shift__pattern__name="Early")
    assert rows.count() == early.count() == 6
    shot(page, "tasking-plan")

    # Click the top hot spot on the map and give its first visit to the officer.
    top = spots[0]
    page.click(f"path[data-hotspot='{top.pk}']")
    assert page.locator("#spot-title").inner_text().startswith(f"{top.key} · priority 1")
    first = early.filter(hotspot=top).order_by("starts_at", "id").first()
    officer = users["officer"]
    page.select_option(f"#spot-visits [data-task='{first.pk}'] select", f"user:{officer.pk}")
    page.wait_for_selector("[data-testid=plan-version]:text-is('2')", timeout=10_000)
    first.refresh_from_db()
    assert first.assignee_user == officer and first.assignee_team is None
    page.wait_for_function(
        "([id, value]) => document.querySelector(`#task-list tr[data-task='${id}'] select`)"
        "?.value === value", arg=[first.pk, f"user:{officer.pk}"], timeout=10_000)

    # Drag another visit onto the Kentish Town team.
    # (one not on that team already: a change that changes nothing makes no new version)
    second = early.exclude(pk=first.pk).exclude(assignee_team=teams["kt"]).order_by(
        "starts_at", "id").first()
    page.drag_and_drop(f"#task-list tr[data-task='{second.pk}'] td:first-child",
                       f".assignee-chip[data-team='{teams['kt'].pk}']")
    page.wait_for_selector("[data-testid=plan-version]:text-is('3')", timeout=10_000)
    second.refresh_from_db()
    assert second.assignee_team == teams["kt"] and second.assignee_user is None

    # A colleague changes the plan meanwhile: this page's next edit is refused, and theirs
    # stands.
    colleague = User.objects.create_user(username="sup2", first_name="Ann", last_name="Lee",
                                         area=areas["CN"])
    third = early.exclude(pk__in=[first.pk, second.pk]).exclude(
        assignee_team=teams["ct"]).order_by("starts_at", "id")[0]
    task_update(task=third, version=3, actor=colleague, team=teams["ct"])
    page.select_option(f"#task-list tr[data-task='{second.pk}'] select", "")
    alert = page.locator("#alerts .alert-danger")
    alert.wait_for(timeout=10_000)
    assert alert.inner_text().startswith("Ann Lee changed this plan at")
    second.refresh_from_db()
    assert second.assignee_team == teams["kt"]
    shot(page, "tasking-conflict")
    page.click("#alerts .alert-danger button")  # reload
    page.wait_for_selector("[data-testid=plan-version]:text-is('4')", timeout=10_000)

    page.click("#publish")
    page.wait_for_selector("[data-testid=plan-status]:text-is('Published')", timeout=10_000)
    plan.refresh_from_db()
    assert plan.status == "published" and plan.version == 5

    page.click("a:has-text('Briefing')")
    page.wait_for_selector("[data-testid=briefing-spot]")
    assert page.locator("[data-testid=briefing-spot]").count() == len(
        {t.hotspot_id for t in early})
    shot(page, "tasking-briefing")

    phone = browser.new_context(**playwright.devices["Pixel 7"], locale="en-GB",
                                timezone_id="Europe/London").new_page()
    login(phone, live_server.url, "officer")
    phone.goto(f"{live_server.url}/my-visits/")
    card = phone.locator(f"[data-task='{first.pk}']")
    assert "you" in card.inner_text()
    # One name for the page, no API link, and the visit in one plain sentence (issue 18, 6).
    assert phone.locator("h1").inner_text() == "My week"
    assert phone.title().startswith("My week")
    assert phone.locator("nav a:text-is('API')").count() == 0
    first.refresh_from_db()
    local = timezone.localtime(first.starts_at)
    why = first.why[0].lower() + first.why[1:]
    assert card.locator("[data-testid=plain]").inner_text() == (
        f"Be at {first.hotspot.name or first.hotspot.key} at {local:%H:%M} for "
        f"{first.minutes} minutes: {why}.")
    assert "harm from crime here falls in these hours" in why and "%" not in why
    mine = (PatrolTask.objects.filter(plan=plan, assignee_user=officer)
            | PatrolTask.objects.filter(plan=plan, assignee_user__isnull=True,
                                        assignee_team=officer.team))
    first_three = sorted({t.shift_id for t in mine}, key=lambda s: mine.filter(
        shift_id=s).first().shift.starts_at)[:3]
    cards = phone.locator("[data-testid=my-visits] li.card")
    assert cards.count() == mine.filter(shift_id__in=first_three).count()
    shot(phone, "my-visits-phone")
    phone.click("a:has-text('Show the whole week')")
    assert cards.count() == mine.count()
    phone.context.close()


def test_problem_solving_page_saves_notes_with_history(page, live_server, users,
                                                        make_hotspot):  # noqa: F811
    spot = make_hotspot([1.0] * 168)
    login(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/hotspots/{spot.pk}/problem-solving/")
    page.fill("#ps-scanning", "Repeat burglary of ground-floor flats")
    page.fill("#ps-response", "<script>alert(1)</script> Target hardening with the council")
    page.select_option("#ps-status", "response")
    page.click("button:has-text('Save notes')")
    # Refused with a message; what was typed is still there to be put right.
    assert "cannot contain HTML tags" in page.locator(".alert-danger").inner_text()
    assert page.input_value("#ps-scanning") == "Repeat burglary of ground-floor flats"
    assert page.input_value("#ps-response").startswith("<script>")
    page.fill("#ps-response", "Target hardening with the council, <5 weeks")
    page.select_option("#ps-status", "response")
    page.click("button:has-text('Save notes')")
    page.wait_for_selector(".alert-success")
    assert page.locator("[data-testid=ps-history] li").count() == 1
    assert page.input_value("#ps-response") == "Target hardening with the council, <5 weeks"
    record = spot.problem_solving
    assert (record.status, record.version) == ("response", 2)
    shot(page, "problem-solving")


def test_supervisor_sets_a_teams_minutes_for_one_shift(page, live_server, users, areas,
                                                       patterns, teams):  # noqa: F811
    from tasking.models import ShiftCapacity

    login(page, live_server.url, "supervisor")
    page.click("a.nav-link[href='/tasking/shifts/']")
    assert page.locator("[data-testid=patterns] tbody tr").count() == 3
    page.click("a:has-text('Next week')")
    monday = _next_monday() + timedelta(days=7)
    cap = ShiftCapacity.objects.get(shift__pattern__name="Late", shift__date=monday,
                                    team=teams["kt"])
    page.fill(f"input[data-cell='{cap.shift_id}-{teams['kt'].pk}']", "75")
    page.click("button:has-text('Save capacity')")
    page.wait_for_selector(".alert-success:has-text('1 capacity saved.')")
    cap.refresh_from_db()
    assert cap.minutes == 75
    shot(page, "tasking-shifts")
