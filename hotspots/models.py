from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import BrinIndex

from core.jobs import JobStatus


class OffenceType(models.Model):
    """A kind of crime or incident with the harm weight that targeting multiplies it by."""

    class Category(models.TextChoices):
        CRIME = "crime", "Crime"
        ASB = "asb", "Anti-social behaviour"

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120, unique=True)
    category = models.CharField(max_length=8, choices=Category.choices, default=Category.CRIME)
    harm_weight = models.FloatField(help_text="Harm per offence on the Crime Severity Score scale.")
    weight_source = models.CharField(max_length=300, blank=True)
    # Offences found by proactive policing (drugs, weapons) would steer patrols towards where
    # police already patrol; they stay out of targeting unless an analyst says otherwise.
    include_in_targeting = models.BooleanField(default=True)
    # Other spellings seen in source files ("Violent crime" in older police.uk files).
    aliases = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(harm_weight__gte=0),
                                   name="offencetype_harm_weight_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    """One import of crime files: what was asked, how far it got, and what it found."""

    Status = JobStatus

    class Format(models.TextChoices):
        POLICE_UK = "police_uk", "police.uk street CSV or archive"
        GENERIC = "generic", "CSV/TSV with a column mapping"

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    format = models.CharField(max_length=16, choices=Format.choices)
    source = models.CharField(max_length=64,
                              help_text="Where the records come from, e.g. police.uk")
    mapping = models.JSONField(default=dict, blank=True)
    original_name = models.CharField(max_length=255)
    upload = models.FileField(upload_to="imports/%Y/%m/", max_length=500, blank=True)
    bytes_total = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_read = models.BigIntegerField(default=0)
    rows_inserted = models.BigIntegerField(default=0)
    rows_duplicate = models.BigIntegerField(default=0)
    rows_rejected = models.BigIntegerField(default=0)
    rejects_by_reason = models.JSONField(default=dict, blank=True)
    # The first rejected rows in full (file, line, reason); the counts above cover the rest.
    rejects_sample = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.pk} {self.original_name} ({self.status})"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.bytes_total:
            return 0
        return min(99, int(100 * self.bytes_read / self.bytes_total))

    @property
    def phase(self) -> str:
        """What a running import is doing: reading its files, then saving what it read
        (the set-based insert, which reports no progress of its own and can take longer)."""
        if self.status != self.Status.RUNNING:
            return ""
        return "saving" if self.bytes_total and self.bytes_read >= self.bytes_total else "reading"

    @property
    def summary(self) -> str:
        return (f"read {self.rows_read:,}, inserted {self.rows_inserted:,}, "
                f"duplicate {self.rows_duplicate:,}, rejected {self.rows_rejected:,}")


class Crime(models.Model):
    """A recorded crime or ASB incident: what, when (a window), where (metric CRS)."""

    # The key is compared byte-wise ("C" collation): it is an identifier, never sorted for
    # people, and byte comparison makes its unique index cheaper for each imported row.
    source = models.CharField(max_length=64, db_collation="C")
    # The source's own id (police.uk Crime ID), or a key derived from the row's content
    # and its repeat number in the file when the source has none: see docs/adr/0003.
    reference = models.CharField(max_length=128, db_collation="C")
    # Foreign keys carry no index of their own where another index (or a rare delete)
    # covers them: every index costs each imported row (docs/adr/0002). No per-row
    # constraint either: the importer key-share locks the offence types it writes until it
    # commits, and a trigger refuses to delete or renumber a type that crimes still use
    # (migration 0004), so integrity is checked on the rare side, not per crime.
    offence_type = models.ForeignKey(OffenceType, on_delete=models.PROTECT, related_name="crimes",
                                     db_index=False, db_constraint=False)
    occurred_from = models.DateTimeField()
    occurred_to = models.DateTimeField()
    # Indexed with SP-GiST, not GiST: it answers the same && searches behind ST_Intersects
    # and ST_DWithin and costs each imported row less (docs/adr/0002). Django would make
    # it GiST, so migration 0004 creates it in SQL.
    location = models.PointField(srid=settings.HOTSPOTS_SRID, spatial_index=False)
    area = models.ForeignKey(
        "accounts.Area", null=True, blank=True, on_delete=models.SET_NULL, related_name="crimes",
        # (area, occurred_from) leads with it. No database constraint: the importer takes the
        # id from accounts_areapart in the same statement, and a per-row check would cost
        # 30% of import time; Django nulls it when an area is deleted (docs/adr/0002).
        db_index=False, db_constraint=False,
    )
    location_text = models.CharField(max_length=255, blank=True)
    lsoa_code = models.CharField(max_length=16, blank=True)
    outcome = models.CharField(max_length=255, blank=True)
    import_job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="crimes",
        db_index=False, db_constraint=False,  # provenance only, written by the importer
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "reference"], name="crime_unique_reference"),
            models.CheckConstraint(condition=models.Q(occurred_to__gte=models.F("occurred_from")),
                                   name="crime_window_ordered"),
        ]
        indexes = [
            # Crimes arrive roughly in time order: a BRIN index is tiny and nearly free to keep.
            BrinIndex(fields=["occurred_from"], name="crime_occurred_from_brin"),
            models.Index(fields=["area", "occurred_from"], name="crime_area_time"),
        ]

    def __str__(self) -> str:
        return f"{self.offence_type_id} {self.reference}"


class ExclusionArea(models.Model):
    """A place an analyst has ruled out of targeting (a prison, a hospital ward)."""

    area = models.ForeignKey("accounts.Area", on_delete=models.CASCADE,
                             related_name="exclusions")
    name = models.CharField(max_length=200)
    reason = models.TextField()
    geom = models.MultiPolygonField(srid=settings.HOTSPOTS_SRID)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class HotspotRun(models.Model):
    """One computation of hot spots for an area: what was asked, what it found, how long."""

    Status = JobStatus

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", "Nightly"
        ANALYST = "analyst", "Analyst"
        COMMAND = "command", "Command line"

    area = models.ForeignKey("accounts.Area", on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    trigger = models.CharField(max_length=8, choices=Trigger.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Everything needed to reproduce the run: cell size, bandwidth, rule, offence types.
    parameters = models.JSONField(default=dict)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    # The whole cell layer (counts, harm, z, p, q, KDE, selected) as a compressed NumPy file:
    # ~70,000 cells a night per area would swamp a table (docs/adr/0005).
    cells = models.FileField(upload_to="runs/%Y/%m/", blank=True, max_length=300)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Run {self.pk} for {self.area_id} ({self.status})"


class Hotspot(models.Model):
    """A place that has been hot: the same cell keeps the same hot spot across runs."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        APPROVED = "approved", "Approved"
        SUPPRESSED = "suppressed", "Suppressed"
        RETIRED = "retired", "Retired"

    # The area whose runs manage this hot spot's identity (a BCU, nightly).
    run_area = models.ForeignKey("accounts.Area", on_delete=models.CASCADE,
                                 related_name="managed_hotspots")
    # The most specific area holding the cell's centre: it scopes who sees the hot spot.
    area = models.ForeignKey("accounts.Area", null=True, on_delete=models.SET_NULL,
                             related_name="hotspots")
    class NamedBy(models.TextChoices):
        NONE = "", "Not named"
        CRIMES = "crimes", "From the crimes' location text"
        STREETS = "streets", "From the street layer"
        ANALYST = "analyst", "Named by an analyst"

    key = models.CharField(max_length=64)
    # A name people recognise ("Holloway Road, Islington"); runs name a hot spot from its
    # crimes' location text and leave an analyst's name alone. The key stays the identity.
    name = models.CharField(max_length=120, blank=True)
    named_by = models.CharField(max_length=10, choices=NamedBy.choices, blank=True, default="")
    geom = models.PolygonField(srid=settings.HOTSPOTS_SRID)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CANDIDATE)
    first_run = models.ForeignKey(HotspotRun, on_delete=models.PROTECT, related_name="+")
    last_selected_run = models.ForeignKey(HotspotRun, on_delete=models.PROTECT, related_name="+")
    # Set when a later run no longer selects it: flagged for review, never deleted.
    dropped_by_run = models.ForeignKey(HotspotRun, null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    # Why it is hot, from the last run that selected it: counts, harm, z, q, peak hours...
    stats = models.JSONField(default=dict)
    profile = models.JSONField(default=list, help_text="Harm per hour of the week (168)")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["run_area", "id"]
        constraints = [models.UniqueConstraint(fields=["run_area", "key"],
                                               name="hotspot_unique_cell_per_run_area")]
        permissions = [("review_hotspot", "Can approve, suppress or retire hot spots")]

    def __str__(self) -> str:
        return f"{self.name or self.key} ({self.status})"
