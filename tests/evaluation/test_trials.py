"""Trials against real PostGIS: design and randomisation, locking, tasking that follows the
assignments, and the outcome (counts, WDD, rate ratio, dosage and cost)."""

import itertools
import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest
from django.contrib.gis.geos import Point, Polygon
from django.urls import reverse

from audit.models import AuditEvent
from evaluation.analysis import NO_CONTROL, crossover_rate_ratio
from evaluation.models import CrossoverDay, Trial, TrialHotspot
from evaluation.selectors import trial_outcome
from evaluation.services import (
    TrialInputError,
    trial_create,
    trial_randomise_again,
    trial_start,
)
from hotspots.models import Crime, Hotspot, HotspotRun, OffenceType
from tasking.models import PatrolTask
from tasking.services import plan_generate, shift_pattern_create
from tests.conftest import CAMDEN, LONDON, local_utc, upcoming_monday

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


@pytest.fixture
def row(areas):
    """Four approved 150 m hot spots in a row, 200 m apart centre to centre (50 m gaps), harm
    400, 300, 200, 100: each lies inside its neighbours' 150 m rings."""
    run = HotspotRun.objects.create(area=areas["CN"], trigger="command", status="done",
                                    window_start=datetime(2025, 1, 1, tzinfo=UTC),
                                    window_end=datetime(2026, 1, 1, tzinfo=UTC))
    return [Hotspot.objects.create(
        run_area=areas["CN"], area=areas[CAMDEN], key=f"row:{i}",
        geom=Polygon.from_bbox((X0 + 200 * i - 75, Y0 - 75, X0 + 200 * i + 75, Y0 + 75)),
        status="approved", first_run=run, last_selected_run=run, profile=[1.0] * 168,
        stats={"harm": harm, "count": 10}) for i, harm in enumerate((400, 300, 200, 100))]


X0, Y0 = 525400, 184300
_refs = itertools.count()


def add_crimes(hotspot, count, when, *, dx=0.0, dy=0.0, code="burglary", until=None):
    """`count` crimes of type `code` at the hot spot's centre moved by (dx, dy) metres, at
    `when` (an instant) or over [when, until]."""
    c = hotspot.geom.centroid
    kind = OffenceType.objects.get(code=code)
    Crime.objects.bulk_create([
        Crime(source="t", reference=f"r{next(_refs)}", offence_type=kind, occurred_from=when,
              occurred_to=until or when, location=Point(c.x + dx, c.y + dy, srid=27700))
        for _ in range(count)])


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
    before = local_utc(START - timedelta(days=7), 12)  # in the two weeks before the trial
    after = local_utc(START + timedelta(days=3), 12)    # during it
    arm = dict(trial.places.values_list("hotspot_id", "arm"))
    for spot in places:
        is_treated = arm[spot.pk] == 0
        add_crimes(spot, 10, before)
        add_crimes(spot, 4 if is_treated else 9, after)
        add_crimes(spot, 5, before, dy=125)  # in the ring: 50 m outside the place
        add_crimes(spot, 6 if is_treated else 5, after, dy=125)
        # What patrols find themselves: activity, never the outcome, in places or rings.
        add_crimes(spot, 2 if is_treated else 0, after, code="drugs")
        add_crimes(spot, 0 if is_treated else 1, before, code="possession-of-weapons")
        add_crimes(spot, 3, after, dy=125, code="drugs")
    out = trial_outcome(trial=trial, user=users["analyst"])
    assert out["treated"] == {"places": 2, "before": 20, "after": 8,
                              "harm_before": 20 * burglary.harm_weight,
                              "harm_after": 8 * burglary.harm_weight,
                              "ring_before": 10, "ring_after": 12,
                              "activity_before": 0, "activity_after": 4}
    assert out["control"] == {"places": 2, "before": 20, "after": 18,
                              "harm_before": 20 * burglary.harm_weight,
                              "harm_after": 18 * burglary.harm_weight,
                              "ring_before": 10, "ring_after": 10,
                              "activity_before": 2, "activity_after": 0}
    assert out["activity_types"] == ["Drugs", "Possession of weapons"]
    # WDD = (8 - 20) - (18 - 20) + (12 - 10) - (10 - 10) = -8, variance the sum of counts.
    assert (out["wdd"]["estimate"], out["wdd"]["variance"]) == (-8.0, 108.0)
    # Every place had 10 before, so the baseline adjustment drops out and the ratio is the
    # ratio of the arms' counts during the trial.
    assert out["rate_ratio"]["ratio"] == pytest.approx(8 / 18, rel=1e-9)
    assert out["rate_ratio"]["n"] == 4
    # Two blocks of two: four assignments, two as extreme as this one (exact p 0.5).
    assert out["randomisation"]["p"] == pytest.approx(0.5, abs=0.015)
    assert out["randomisation"]["permutations"] == 9999
    # The WDQ now comes with its reading (issue 16); the quotient itself is unchanged.
    assert out["wdq"]["quotient"] == pytest.approx((12 / 18 - 10 / 20) / (8 / 18 - 20 / 20))
    assert out["wdq"]["reading"] == "net-benefit"
    assert out["minutes_by_arm"] == {"10 min PC": 0.0, "control": 0.0}
    assert out["cost"]["hours"] == 0.0
    assert "refused" not in out


