"""Tasking services against real PostGIS: shifts across clock changes, generation, edits
under a version check, publishing, and problem-solving records."""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone

from accounts.models import Team, User
from audit.models import AuditEvent
from hotspots.models import Hotspot
from tasking import services
from tasking.errors import PlanConflict, TaskingInputError
from tasking.models import (
    PatrolTask,
    ProblemSolving,
    Shift,
    ShiftCapacity,
    ShiftPattern,
    TaskingPlan,
)
from tasking.selectors import tasks_for_officer
from tests.conftest import CAMDEN, ISLINGTON, local_utc, make_user

from .conftest import WEEK, day_profile, night_profile


@pytest.mark.parametrize(("day", "start", "minutes", "utc_start", "utc_end"), [
    # An ordinary winter night: 23:00-07:00 GMT.
    (date(2026, 1, 12), time(23), 480, datetime(2026, 1, 12, 23, tzinfo=UTC),
     datetime(2026, 1, 13, 7, tzinfo=UTC)),
    # The clocks go back at 02:00 BST on 26 October 2025: the night lasts 9 hours.
    (date(2025, 10, 25), time(23), 480, datetime(2025, 10, 25, 22, tzinfo=UTC),
     datetime(2025, 10, 26, 7, tzinfo=UTC)),
    # They go forward at 01:00 GMT on 30 March 2025: that night lasts 7 hours.
    (date(2025, 3, 29), time(23), 480, datetime(2025, 3, 29, 23, tzinfo=UTC),
     datetime(2025, 3, 30, 6, tzinfo=UTC)),
    # A summer early shift: 07:00 BST is 06:00 UTC.
    (date(2025, 7, 1), time(7), 480, datetime(2025, 7, 1, 6, tzinfo=UTC),
     datetime(2025, 7, 1, 14, tzinfo=UTC)),
    # A 24-hour shift.
    (date(2026, 1, 12), time(8), 1440, datetime(2026, 1, 12, 8, tzinfo=UTC),
     datetime(2026, 1, 13, 8, tzinfo=UTC)),
])
def test_shift_bounds_keep_wall_clock_times_across_clock_changes(day, start, minutes,
                                                                utc_start, utc_end):
    assert services.shift_bounds(day=day, start=start, minutes=minutes) == (utc_start, utc_end)


def test_a_weeks_shifts_are_made_once_with_the_patterns_capacity(areas, patterns, teams):
    first = services.shifts_ensure(area=areas[CAMDEN], week_start=WEEK)
    again = services.shifts_ensure(area=areas[CAMDEN], week_start=WEEK)
    assert [s.pk for s in first] == [s.pk for s in again]
    assert len(first) == 21 and Shift.objects.count() == 21
    assert ShiftCapacity.objects.count() == 21 * 2
    night = next(s for s in first if s.pattern.name == "Night" and s.date == WEEK)
    assert night.starts_at == local_utc(WEEK, 23)
    assert night.ends_at == local_utc(WEEK + timedelta(days=1), 7)
    assert dict(night.capacities.values_list("team__name", "minutes")) == {
        "Camden Town SNT": 30, "Kentish Town SNT": 0}


def test_the_clock_change_week_has_a_nine_hour_night(areas, patterns):
    shifts = services.shifts_ensure(area=areas[CAMDEN], week_start=date(2025, 10, 20))
    hours = {(s.pattern.name, s.date): (s.ends_at - s.starts_at) / timedelta(hours=1)
             for s in shifts}
    assert hours[("Night", date(2025, 10, 25))] == 9.0
    assert hours[("Night", date(2025, 10, 24))] == 8.0
    assert hours[("Early", date(2025, 10, 26))] == 8.0


