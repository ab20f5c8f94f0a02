"""In the browser: a supervisor's first sign-in enrols an authenticator from the page, on a
phone-sized screen and a desk one; a wrong code is refused, the right one lets them in."""

import base64

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.second_factor import enrolment_code_issue
from tests.e2e.conftest import shot

pytestmark = pytest.mark.e2e


def _code(secret: str, offset: int = 0) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    clock = TOTP(key)
    clock.time += offset * 30
    return f"{clock.token():06d}"


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_first_sign_in_enrols_from_the_page(request, live_server, users, screen):
    tab = request.getfixturevalue(screen)
    base = live_server.url
    tab.goto(f"{base}/tasking/")
    tab.fill("#id_username", "supervisor")
    tab.fill("#id_password", "pw-for-tests-only")
    tab.click("button[type=submit]")
    tab.wait_for_url(f"{base}/login/second-factor/?next=/tasking/")
    # First the one-time code an admin gave them; the password alone shows no QR code.
    assert tab.locator("h1").inner_text() == "Enter your enrolment code"
    assert tab.locator("#otp-qr").count() == 0
    shot(tab, f"second-factor-enrolment-code-{screen}")
    tab.fill("#id_enrolment_code", enrolment_code_issue(actor=None, user=users["supervisor"]))
    tab.click("#enrolment-submit")
    tab.wait_for_url(f"{base}/login/second-factor/?next=/tasking/")
    assert tab.locator("h1").inner_text() == "Set up your authenticator app"
    assert tab.locator("#otp-qr svg").count() == 1
    assert tab.locator("#nav a.nav-link").count() == 0  # no menu before the code
    secret = tab.locator("#otp-secret").inner_text().replace(" ", "")
    shot(tab, f"second-factor-enrol-{screen}")

    tab.fill("#id_code", _code(secret, offset=5))  # a code from two and a half minutes on
    tab.click("#otp-submit")
    assert "not right" in tab.locator("#otp-error").inner_text()
    assert TOTPDevice.objects.get(user=users["supervisor"]).confirmed is False
    device = TOTPDevice.objects.get(user=users["supervisor"])
    device.throttle_reset()

    tab.fill("#id_code", _code(secret))
    tab.click("#otp-submit")
    tab.wait_for_url(f"{base}/tasking/")
    assert TOTPDevice.objects.get(user=users["supervisor"]).confirmed is True
    assert tab.locator("[data-testid=whoami]").inner_text() == "supervisor · supervisor"
