"""Shift patterns, dated shifts with team capacity, tasking plans and their patrol tasks,
and the problem-solving record each hot spot carries."""

from django.conf import settings
from django.db import models
from django.db.models import Q

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ALL_DAYS = 0b1111111


class ShiftPattern(models.Model):
    """A shift worked in an area on chosen weekdays, in local wall-clock time ("Night 23:00
    for 8 h"): the dated shifts built from it keep 23:00 to 07:00 across clock changes."""

    area = models.ForeignKey("accounts.Area", on_delete=models.CASCADE,
                             related_name="shift_patterns")
    name = models.CharField(max_length=40)
    start_time = models.TimeField(help_text="Local time the shift starts")
    duration_minutes = models.PositiveSmallIntegerField(
        help_text="Wall-clock length; a shift crossing midnight ends the next day")
    # Bit 0 is Monday: the weekdays this shift is worked.
    days = models.PositiveSmallIntegerField(default=ALL_DAYS)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["area", "start_time"]
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="shiftpattern_unique_name"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0, duration_minutes__lte=1440),
                name="shiftpattern_at_most_24h"),
            models.CheckConstraint(condition=Q(days__gt=0, days__lte=ALL_DAYS),
                                   name="shiftpattern_days_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.start_time:%H:%M}"

    def day_names(self) -> list[str]:
        return [d for i, d in enumerate(DAYS) if self.days >> i & 1]


class PatternCapacity(models.Model):
    """Officer minutes a team usually has for hot spot patrol in one shift of a pattern."""

    pattern = models.ForeignKey(ShiftPattern, on_delete=models.CASCADE,
                                related_name="capacities")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    minutes = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pattern", "team"],
                                               name="patterncapacity_unique")]

    def __str__(self) -> str:
        return f"{self.team_id}: {self.minutes} min"


class Shift(models.Model):
    """One dated shift: its real start and end in UTC, however long the clock change makes it."""

    pattern = models.ForeignKey(ShiftPattern, on_delete=models.PROTECT, related_name="shifts")
    area = models.ForeignKey("accounts.Area", on_delete=models.CASCADE, related_name="shifts")
    date = models.DateField(help_text="Local date the shift starts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pattern", "date"], name="shift_unique_per_day"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                   name="shift_ends_after_start"),
        ]
        indexes = [models.Index(fields=["area", "starts_at"], name="shift_area_start")]

    def __str__(self) -> str:
        return f"{self.pattern.name} {self.date:%a %d %b}"


class ShiftCapacity(models.Model):
    """Officer minutes a team has for hot spot patrol in one dated shift (copied from the
    pattern, then changed by the supervisor for leave, court or events)."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="capacities")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    minutes = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shift", "team"],
                                               name="shiftcapacity_unique")]

    def __str__(self) -> str:
        return f"{self.team_id}: {self.minutes} min"


class TaskingPlan(models.Model):
    """A week of patrol tasks for an area. Every edit names the version it was made on, so
    two supervisors editing at once cannot overwrite each other (docs/adr/0006)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    area = models.ForeignKey("accounts.Area", on_delete=models.CASCADE,
                             related_name="tasking_plans")
    week_start = models.DateField(help_text="The Monday the week starts, local time")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    # The generator's seed and rules: the same seed, rules and inputs give the same plan.
    seed = models.BigIntegerField()
    rules = models.JSONField(default=dict)
    warnings = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start", "area"]
        constraints = [models.UniqueConstraint(fields=["area", "week_start"],
                                               name="taskingplan_one_per_area_week")]
        permissions = [("publish_taskingplan", "Can publish a tasking plan to officers")]

    def __str__(self) -> str:
        return f"Plan {self.area_id} w/c {self.week_start}"


class PatrolTask(models.Model):
    """One visit to make: a hot spot, a shift, a time, a length and who goes."""

    class Source(models.TextChoices):
        GENERATED = "generated", "Generated"
        MANUAL = "manual", "Added by a supervisor"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        CANCELLED = "cancelled", "Cancelled"

    plan = models.ForeignKey(TaskingPlan, on_delete=models.CASCADE, related_name="tasks")
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, related_name="tasks")
    hotspot = models.ForeignKey("hotspots.Hotspot", on_delete=models.PROTECT,
                                related_name="tasks")
    starts_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(default=15)
    assignee_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="patrol_tasks")
    assignee_team = models.ForeignKey("accounts.Team", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="patrol_tasks")
    callsign = models.CharField(max_length=32, blank=True)
    why = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.GENERATED)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    # Officers may already have read the published plan: a later change is flagged to them.
    changed_after_publish = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gte=5, minutes__lte=60),
                                   name="patroltask_minutes_range"),
        ]
        indexes = [
            models.Index(fields=["plan", "shift"], name="task_plan_shift"),
            models.Index(fields=["assignee_user", "starts_at"], name="task_user_start"),
            models.Index(fields=["assignee_team", "starts_at"], name="task_team_start"),
        ]

    def __str__(self) -> str:
        return f"Visit {self.hotspot_id} at {self.starts_at:%Y-%m-%d %H:%M}"


class ProblemSolving(models.Model):
    """SARA notes for a hot spot: patrols suppress, problem solving is meant to last."""

    class Status(models.TextChoices):
        SCANNING = "scanning", "Scanning"
        ANALYSIS = "analysis", "Analysis"
        RESPONSE = "response", "Response"
        ASSESSMENT = "assessment", "Assessment"
        CLOSED = "closed", "Closed"

    hotspot = models.OneToOneField("hotspots.Hotspot", on_delete=models.CASCADE,
                                   related_name="problem_solving")
    scanning = models.TextField(blank=True)
    analysis = models.TextField(blank=True)
    response = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="problem_solving")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCANNING)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Problem solving for {self.hotspot_id} ({self.status})"


class ProblemSolvingChange(models.Model):
    """One saved change to a problem-solving record: who, when, and the fields before/after."""

    record = models.ForeignKey(ProblemSolving, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Change to {self.record_id} at {self.at:%Y-%m-%d %H:%M}"
