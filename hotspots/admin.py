from django.contrib.gis import admin
from django.http import HttpRequest

from .models import Crime, ImportJob, OffenceType


@admin.register(OffenceType)
class OffenceTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "category", "harm_weight", "include_in_targeting")
    list_filter = ("category", "include_in_targeting")


@admin.register(Crime)
class CrimeAdmin(admin.ModelAdmin):
    """A recorded crime is the source system's record: it is corrected there and imported
    again, not edited here (its key settles re-imports, and its area follows its point and
    the boundaries). The admin views and deletes; it neither adds nor changes."""

    list_display = ("reference", "source", "offence_type", "occurred_from", "area")
    list_filter = ("source", "offence_type")
    search_fields = ("reference", "location_text", "lsoa_code")
    list_select_related = ("offence_type", "area")
    exclude = ("location",)
    readonly_fields = ("point",)

    @admin.display(description="location")
    def point(self, obj: Crime) -> str:
        return f"{obj.location.x:.0f}, {obj.location.y:.0f} (EPSG:{obj.location.srid})"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Crime | None = None) -> bool:
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "original_name", "status", "created_by", "created_at", "rows_inserted",
                    "rows_rejected")
    list_filter = ("status", "format")
    readonly_fields = [f.name for f in ImportJob._meta.fields]
