from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.gis import admin

from .models import Area, Team, User


@admin.register(Area)
class AreaAdmin(admin.GISModelAdmin):
    list_display = ("name", "code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code")
    readonly_fields = ("path",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "callsign", "area")
    list_select_related = ("area",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*(BaseUserAdmin.fieldsets or ()),
                 ("Policing", {"fields": ("area", "team", "rank", "collar_number")}))
    list_display = ("username", "get_full_name", "rank", "area", "team", "is_active")
    list_select_related = ("area", "team")
