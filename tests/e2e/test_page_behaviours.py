"""Page behaviours under a Content Security Policy with no inline script: what were
onchange/onsubmit attributes are data attributes that static/js/site.js acts on."""

from datetime import timedelta

from evaluation.models import Trial
from evaluation.services import trial_create
from tests.conftest import CAMDEN, ISLINGTON
from tests.evaluation.test_trials import START, places  # noqa: F401  (fixture)

from .conftest import login, shot


def test_choosing_an_area_reloads_the_shifts_page(page, live_server, users, areas):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security" in m.text
            else None)
    login(page, live_server.url, "analyst")
    page.goto(f"{live_server.url}/tasking/shifts/?area={areas[CAMDEN].pk}")
    with page.expect_navigation():
        page.select_option("#area", str(areas[ISLINGTON].pk))
    assert f"area={areas[ISLINGTON].pk}" in page.url
    assert errors == []


def test_starting_a_trial_asks_first_and_cancelling_changes_nothing(
        page, live_server, users, areas, places):  # noqa: F811
    trial = trial_create(area=areas["CN"], name="Pilot", design="parallel",
                         arms=[{"name": "15 min", "visit_minutes": 15},
                               {"name": "control", "control": True}],
                         start_date=START, end_date=START + timedelta(days=13),
                         actor=users["analyst"], seed=3, hourly_cost={})
    login(page, live_server.url, "analyst")
    page.goto(f"{live_server.url}/trials/{trial.pk}/")
    asked: list[str] = []
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.click("text=Start the trial")
    # A cancelled form sends nothing at all: the browser would record the POST when sent.
    assert (asked, posts) == (
        ["Starting locks the randomisation and tasking follows it from now. Start?"], [])
    trial.refresh_from_db()
    assert trial.status == "draft"

    page.once("dialog", lambda d: answer(d, True))
    with page.expect_navigation():
        page.click("text=Start the trial")
    trial.refresh_from_db()
    assert trial.status == Trial.Status.RUNNING
    assert posts == [f"{live_server.url}/trials/{trial.pk}/"]  # one POST, the accepted one
    shot(page, "trial-running")
