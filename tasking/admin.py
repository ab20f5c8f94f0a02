from django.contrib import admin

from .models import PatternCapacity, ShiftPattern


class PatternCapacityInline(admin.TabularInline):
    model = PatternCapacity
    extra = 1


@admin.register(ShiftPattern)
class ShiftPatternAdmin(admin.ModelAdmin):
    # Adding through the admin skips the overlap check: the API and services are the way in.
    list_display = ("name", "area", "start_time", "duration_minutes", "days", "active")
    list_filter = ("area", "active")
    inlines = [PatternCapacityInline]
    readonly_fields = ("area", "start_time", "duration_minutes", "days")

    def has_add_permission(self, request: object) -> bool:
        return False
