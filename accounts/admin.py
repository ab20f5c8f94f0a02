from typing import Any

from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.gis import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

# Imported first so that its registration can be replaced below.
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as BaseTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from leaflet.admin import LeafletGeoAdmin

from audit.services import audit_record

from .forms import AreaAdminForm
from .models import Area, Team, User
from .services import areas_changed_by_hand


@admin.register(Area)
class AreaAdmin(LeafletGeoAdmin):
    """Boundaries drawn on django-leaflet's map (this site's own Leaflet, so it works under
    the Content Security Policy and with no tile server). Every change rebuilds paths, parts
    and crimes' areas and is audited, as an import of boundaries does."""

    form = AreaAdminForm
    list_display = ("name", "code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code")
    readonly_fields = ("path",)

    def save_model(self, request: HttpRequest, obj: Area, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            areas_changed_by_hand(actor=request.user, areas=[obj],
                                  action="area.changed" if change else "area.added")

    def delete_model(self, request: HttpRequest, obj: Area) -> None:
        self.delete_queryset(request, Area.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Area]) -> None:
        with transaction.atomic():
            doomed = list(queryset)
            super().delete_queryset(request, queryset)
            # Audited after the delete, inside its transaction: the events keep the ids.
            areas_changed_by_hand(actor=request.user, areas=doomed, action="area.deleted")


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


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(BaseTOTPDeviceAdmin):
    """django-otp's device admin, audited: adding, changing or deleting someone's second
    factor here is as sensitive as `manage.py second_factor_reset`, which is audited too."""

    def _audit(self, request: HttpRequest, action: str, device: TOTPDevice) -> None:
        audit_record(actor=request.user, action=action, target=device.user,
                     detail={"device": device.pk, "name": device.name,
                             "confirmed": device.confirmed, "through": "admin"})

    def save_model(self, request: HttpRequest, obj: TOTPDevice, form: Any,
                   change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            self._audit(request, "second_factor.device_changed" if change
                        else "second_factor.device_added", obj)

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        with transaction.atomic():
            self._audit(request, "second_factor.device_deleted", obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TOTPDevice]) -> None:
        with transaction.atomic():
            for device in queryset.select_related("user"):
                self._audit(request, "second_factor.device_deleted", device)
            super().delete_queryset(request, queryset)
