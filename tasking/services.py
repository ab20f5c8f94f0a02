"""Writes for tasking: shift patterns and capacity, plan generation, edits under a version
check, publishing, and problem-solving records. Each is one transaction with its audit event."""

import secrets
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Area, Team, User
from accounts.selectors import area_subtree_ids
from audit.services import audit_record
from core.text import markup_problem
from hotspots.models import Hotspot
from training.selectors import training_gaps

from . import generator
from .constraints import PatrolConstraints, patrol_constraints
from .errors import PlanConflict, TaskingInputError
from .models import (
    ALL_DAYS,
    DAYS,
    PatrolTask,
    PatternCapacity,
    ProblemSolving,
    ProblemSolvingChange,
    Shift,
    ShiftCapacity,
    ShiftPattern,
    TaskingPlan,
)

WEEK_MINUTES = 7 * 1440


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def shift_bounds(*, day: date, start: time, minutes: int) -> tuple[datetime, datetime]:
    """Real (UTC) start and end of a shift worked from `start` local time for `minutes` of
    wall clock: 23:00-07:00 is 9 hours on the night the clocks go back and 7 in spring."""
    local_start = datetime.combine(day, start)
    local_end = local_start + timedelta(minutes=minutes)
    tz = _tz()
    return (local_start.replace(tzinfo=tz).astimezone(UTC),
            local_end.replace(tzinfo=tz).astimezone(UTC))


def _week_intervals(start: time, minutes: int, days: int) -> list[tuple[int, int]]:
    """The pattern's shifts as minute intervals from Monday 00:00, in one week."""
    first = start.hour * 60 + start.minute
    return [(d * 1440 + first, d * 1440 + first + minutes) for d in range(7) if days >> d & 1]


def _overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    # A Sunday night shift runs into the next Monday: compare a week later too.
    return any(s1 < e2 + k and s2 + k < e1 for s1, e1 in a for s2, e2 in b
               for k in (-WEEK_MINUTES, 0, WEEK_MINUTES))


def _check_pattern(*, area: Area, name: str, start: time, minutes: int, days: int,
                   exclude: int | None = None) -> None:
    if not name.strip():
        raise TaskingInputError("a shift pattern needs a name")
    if not 0 < minutes <= 1440:
        raise TaskingInputError(
            f"a shift lasts more than 0 and at most 24 hours; {minutes / 60:g} h was given")
    if not 0 < days <= ALL_DAYS:
        raise TaskingInputError("a shift pattern is worked on at least one day of the week")
    mine = _week_intervals(start, minutes, days)
    others = ShiftPattern.objects.filter(area=area, active=True)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    for other in others:
        if _overlap(mine, _week_intervals(other.start_time, other.duration_minutes, other.days)):
            raise TaskingInputError(
                f"{name} overlaps the {other.name} shift ({other.start_time:%H:%M} for "
                f"{other.duration_minutes / 60:g} h) in {area.name}; shifts in one area must "
                "not overlap, or their hours' harm would be counted twice")


# A team's minutes in one shift: 100,000 is some 200 officers for 8 hours; the column is a
# 32-bit integer, and 3,000,000,000 typed in the grid was a 500.
MAX_CAPACITY_MINUTES = 100_000


def _check_team(*, area: Area, team: Team) -> None:
    if team.area_id not in area_subtree_ids(area=area):
        raise TaskingInputError(f"team {team.name} works in {team.area.name}, not in {area.name}")


def days_mask(names: list[str]) -> int:
    """A weekday bitmask from names such as ["Mon", "Tue"]."""
    mask = 0
    for name in names:
        key = name[:3].title()
        if key not in DAYS:
            raise TaskingInputError(f"{name!r} is not a day of the week (Mon ... Sun)")
        mask |= 1 << DAYS.index(key)
    return mask


