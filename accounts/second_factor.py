"""The TOTP second factor: enrolment, verification and reset (docs/adr/0010).

django-otp keeps the device (secret, drift, replay guard, throttling); this module decides
who needs one and records every outcome in the audit trail."""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from hmac import compare_digest
from typing import TYPE_CHECKING, Any

import django_otp
import segno
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import audit_record

from .models import SecondFactorEnrolment

if TYPE_CHECKING:
    from .models import User

DEVICE_NAME = "authenticator"
# The session key that says this session gave its account's enrolment code.
ENROLMENT_SESSION_KEY = "_second_factor_enrolment"
# Letters and digits no one misreads (no 0/O, 1/I/L); 10 of them are 48 bits.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ENROLMENT_CODE_WRONG_TRIES = 5


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    message: str = ""
    enrolled: bool = False


def _code_digest(code: str) -> str:
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(f"{settings.SECRET_KEY}:{normal}".encode()).hexdigest()


def enrolment_code_issue(*, actor: "User | None", user: Any) -> str:
    """A new one-time enrolment code for a staff account (any earlier one stops working);
    the admin gives it to the person, who needs it, with their password, to see the QR
    code. Shown once; only its digest is kept. Audited, without the code."""
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
    shown = f"{code[:5]}-{code[5:]}"
    expires = timezone.now() + timedelta(hours=settings.SECOND_FACTOR_ENROLMENT_HOURS)
    with transaction.atomic():
        SecondFactorEnrolment.objects.update_or_create(
            user=user, defaults={"code_digest": _code_digest(code), "expires_at": expires,
                                 "issued_by": actor if getattr(actor, "pk", None) else None,
                                 "wrong_tries": 0, "issued_at": timezone.now()})
        audit_record(actor=actor, action="login.enrolment_code_issued", target=user,
                     detail={"expires": expires.isoformat()})
    return shown


def enrolment_code_check(*, user: Any, code: str) -> tuple[VerifyResult, TOTPDevice | None]:
    """The enrolment code a staff member typed: right, in time and within the wrong tries
    allowed. Five wrong tries void the code. Every outcome is audited.

    A right code is used up at once, and gives a new secret (an unconfirmed device) for
    this sign-in alone, whose id the session keeps: the same code typed in a second session
    shows nothing, and a secret another session saw is gone (issue 15, review)."""
    with transaction.atomic():
        pending = SecondFactorEnrolment.objects.select_for_update().filter(user=user).first()
        why = ""
        if pending is None or pending.wrong_tries >= ENROLMENT_CODE_WRONG_TRIES:
            why = "no code"
        elif pending.expires_at <= timezone.now():
            why = "expired"
        elif not compare_digest(pending.code_digest, _code_digest(code)):
            why = "wrong code"
            SecondFactorEnrolment.objects.filter(pk=pending.pk).update(
                wrong_tries=F("wrong_tries") + 1)
        if why or pending is None:
            audit_record(actor=user, action="login.enrolment_code_refused", target=user,
                         detail={"reason": why})
            return VerifyResult(False, {
                "no code": "There is no enrolment code for this account, or it was used up. "
                           "Ask an administrator for a new one.",
                "expired": "That enrolment code has expired. Ask an administrator for a "
                           "new one.",
                "wrong code": "That enrolment code is not right. Check it and try again.",
            }[why]), None
        SecondFactorEnrolment.objects.filter(pk=pending.pk).delete()  # used up
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        audit_record(actor=user, action="login.enrolment_code", target=user)
    return VerifyResult(True), device


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def enrolment_device(user: Any, persistent_id: str | None) -> TOTPDevice | None:
    """The unconfirmed device this session is enrolling (its id kept in the session when
    the enrolment code was given), or None: another session's, a confirmed one, or one a
    reset removed never counts. Kept until confirmed, so a reload shows the same secret the
    phone may already hold."""
    if not persistent_id:
        return None
    device = TOTPDevice.from_persistent_id(str(persistent_id))
    if not isinstance(device, TOTPDevice) or device.user_id != user.pk or device.confirmed:
        return None
    return device


def enrolment_secret(device: TOTPDevice) -> str:
    """The base32 secret, in groups of four, for typing into an app without a camera."""

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def enrolment_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code (no image request, nothing leaves)."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=5, border=2))


def second_factor_check(*, user: Any, code: str, enrolling_device: TOTPDevice | None = None
                        ) -> tuple[VerifyResult, TOTPDevice | None]:
    """Check a code against the user's confirmed device or, before there is one, the device
    this session is enrolling (`enrolling_device`), with django-otp's throttle and replay
    guard; every outcome is audited. The sign-in page and the token endpoint come here."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return VerifyResult(False, "Enter the 6-digit code your authenticator app shows."), None
    with transaction.atomic():
        found = confirmed_device(user)
        enrolling = found is None
        if found is None:
            found = enrolling_device
        if found is None:
            return VerifyResult(False, "This account has no authenticator yet."), None
        device = TOTPDevice.objects.select_for_update().get(pk=found.pk)
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
            # Any other secret shown while enrolling is void now.
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        audit_record(actor=user, action="login.second_factor", target=user,
                     detail={"enrolled": enrolling})
    return VerifyResult(True, enrolled=enrolling), device


def second_factor_verify(request: HttpRequest, code: str,
                         enrolling_device: TOTPDevice | None = None) -> VerifyResult:
    """The sign-in page's check; on success the session is marked verified."""
    result, device = second_factor_check(user=request.user, code=code,
                                         enrolling_device=enrolling_device)
    if device is not None:
        django_otp.login(request, device)
    return result


def second_factor_reset(*, actor: "User | None", user: Any) -> int:
    """Remove a user's devices (a lost phone): they enrol again at their next sign-in, with
    a new enrolment code (enrolment_code_issue). Their API tokens go too: each was issued
    against the lost second factor."""
    from .tokens import tokens_revoke

    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        audit_record(actor=actor, action="login.second_factor_reset", target=user,
                     detail={"devices_removed": removed})
        tokens_revoke(actor=actor, user=user, reason="second factor reset")
    return removed
