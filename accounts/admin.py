from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.gis import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

# Imported first so that its registration can be replaced below.
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as BaseTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from leaflet.admin import LeafletGeoAdmin

from audit.services import audit_record
from core.forms import PlainTextModelForm

from .forms import AreaAdminForm
from .models import ApiToken, Area, Team, User
from .second_factor import enrolment_code_issue
from .selectors import actor_of
from .services import areas_changed_by_hand
from .tokens import tokens_revoke


class ViewsAudited:
    """Admin pages of personal data record who looked (issue 15, item 6): each list and each
    record shown is an audit event, as a read of a device's track is."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        if request.method == "GET" and response.status_code == 200:
            opts = self.model._meta  # type: ignore[attr-defined]
            audit_record(actor=request.user, action="admin.list_view",
                         detail={"model": opts.label_lower,
                                 "query": {k: v[:100] for k, v in request.GET.items()}})
        return response

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: Any = None) -> Any:
        response = super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
            if obj is not None:
                audit_record(actor=request.user, action="admin.view", target=obj,
                             detail={"model": obj._meta.label_lower})
        return response


@admin.register(Area)
class AreaAdmin(LeafletGeoAdmin):
    """Boundaries drawn on django-leaflet's map (this site's own Leaflet, so it works under
    the Content Security Policy and with no tile server). Every change rebuilds paths, parts
    and crimes' areas and is audited, as an import of boundaries does."""

    form = AreaAdminForm
    list_display = ("name", "code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code")
    # The materialised path is the index's business; people read the chain of names.
    readonly_fields = ("within",)

    @admin.display(description="Within")
    def within(self, obj: Area) -> str:
        names, parent = [], obj.parent
        while parent is not None:
            names.append(parent.name)
            parent = parent.parent
        return " \u203a ".join(reversed(names)) or "(the top level)"

    def save_model(self, request: HttpRequest, obj: Area, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            areas_changed_by_hand(actor=actor_of(request), areas=[obj],
                                  action="area.changed" if change else "area.added")

    def delete_model(self, request: HttpRequest, obj: Area) -> None:
        self.delete_queryset(request, Area.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Area]) -> None:
        with transaction.atomic():
            doomed = list(queryset)
            super().delete_queryset(request, queryset)
            # Audited after the delete, inside its transaction: the events keep the ids.
            areas_changed_by_hand(actor=actor_of(request), areas=doomed, action="area.deleted")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = PlainTextModelForm
    list_display = ("name", "callsign", "area")
    list_select_related = ("area",)


@admin.register(User)
class UserAdmin(ViewsAudited, BaseUserAdmin):
    fieldsets = (*(BaseUserAdmin.fieldsets or ()),
                 ("Policing", {"fields": ("area", "team", "rank", "collar_number")}))
    list_display = ("username", "get_full_name", "rank", "area", "team", "is_active")
    list_select_related = ("area", "team")

    actions = ["issue_enrolment_codes"]

    @admin.action(description="Issue a second-factor enrolment code")
    def issue_enrolment_codes(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Each code is shown once, here; give it to its person, not by email."""
        for person in queryset.order_by("username"):
            code = enrolment_code_issue(actor=actor_of(request), user=person)
            messages.warning(request, f"Enrolment code for {person.username}: {code} (valid "
                                      f"{settings.SECOND_FACTOR_ENROLMENT_HOURS} hours, "
                                      "once). It is not shown again.")

    def user_change_password(self, request: HttpRequest, id: str,
                             form_url: str = "") -> HttpResponse:
        """Django's password page; a changed password also revokes the person's API tokens
        (they would fail at their next use anyway, accounts/tokens.py), audited here."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            person = User.objects.get(pk=id)
            tokens_revoke(actor=actor_of(request), user=person, reason="password changed")
        return response


admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(ViewsAudited, BaseTOTPDeviceAdmin):
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
            # Tokens issued against this second factor go with it, as a reset's do.
            tokens_revoke(actor=actor_of(request), user=obj.user,
                          reason="second factor removed in the admin")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TOTPDevice]) -> None:
        with transaction.atomic():
            people = []
            for device in queryset.select_related("user"):
                self._audit(request, "second_factor.device_deleted", device)
                people.append(device.user)
            super().delete_queryset(request, queryset)
            for person in {p.pk: p for p in people}.values():
                tokens_revoke(actor=actor_of(request), user=person,
                              reason="second factor removed in the admin")


@admin.register(ApiToken)
class ApiTokenAdmin(ViewsAudited, admin.ModelAdmin):
    """API tokens, to see and revoke (a leaver, a lost phone); never to make or change: a
    token is issued only by signing in. Only the first characters of each are known."""

    list_display = ("user", "key", "created", "expiry")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    fields = ("user", "key", "created", "expiry")
    readonly_fields = fields

    @admin.display(description="key")
    def key(self, obj: ApiToken) -> str:
        return f"{obj.token_key[:8]}…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: ApiToken) -> None:
        tokens_revoke(actor=actor_of(request), user=obj.user, digests=[obj.digest],
                      reason="revoked by an admin")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        with transaction.atomic():
            for token in queryset.select_related("user"):
                tokens_revoke(actor=actor_of(request), user=token.user, digests=[token.digest],
                              reason="revoked by an admin")
