"""The trial pages: design from a form, see the assignments, start, read the outcome."""

from django.urls import reverse

from evaluation.models import Trial
from tests.conftest import CAMDEN
from tests.html_forms import as_sent, form_fields

from .test_trials import END, START, places  # noqa: F401  (fixture)


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
