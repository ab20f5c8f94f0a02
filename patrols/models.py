"""Visits officers log, devices that send GPS pings, the pings (a table partitioned by day,
made by migration SQL) and the presence intervals computed from them."""

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q


class Visit(models.Model):
    """One patrol visit to a hot spot, logged by the officer (possibly offline, possibly
    after the fact). The phone makes the id, so a visit sent twice is stored once."""

    class Activity(models.TextChoices):
        FOOT = "foot", "Foot patrol"
        ENGAGEMENT = "engagement", "Engagement with the public"
        STOP = "stop", "Stop or search"
        PROBLEM_SOLVING = "problem_solving", "Problem solving"
        VEHICLE = "vehicle", "Vehicle patrol"
        OTHER = "other", "Other"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="visits")
    hotspot = models.ForeignKey("hotspots.Hotspot", on_delete=models.PROTECT,
                                related_name="visits")
    task = models.ForeignKey("tasking.PatrolTask", null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="visits")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    start_point = models.PointField(srid=settings.HOTSPOTS_SRID, null=True, blank=True)
    start_accuracy_m = models.FloatField(null=True, blank=True)
    end_point = models.PointField(srid=settings.HOTSPOTS_SRID, null=True, blank=True)
    end_accuracy_m = models.FloatField(null=True, blank=True)
    # Where the phone said it was, against the hot spot plus the tolerance; None: no fix.
    start_inside = models.BooleanField(null=True)
    end_inside = models.BooleanField(null=True)
    activities = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    # An officer's notes are their observations: read on the hot spot's problem-solving
    # page, and marked acted on so the officer sees their noticing was used (issue 19).
    notes_acted_at = models.DateTimeField(null=True, blank=True)
    notes_acted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    notes_acted_comment = models.CharField(max_length=300, blank=True)
    # Entered after the fact (not checked in live): shown so, and counted apart.
    retrospective = models.BooleanField(default=False)
    # A hash of what the phone sent: the same id with a different body is a conflict.
    body_hash = models.CharField(max_length=64)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ended_at__isnull=True)
                                   | Q(ended_at__gte=models.F("started_at")),
                                   name="visit_ends_after_start"),
        ]
        indexes = [models.Index(fields=["hotspot", "started_at"], name="visit_hotspot_time"),
                   models.Index(fields=["officer", "started_at"], name="visit_officer_time")]
        permissions = [
            ("view_all_visits", "Can see every officer's visits in their areas"),
            # Who checked in where is personal location data (docs/adr/0011): supervisors
            # and admins, who manage officers, export it; analysts export visits without it.
            ("export_visit_identities",
             "Can export visits with the officer's name and where they checked in"),
            ("act_on_observation", "Can mark an officer's observation at a visit acted on"),
            ("acknowledge_alarm", "Can acknowledge an alarm for an unpatrolled hot spot"),
        ]

    def __str__(self) -> str:
        return f"Visit {self.id} to {self.hotspot_id}"


class Device(models.Model):
    """A radio, phone or vehicle that sends GPS pings with its own token."""

    class Kind(models.TextChoices):
        RADIO = "radio", "Radio"
        PHONE = "phone", "Phone"
        VEHICLE = "vehicle", "Vehicle"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    area = models.ForeignKey("accounts.Area", on_delete=models.PROTECT, related_name="devices")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="devices")
    # Who carries it now; pings become presence for this role (PC, PCSO, special).
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="devices")
    # Only a hash of the token is kept: a leaked table cannot be replayed.
    token_hash = models.CharField(max_length=64, unique=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [("view_track", "Can see an individual device's track (audited)")]

    def __str__(self) -> str:
        return self.name


class GpsPing(models.Model):
    """A position from a device. The table is partitioned by day and made by migration SQL
    (Django cannot declare partitions); the ORM only reads it."""

    pk = models.CompositePrimaryKey("device_id", "recorded_at")
    device = models.ForeignKey(Device, on_delete=models.DO_NOTHING, related_name="+")
    recorded_at = models.DateTimeField()
    received_at = models.DateTimeField()
    geom = models.PointField(srid=settings.HOTSPOTS_SRID)
    accuracy_m = models.FloatField(null=True)

    class Meta:
        managed = False
        db_table = "patrols_gpsping"

    def __str__(self) -> str:
        return f"{self.device_id} at {self.recorded_at}"


class Presence(models.Model):
    """A time a device spent inside a hot spot (plus tolerance), from its pings. Its view
    permission is the one that shows dosage (aggregated)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="presences")
    hotspot = models.ForeignKey("hotspots.Hotspot", on_delete=models.CASCADE,
                                related_name="presences")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    pings = models.PositiveIntegerField()
    # Time inside, each ping counting for the interval to the device's next ping (capped
    # by the gap tolerance), so a sparse radio and a chatty phone measure the same dwell.
    seconds = models.FloatField()
    # Copied from the device when computed: dosage by team and role survives reassignment.
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    rank = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering = ["started_at"]
        constraints = [
            models.UniqueConstraint(fields=["device", "hotspot", "started_at"],
                                    name="presence_unique_start"),
            models.CheckConstraint(condition=Q(ended_at__gte=models.F("started_at")),
                                   name="presence_ordered"),
        ]
        indexes = [models.Index(fields=["hotspot", "started_at"], name="presence_hotspot_time")]

    def __str__(self) -> str:
        return f"{self.device_id} in {self.hotspot_id} from {self.started_at}"


class PresenceRun(models.Model):
    """One pass of the presence task: pings received up to `received_until` are done."""

    received_until = models.DateTimeField(db_index=True)
    devices = models.PositiveIntegerField()
    removed = models.PositiveIntegerField()
    inserted = models.PositiveIntegerField()
    seconds = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Presence up to {self.received_until}"


class Alarm(models.Model):
    """A tasked hot spot gone unpatrolled in a shift that is on (issue 20): no delivered
    presence (GPS or check-in) for a set number of hours, or under a set share of its
    planned minutes by mid-shift. It clears itself when someone arrives; a supervisor may
    acknowledge it with a reason, which stops the repeats."""

    class Rule(models.TextChoices):
        NO_PRESENCE = "no_presence", "No patrol for too long"
        UNDER_DOSE = "under_dose", "Under its planned minutes by mid-shift"

    hotspot = models.ForeignKey("hotspots.Hotspot", on_delete=models.CASCADE,
                                related_name="alarms")
    shift = models.ForeignKey("tasking.Shift", on_delete=models.CASCADE, related_name="alarms")
    rule = models.CharField(max_length=12, choices=Rule.choices)
    detail = models.CharField(max_length=300)
    raised_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notices_sent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [models.UniqueConstraint(fields=["hotspot", "shift"],
                                               name="alarm_one_per_hotspot_shift")]

    def __str__(self) -> str:
        return f"Alarm {self.hotspot_id} in shift {self.shift_id}"
