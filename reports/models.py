"""Exports: who asked for which file, for whom, and where it is."""

from django.conf import settings
from django.db import models

from core.jobs import JobStatus


class ExportJob(models.Model):
    class Kind(models.TextChoices):
        HOTSPOTS = "hotspots", "Hot spots"
        TASKS = "tasks", "Patrol tasks"
        VISITS = "visits", "Visits (personal data)"
        DOSAGE = "dosage", "Dosage, planned against delivered"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"
        GEOJSON = "geojson", "GeoJSON"
        GPKG = "gpkg", "GeoPackage"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    format = models.CharField(max_length=8, choices=Format.choices)
    area = models.ForeignKey("accounts.Area", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    # Data Protection Act 2018 s.62: a disclosure is logged with its recipient and purpose.
    recipient = models.CharField(max_length=200)
    purpose = models.CharField(max_length=300)
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    rows_expected = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True, max_length=300)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Export {self.pk} {self.kind}.{self.format}"
