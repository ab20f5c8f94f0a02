"""Trials: which hot spots get which patrol, fixed by a stored seed and locked once running."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Trial(models.Model):
    class Design(models.TextChoices):
        PARALLEL = "parallel", "Parallel (block-randomised arms)"
        CROSSOVER = "crossover", "Daily crossover (each day patrolled or not)"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RUNNING = "running", "Running (randomisation locked)"
        FINISHED = "finished", "Finished"

    area = models.ForeignKey("accounts.Area", on_delete=models.PROTECT, related_name="trials")
    name = models.CharField(max_length=200)
    design = models.CharField(max_length=10, choices=Design.choices)
    # [{"name": "15 min", "visit_minutes": 15, "role": "pc"}, {"name": "control",
    #   "control": true}]: a parallel trial's arms; a crossover's patrol condition.
    arms = models.JSONField()
    seed = models.BigIntegerField()
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Cost of an hour of patrol by role (pc, pcso, special), for cost per hour and per harm.
    hourly_cost = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")),
                                              name="trial_dates_ordered")]
        permissions = [("start_trial", "Can start (and so lock) a trial")]

    def __str__(self) -> str:
        return self.name


class TrialHotspot(models.Model):
    """A hot spot in a trial, with its harm when randomised, its block and its arm."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="places")
    hotspot = models.ForeignKey("hotspots.Hotspot", on_delete=models.PROTECT,
                                related_name="trial_places")
    harm = models.FloatField()
    block = models.PositiveIntegerField()
    arm = models.PositiveSmallIntegerField(null=True, help_text="Index into the trial's arms "
                                           "(parallel); empty for a crossover")

    class Meta:
        ordering = ["trial", "block", "hotspot"]
        constraints = [models.UniqueConstraint(fields=["trial", "hotspot"],
                                               name="trialhotspot_unique")]

    def __str__(self) -> str:
        return f"{self.hotspot_id} in {self.trial_id} arm {self.arm}"


class CrossoverDay(models.Model):
    """Whether a hot spot in a crossover trial is patrolled on a day."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="days")
    hotspot = models.ForeignKey("hotspots.Hotspot", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    patrolled = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trial", "hotspot", "day"],
                                               name="crossoverday_unique")]
        indexes = [models.Index(fields=["hotspot", "day"], name="crossover_hotspot_day")]

    def __str__(self) -> str:
        return f"{self.hotspot_id} {self.day} {'on' if self.patrolled else 'off'}"
