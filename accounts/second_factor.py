"""The TOTP second factor: enrolment, verification and reset (docs/adr/0010).

django-otp keeps the device (secret, drift, replay guard, throttling); this module decides
who needs one and records every outcome in the audit trail."""

from dataclasses import dataclass
from typing import Any

import django_otp
import segno
from django.db import transaction
from django.http import HttpRequest
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import audit_record

DEVICE_NAME = "authenticator"


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def enrolment_device(user: Any) -> TOTPDevice:
    """The unconfirmed device a user is enrolling; one per user, kept until confirmed so a
    reload shows the same secret that the phone may already hold."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def enrolment_secret(device: TOTPDevice) -> str:
    """The base32 secret, in groups of four, for typing into an app without a camera."""
    import base64

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def enrolment_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code (no image request, nothing leaves)."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=5, border=2))


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    message: str = ""
    enrolled: bool = False


def second_factor_check(*, user: Any, code: str) -> tuple[VerifyResult, TOTPDevice | None]:
    """Check a code against the user's confirmed device, or the one being enrolled, with
    django-otp's throttle and replay guard; every outcome is audited. The sign-in page and
    the token endpoint both come here."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return VerifyResult(False, "Enter the 6-digit code your authenticator app shows."), None
    with transaction.atomic():
        device = confirmed_device(user)
        enrolling = device is None
        if device is None:
            device = enrolment_device(user)
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, why = device.verify_is_allowed()
        if not allowed:
            wait = ""
            if why and why.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
                wait = " Wait a few seconds before the next try."
            audit_record(actor=user, action="login.second_factor_refused", target=user,
                         detail={"reason": "throttled"})
            return VerifyResult(False, "Too many wrong codes." + wait), None
        if not device.verify_token(code):
            audit_record(actor=user, action="login.second_factor_refused", target=user,
                         detail={"reason": "wrong code"})
            return VerifyResult(False, "That code is not right, or was already used. "
                                       "Check the phone's clock and try the next code."), None
        if enrolling:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        audit_record(actor=user, action="login.second_factor", target=user,
                     detail={"enrolled": enrolling})
    return VerifyResult(True, enrolled=enrolling), device


def second_factor_verify(request: HttpRequest, code: str) -> VerifyResult:
    """The sign-in page's check; on success the session is marked verified."""
    result, device = second_factor_check(user=request.user, code=code)
    if device is not None:
        django_otp.login(request, device)
    return result


def second_factor_reset(*, actor: Any, user: Any) -> int:
    """Remove a user's devices (a lost phone): they enrol again at their next sign-in."""
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        audit_record(actor=actor, action="login.second_factor_reset", target=user,
                     detail={"devices_removed": removed})
    return removed