def test_rings_leave_out_every_trial_place(areas, users, row):
    trial = make(areas, users, hotspots=row, seed=3)
    # Seed 3 deals control, treated, treated, control along the row.
    assert list(trial.places.order_by("hotspot_id").values_list("arm", flat=True)) == [
        1, 0, 0, 1]
    during, before = local_utc(START + timedelta(days=2), 12), local_utc(START - timedelta(
        days=2), 12)
    add_crimes(row[0], 1, during, dx=60)    # in control place 0, 65 m from treated place 1
    add_crimes(row[1], 1, during, dx=-50)   # in treated place 1, 50 m from control place 0
    add_crimes(row[1], 1, during, dx=100)   # in the gap between treated places 1 and 2
    add_crimes(row[1], 1, before, dx=100)
    add_crimes(row[1], 1, during, dx=100, code="drugs")
    add_crimes(row[0], 1, during, dx=100)   # in the gap between control 0 and treated 1
    add_crimes(row[0], 1, during, dx=-150)  # only in control place 0's ring
    out = trial_outcome(trial=trial, user=users["analyst"])
    t, c = out["treated"], out["control"]
    assert (t["after"], c["after"]) == (1, 1)
    # Treated ring: the crime between 1 and 2 once (it is in both their rings), and the one
    # between 0 and 1; not the crime inside control place 0, nor the drugs find. The old
    # rings (each place's buffer less only itself, summed) counted 6 here.
    assert (t["ring_before"], t["ring_after"]) == (1, 2)
    assert (c["ring_before"], c["ring_after"]) == (0, 2)
    assert (t["activity_after"], c["activity_after"]) == (0, 0)
    # WDD = (1 - 0) - (1 - 0) + (2 - 1) - (2 - 0) = -1 over 7 crimes.
    assert (out["wdd"]["estimate"], out["wdd"]["variance"]) == (-1.0, 7.0)


def _outcome_everywhere(api, users, trial):
    """The outcome from the service, the API and the page, as the analyst sees them."""
    client = api(users["analyst"])
    service = trial_outcome(trial=trial, user=users["analyst"])
    response = client.get(reverse("api-trial-outcome", args=[trial.pk]))
    page = client.get(reverse("trial-detail", args=[trial.pk]))
    assert response.status_code == 200 and page.status_code == 200
    return service, response.json(), page.content.decode()


def _state():
    return (list(Trial.objects.values_list("pk", "status", "seed", "arms")),
            list(TrialHotspot.objects.order_by("pk").values_list("pk", "arm", "block")),
            list(CrossoverDay.objects.order_by("pk").values_list("pk", "patrolled")),
            Crime.objects.count(), AuditEvent.objects.count())


