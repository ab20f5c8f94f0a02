"""Devices (radios, phones, vehicle trackers) and their tokens."""

import hashlib
import secrets

from django.db import transaction

from accounts.models import Area, Team, User
from audit.services import audit_record
from core.text import markup_problem

from ..models import Device
from .errors import TrackingInputError


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def device_create(*, name: str, kind: str, area: Area, actor: User | None,
                  team: Team | None = None, holder: User | None = None) -> tuple[Device, str]:
    """Register a device; its token is returned once and only its hash is kept."""
    if kind not in Device.Kind.values:
        raise TrackingInputError(f"kind is one of {', '.join(Device.Kind.values)}")
    if problem := markup_problem("the device's name", name):
        raise TrackingInputError(problem)
    token = secrets.token_urlsafe(32)
    device = Device.objects.create(name=name.strip()[:100], kind=kind, area=area, team=team,
                                   holder=holder, token_hash=token_hash(token))
    audit_record(actor=actor, action="device.create", target=device,
                 detail={"name": device.name, "kind": kind, "area": area.pk})
    return device, token


@transaction.atomic
def device_set_active(*, device: Device, active: bool, actor: "User | None") -> Device:
    Device.objects.filter(pk=device.pk).update(active=active)
    device.active = active
    audit_record(actor=actor, action="device.enable" if active else "device.disable",
                 target=device)
    return device


def device_by_token(token: str) -> Device | None:
    return Device.objects.filter(token_hash=token_hash(token)).first()