@transaction.atomic
def shift_pattern_create(*, area: Area, name: str, start_time: time, duration_minutes: int,
                         days: int = ALL_DAYS, capacities: dict[Team, int] | None = None,
                         actor: "User | None" = None) -> ShiftPattern:
    """Add a shift pattern to an area, refusing one over 24 h or one that overlaps another."""
    if problem := markup_problem("the shift's name", name):
        raise TaskingInputError(problem)
    # Lock the area so that two patterns added at once are checked against each other.
    Area.objects.select_for_update().get(pk=area.pk)
    _check_pattern(area=area, name=name, start=start_time, minutes=duration_minutes, days=days)
    if ShiftPattern.objects.filter(area=area, name=name).exists():
        raise TaskingInputError(f"{area.name} already has a shift called {name}")
    pattern = ShiftPattern.objects.create(area=area, name=name, start_time=start_time,
                                          duration_minutes=duration_minutes, days=days)
    for team, minutes in (capacities or {}).items():
        pattern_capacity_set(pattern=pattern, team=team, minutes=minutes, actor=actor)
    audit_record(actor=actor, action="shiftpattern.create", target=pattern,
                 detail={"area": area.pk, "name": name, "start": start_time.isoformat(),
                         "minutes": duration_minutes, "days": days})
    return pattern


@transaction.atomic
def pattern_capacity_set(*, pattern: ShiftPattern, team: Team, minutes: int,
                         actor: "User | None" = None) -> PatternCapacity:
    """The minutes a team usually gives hot spot patrol in this shift (future shifts copy it)."""
    _check_team(area=pattern.area, team=team)
    if minutes < 0:
        raise TaskingInputError("capacity is a number of minutes, 0 or more")
    if minutes > MAX_CAPACITY_MINUTES:
        raise TaskingInputError(f"capacity is at most {MAX_CAPACITY_MINUTES:,} minutes")
    cap, _ = PatternCapacity.objects.update_or_create(pattern=pattern, team=team,
                                                      defaults={"minutes": minutes})
    audit_record(actor=actor, action="patterncapacity.set", target=pattern,
                 detail={"team": team.pk, "minutes": minutes})
    return cap


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def shifts_ensure(*, area: Area, week_start: date) -> list[Shift]:
    """The dated shifts of an area's active patterns starting in the week; missing ones are
    made (with their patterns' capacity), so calling it twice makes nothing twice."""
    if week_start.weekday() != 0:
        raise TaskingInputError(f"a week starts on a Monday; {week_start:%A %d %B} is not one")
    patterns = list(ShiftPattern.objects.filter(area=area, active=True)
                    .prefetch_related("capacities"))
    wanted = []
    for pattern in patterns:
        for d in range(7):
            if pattern.days >> d & 1:
                day = week_start + timedelta(days=d)
                starts, ends = shift_bounds(day=day, start=pattern.start_time,
                                            minutes=pattern.duration_minutes)
                wanted.append(Shift(pattern=pattern, area=area, date=day, starts_at=starts,
                                    ends_at=ends))
    with transaction.atomic():
        Shift.objects.bulk_create(wanted, ignore_conflicts=True)
        shifts = list(Shift.objects.filter(
            area=area, pattern__in=patterns, date__gte=week_start,
            date__lt=week_start + timedelta(days=7)).select_related("pattern"))
        known = set(ShiftCapacity.objects.filter(shift__in=shifts)
                    .values_list("shift_id", flat=True))
        by_pattern = {p.pk: list(p.capacities.all()) for p in patterns}
        ShiftCapacity.objects.bulk_create(
            [ShiftCapacity(shift=s, team_id=c.team_id, minutes=c.minutes)
             for s in shifts if s.pk not in known for c in by_pattern[s.pattern_id]],
            ignore_conflicts=True)
    return sorted(shifts, key=lambda s: s.starts_at)


@transaction.atomic
def shift_capacity_set(*, shift: Shift, team: Team, minutes: int,
                       actor: "User | None") -> ShiftCapacity:
    """Change a team's minutes for one shift (leave, court, an event)."""
    _check_team(area=shift.area, team=team)
    if minutes < 0:
        raise TaskingInputError("capacity is a number of minutes, 0 or more")
    if minutes > MAX_CAPACITY_MINUTES:
        raise TaskingInputError(f"capacity is at most {MAX_CAPACITY_MINUTES:,} minutes")
    cap, _ = ShiftCapacity.objects.update_or_create(shift=shift, team=team,
                                                    defaults={"minutes": minutes})
    audit_record(actor=actor, action="shiftcapacity.set", target=shift,
                 detail={"team": team.pk, "minutes": minutes})
    return cap