def test_a_wdd_without_a_control_arm_is_refused_with_its_reason(api, users, areas, places):
    trial = make(areas, users, arms=[{"name": "10 min", "visit_minutes": 10},
                                     {"name": "20 min", "visit_minutes": 20}])
    trial_start(trial=trial, actor=users["analyst"])
    for spot in places:
        add_crimes(spot, 10, local_utc(START - timedelta(days=7), 12))
        add_crimes(spot, 6, local_utc(START + timedelta(days=3), 12))
        add_crimes(spot, 3, local_utc(START + timedelta(days=3), 12), dy=125)
    state = _state()
    service, body, page = _outcome_everywhere(api, users, trial)
    for out in (service, body):
        assert out["refused"] == NO_CONTROL
        assert out["wdd"] == {"error": f"no WDD: {NO_CONTROL}"}
        assert out["rate_ratio"] == out["randomisation"] == out["wdq"] == {"error": NO_CONTROL}
        assert out["treated"]["before"] == 40 and out["control"]["places"] == 0
    assert "Not analysed:</strong> this trial has no control arm, so there is nothing to " \
        "compare the patrolled places with" in page
    assert "WDD" not in page and "Rate ratio" not in page
    assert _state() == state


def _crossover_matrix(trial, ids):
    days = sorted(set(CrossoverDay.objects.filter(trial=trial).values_list("day", flat=True)))
    on = np.zeros((len(days), len(ids)), dtype=bool)
    for h, d, p in CrossoverDay.objects.filter(trial=trial).values_list("hotspot_id", "day",
                                                                         "patrolled"):
        on[days.index(d), ids.index(h)] = p
    return days, on


def test_crossover_counts_only_targeted_types_by_day(api, users, areas, places):
    trial = make(areas, users, design="crossover", arms=[{"name": "15 min"}])
    trial_start(trial=trial, actor=users["analyst"])
    ids = [p.pk for p in places]
    days, on = _crossover_matrix(trial, ids)
    expected = np.zeros(on.shape)
    rng = np.random.default_rng(1)
    for (d, i), n in zip(itertools.product(range(len(days)), range(len(ids))),
                         rng.poisson(np.where(on, 0.6, 1.2)).ravel(), strict=True):
        add_crimes(places[i], int(n), local_utc(days[d], 23, 30))  # late: still that day
        expected[d, i] = n
    # Drug finds on every patrolled place-day: activity, not crime at the place.
    for d, i in zip(*np.nonzero(on), strict=True):
        add_crimes(places[i], 1, local_utc(days[d], 14), code="drugs")
    add_crimes(places[0], 3, local_utc(START - timedelta(days=1), 12))  # before: not counted
    service, body, page = _outcome_everywhere(api, users, trial)
    assert (service["crimes_patrolled"], service["crimes_off"]) == (
        int(expected[on].sum()), int(expected[~on].sum()))
    assert (service["activity_patrolled"], service["activity_off"]) == (int(on.sum()), 0)
    assert service["rate_ratio"] == asdict(crossover_rate_ratio(counts=expected, patrolled=on))
    assert body["rate_ratio"] == pytest.approx(service["rate_ratio"])
    assert 0 < service["randomisation"]["p"] <= 1 and body["randomisation"] == \
        service["randomisation"]
    assert f"{int(on.sum())} on patrolled days, 0 on days off" in page
    assert "Randomisation test: p " in page and "refused" not in service


