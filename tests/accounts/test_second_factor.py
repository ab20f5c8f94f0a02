"""The TOTP second factor for supervisors, analysts, admins and auditors (issue 7)."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken, SecondFactorEnrolment
from accounts.second_factor import enrolment_code_check, enrolment_code_issue
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser_client():
    """A plain client: every sign-in here goes through the real forms."""
    return Client()


def password(client, username):
    return client.post(reverse("login"), {"username": username,
                                          "password": "pw-for-tests-only"})


def current_code(device):
    return f"{totp(device.bin_key):06d}"


@pytest.mark.parametrize("role", ["supervisor", "analyst", "admin", "auditor"])
def test_first_sign_in_enrols_an_authenticator_and_nothing_is_open_before(browser_client,
                                                                         users, role):
    c = browser_client
    assert password(c, role)["Location"] == "/"
    # Signed in by password only: every page sends to the code page, the API refuses.
    home = c.get("/")
    assert home.status_code == 302
    assert home["Location"] == "/login/second-factor/?next=/"
    assert c.get(reverse("api-me")).status_code == 403
    assert "second factor" in c.get(reverse("api-me")).json()["detail"]
    # The password alone shows no QR code and no secret: first the admin's enrolment code.
    ask = c.get(home["Location"]).content.decode()
    assert "Enter your enrolment code" in ask and "<svg" not in ask and "otp-secret" not in ask
    assert not TOTPDevice.objects.filter(user=users[role]).exists()
    guess = c.post(home["Location"], {"enrolment_code": "ABCDE-FGHJK", "next": "/"})
    assert guess.status_code == 400 and "no enrolment code" in guess.content.decode()
    code = enrolment_code_issue(actor=None, user=users[role])  # as manage.py does
    entered = c.post(home["Location"], {"enrolment_code": code.lower(), "next": "/"})
    assert (entered.status_code, entered["Location"]) == (302, home["Location"])
    page = c.get(home["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Set up your authenticator app" in html and "<svg" in html
    device = TOTPDevice.objects.get(user=users[role])
    assert device.confirmed is False
    shown = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    import base64

    assert base64.b32decode(shown + "=" * (-len(shown) % 8)) == device.bin_key
    # A reload shows the same secret (the phone may already hold it).
    assert shown in c.get(home["Location"]).content.decode().replace(" ", "")
    # A wrong code: 400, the device stays unconfirmed, the session unverified.
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    refused = c.post(reverse("second-factor"), {"code": wrong, "next": "/"})
    assert refused.status_code == 400 and "not right" in refused.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert c.get("/").status_code == 302
    device.throttle_reset()
    ok = c.post(reverse("second-factor"), {"code": current_code(device), "next": "/"})
    assert (ok.status_code, ok["Location"]) == (302, "/")
    device.refresh_from_db()
    assert device.confirmed is True
    assert c.get("/").status_code == 200
    assert c.get(reverse("api-me")).json()["username"] == role
    assert list(AuditEvent.objects.filter(actor=users[role]).order_by("id").values_list(
        "action", "detail")) == [
        ("login.enrolment_code_refused", {"reason": "no code"}),
        ("login.enrolment_code", {}),
        ("login.second_factor_refused", {"reason": "wrong code"}),
        ("login.second_factor", {"enrolled": True})]
    # Used up: the code does not enrol a second phone.
    assert not SecondFactorEnrolment.objects.filter(user=users[role]).exists()


def test_an_enrolled_user_gives_a_code_each_time_and_a_code_works_once(browser_client, users):
    device = TOTPDevice.objects.create(user=users["supervisor"], name="phone", confirmed=True)
    c = browser_client
    password(c, "supervisor")
    page = c.get("/login/second-factor/?next=/tasking/")
    assert "Enter your code" in page.content.decode()
    assert "otp-secret" not in page.content.decode()  # the secret is never shown again
    code = current_code(device)
    ok = c.post(reverse("second-factor"), {"code": code, "next": "/tasking/"})
    assert ok["Location"] == "/tasking/"
    assert c.get("/tasking/").status_code == 200
    # Signed out and in again within the same 30 s: the same code is refused (replay).
    c.post(reverse("logout"))
    password(c, "supervisor")
    replay = c.post(reverse("second-factor"), {"code": code, "next": "/"})
    assert replay.status_code == 400
    assert c.get("/tasking/").status_code == 302


def test_wrong_codes_are_throttled(browser_client, users):
    device = TOTPDevice.objects.create(user=users["analyst"], name="phone", confirmed=True)
    c = browser_client
    password(c, "analyst")
    right = current_code(device)
    wrong = f"{(int(right) + 7) % 1_000_000:06d}"
    assert c.post(reverse("second-factor"), {"code": wrong}).status_code == 400
    # Straight after a failure even the right code waits: the throttle doubles each time.
    throttled = c.post(reverse("second-factor"), {"code": right})
    assert throttled.status_code == 400 and "Too many wrong codes" in throttled.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert c.get("/").status_code == 302


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "<script>"])
def test_malformed_codes_get_a_message_and_count_nothing(browser_client, users, code):
    device = TOTPDevice.objects.create(user=users["auditor"], name="phone", confirmed=True)
    password(browser_client, "auditor")
    response = browser_client.post(reverse("second-factor"), {"code": code})
    assert response.status_code == 400
    assert "Enter the 6-digit code" in response.content.decode()
    assert "<script>" not in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_officers_sign_in_with_a_password_alone(browser_client, users):
    assert password(browser_client, "officer")["Location"] == "/"
    assert browser_client.get("/").status_code == 200
    assert browser_client.get("/login/second-factor/")["Location"] == "/"
    assert not TOTPDevice.objects.exists()


def test_next_must_stay_on_this_site(browser_client, users):
    device = TOTPDevice.objects.create(user=users["analyst"], name="phone", confirmed=True)
    password(browser_client, "analyst")
    ok = browser_client.post(reverse("second-factor"),
                             {"code": current_code(device), "next": "https://evil.example/"})
    assert ok["Location"] == "/"


def test_api_tokens_need_the_code_for_staff_roles(client, users):
    from accounts.api import SIGN_IN_REFUSED

    url = reverse("api-token")
    creds = {"username": "analyst", "password": "pw-for-tests-only"}
    refused = {"non_field_errors": [SIGN_IN_REFUSED]}
    not_enrolled = client.post(url, creds)
    assert (not_enrolled.status_code, not_enrolled.json()) == (400, refused)
    device = TOTPDevice.objects.create(user=users["analyst"], name="phone", confirmed=True)
    missing = client.post(url, creds)
    assert (missing.status_code, missing.json()) == (400, refused)
    wrong = client.post(url, {**creds, "otp": f"{(int(current_code(device)) + 3) % 10**6:06d}"})
    assert (wrong.status_code, wrong.json()) == (400, refused)
    assert not ApiToken.objects.exists()
    device.throttle_reset()
    ok = client.post(url, {**creds, "otp": current_code(device)})
    assert ok.status_code == 200
    token = ApiToken.objects.get(user=users["analyst"])
    assert ok.json()["token"][:15] == token.token_key  # only a digest of the rest is kept
    bad_password = client.post(url, {**creds, "password": "nope", "otp": "123456"})
    # A wrong password answers exactly as a wrong code does.
    assert (bad_password.status_code, bad_password.json()) == (400, refused)
    assert ApiToken.objects.count() == 1
    # The same check as the sign-in page, so the same audit trail.
    assert list(AuditEvent.objects.filter(actor=users["analyst"]).order_by("id").values_list(
        "action", flat=True)) == ["login.second_factor_refused", "login.second_factor",
                                  "token.issue"]


def test_reset_removes_the_devices_and_is_audited(users, capsys):
    TOTPDevice.objects.create(user=users["supervisor"], name="phone", confirmed=True)
    call_command("second_factor_reset", "supervisor")
    out = capsys.readouterr().out
    assert "removed 1 device" in out
    assert not TOTPDevice.objects.filter(user=users["supervisor"]).exists()
    code = re.search(r"enrolment code ([A-Z2-9]{5}-[A-Z2-9]{5})\.", out).group(1)
    assert enrolment_code_check(user=users["supervisor"], code=code)[0].ok
    event = AuditEvent.objects.get(action="login.second_factor_reset")
    assert (event.target_id, event.detail) == (str(users["supervisor"].pk),
                                               {"devices_removed": 1})


def test_reset_of_an_unknown_user_is_a_clear_error(users):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("second_factor_reset", "nobody")
    assert not AuditEvent.objects.exists()


@pytest.fixture
def superuser(users):
    from accounts.models import User

    return User.objects.create_superuser("root", "root@example.org", "pw-for-tests-only")


def device_events():
    return list(AuditEvent.objects.filter(action__startswith="second_factor.device")
                .order_by("id").values_list("action", "actor__username", "target_id",
                                            "detail__through"))


def test_deleting_a_device_in_django_admin_is_audited(api, users, superuser):
    officer_device = TOTPDevice.objects.create(user=users["analyst"], name="phone",
                                               confirmed=True)
    client = api(superuser)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[officer_device.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302

    assert not TOTPDevice.objects.filter(pk=officer_device.pk).exists()
    assert device_events() == [("second_factor.device_deleted", "root",
                                str(users["analyst"].pk), "admin")]


def test_bulk_deleting_devices_in_django_admin_audits_each(api, users, superuser):
    devices = [TOTPDevice.objects.create(user=users[r], name="phone", confirmed=True)
               for r in ("analyst", "auditor")]
    client = api(superuser)
    response = client.post(reverse("admin:otp_totp_totpdevice_changelist"), {
        "action": "delete_selected", "_selected_action": [d.pk for d in devices],
        "post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk__in=[d.pk for d in devices]).exists()
    assert sorted(device_events()) == sorted([
        ("second_factor.device_deleted", "root", str(users[r].pk), "admin")
        for r in ("analyst", "auditor")])


def test_django_admin_never_shows_a_devices_key(api, users, superuser):
    device = TOTPDevice.objects.create(user=users["analyst"], name="phone", confirmed=True)
    key = device.key
    client = api(superuser)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    listing = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    assert page.status_code == listing.status_code == 200
    for html in (page.content.decode(), listing.content.decode()):
        assert device.key not in html and "qrcode" not in html
    # Editing it (here: its name) is audited too.
    form = {"user": users["analyst"].pk, "name": "new phone", "confirmed": "on", "step": 30,
            "t0": 0, "digits": 6, "tolerance": 1, "drift": 0,
            "throttling_failure_count": 0}
    assert client.post(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]),
                       form).status_code == 302
    device.refresh_from_db()
    assert (device.name, device.key) == ("new phone", key)  # the key is not in the form
    assert device_events() == [("second_factor.device_changed", "root",
                                str(users["analyst"].pk), "admin")]


def test_an_enrolment_code_expires_and_five_wrong_tries_void_it(browser_client, users,
                                                                settings):
    code = enrolment_code_issue(actor=users["admin"], user=users["auditor"])
    for _ in range(5):
        assert not enrolment_code_check(user=users["auditor"], code="WRONG-CODE1")[0].ok
    voided, _ = enrolment_code_check(user=users["auditor"], code=code)
    assert not voided.ok and "Ask an administrator for a new one" in voided.message
    code = enrolment_code_issue(actor=users["admin"], user=users["auditor"])  # a new one
    SecondFactorEnrolment.objects.filter(user=users["auditor"]).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    expired, _ = enrolment_code_check(user=users["auditor"], code=code)
    assert (expired.ok, expired.message) == (
        False, "That enrolment code has expired. Ask an administrator for a new one.")
    code = enrolment_code_issue(actor=users["admin"], user=users["auditor"])
    assert enrolment_code_check(user=users["auditor"], code=code)[0].ok
    # Each issue is audited without the code itself.
    issued = AuditEvent.objects.filter(action="login.enrolment_code_issued")
    assert issued.count() == 3 and code not in str(list(issued.values_list("detail",
                                                                            flat=True)))


def test_an_admin_issues_enrolment_codes_from_the_user_list(api, users):
    users["admin"].is_staff = True
    users["admin"].save(update_fields=["is_staff"])
    response = api(users["admin"]).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "issue_enrolment_codes", "_selected_action": [users["analyst"].pk]},
        follow=True)
    text = response.content.decode()
    code = re.search(r"Enrolment code for analyst: ([A-Z2-9]{5}-[A-Z2-9]{5})", text).group(1)
    assert enrolment_code_check(user=users["analyst"], code=code)[0].ok


def test_an_enrolment_code_works_once_and_each_session_gets_its_own_secret(users):
    """The reviewer's attack: a code given in the user's session and again in a thief's
    (who has the password) showed both the same secret; the thief's phone then worked."""
    real, thief = Client(), Client()
    for c in (real, thief):
        password(c, "supervisor")
    code = enrolment_code_issue(actor=users["admin"], user=users["supervisor"])
    assert real.post(reverse("second-factor"), {"enrolment_code": code}).status_code == 302
    again = thief.post(reverse("second-factor"), {"enrolment_code": code})
    assert again.status_code == 400 and "used up" in again.content.decode()
    assert "otp-secret" not in again.content.decode()
    # Only the real session's secret exists; it confirms and the thief still has nothing.
    html = real.get(reverse("second-factor")).content.decode()
    device = TOTPDevice.objects.get(user=users["supervisor"])
    assert not device.confirmed
    assert real.post(reverse("second-factor"), {"code": current_code(device)}).status_code == 302
    assert "otp-secret" in html
    assert "Enter your code" in thief.get(reverse("second-factor")).content.decode()


