"""Playwright driving Debian's Chromium (/usr/bin/chromium) against the live test server."""

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary blocking calls and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
# No network here: keep Chromium from calling home.
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def playwright() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright) -> Iterator:
    assert Path(CHROMIUM).exists(), "scripts/setup.sh --test installs Debian's chromium"
    instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    if settings.TEST_CLOCK_OFFSET_SECONDS:
        # On a moved clock (scripts/moved_clock.sh) every page's clock moves with the server's.
        new_context = instance.new_context

        def moved_context(**kwargs):
            context = new_context(**kwargs)
            context.clock.install(time=datetime.now(UTC))  # time-machine's moved now
            return context

        instance.new_context = moved_context
    yield instance
    instance.close()


def _report_errors(page) -> list[str]:
    """Browser errors are printed with a failing test's output."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    return errors


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB",
                                  timezone_id="Europe/London")
    tab = context.new_page()
    errors = _report_errors(tab)
    yield tab
    for line in errors:
        print(line)
    context.close()


@pytest.fixture
def phone(playwright, browser):
    context = browser.new_context(**playwright.devices["Pixel 7"], locale="en-GB")
    yield context.new_page()
    context.close()


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, base_url: str, username: str) -> None:
    """Sign in through the real pages: the password, then for staff roles the TOTP code of
    an authenticator enrolled here (its replay guard is reset: each test signs in afresh)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from accounts.roles import needs_second_factor

    user = User.objects.get(username=username)
    device = None
    if needs_second_factor(user):
        device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
                  or TOTPDevice.objects.create(user=user, name="e2e", confirmed=True))
        device.last_t = -1
        device.save(update_fields=["last_t"])
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-only")
    page.click("button[type=submit]")
    if device is not None:
        page.wait_for_url(f"{base_url}/login/second-factor/**")
        page.fill("#id_code", f"{totp(device.bin_key):06d}")
        page.click("#otp-submit")
    page.wait_for_url(f"{base_url}/")