@pytest.mark.parametrize(("start", "minutes", "days", "message"), [
    (time(6), 1500, 0b1111111, "at most 24 hours; 25 h was given"),
    (time(6), 0, 0b1111111, "more than 0"),
    (time(14), 120, 0b1111111, "overlaps the Early shift (07:00 for 8 h)"),
    # Sunday 23:00 runs into Monday's early shift a week later.
    (time(6, 30), 30, 0b0000001, "overlaps the Night shift"),
    (time(6), 60, 0, "at least one day"),
])
def test_bad_shift_patterns_are_refused_and_nothing_is_made(areas, patterns, start, minutes,
                                                           days, message):
    before = ShiftPattern.objects.count()
    with pytest.raises(TaskingInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        services.shift_pattern_create(area=areas[CAMDEN], name="Extra", start_time=start,
                                      duration_minutes=minutes, days=days)
    assert ShiftPattern.objects.count() == before


def test_a_pattern_on_other_days_does_not_overlap(areas, patterns):
    """A Saturday-only late extra at 19:00 overlaps the Late shift on Saturday: refused; a
    pattern in another borough at the same hours is fine."""
    with pytest.raises(TaskingInputError, match="overlaps the Late shift"):
        services.shift_pattern_create(area=areas[CAMDEN], name="Sat", start_time=time(19),
                                      duration_minutes=240, days=services.days_mask(["Sat"]))
    assert not ShiftPattern.objects.filter(name="Sat").exists()
    made = services.shift_pattern_create(area=areas[ISLINGTON], name="Early",
                                         start_time=time(7), duration_minutes=480)
    assert made.day_names() == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def test_capacity_for_a_team_of_another_area_is_refused(areas, patterns, teams):
    with pytest.raises(TaskingInputError, match="Holloway SNT works in Islington"):
        services.pattern_capacity_set(pattern=patterns["Early"], team=teams["hw"], minutes=60)
    assert patterns["Early"].capacities.count() == 2


@pytest.fixture
def spots(make_hotspot):
    return {"night": make_hotspot(night_profile(5.0)), "day": make_hotspot(day_profile(3.0)),
            "flat": make_hotspot([1.0] * 168),
            "retired": make_hotspot([9.0] * 168, status="retired"),
            "islington": make_hotspot([9.0] * 168, borough=ISLINGTON)}


def _generate(areas, users, **kwargs):
    return services.plan_generate(area=areas[CAMDEN], week_start=WEEK, actor=users["supervisor"],
                                  **kwargs)


def test_generated_week_follows_harm_caps_gaps_and_capacity(areas, users, patterns, teams,
                                                            spots):
    plan = _generate(areas, users, seed=7)
    tasks = list(plan.tasks.select_related("shift__pattern", "hotspot"))
    # Only approved Camden hot spots are tasked.
    assert {t.hotspot_id for t in tasks} == {spots["night"].pk, spots["day"].pk,
                                             spots["flat"].pk}
    # The night-only hot spot is visited only at night: twice a night (the night's 30 minutes).
    night = [t for t in tasks if t.hotspot_id == spots["night"].pk]
    assert len(night) == 14 and {t.shift.pattern.name for t in night} == {"Night"}
    per_shift = Counter(t.shift_id for t in tasks)
    for shift in Shift.objects.filter(pk__in=per_shift):
        capacity = sum(shift.capacities.values_list("minutes", flat=True))
        assert per_shift[shift.pk] * 15 <= capacity
        for cap in shift.capacities.all():
            given = sum(t.minutes for t in tasks if t.shift_id == shift.pk
                        and t.assignee_team_id == cap.team_id)
            assert given <= cap.minutes
    assert max(Counter((t.shift_id, t.hotspot_id) for t in tasks).values()) <= 3
    assert max(Counter(t.hotspot_id for t in tasks).values()) <= 21
    for t in tasks:
        assert t.shift.starts_at <= t.starts_at
        assert t.starts_at + timedelta(minutes=15) <= t.shift.ends_at
        assert t.minutes == 15 and t.assignee_team_id in (teams["ct"].pk, teams["kt"].pk)
        if t.hotspot_id == spots["night"].pk:  # a seventh of its week is in each night shift
            assert t.why == ("About a seventh of the week's harm from crime here falls in "
                             "these hours; it is the busiest of 3 hot spots in this shift")
        elif t.hotspot_id == spots["flat"].pk:  # no more in these hours than in any others
            assert t.why.startswith("Harm from crime here is spread through the week, not "
                                    "gathered in these hours; it is the ")
    by_place: dict[tuple[int, int], datetime] = {}
    for t in sorted(tasks, key=lambda t: t.starts_at):
        key = (t.shift_id, t.hotspot_id)
        if key in by_place:
            assert t.starts_at - by_place[key] >= timedelta(minutes=60)
        by_place[key] = t.starts_at
    assert plan.seed == 7 and plan.rules == {"visit_minutes": 15, "max_visits_per_shift": 3,
                                             "min_gap_minutes": 60, "max_visits_per_week": 21}
    assert AuditEvent.objects.filter(action="plan.generate", target_id=str(plan.pk)).count() == 1


def test_the_same_seed_gives_the_same_plan(areas, users, patterns, spots):
    plan = _generate(areas, users, seed=11)
    first = list(plan.tasks.order_by("starts_at", "hotspot_id")
                 .values_list("hotspot_id", "starts_at", "assignee_team_id"))
    again = _generate(areas, users, seed=11, version=plan.version)
    assert again.pk == plan.pk and again.version == plan.version + 1
    assert list(again.tasks.order_by("starts_at", "hotspot_id")
                .values_list("hotspot_id", "starts_at", "assignee_team_id")) == first
    other = _generate(areas, users, seed=12, version=again.version)
    assert list(other.tasks.order_by("starts_at", "hotspot_id")
                .values_list("hotspot_id", "starts_at", "assignee_team_id")) != first


def test_zero_capacity_is_a_visible_warning_not_a_silent_gap(areas, users, patterns, teams,
                                                            spots):
    night = services.shifts_ensure(area=areas[CAMDEN], week_start=WEEK)[2]
    assert night.pattern.name == "Night"
    services.shift_capacity_set(shift=night, team=teams["ct"], minutes=0,
                                actor=users["supervisor"])
    plan = _generate(areas, users, seed=1)
    assert f"shift Night {WEEK:%a %d %b} has no capacity: no visits planned" in plan.warnings
    assert not plan.tasks.filter(shift=night).exists()


def test_no_patterns_or_no_hot_spots_say_so(areas, users, teams, make_hotspot, patterns):
    with pytest.raises(TaskingInputError, match="Islington has no shift patterns"):
        services.plan_generate(area=areas[ISLINGTON], week_start=WEEK, actor=None)
    with pytest.raises(TaskingInputError, match="a week starts on a Monday"):
        services.plan_generate(area=areas[CAMDEN], week_start=WEEK + timedelta(days=1),
                               actor=None)
    plan = _generate(areas, users)
    assert plan.warnings[0].startswith("Camden has no approved hot spots")
    assert plan.tasks.count() == 0
    with pytest.raises(PlanConflict, match="already has a plan for this week"):
        _generate(areas, users)
    assert TaskingPlan.objects.count() == 1


@pytest.mark.parametrize(("rules", "message"), [
    ({"visit_minutes": 25}, "a visit lasts 10 to 20 minutes"),
    ({"max_visits_per_shift": 0}, "at least 1"),
    ({"min_gap_minutes": "soon"}, "must be a whole number"),
    ({"speed": 3}, "unknown rule"),
])
def test_bad_rules_are_refused_before_anything_is_made(areas, users, patterns, spots, rules,
                                                      message):
    with pytest.raises(TaskingInputError, match=message):
        _generate(areas, users, rules=rules)
    assert TaskingPlan.objects.count() == 0 and PatrolTask.objects.count() == 0


@pytest.fixture
def plan(areas, users, patterns, spots):
    return _generate(areas, users, seed=3)


def test_the_later_of_two_edits_on_one_version_is_refused_and_the_first_kept(plan, users,
                                                                             teams):
    task = plan.tasks.order_by("id").first()
    other = make_user("sup2", "supervisor", plan.area)
    services.task_update(task=task, version=plan.version, actor=users["supervisor"],
                         user=users["officer"])
    with pytest.raises(PlanConflict, match=r"changed this plan at .* you edited version 1"):
        services.task_update(task=task, version=plan.version, actor=other, team=teams["kt"])
    task.refresh_from_db()
    plan.refresh_from_db()
    assert task.assignee_user == users["officer"] and task.assignee_team is None
    assert plan.version == 2 and plan.updated_by == users["supervisor"]


def test_an_assignee_from_another_area_is_refused(plan, users, teams, areas):
    islington_pc = make_user("pc-isl", "officer", areas[ISLINGTON])
    task = plan.tasks.order_by("id").first()
    before = (task.assignee_user_id, task.assignee_team_id)
    with pytest.raises(TaskingInputError, match="works in Islington, outside Camden"):
        services.task_update(task=task, version=plan.version, actor=users["supervisor"],
                             user=islington_pc)
    with pytest.raises(TaskingInputError, match="team Holloway SNT works in Islington"):
        services.task_update(task=task, version=plan.version, actor=users["supervisor"],
                             team=teams["hw"])
    task.refresh_from_db()
    plan.refresh_from_db()
    assert (task.assignee_user_id, task.assignee_team_id) == before and plan.version == 1


def test_a_hot_spot_retired_after_tasking_blocks_publishing_until_its_visits_go(plan, users,
                                                                               spots):
    from hotspots.recompute import hotspot_review

    hotspot_review(hotspot=spots["night"], actor=users["analyst"], action="retire")
    stale = services.plan_stale_tasks(plan=plan)
    assert len(stale) == 14
    with pytest.raises(TaskingInputError, match=r"14 visit\(s\) go to hot spots no longer"):
        services.plan_publish(plan=plan, version=plan.version, actor=users["supervisor"])
    plan.refresh_from_db()
    assert plan.status == "draft" and plan.version == 1
    for i, task in enumerate(stale):
        services.task_remove(task=task, version=1 + i, actor=users["supervisor"])
    plan = services.plan_publish(plan=plan, version=15, actor=users["supervisor"])
    assert plan.status == "published" and plan.published_by == users["supervisor"]


def test_adding_a_visit_to_a_retired_hot_spot_or_outside_the_shift_is_refused(plan, users,
                                                                             spots):
    shift = plan.tasks.first().shift
    count = plan.tasks.count()
    with pytest.raises(TaskingInputError, match="is retired; only approved"):
        services.task_add(plan=plan, version=1, shift=shift, hotspot=spots["retired"],
                          starts_at=shift.starts_at, minutes=15, actor=users["supervisor"])
    with pytest.raises(TaskingInputError, match="must fit in the shift"):
        services.task_add(plan=plan, version=1, shift=shift, hotspot=spots["flat"],
                          starts_at=shift.ends_at - timedelta(minutes=5), minutes=15,
                          actor=users["supervisor"])
    with pytest.raises(TaskingInputError, match="outside Camden"):
        services.task_add(plan=plan, version=1, shift=shift, hotspot=spots["islington"],
                          starts_at=shift.starts_at, minutes=15, actor=users["supervisor"])
    assert plan.tasks.count() == count


def test_editing_a_published_plan_needs_confirming_and_is_marked(plan, users):
    plan = services.plan_publish(plan=plan, version=1, actor=users["supervisor"])
    task, gone = plan.tasks.order_by("id")[:2]
    with pytest.raises(PlanConflict, match="published and officers may already have read it"):
        services.task_update(task=task, version=plan.version, actor=users["supervisor"],
                             user=users["officer"])
    task.refresh_from_db()
    assert task.assignee_user is None and not task.changed_after_publish
    services.task_update(task=task, version=plan.version, actor=users["supervisor"],
                         user=users["officer"], confirm_published=True)
    services.task_remove(task=gone, version=plan.version + 1, actor=users["supervisor"],
                         confirm_published=True)
    task.refresh_from_db()
    gone.refresh_from_db()
    assert task.changed_after_publish and task.assignee_user == users["officer"]
    assert gone.status == "cancelled" and gone.changed_after_publish
    with pytest.raises(PlanConflict, match="cannot be regenerated"):
        _generate_again(plan, users)


def _generate_again(plan, users):
    return services.plan_generate(area=plan.area, week_start=plan.week_start,
                                  actor=users["supervisor"], version=plan.version)


def test_officers_see_only_published_visits_for_them_or_their_team(plan, users, teams):
    officer = users["officer"]  # in the Camden Town team
    assert list(tasks_for_officer(user=officer, include_past=True)) == []
    mine = list(plan.tasks.filter(assignee_team=teams["ct"]).order_by("id"))
    taken = mine[0]
    services.task_update(task=taken, version=1, actor=users["supervisor"],
                         user=make_user("pc2", "officer", plan.area, teams["ct"]))
    services.plan_publish(plan=plan, version=2, actor=users["supervisor"])
    seen = set(tasks_for_officer(user=officer, include_past=True).values_list("id", flat=True))
    assert seen == {t.pk for t in mine[1:]}
    assert len(seen) == len(mine) - 1 == 51


def test_problem_solving_keeps_a_history_and_refuses_a_stale_save(spots, users):
    spot = spots["flat"]
    record = services.problem_solving_update(hotspot=spot, actor=users["supervisor"],
                                             version=None, scanning="Burglary of flats",
                                             owner=users["supervisor"])
    record = services.problem_solving_update(hotspot=spot, actor=users["analyst"], version=2,
                                             analysis="Rear access via the alley",
                                             status="analysis")
    with pytest.raises(PlanConflict, match="now version 3, you edited version 2"):
        services.problem_solving_update(hotspot=spot, actor=users["supervisor"], version=2,
                                        analysis="overwritten")
    record.refresh_from_db()
    assert (record.version, record.analysis, record.status) == (3, "Rear access via the alley",
                                                                "analysis")
    history = list(record.history.order_by("at", "id").values_list("changes", flat=True))
    assert history == [
        {"scanning": {"before": "", "after": "Burglary of flats"},
         "owner": {"before": None, "after": users["supervisor"].pk}},
        {"analysis": {"before": "", "after": "Rear access via the alley"},
         "status": {"before": "scanning", "after": "analysis"}},
    ]
    with pytest.raises(TaskingInputError, match="status is one of"):
        services.problem_solving_update(hotspot=spot, actor=None, version=3, status="done")
    assert ProblemSolving.objects.get().version == 3
    assert User.objects.filter(username="supervisor").exists()
    assert Hotspot.objects.count() == 5


@pytest.mark.parametrize(("monday", "night", "hours"), [
    (date(2025, 10, 20), date(2025, 10, 25), 9.0),  # clocks back: a 9-hour night
    (date(2025, 3, 24), date(2025, 3, 29), 7.0),    # clocks forward: a 7-hour night
])
def test_visits_in_a_clock_change_week_fit_their_real_shifts(areas, users, patterns, spots,
                                                            monday, night, hours):
    plan = services.plan_generate(area=areas[CAMDEN], week_start=monday, actor=None, seed=9)
    tasks = list(plan.tasks.select_related("shift__pattern"))
    assert len(tasks) == 7 * 2 + sum(1 for t in tasks if t.shift.pattern.name != "Night")
    for t in tasks:
        assert t.shift.starts_at <= t.starts_at
        assert t.starts_at + timedelta(minutes=t.minutes) <= t.shift.ends_at
    short = [t for t in tasks if t.shift.date == night and t.shift.pattern.name == "Night"]
    assert len(short) == 2
    assert (short[0].shift.ends_at - short[0].shift.starts_at) == timedelta(hours=hours)


def test_a_published_plan_changes_only_ahead_of_the_clock(plan, users, teams):
    """Issue 18, item 11: a visit that is due or past in a published plan was reassigned or
    removed behind one confirm prompt. Now each change to it is refused, nothing is
    written, and a future visit still changes."""
    plan = services.plan_publish(plan=plan, version=1, actor=users["supervisor"])
    past, future = plan.tasks.order_by("starts_at")[:2]
    PatrolTask.objects.filter(pk=past.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    past.refresh_from_db()
    before = (plan.version, list(PatrolTask.objects.order_by("id").values_list(
        "id", "status", "assignee_user", "assignee_team", "starts_at")),
        AuditEvent.objects.count())
    message = "already due or past: a published plan changes only ahead"
    with pytest.raises(PlanConflict, match=message):
        services.task_update(task=past, version=plan.version, actor=users["supervisor"],
                             user=users["officer"], confirm_published=True)
    with pytest.raises(PlanConflict, match=message):
        services.task_remove(task=past, version=plan.version, actor=users["supervisor"],
                             confirm_published=True)
    with pytest.raises(PlanConflict, match=message):
        services.task_update(task=future, version=plan.version, actor=users["supervisor"],
                             starts_at=timezone.now() - timedelta(minutes=5),
                             confirm_published=True)
    with pytest.raises(PlanConflict, match=message):
        services.task_add(plan=plan, version=plan.version, shift=past.shift,
                          hotspot=past.hotspot, starts_at=timezone.now() - timedelta(minutes=1),
                          minutes=15, actor=users["supervisor"], confirm_published=True)
    plan.refresh_from_db()
    assert (plan.version, list(PatrolTask.objects.order_by("id").values_list(
        "id", "status", "assignee_user", "assignee_team", "starts_at")),
        AuditEvent.objects.count()) == before
    services.task_update(task=future, version=plan.version, actor=users["supervisor"],
                         user=users["officer"], confirm_published=True)
    future.refresh_from_db()
    assert future.assignee_user == users["officer"]


def test_a_reassignment_is_audited_with_the_old_and_the_new_assignee(plan, users, teams):
    task = plan.tasks.order_by("id").first()
    old_team = task.assignee_team_id
    services.task_update(task=task, version=plan.version, actor=users["supervisor"],
                         user=users["officer"])
    event = AuditEvent.objects.get(action="task.update")
    assert (event.detail["before"], event.detail["after"]) == (
        {"user": None, "team": old_team}, {"user": users["officer"].pk, "team": None})
    officer = users["officer"]
    assert event.detail["names"] == {
        f"user:{officer.pk}": officer.get_full_name() or officer.username,
        f"team:{old_team}": Team.objects.get(pk=old_team).name}


def test_the_briefings_peak_times_are_those_inside_the_shift():
    """Issue 18, item 18: a night briefing named an afternoon peak."""
    import numpy as np

    from hotspots.analysis.temporal import peak_text as _peak_text

    profile = [0.0] * 168
    for hour, harm in ((14, 9.0), (23, 5.0), (24, 4.0), (27, 3.0), (29, 2.0)):
        profile[hour] = harm
    night = np.zeros(168)
    night[22:30] = 1.0  # Monday 22:00 to Tuesday 06:00
    assert _peak_text(profile) == "Mon 14:00-15:00, Mon 23:00-01:00, Tue 03:00-04:00"
    assert _peak_text(profile, night) == ("Mon 23:00-01:00, Tue 03:00-04:00, "
                                          "Tue 05:00-06:00")
    early = np.zeros(168)
    early[7:15] = 1.0  # Monday 07:00 to 15:00: one hour of harm, at 14:00
    assert _peak_text(profile, early) == "Mon 14:00-15:00"
    late = np.zeros(168)
    late[39:47] = 1.0  # Tuesday 15:00 to 23:00: none
    assert _peak_text(profile, late) == "no clear peak in this shift's hours"
    # Near-equal hours (police.uk's month-only dates spread over every hour) have no peak,
    # in the week or in a shift: the busiest of them is noise.
    rng = np.random.default_rng(3)
    spread = list(1.0 + 0.05 * rng.random(168))
    assert _peak_text(spread) == ("no clear peak: harm is spread over the week or times are "
                                  "not precise")
    assert _peak_text(spread, early) == _peak_text(spread)
    # An hour at 1.5 times the average is a peak; the hour beside it at 1.4 times is not.
    mean_of = [1.0] * 168
    mean_of[10], mean_of[11] = 1.5 * 170 / 168, 1.4
    assert _peak_text(mean_of, early) == "Mon 10:00-11:00"
