"""The trial pages: design from a form, see the assignments, start, read the outcome."""

from datetime import timedelta

import pytest
from django.urls import reverse

from evaluation.models import Trial
from evaluation.services import trial_start
from tests.conftest import CAMDEN, local_utc
from tests.html_forms import as_sent, form_fields

from .test_trials import END, START, add_crimes, make, places  # noqa: F401  (fixture)


def test_analyst_designs_starts_and_reads_a_trial(api, users, areas, places):  # noqa: F811
    client = api(users["analyst"])
    made = client.post(reverse("trial-list"), {
        "name": "Camden 10 v 15", "area": areas[CAMDEN].pk, "design": "parallel",
        "lengths": "10, 15", "role": "pc", "control": "1", "start": START.isoformat(),
        "end": END.isoformat(), "cost_pc": "41.5", "seed": "9"})
    trial = Trial.objects.get()
    assert made.status_code == 302 and made["Location"] == reverse("trial-detail",
                                                                   args=[trial.pk])
    assert [a["name"] for a in trial.arms] == ["10 min PC", "15 min PC", "control"]
    assert trial.hourly_cost == {"pc": 41.5} and trial.seed == 9
    page = client.get(made["Location"]).content.decode()
    assert page.count("<tr><td>") == 4 and "Start the trial" in page
    client.post(made["Location"])
    trial.refresh_from_db()
    assert trial.status == "running"
    page = client.get(made["Location"]).content.decode()
    assert 'data-testid="outcome"' in page and "no crime in the window" in page
    # Supervisors read but do not design or start.
    sup = api(users["supervisor"])
    assert sup.get(made["Location"]).status_code == 200
    assert sup.post(reverse("trial-list"), {"name": "x"}).status_code == 403


def test_a_bad_trial_form_says_why(api, users, areas, places):  # noqa: F811
    response = api(users["analyst"]).post(reverse("trial-list"), {
        "name": "Too many arms", "area": areas[CAMDEN].pk, "design": "parallel",
        "lengths": "5, 10, 15, 20", "control": "1", "start": START.isoformat(),
        "end": END.isoformat()})
    assert response.status_code == 400
    assert "4 hot spot(s) cannot fill this design: it needs at least 5" in \
        response.content.decode()
    assert Trial.objects.count() == 0


def test_a_refused_trial_form_comes_back_as_it_was_sent(api, users, areas, places):  # noqa: F811
    sent = {"name": "Camden <b>pilot</b>", "area": str(areas[CAMDEN].pk),
            "design": "crossover", "lengths": "10, 20", "role": "pcso", "start": START.isoformat(),
            "end": END.isoformat(), "cost_pc": "41.5", "cost_pcso": "30", "cost_special": "",
            "seed": "77"}
    response = api(users["analyst"]).post(reverse("trial-list"), sent)

    assert response.status_code == 400
    assert "cannot contain HTML tags" in response.content.decode()
    # Every field as typed; the control arm was not ticked, so it is not ticked now.
    assert form_fields(response.content, "trial-form") == as_sent(sent)
    assert Trial.objects.count() == 0