def test_a_session_that_gave_a_code_before_a_reset_must_give_a_new_one(users):
    thief = Client()
    password(thief, "analyst")
    code = enrolment_code_issue(actor=users["admin"], user=users["analyst"])
    assert thief.post(reverse("second-factor"), {"enrolment_code": code}).status_code == 302
    assert "otp-secret" in thief.get(reverse("second-factor")).content.decode()
    call_command("second_factor_reset", "analyst", stdout=io.StringIO())
    page = thief.get(reverse("second-factor")).content.decode()
    assert "Enter your enrolment code" in page and "otp-secret" not in page
    assert not TOTPDevice.objects.filter(user=users["analyst"]).exists()


def test_a_new_code_voids_the_secret_an_earlier_session_saw(users):
    first, second = Client(), Client()
    for c in (first, second):
        password(c, "auditor")
    first.post(reverse("second-factor"), {"enrolment_code": enrolment_code_issue(
        actor=None, user=users["auditor"])})
    old = TOTPDevice.objects.get(user=users["auditor"])
    second.post(reverse("second-factor"), {"enrolment_code": enrolment_code_issue(
        actor=None, user=users["auditor"])})
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    refused = first.post(reverse("second-factor"), {"code": current_code(old)})
    assert refused.status_code == 400 and "Enter your enrolment code" in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=users["auditor"], confirmed=True).exists()
