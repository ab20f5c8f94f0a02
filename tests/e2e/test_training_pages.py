"""Training in the browser (issue 19): an officer on a phone takes "Why hot spots", part of
it with no signal, passes its check, and shows as done in the supervisor's matrix; a
supervisor giving a visit to an untrained officer is warned; My patrols on the phone."""

import uuid
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from hotspots.models import HotspotRun
from patrols.models import Visit
from patrols.services import observation_act
from tasking.models import TaskingPlan
from tasking.services import plan_generate
from tests.conftest import CAMDEN
from tests.tasking.conftest import (  # noqa: F401  (fixtures)
    day_profile,
    make_hotspot,
    patterns,
    teams,
)
from tests.training.conftest import right_answers, shipped  # noqa: F401  (fixture)
from training.models import Completion

from .conftest import login, shot


def _phone(browser, playwright):
    context = browser.new_context(**playwright.devices["Pixel 7"], locale="en-GB",
                                  timezone_id="Europe/London")
    return context, context.new_page()


def test_an_officer_takes_a_module_partly_offline_and_the_matrix_shows_it_done(
        browser, playwright, page, live_server, users, areas, shipped):  # noqa: F811
    HotspotRun.objects.create(
        area=areas["CN"], trigger="command", status="done",
        window_start=datetime(2024, 3, 1, tzinfo=UTC), window_end=datetime(2025, 3, 1, tzinfo=UTC),
        finished_at=timezone.now() - timedelta(days=1), metrics={"top_5_percent": 0.46})
    module = shipped["why-hot-spots"]
    context, phone = _phone(browser, playwright)
    login(phone, live_server.url, "officer")
    phone.click("button.navbar-toggler")
    phone.click("a.nav-link[href='/learn/']")
    phone.wait_for_selector("[data-module='why-hot-spots'] [data-testid=standing]:text-is("
                            "'Not done')")
    shot(phone, "learning-phone")

    phone.click("[data-module='why-hot-spots'] a")
    phone.wait_for_selector("section.lesson[data-step='0']:not(.d-none)")
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
    figure = phone.locator(".local-figure").first
    assert figure.inner_text().startswith("In Central North, 5% of places hold 46% of crime "
                                          "harm. (computed ")
    shot(phone, "learning-lesson")
    phone.click("section.lesson[data-step='0'] button:has-text('Next lesson')")
    phone.wait_for_selector("section.lesson[data-step='1']:not(.d-none)")

    # The signal goes: the page opens again from the phone, and the rest is read offline.
    context.set_offline(True)
    phone.reload()
    phone.wait_for_selector("#learn-offline:not(.d-none)", timeout=20_000)
    phone.wait_for_selector("section.lesson[data-step='1']:not(.d-none)")
    for step in (1, 2, 3):
        phone.click(f"section.lesson[data-step='{step}'] [data-go='{step + 1}']")
    phone.wait_for_selector("section.lesson[data-step='4']:not(.d-none)")
    for n, answer in enumerate(right_answers(module)):
        phone.check(f"input[name=q{n}][value='{answer}']")
    shot(phone, "learning-quiz")
    phone.click("[data-testid=send-answers]")
    phone.wait_for_selector("[data-testid=quiz-result]:has-text('No signal: your answers are "
                            "saved on this phone')")
    assert Completion.objects.count() == 0

    # The signal returns: the answers are sent once, marked, and the result shown.
    context.set_offline(False)
    phone.wait_for_selector("[data-testid=quiz-result]:has-text('Passed: 5 of 5 right "
                            "(100%)')", timeout=30_000)
    shot(phone, "learning-passed")
    done = Completion.objects.get()
    assert (done.user, done.module, done.score, done.passed, done.module_version) == (
        users["officer"], module, 100, True, 1)
    phone.goto(f"{live_server.url}/learn/")
    phone.wait_for_selector("[data-module='why-hot-spots'] [data-testid=standing]:text-is("
                            "'Done')")
    assert Completion.objects.count() == 1
    context.close()

    login(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/learn/matrix/?area={areas[CAMDEN].pk}")
    row = page.locator(f"tr[data-user='{users['officer'].pk}'] td[data-state]")
    assert row.nth(0).get_attribute("data-state") == "done"
    assert row.nth(0).inner_text().startswith("Done")
    assert [row.nth(i).get_attribute("data-state") for i in range(5)] == [
        "done", "not_done", "not_done", "not_done", "not_required"]
    shot(page, "training-matrix")


def test_a_supervisor_giving_a_visit_to_an_untrained_officer_is_warned(
        page, live_server, users, areas, patterns, teams, make_hotspot, shipped):  # noqa: F811
    make_hotspot(day_profile(4.0))
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    plan = plan_generate(area=areas[CAMDEN], week_start=monday, actor=None, seed=2)
    login(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/tasking/plans/{plan.pk}/")
    page.wait_for_selector("#plan-wrap[data-loaded]", timeout=15_000)
    task = plan.tasks.filter(shift__date=monday, shift__pattern__name="Early").order_by(
        "starts_at", "id").first()
    select = page.locator(f"#task-list tr[data-task='{task.pk}'] select")
    officer = users["officer"]
    assert select.locator(f"option[value='user:{officer.pk}']").inner_text() == \
        "officer (training due)"
    select.select_option(f"user:{officer.pk}")
    warning = page.wait_for_selector("[data-testid=training-warning]", timeout=10_000)
    assert warning.inner_text().startswith(
        "officer has not done the training their role requires: Why hot spots, What to do in "
        "a hot spot, How harm weighting and targeting work, Using the patrol page.")
    task.refresh_from_db()
    assert task.assignee_user == officer
    assert TaskingPlan.objects.get().version == 2
    shot(page, "tasking-training-warning")


def test_my_patrols_on_the_phone(browser, playwright, live_server, users, make_hotspot):  # noqa: F811
    spot = make_hotspot([1.0] * 168)
    now = timezone.now()
    # Within this month: three hours ago, or the month's first minute if that is later.
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0,
                                                  microsecond=0)
    start = max(month_start, now - timedelta(hours=3))
    visit = Visit.objects.create(id=uuid.uuid4(), officer=users["officer"], hotspot=spot,
                                 started_at=start, ended_at=start + timedelta(minutes=15),
                                 notes="Side gate behind the shops left open", body_hash="x")
    observation_act(visit=visit, actor=users["supervisor"], comment="Council told")
    context, phone = _phone(browser, playwright)
    login(phone, live_server.url, "officer")
    phone.goto(f"{live_server.url}/my-patrols/")
    assert phone.locator("[data-testid=minutes]").inner_text() == "15"
    assert phone.locator("[data-testid=visits]").inner_text() == "1"
    assert phone.locator("[data-testid=acted-on]").inner_text().startswith("Acted on")
    assert phone.locator("[data-testid=trend] li").count() == 1
    assert phone.locator("[data-testid=crimes]").inner_text() == \
        "No crime data loaded yet to compare."
    shot(phone, "my-patrols")
    context.close()


def test_answers_queued_on_a_shared_phone_go_to_who_gave_them_in_their_order(
        browser, playwright, live_server, users, areas, shipped):  # noqa: F811
    """Two sets answered with no signal are sent oldest first (the page shows the last);
    a set left queued when its officer signs out waits for them, not for the next one."""
    from accounts.models import Team
    from tests.conftest import make_user

    other = make_user("pc2", "officer", areas[CAMDEN], Team.objects.get(name="Camden Town SNT"))
    module = shipped["patrol-page"]
    right = right_answers(module)
    wrong = [(a + 1) % 2 for a in right]
    context, phone = _phone(browser, playwright)
    login(phone, live_server.url, "officer")
    phone.goto(f"{live_server.url}/learn/patrol-page/")
    phone.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
    context.set_offline(True)
    for answers in (wrong, right):
        phone.click("section.lesson[data-step='0'] button:has-text('Next lesson')") \
            if phone.locator("section.lesson[data-step='0']:not(.d-none)").count() else None
        for step in range(4):
            go = phone.locator(f"section.lesson[data-step='{step}']:not(.d-none) "
                               f"[data-go='{step + 1}']")
            if go.count():
                go.click()
        for n, answer in enumerate(answers):
            phone.check(f"input[name=q{n}][value='{answer}']")
        phone.click("[data-testid=send-answers]")
        phone.wait_for_selector("[data-testid=quiz-result]:has-text('No signal')")
        phone.wait_for_timeout(1100)  # a later queued_at for the second set
    context.set_offline(False)
    phone.wait_for_selector("[data-testid=quiz-result]:has-text('Passed: 5 of 5 right')",
                            timeout=30_000)
    sittings = list(Completion.objects.order_by("answered_at").values_list("user", "passed"))
    assert sittings == [(users["officer"].pk, False), (users["officer"].pk, True)]

    # A third set queued with no signal; the officer leaves it and signs out later.
    context.set_offline(True)
    for n, answer in enumerate(wrong):
        phone.check(f"input[name=q{n}][value='{answer}']")
    phone.click("[data-testid=send-answers]")
    phone.wait_for_selector("[data-testid=quiz-result]:has-text('No signal')")
    phone.close()
    context.set_offline(False)
    page = context.new_page()
    page.goto(f"{live_server.url}/my-patrols/")
    with page.expect_navigation():
        page.evaluate("document.querySelector(\"form[action$='/logout/']\").submit()")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "pc2")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/learn/")
    page.wait_for_selector("[data-testid=learn-pending]:has-text('1 set of answers from "
                           "someone else who used this phone wait for them to sign in')")
    assert Completion.objects.filter(user=other).count() == 0
    assert Completion.objects.count() == 2
    # Another person signed in: the pages kept for the last one are gone.
    kept = page.evaluate("() => caches.open('learn-v1').then((c) => c.keys())"
                         ".then((k) => k.map((r) => new URL(r.url).pathname))")
    assert "/learn/patrol-page/" not in kept
    with page.expect_navigation():
        page.evaluate("document.querySelector(\"form[action$='/logout/']\").submit()")
    login(page, live_server.url, "officer")
    page.goto(f"{live_server.url}/learn/")
    for _ in range(60):  # the page sends the officer's own set as it opens
        if Completion.objects.count() == 3:
            break
        page.wait_for_timeout(500)
    assert list(Completion.objects.order_by("answered_at").values_list("user", flat=True)) \
        == [users["officer"].pk] * 3
    context.close()


def test_the_learning_worker_keeps_lessons_only(page, live_server, users, shipped):  # noqa: F811
    """Django decodes /learn/%6Datrix/ to the matrix: the worker must not keep it, nor the
    matrix or the editor, so nothing of them is left on a shared device."""
    login(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/learn/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null",
                           timeout=20_000)
    for path in ("/learn/why-hot-spots/", "/learn/%6Datrix/", "/learn/matrix/",
                 "/learn/manage/", "/learn/%6Danage/"):
        page.goto(f"{live_server.url}{path}")
    kept = page.evaluate("() => caches.open('learn-v1').then((c) => c.keys())"
                         ".then((k) => k.map((r) => new URL(r.url).pathname).sort())")
    assert [p for p in kept if not p.startswith("/static/")] == ["/learn/",
                                                                  "/learn/why-hot-spots/"]