@transaction.atomic
def shift_capacities_set(*, area: Area, week_start: date, minutes: dict[tuple[int, int], int],
                         actor: "User | None") -> int:
    """Set many (shift, team) capacities of an area's week at once, all or none; only the
    changed ones are written (and audited). Returns how many changed."""
    shifts = {s.pk: s for s in shifts_ensure(area=area, week_start=week_start)}
    teams = {t.pk: t for t in Team.objects.filter(area_id__in=area_subtree_ids(area=area))}
    current = {(c.shift_id, c.team_id): c.minutes
               for c in ShiftCapacity.objects.filter(shift_id__in=shifts)}
    changed = 0
    for (shift_id, team_id), value in minutes.items():
        if shift_id not in shifts or team_id not in teams:
            raise TaskingInputError("that shift or team is not in this area's week")
        if current.get((shift_id, team_id), 0) != value:
            shift_capacity_set(shift=shifts[shift_id], team=teams[team_id], minutes=value,
                               actor=actor)
            changed += 1
    return changed


def _rules(raw: dict[str, Any] | None, seed: int) -> generator.Rules:
    raw = dict(raw or {})
    allowed = {"visit_minutes", "max_visits_per_shift", "min_gap_minutes", "max_visits_per_week"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise TaskingInputError(f"unknown rule(s) {', '.join(unknown)}; the rules are "
                                f"{', '.join(sorted(allowed))}")
    values = {}
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise TaskingInputError(f"rule {key} must be a whole number")
        values[key] = value
    rules = generator.Rules(seed=seed, **values)
    try:
        rules.check()
    except generator.GeneratorInputError as exc:
        raise TaskingInputError(str(exc)) from None
    return rules


def _local_label(shift: Shift) -> str:
    return f"{shift.pattern.name} {shift.date:%a %d %b}"


def plan_hotspots(*, area: Area) -> list[Hotspot]:
    """The hot spots a plan for `area` may task: approved ones inside it."""
    return list(Hotspot.objects.filter(area_id__in=area_subtree_ids(area=area),
                                       status=Hotspot.Status.APPROVED).order_by("id"))


def _team_minutes(shift: Shift) -> list[tuple[int, int]]:
    """(team id, patrol minutes) for a shift, most capacity first: the generator gives each
    visit, of whatever length, to one team with the minutes for all of it."""
    caps = sorted(((c.minutes, c.team_id) for c in shift.capacities.all()), reverse=True)
    return [(team, minutes) for minutes, team in caps if minutes > 0]


def _lock_plan(plan: TaskingPlan, version: int, *,
               confirm_published: bool = False) -> TaskingPlan:
    """The plan row locked for this edit, if `version` is still current."""
    locked = (TaskingPlan.objects.select_for_update(of=("self",)).select_related("updated_by")
              .get(pk=plan.pk))
    if locked.version != version:
        who = locked.updated_by.get_full_name() or locked.updated_by.username \
            if locked.updated_by else "someone"
        when = timezone.localtime(locked.updated_at).strftime("%H:%M:%S")
        raise PlanConflict(
            f"{who} changed this plan at {when} (it is now version {locked.version}, you "
            f"edited version {version}). Nothing of yours was saved: reload the plan to see "
            "their change, then make yours again.")
    if locked.status == TaskingPlan.Status.PUBLISHED and not confirm_published:
        raise PlanConflict("this plan is published and officers may already have read it; "
                           "confirm the change (confirm_published) and it will be marked as "
                           "changed on their list")
    return locked


def _bump(plan: TaskingPlan, actor: "User | None") -> None:
    TaskingPlan.objects.filter(pk=plan.pk).update(
        version=F("version") + 1, updated_at=timezone.now(),
        updated_by=actor if getattr(actor, "is_authenticated", False) else None)
    plan.refresh_from_db(fields=["version", "updated_at", "updated_by"])


# Hot spots are recomputed nightly and rotas change: a plan further ahead is a guess.
PLAN_MAX_WEEKS_AHEAD = 12


def _plan_to_fill(*, area: Area, week_start: date, actor: "User | None",
                  version: int | None) -> tuple[TaskingPlan, bool]:
    """The week's plan to (re)generate, and whether it existed: a draft is emptied only
    when the caller names its current version; a published plan is never regenerated."""
    existing = (TaskingPlan.objects.select_for_update()
                .filter(area=area, week_start=week_start).first())
    if existing is None:
        return TaskingPlan(area=area, week_start=week_start, created_by=actor), False
    if existing.status == TaskingPlan.Status.PUBLISHED:
        raise PlanConflict("this week's plan is published; it cannot be regenerated, only "
                           "edited visit by visit")
    if version is None:
        raise PlanConflict(f"{area.name} already has a plan for this week (version "
                           f"{existing.version}); regenerating replaces its visits, so "
                           "give that version to confirm")
    plan = _lock_plan(existing, version)
    plan.tasks.all().delete()
    return plan, True


def _generator_shifts(shifts: list[Shift], week_start: date
                      ) -> tuple[list[generator.Shift], list[list[int]]]:
    """The shifts as the generator sees them (hours from Monday 00:00 local, capacity per
    team), and each shift's team ids in the same order as its capacities."""
    monday = datetime.combine(week_start, time(0))
    gen_shifts, teams_of = [], []
    for s in shifts:
        team_minutes = _team_minutes(s)
        teams_of.append([team for team, _ in team_minutes])
        offset = (datetime.combine(s.date, s.pattern.start_time) - monday).total_seconds()
        gen_shifts.append(generator.Shift(
            key=_local_label(s), start=offset / 3600,
            hours=(s.ends_at - s.starts_at).total_seconds() / 3600,
            capacity_minutes=float(sum(m for _, m in team_minutes)),
            teams=tuple(float(m) for _, m in team_minutes)))
    return gen_shifts, teams_of


def _week_profiles(hotspots: list[Hotspot], off_days: dict[int, set[date]],
                   week_start: date) -> np.ndarray:
    """Hot spots x hours of the week of harm; a crossover day off has no harm to chase."""
    profiles = np.array([h.profile if len(h.profile) == generator.WEEK_HOURS
                         else [0.0] * generator.WEEK_HOURS for h in hotspots],
                        dtype=float).reshape(len(hotspots), generator.WEEK_HOURS)
    for i, h in enumerate(hotspots):
        for day in off_days.get(h.pk, ()):
            d = (day - week_start).days
            profiles[i, d * 24:(d + 1) * 24] = 0.0
    return profiles


def _rota_tasks(plan: TaskingPlan, rota: generator.Rota, gen_shifts: list[generator.Shift],
                shifts: list[Shift], teams_of: list[list[int]], hotspots: list[Hotspot],
                trials: PatrolConstraints) -> list[PatrolTask]:
    by_key = {g.key: (s, teams) for g, s, teams in zip(gen_shifts, shifts, teams_of,
                                                       strict=True)}
    tasks = []
    for visit in rota.visits:
        shift, teams = by_key[visit.shift]
        spot = hotspots[visit.hotspot]
        if shift.date in trials.off_days.get(spot.pk, ()):
            continue  # a night shift starting on a day off can find harm in the next day
        note = trials.notes.get(spot.pk)
        tasks.append(PatrolTask(
            plan=plan, shift=shift, hotspot=spot,
            starts_at=shift.starts_at + timedelta(minutes=visit.start_minute),
            minutes=visit.minutes, assignee_team_id=teams[visit.team] if teams else None,
            why=f"{visit.why} ({note})" if note else visit.why))
    return tasks


@transaction.atomic
def plan_generate(*, area: Area, week_start: date, actor: "User | None",
                  rules: dict[str, Any] | None = None, seed: int | None = None,
                  version: int | None = None) -> TaskingPlan:
    """Generate (or regenerate a draft of) an area's plan for a week from its approved hot
    spots' hour-of-week harm and its shifts' capacity. The seed is stored for reproduction."""
    if not ShiftPattern.objects.filter(area=area, active=True).exists():
        raise TaskingInputError(f"{area.name} has no shift patterns yet; add its shifts first")
    if seed is None:
        seed = secrets.randbelow(2**31)
    elif not 0 <= seed < 2**63:
        raise TaskingInputError("the seed is a whole number from 0")
    gen_rules = _rules(rules, seed)
    if week_start > timezone.localdate() + timedelta(weeks=PLAN_MAX_WEEKS_AHEAD):
        raise TaskingInputError(f"a plan can be made at most {PLAN_MAX_WEEKS_AHEAD} weeks "
                                "ahead: the hot spots and rotas will have changed by then")
    shifts = shifts_ensure(area=area, week_start=week_start)
    plan, existed = _plan_to_fill(area=area, week_start=week_start, actor=actor,
                                  version=version)

    hotspots = plan_hotspots(area=area)
    # Running trials decide which places are patrolled, on which days, for how long.
    trials = patrol_constraints(hotspot_ids=[h.pk for h in hotspots], week_start=week_start)
    left_out = [h for h in hotspots if h.pk in trials.excluded]
    hotspots = [h for h in hotspots if h.pk not in trials.excluded]
    shifts = list(Shift.objects.filter(pk__in=[s.pk for s in shifts])
                  .select_related("pattern").prefetch_related("capacities")
                  .order_by("starts_at"))
    gen_shifts, teams_of = _generator_shifts(shifts, week_start)
    # A trial arm's visit length counts against capacity and fits the shift like any visit.
    lengths = np.array([trials.minutes.get(h.pk, gen_rules.visit_minutes) for h in hotspots],
                       dtype=np.int64)
    rota = generator.generate(profiles=_week_profiles(hotspots, trials.off_days, week_start),
                              shifts=gen_shifts, rules=gen_rules,
                              labels=[h.key for h in hotspots], visit_minutes=lengths)
    warnings = list(rota.warnings)
    if left_out:
        warnings.append(f"{len(left_out)} hot spot(s) left unpatrolled as trial controls: "
                        + ", ".join(sorted({trials.excluded[h.pk] for h in left_out})))
    if not hotspots:
        warnings.insert(0, f"{area.name} has no approved hot spots: approve some on the hot "
                           "spots page, then generate again")
    plan.seed, plan.rules = seed, {k: v for k, v in asdict(gen_rules).items() if k != "seed"}
    plan.warnings, plan.updated_by = warnings, actor
    plan.save()
    if existed:
        _bump(plan, actor)

    tasks = _rota_tasks(plan, rota, gen_shifts, shifts, teams_of, hotspots, trials)
    PatrolTask.objects.bulk_create(tasks)
    audit_record(actor=actor, action="plan.generate", target=plan,
                 detail={"week": week_start.isoformat(), "seed": seed, "visits": len(tasks),
                         "hotspots": len(hotspots), "rules": plan.rules})
    return plan


def _check_assignee(*, plan: TaskingPlan, user: User | None, team: Team | None) -> None:
    scope = set(area_subtree_ids(area=plan.area))
    if user is not None:
        if not user.is_active:
            raise TaskingInputError(f"{user.get_full_name() or user.username} is not active")
        if user.area_id not in scope:
            where = user.area.name if user.area else "no area"
            raise TaskingInputError(
                f"{user.get_full_name() or user.username} works in {where}, outside "
                f"{plan.area.name}; choose someone from this plan's area")
        gaps = training_gaps(user_ids=[user.pk]).get(user.pk)
        if gaps and settings.TRAINING_REFUSE_UNTRAINED:
            raise TaskingInputError(
                f"{user.get_full_name() or user.username} has not done the training their "
                f"role requires ({', '.join(gaps)}); this force gives visits only to people "
                "who have")
    if team is not None and team.area_id not in scope:
        raise TaskingInputError(f"team {team.name} works in {team.area.name}, outside "
                                f"{plan.area.name}; choose a team from this plan's area")


def _check_time(*, shift: Shift, starts_at: datetime, minutes: int) -> None:
    if not 5 <= minutes <= 60:
        raise TaskingInputError("a visit lasts 5 to 60 minutes")
    if starts_at < shift.starts_at or starts_at + timedelta(minutes=minutes) > shift.ends_at:
        tz = _tz()
        raise TaskingInputError(
            f"the visit must fit in the shift ({shift.starts_at.astimezone(tz):%H:%M} to "
            f"{shift.ends_at.astimezone(tz):%H:%M})")


def _check_visit(*, plan: TaskingPlan, shift: Shift, hotspot: Hotspot, starts_at: datetime,
                 minutes: int) -> None:
    if shift.area_id != plan.area_id or not (
            plan.week_start <= shift.date < plan.week_start + timedelta(days=7)):
        raise TaskingInputError("that shift is not one of this plan's week and area")
    if hotspot.area_id not in area_subtree_ids(area=plan.area):
        raise TaskingInputError(f"hot spot {hotspot.key} is outside {plan.area.name}")
    if hotspot.status != Hotspot.Status.APPROVED:
        state = hotspot.get_status_display().lower()
        raise TaskingInputError(f"hot spot {hotspot.key} is {state}; only approved hot spots "
                                "can be tasked")
    _check_time(shift=shift, starts_at=starts_at, minutes=minutes)


def _refuse_past(plan: TaskingPlan, starts_at: datetime) -> None:
    """A published plan is changed only ahead of the clock: a visit whose time has come is
    a record of what was asked, and what really happened is logged as a visit after the
    fact (issue 18, item 11)."""
    if plan.status == TaskingPlan.Status.PUBLISHED and starts_at <= timezone.now():
        when = timezone.localtime(starts_at).strftime("%H:%M on %d %b")
        raise PlanConflict(f"the visit at {when} is already due or past: a published plan "
                           "changes only ahead. Record what really happened as a visit "
                           "after the fact.")


@transaction.atomic
def task_add(*, plan: TaskingPlan, version: int, shift: Shift, hotspot: Hotspot,
             starts_at: datetime, minutes: int, actor: "User | None", user: User | None = None,
             team: Team | None = None, callsign: str = "",
             confirm_published: bool = False) -> PatrolTask:
    """A supervisor adds a visit."""
    plan = _lock_plan(plan, version, confirm_published=confirm_published)
    _refuse_past(plan, starts_at)
    _check_visit(plan=plan, shift=shift, hotspot=hotspot, starts_at=starts_at, minutes=minutes)
    _check_assignee(plan=plan, user=user, team=team)
    if problem := markup_problem("the callsign", callsign):
        raise TaskingInputError(problem)
    published = plan.status == TaskingPlan.Status.PUBLISHED
    task = PatrolTask.objects.create(
        plan=plan, shift=shift, hotspot=hotspot, starts_at=starts_at, minutes=minutes,
        assignee_user=user, assignee_team=team, callsign=callsign.strip(),
        why="added by a supervisor", source=PatrolTask.Source.MANUAL,
        changed_after_publish=published)
    _bump(plan, actor)
    audit_record(actor=actor, action="task.add", target=task,
                 detail={"plan": plan.pk, "version": plan.version, "published": published})
    return task


_UNSET: Any = object()


@transaction.atomic
def task_update(*, task: PatrolTask, version: int, actor: "User | None", user: Any = _UNSET,
                team: Any = _UNSET, callsign: Any = _UNSET, starts_at: Any = _UNSET,
                minutes: Any = _UNSET, confirm_published: bool = False) -> PatrolTask:
    """Reassign or retime a visit. Naming a user or a team replaces the other."""
    plan = _lock_plan(task.plan, version, confirm_published=confirm_published)
    task = PatrolTask.objects.select_for_update().select_related("shift", "hotspot").get(
        pk=task.pk)
    if task.status == PatrolTask.Status.CANCELLED:
        raise TaskingInputError("this visit was cancelled; add a new one instead")
    _refuse_past(plan, task.starts_at)
    before = _task_state(task)
    if user is not _UNSET or team is not _UNSET:
        new_user = None if user is _UNSET else user
        new_team = None if team is _UNSET else team
        _check_assignee(plan=plan, user=new_user, team=new_team)
        task.assignee_user, task.assignee_team = new_user, new_team
    if callsign is not _UNSET:
        if problem := markup_problem("the callsign", callsign):
            raise TaskingInputError(problem)
        task.callsign = (callsign or "").strip()
    if starts_at is not _UNSET or minutes is not _UNSET:
        new_start = task.starts_at if starts_at is _UNSET else starts_at
        new_minutes = task.minutes if minutes is _UNSET else minutes
        _refuse_past(plan, new_start)
        _check_time(shift=task.shift, starts_at=new_start, minutes=new_minutes)
        task.starts_at, task.minutes = new_start, new_minutes
    after = _task_state(task)
    if after == before:
        # Nothing changed: no new version, no "changed" mark on the officer's list, no event.
        return task
    if plan.status == TaskingPlan.Status.PUBLISHED:
        task.changed_after_publish = True
    task.save()
    _bump(plan, actor)
    # Both sides, and only what changed: a reassignment reads "team 3 -> officer 12".
    audit_record(actor=actor, action="task.update", target=task,
                 detail={"plan": plan.pk, "version": plan.version,
                         "before": {k: v for k, v in before.items() if after[k] != v},
                         "after": {k: v for k, v in after.items() if before[k] != v},
                         "names": _assignee_names(before, after)})
    return task


def _task_state(task: PatrolTask) -> dict[str, Any]:
    """What a visit's change compares and audits."""
    return {"user": task.assignee_user_id, "team": task.assignee_team_id,
            "callsign": task.callsign, "starts_at": task.starts_at.isoformat(),
            "minutes": task.minutes}


def _assignee_names(*sides: dict[str, Any]) -> dict[str, str]:
    """The people and teams an assignment names, as the audit page shows them: an id alone
    told an auditor nothing ("team: 2 -> (none)")."""
    users = {s["user"] for s in sides if s.get("user")}
    teams = {s["team"] for s in sides if s.get("team")}
    names = {f"user:{u.pk}": u.get_full_name() or u.username
             for u in User.objects.filter(pk__in=users)}
    names.update({f"team:{t.pk}": t.name for t in Team.objects.filter(pk__in=teams)})
    return names


@transaction.atomic
def task_remove(*, task: PatrolTask, version: int, actor: "User | None",
                confirm_published: bool = False) -> TaskingPlan:
    """Take a visit out: deleted from a draft, cancelled (and shown so) once published."""
    plan = _lock_plan(task.plan, version, confirm_published=confirm_published)
    _refuse_past(plan, task.starts_at)
    if plan.status == TaskingPlan.Status.PUBLISHED:
        PatrolTask.objects.filter(pk=task.pk).update(
            status=PatrolTask.Status.CANCELLED, changed_after_publish=True,
            updated_at=timezone.now())
    else:
        PatrolTask.objects.filter(pk=task.pk).delete()
    _bump(plan, actor)
    audit_record(actor=actor, action="task.remove", target=task,
                 detail={"plan": plan.pk, "version": plan.version,
                         "hotspot": task.hotspot_id, "starts_at": task.starts_at.isoformat()})
    return plan


def plan_stale_tasks(*, plan: TaskingPlan) -> list[PatrolTask]:
    """Planned visits to hot spots that were retired or suppressed after they were tasked."""
    return list(plan.tasks.filter(status=PatrolTask.Status.PLANNED)
                .exclude(hotspot__status=Hotspot.Status.APPROVED).select_related("hotspot"))


@transaction.atomic
def plan_publish(*, plan: TaskingPlan, version: int, actor: "User | None") -> TaskingPlan:
    """Make the plan what officers see; refused while it still sends anyone to a hot spot
    that is no longer approved."""
    plan = _lock_plan(plan, version, confirm_published=True)
    if plan.status == TaskingPlan.Status.PUBLISHED:
        raise PlanConflict("this plan is already published")
    stale = plan_stale_tasks(plan=plan)
    if stale:
        keys = sorted({t.hotspot.key for t in stale})
        raise TaskingInputError(
            f"{len(stale)} visit(s) go to hot spots no longer approved ({', '.join(keys[:5])}"
            f"{' ...' if len(keys) > 5 else ''}); remove them or have the hot spots "
            "re-approved before publishing")
    if not plan.tasks.filter(status=PatrolTask.Status.PLANNED).exists():
        raise TaskingInputError("this plan has no visits to publish")
    TaskingPlan.objects.filter(pk=plan.pk).update(
        status=TaskingPlan.Status.PUBLISHED, published_at=timezone.now(),
        published_by=actor if getattr(actor, "is_authenticated", False) else None)
    _bump(plan, actor)
    plan.refresh_from_db()
    audit_record(actor=actor, action="plan.publish", target=plan,
                 detail={"version": plan.version,
                         "visits": plan.tasks.filter(status=PatrolTask.Status.PLANNED).count()})
    return plan


def area_ancestor_ids(area: Area) -> list[int]:
    """The area and the areas above it, from its materialised path."""
    return [int(part) for part in area.path.strip("/").split("/") if part]


def owner_can_see(*, owner: User, hotspot: Hotspot) -> bool:
    """A user sees a hot spot when their area is its area or above it, or force-wide."""
    if owner.has_perm("accounts.view_all_areas"):
        return True
    area = hotspot.area or hotspot.run_area
    return owner.is_active and owner.area_id in area_ancestor_ids(area)


PS_FIELDS = ("scanning", "analysis", "response", "assessment", "status", "owner")


@transaction.atomic
def problem_solving_update(*, hotspot: Hotspot, actor: "User | None", version: int | None,
                           **fields: Any) -> ProblemSolving:
    """Save SARA notes for a hot spot under a version check; each save joins its history."""
    unknown = sorted(set(fields) - set(PS_FIELDS))
    if unknown:
        raise TaskingInputError(f"unknown field(s) {', '.join(unknown)}")
    for name in ("scanning", "analysis", "response", "assessment"):
        if problem := markup_problem(f"the {name} notes", fields.get(name)):
            raise TaskingInputError(problem)
    record, _ = ProblemSolving.objects.get_or_create(hotspot=hotspot)
    record = ProblemSolving.objects.select_for_update().get(pk=record.pk)
    if version is None and record.history.exists():
        raise PlanConflict("these notes have been saved before: reload them, so that your "
                           "change is made to the latest version")
    if version is not None and version != record.version:
        raise PlanConflict(f"these notes were changed (now version {record.version}, you "
                           f"edited version {version}); reload them and make your change again")
    owner = fields.get("owner")
    if owner is not None and not owner_can_see(owner=owner, hotspot=hotspot):
        raise TaskingInputError(f"{owner.get_full_name() or owner.username} cannot see this "
                                "hot spot's area, so cannot own its problem solving")
    if fields.get("status") not in (None, *ProblemSolving.Status.values):
        raise TaskingInputError(f"status is one of {', '.join(ProblemSolving.Status.values)}")
    changes = {}
    for name, value in fields.items():
        old = getattr(record, f"{name}_id" if name == "owner" else name)
        new = value.pk if name == "owner" and value is not None else value
        if old != new:
            changes[name] = {"before": old, "after": new}
            setattr(record, name, value)
    if changes:
        record.version = F("version") + 1
        record.save()
        record.refresh_from_db()
        ProblemSolvingChange.objects.create(record=record, actor=actor if getattr(
            actor, "is_authenticated", False) else None, changes=changes)
        audit_record(actor=actor, action="problemsolving.update", target=record,
                     detail={"hotspot": hotspot.pk, "fields": sorted(changes)})
    return record
