from typing import Any

from django.contrib.gis import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from leaflet.admin import LeafletGeoAdmin

from core.forms import PlainTextModelForm

from .models import Crime, ExclusionArea, ImportJob, OffenceType
from .recompute import exclusion_area_changed_by_hand, exclusion_area_delete, exclusion_state


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


@admin.register(ExclusionArea)
class ExclusionAreaAdmin(LeafletGeoAdmin):
    """Places ruled out of targeting, drawn on this site's own Leaflet map; every change
    and removal is audited, as on the hot spot map page (issue 18, item 15)."""

    form = PlainTextModelForm
    list_display = ("name", "area", "reason", "created_by", "created_at")
    list_filter = ("area",)
    search_fields = ("name", "reason")
    fields = ("area", "name", "reason", "geom")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False,
                 **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.base_fields["geom"].label = "Shape"  # the column's name is no word for people
        return form

    def save_model(self, request: HttpRequest, obj: ExclusionArea, form: Any,
                   change: bool) -> None:
        with transaction.atomic():
            before = None
            if change:  # what the form replaces, for the audit's before and after
                before = exclusion_state(ExclusionArea.objects.get(pk=obj.pk))
            else:
                obj.created_by = request.user  # type: ignore[assignment]
            super().save_model(request, obj, form, change)
            exclusion_area_changed_by_hand(actor=request.user,  # type: ignore[arg-type]
                                           exclusion=obj, created=not change, before=before)

    def delete_model(self, request: HttpRequest, obj: ExclusionArea) -> None:
        exclusion_area_delete(actor=request.user, exclusion=obj)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ExclusionArea]) -> None:
        with transaction.atomic():
            for exclusion in queryset.select_related("area"):
                exclusion_area_delete(actor=request.user,  # type: ignore[arg-type]
                                      exclusion=exclusion)