@pytest.mark.parametrize(("treated_after", "ring_after", "reading", "shown"), [
    # Treated 20 -> 12 against a steady control; its ring 10 -> 8: both improved.
    (6, 4, "diffusion", "diffusion of benefits: the area around the treated places improved "
     "too"),
    # Treated 20 -> 28 against a steady control; its ring 10 -> 14. The quotient is +0.5,
    # which Bowers and Johnson's scale would call a diffusion of benefits: it is not one.
    (14, 7, "treated-worse", "the treated places got worse against the control, so there "
     "was no gain to displace or spread and the quotient&#x27;s scale does not apply; the "
     "area around them got worse too"),
])
def test_the_wdq_is_read_right_whichever_way_the_treated_places_went(
        api, users, areas, places, treated_after, ring_after, reading, shown):  # noqa: F811
    trial = make(areas, users)
    trial_start(trial=trial, actor=users["analyst"])
    arm = dict(trial.places.values_list("hotspot_id", "arm"))
    for spot in places:
        is_treated = arm[spot.pk] == 0
        add_crimes(spot, 10, local_utc(START - timedelta(days=7), 12))
        add_crimes(spot, treated_after if is_treated else 10,
                   local_utc(START + timedelta(days=3), 12))
        add_crimes(spot, 5, local_utc(START - timedelta(days=7), 12), dy=125)
        add_crimes(spot, ring_after if is_treated else 5,
                   local_utc(START + timedelta(days=3), 12), dy=125)
    client = api(users["analyst"])
    wdq = client.get(reverse("api-trial-outcome", args=[trial.pk])).json()["wdq"]
    t, ring = 2 * treated_after, 2 * ring_after
    assert wdq["quotient"] == pytest.approx((ring / 20 - 10 / 20) / (t / 20 - 20 / 20))
    assert wdq["reading"] == reading and wdq["text"] == shown.replace("&#x27;", "'")
    page = client.get(reverse("trial-detail", args=[trial.pk])).content.decode()
    assert f"{wdq['quotient']:.2f}</strong>: {shown}" in page
    assert ("diffusion" in page) == (reading == "diffusion")


@pytest.mark.parametrize(("status", "today", "label"), [
    ("draft", None, "Draft"),
    ("running", "before", "Starts {start} (randomisation locked)"),
    ("running", "during", "Running (randomisation locked)"),
    ("running", "after", "Ended {end}"),
    ("finished", "during", "Ended {end}"),
])
def test_a_trial_says_whether_it_has_begun_or_ended(api, users, areas, places,  # noqa: F811
                                                     status, today, label):
    """A running trial past its end date read "Running" for ever (issue 18, item 18)."""
    from evaluation.selectors import trial_phase

    trial = make(areas, users)
    Trial.objects.filter(pk=trial.pk).update(status=status)
    trial.refresh_from_db()
    day = {None: START, "before": START - timedelta(days=1), "during": START,
           "after": END + timedelta(days=1)}[today]
    expected = label.format(start=f"{START.day} {START:%b %Y}", end=f"{END.day} {END:%b %Y}")
    assert trial_phase(trial=trial, today=day) == expected


def test_the_trial_pages_show_that_a_trial_has_ended(api, users, areas, places):  # noqa: F811
    trial = make(areas, users)
    Trial.objects.filter(pk=trial.pk).update(status="running",
                                             end_date=START - timedelta(days=400),
                                             start_date=START - timedelta(days=430))
    trial.refresh_from_db()
    client = api(users["analyst"])
    ended = f"Ended {trial.end_date.day} {trial.end_date:%b %Y}"
    detail = client.get(reverse("trial-detail", args=[trial.pk])).content.decode()
    assert f'<strong data-testid="trial-status">{ended}</strong>' in detail
    listing = client.get(reverse("trial-list")).content.decode()
    assert f"<td>{ended}</td>" in listing
    assert "Running (randomisation locked)" not in listing


def test_a_crossover_trial_shows_its_calendar(api, users, areas, places):  # noqa: F811
    """Issue 18, item 18: a crossover trial's page said only "daily crossover"."""
    from evaluation.models import CrossoverDay

    trial = make(areas, users, design="crossover", arms=[{"name": "15 min"}])
    page = api(users["analyst"]).get(reverse("trial-detail", args=[trial.pk])).content.decode()
    grid = page.split('data-testid="crossover-calendar"')[1].split("</table>")[0]
    days = (END - START).days + 1
    assert grid.count("<th class=\"text-center\"") == days
    spots = list(trial.places.order_by("block", "hotspot_id").values_list("hotspot_id",
                                                                         flat=True))
    rows = grid.split("<tbody>")[1].split("</tr>")[:-1]
    assert len(rows) == len(spots)
    for spot, row in zip(spots, rows, strict=True):
        expected = [on for on in CrossoverDay.objects.filter(trial=trial, hotspot_id=spot)
                    .order_by("day").values_list("patrolled", flat=True)]
        cells = [c.split(">", 1)[1].split("<")[0] for c in row.split("<td")[1:]]
        assert cells == ["on" if on else "off" for on in expected]
        assert len(cells) == days and "on" in cells and "off" in cells
