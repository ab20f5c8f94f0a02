from django.contrib.gis import admin

from .models import Crime, ImportJob, OffenceType


@admin.register(OffenceType)
class OffenceTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "category", "harm_weight", "include_in_targeting")
    list_filter = ("category", "include_in_targeting")


@admin.register(Crime)
class CrimeAdmin(admin.GISModelAdmin):
    list_display = ("reference", "source", "offence_type", "occurred_from", "area")
    list_filter = ("source", "offence_type")
    search_fields = ("reference", "location_text", "lsoa_code")
    raw_id_fields = ("area", "import_job")
    list_select_related = ("offence_type", "area")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "original_name", "status", "created_by", "created_at", "rows_inserted",
                    "rows_rejected")
    list_filter = ("status", "format")
    readonly_fields = [f.name for f in ImportJob._meta.fields]