def test_crossover_on_month_only_dates_is_refused_with_its_reason(api, users, areas, places):
    trial = make(areas, users, design="crossover", arms=[{"name": "15 min"}])
    trial_start(trial=trial, actor=users["analyst"])
    # police.uk: the month of the trial's start, from the 1st at local midnight to the next
    # month's 1st. The window starts before the trial does, and still overlaps it.
    first = date(START.year, START.month, 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    month_from = datetime.combine(first, time(0), tzinfo=LONDON).astimezone(UTC)
    month_to = datetime.combine(following, time(0), tzinfo=LONDON).astimezone(UTC)
    add_crimes(places[0], 2, month_from, until=month_to)
    add_crimes(places[1], 1, month_from, until=month_to, code="drugs")
    add_crimes(places[2], 2, local_utc(START + timedelta(days=1), 12))  # dated to the day
    state = _state()
    service, body, page = _outcome_everywhere(api, users, trial)
    message = ("no day-level comparison: 3 of the 5 crimes at these places in the trial's "
               "dates are dated only to their month (police.uk records every crime on the "
               "1st), so they cannot be put on a patrolled day or a day off. A daily "
               "crossover needs crimes dated to the day: import the force's own records "
               "with their dates.")
    for out in (service, body):
        assert out["refused"] == message
        assert out["rate_ratio"] == out["randomisation"] == {"error": message}
        assert "crimes_patrolled" not in out
    assert f"Not analysed:</strong> {message.replace(chr(39), '&#x27;')}" in page
    assert "Rate ratio" not in page
    assert _state() == state


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


def test_a_long_arms_visits_fit_their_shifts_and_their_teams_minutes(areas, users, places):
    """Issue 16, part 6: a 60-minute arm with 15-minute slots planned four times the
    capacity, and its visits could run past the end of the shift."""
    from tasking.models import ShiftCapacity

    _patterns(areas, users)
    trial = make(areas, users, name="An hour a visit",
                 arms=[{"name": "60 min PC", "visit_minutes": 60, "role": "pc"},
                       {"name": "control", "control": True}])
    trial_start(trial=trial, actor=users["analyst"])
    plan = plan_generate(area=areas[CAMDEN], week_start=START, actor=None, seed=1)
    tasks = list(plan.tasks.select_related("shift"))
    assert tasks and {t.minutes for t in tasks} == {60}
    for t in tasks:
        assert t.shift.starts_at <= t.starts_at
        assert t.starts_at + timedelta(minutes=60) <= t.shift.ends_at
    capacity: dict[tuple[int, int | None], int] = {
        (c.shift_id, c.team_id): c.minutes
        for c in ShiftCapacity.objects.filter(shift__in={t.shift_id for t in tasks})}
    used: dict[tuple[int, int | None], int] = {}
    for t in tasks:
        key = (t.shift_id, t.assignee_team_id)
        used[key] = used.get(key, 0) + t.minutes
    assert all(minutes <= capacity[key] for key, minutes in used.items())


def test_the_cost_counts_the_trials_own_places_and_prices_only_named_people(areas, users,
                                                                             places):
    """Issue 16, part 5: the cost summed patrol hours over every hot spot in the trial's
    areas, and priced a device without a holder as staff."""
    from patrols.models import Presence, Visit
    from patrols.services import device_create

    trial = make(areas, users, hourly_cost={"staff": 30.0, "pc": 40.0})
    trial_start(trial=trial, actor=users["analyst"])
    outside = Hotspot.objects.create(
        run_area=areas["CN"], area=areas[CAMDEN], key="not-in-trial", status="approved",
        geom=Polygon.from_bbox((530000, 184300, 530150, 184450)), first_run=places[0].first_run,
        last_selected_run=places[0].first_run, profile=[1.0] * 168, stats={"harm": 1})
    trial.places.filter(hotspot=places[3]).delete()  # leaves three trial places
    t0 = local_utc(START + timedelta(days=2), 10)
    officer = users["officer"]  # rank staff
    Visit.objects.create(id=uuid.uuid4(), officer=officer, hotspot=places[0], started_at=t0,
                         ended_at=t0 + timedelta(minutes=30), body_hash="x")
    for spot in (outside, places[3]):  # an hour at each place not in the trial
        Visit.objects.create(id=uuid.uuid4(), officer=officer, hotspot=spot,
                             started_at=t0 + timedelta(hours=2),
                             ended_at=t0 + timedelta(hours=3), body_hash="y" + spot.key)
    van, _ = device_create(name="Van", kind="vehicle", area=areas[CAMDEN], team=None,
                           actor=None)
    Presence.objects.create(device=van, hotspot=places[1], started_at=t0,
                            ended_at=t0 + timedelta(minutes=45), pings=10, seconds=2700)
    cost = trial_outcome(trial=trial, user=users["analyst"])["cost"]
    assert (cost["hours"], cost["total"], cost["unattributed_hours"]) == (0.5, 15.0, 0.75)
