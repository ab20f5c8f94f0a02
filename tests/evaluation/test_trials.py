"""Trials against real PostGIS: design and randomisation, locking, tasking that follows the
assignments, and the outcome (counts, WDD, rate ratio, dosage and cost)."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.contrib.gis.geos import Point, Polygon
from django.urls import reverse

from audit.models import AuditEvent
from evaluation.models import CrossoverDay, Trial, TrialHotspot
from evaluation.services import (
    TrialInputError,
    trial_create,
    trial_outcome,
    trial_randomise_again,
    trial_start,
)
from hotspots.models import Crime, Hotspot, HotspotRun, OffenceType
from tasking.models import PatrolTask
from tasking.services import plan_generate, shift_pattern_create
from tests.conftest import CAMDEN, local_utc, upcoming_monday

# Two weeks, Monday to Sunday, still to come whenever the tests run.
START = upcoming_monday(3)
END = START + timedelta(days=13)
ARMS = [{"name": "10 min PC", "visit_minutes": 10, "role": "pc"},
        {"name": "control", "control": True}]


@pytest.fixture
def places(areas):
    """Four approved hot spots 1 km apart in Camden, harm 400, 300, 200, 100."""
    run = HotspotRun.objects.create(area=areas["CN"], trigger="command", status="done",
                                    window_start=datetime(2025, 1, 1, tzinfo=UTC),
                                    window_end=datetime(2026, 1, 1, tzinfo=UTC))
    spots = []
    for i, harm in enumerate((400, 300, 200, 100)):
        x, y = 525400 + 1000 * i, 184300
        spots.append(Hotspot.objects.create(
            run_area=areas["CN"], area=areas[CAMDEN], key=f"t:{i}",
            geom=Polygon.from_bbox((x - 75, y - 75, x + 75, y + 75)), status="approved",
            first_run=run, last_selected_run=run, profile=[1.0] * 168,
            stats={"harm": harm, "count": 10}))
    return spots


def make(areas, users, **extra):
    kwargs = {"area": areas[CAMDEN], "name": "Camden 10-minute trial", "design": "parallel",
              "arms": ARMS, "start_date": START, "end_date": END, "actor": users["analyst"],
              "seed": 42, **extra}
    return trial_create(**kwargs)


def test_parallel_trial_is_block_randomised_reproducibly(areas, users, places):
    trial = make(areas, users)
    rows = list(trial.places.order_by("block", "hotspot_id").values_list("hotspot_id", "block",
                                                                          "arm"))
    # Blocks by harm: (400, 300) and (200, 100), one place of each arm in each block.
    assert [r[1] for r in rows] == [0, 0, 1, 1]
    assert sorted(r[2] for r in rows[:2]) == [0, 1] and sorted(r[2] for r in rows[2:]) == [0, 1]
    # The copy runs the week after the first ends: the same places, dates that do not overlap.
    again = make(areas, users, name="copy", start_date=END + timedelta(days=1),
                 end_date=END + timedelta(days=7))
    assert list(again.places.order_by("hotspot_id").values_list("arm", flat=True)) == list(
        trial.places.order_by("hotspot_id").values_list("arm", flat=True))
    assert AuditEvent.objects.filter(action="trial.create").count() == 2


@pytest.mark.parametrize(("extra", "message"), [
    ({"arms": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}, {"name": "e"}]},
     "4 hot spot(s) cannot fill this design: it needs at least 5"),
    ({"hourly_cost": {"pc": 0}}, "the hourly cost for pc must be above zero"),
    ({"arms": [{"name": "only"}]}, "at least two arms"),
    ({"design": "crossover"}, "one patrol condition"),
    ({"arms": [{"name": "long", "visit_minutes": 90}, {"name": "c", "control": True}]},
     "a visit lasts 5 to 60 minutes"),
    ({"end_date": START - timedelta(days=1)}, "ends before it starts"),
])
def test_bad_trials_are_refused_and_nothing_is_made(areas, users, places, extra, message):
    with pytest.raises(TrialInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make(areas, users, **extra)
    assert Trial.objects.count() == 0 and TrialHotspot.objects.count() == 0


def test_a_hot_spot_cannot_be_in_two_trials_at_once(areas, users, places):
    make(areas, users)
    with pytest.raises(TrialInputError, match="hot spot t:0 is already in trial Camden"):
        make(areas, users, name="overlap", start_date=END, end_date=END + timedelta(days=7))
    assert Trial.objects.count() == 1


def test_randomisation_is_locked_once_the_trial_starts(areas, users, places):
    trial = make(areas, users)
    trial = trial_randomise_again(trial=trial, seed=7, actor=users["analyst"])
    assert trial.seed == 7
    trial = trial_start(trial=trial, actor=users["analyst"])
    arms = list(trial.places.order_by("hotspot_id").values_list("arm", flat=True))
    with pytest.raises(TrialInputError, match="its randomisation is locked"):
        trial_randomise_again(trial=trial, seed=8, actor=users["analyst"])
    with pytest.raises(TrialInputError, match="already running"):
        trial_start(trial=trial, actor=users["analyst"])
    assert list(trial.places.order_by("hotspot_id").values_list("arm", flat=True)) == arms
    trial.refresh_from_db()
    assert trial.seed == 7


def _patterns(areas, users):
    shift_pattern_create(area=areas[CAMDEN], name="Day", start_time=time(8),
                         duration_minutes=600, capacities={users["officer"].team: 240})


def test_tasking_follows_a_running_parallel_trial(areas, users, places):
    _patterns(areas, users)
    trial = make(areas, users)
    draft_plan = plan_generate(area=areas[CAMDEN], week_start=START, actor=None, seed=1)
    assert {t.hotspot_id for t in draft_plan.tasks.all()} == {p.pk for p in places}
    trial_start(trial=trial, actor=users["analyst"])
    plan = plan_generate(area=areas[CAMDEN], week_start=START, actor=None, seed=1,
                         version=draft_plan.version)
    control = set(trial.places.filter(arm=1).values_list("hotspot_id", flat=True))
    treated = set(trial.places.filter(arm=0).values_list("hotspot_id", flat=True))
    tasked = set(plan.tasks.values_list("hotspot_id", flat=True))
    assert tasked == treated and not (tasked & control)
    assert set(plan.tasks.values_list("minutes", flat=True)) == {10}
    assert all("(trial Camden 10-minute trial: 10 min PC)" in t.why for t in plan.tasks.all())
    assert any("left unpatrolled as trial controls" in w for w in plan.warnings)


def test_tasking_follows_a_crossover_trials_days_off(areas, users, places):
    _patterns(areas, users)
    trial = make(areas, users, design="crossover", arms=[{"name": "15 min"}])
    assert CrossoverDay.objects.filter(trial=trial).count() == 4 * 14
    assert CrossoverDay.objects.filter(trial=trial, day=START, patrolled=True).count() == 2
    trial_start(trial=trial, actor=users["analyst"])
    plan = plan_generate(area=areas[CAMDEN], week_start=START, actor=None, seed=1)
    off = set(CrossoverDay.objects.filter(trial=trial, patrolled=False)
              .values_list("hotspot_id", "day"))
    visited = set(PatrolTask.objects.filter(plan=plan).values_list("hotspot_id", "shift__date"))
    assert visited and not (visited & off)


def test_outcome_counts_wdd_and_rate_ratio(areas, users, places):
    trial = make(areas, users, hourly_cost={"pc": 40.0})
    burglary = OffenceType.objects.get(code="burglary")
    n = 0

    def crimes(hotspot, count, when, ring=False):
        nonlocal n
        c = hotspot.geom.centroid
        for _ in range(count):
            n += 1
            Crime.objects.create(source="t", reference=f"r{n}", offence_type=burglary,
                                 occurred_from=when, occurred_to=when,
                                 location=Point(c.x, c.y + (125 if ring else 0), srid=27700))

    before = local_utc(START - timedelta(days=7), 12)  # in the two weeks before the trial
    after = local_utc(START + timedelta(days=3), 12)    # during it
    arm = dict(trial.places.values_list("hotspot_id", "arm"))
    for spot in places:
        is_treated = arm[spot.pk] == 0
        crimes(spot, 10, before)
        crimes(spot, 4 if is_treated else 9, after)
        crimes(spot, 5, before, ring=True)
        crimes(spot, 6 if is_treated else 5, after, ring=True)
    out = trial_outcome(trial=trial, user=users["analyst"])
    assert out["treated"]["before"] == 20 and out["treated"]["after"] == 8
    assert out["control"]["before"] == 20 and out["control"]["after"] == 18
    assert out["treated"]["harm_before"] == 20 * burglary.harm_weight
    # WDD = (8 - 20) - (18 - 20) + (12 - 10) - (10 - 10) = -8, variance the sum of counts.
    assert (out["wdd"]["estimate"], out["wdd"]["variance"]) == (-8.0, 108.0)
    assert out["rate_ratio"]["ratio"] < 1.0 and out["rate_ratio"]["n"] == 4
    assert out["wdq"] == pytest.approx((12 / 18 - 10 / 20) / (8 / 18 - 20 / 20))
    assert out["minutes_by_arm"] == {"10 min PC": 0.0, "control": 0.0}
    assert out["cost"]["hours"] == 0.0


def test_trials_api_roles_and_outcome(api, users, areas, places):
    body = {"area": areas[CAMDEN].pk, "name": "API trial", "design": "parallel", "arms": ARMS,
            "start_date": START.isoformat(), "end_date": END.isoformat(), "seed": 3}
    refused = api(users["supervisor"]).post(reverse("api-trials"), data=body,
                                            content_type="application/json")
    assert refused.status_code == 403 and Trial.objects.count() == 0
    made = api(users["analyst"]).post(reverse("api-trials"), data=body,
                                      content_type="application/json")
    assert made.status_code == 201, made.content
    assert len(made.json()["places"]) == 4 and made.json()["status"] == "draft"
    pk = made.json()["id"]
    bad = api(users["analyst"]).post(reverse("api-trials"), data={**body, "hotspots": [
        places[0].pk]}, content_type="application/json")
    assert bad.status_code == 400 and "cannot fill this design" in bad.json()["detail"]
    assert api(users["supervisor"]).get(reverse("api-trial", args=[pk])).status_code == 200
    started = api(users["analyst"]).post(reverse("api-trial-start", args=[pk]))
    assert started.status_code == 200 and started.json()["status"] == "running"
    outcome = api(users["analyst"]).get(reverse("api-trial-outcome", args=[pk]))
    assert outcome.status_code == 200 and outcome.json()["wdd"]["estimate"] == 0.0
    assert outcome.json()["rate_ratio"] == {
        "error": "no crime in the window at any place: there is no rate to compare"}
