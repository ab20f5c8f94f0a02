"""Sign-in hardening: lockout after five failures, idle and absolute session limits, CSP."""

import time

from django.urls import reverse

from config.middleware import SEEN, SIGNED_IN
from tests.conftest import sign_in


def fail(client, username="analyst"):
    return client.post(reverse("login"), {"username": username, "password": "wrong"})


def test_five_failures_lock_the_account_from_that_address_for_ten_minutes(client, users):
    for _ in range(4):
        assert fail(client).status_code == 200  # the form again, with its error
    locked = fail(client)
    assert locked.status_code == 429
    assert "paused for 10 minutes" in locked.content.decode()
    # Even the right password is refused while locked, and no session is made.
    right = client.post(reverse("login"), {"username": "analyst",
                                           "password": "pw-for-tests-only"})
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    # Another account from the same address is not affected.
    other = client.post(reverse("login"), {"username": "supervisor",
                                           "password": "pw-for-tests-only"})
    assert other.status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, users):
    for _ in range(4):
        fail(client)
    ok = client.post(reverse("login"), {"username": "analyst", "password": "pw-for-tests-only"})
    assert ok.status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert fail(client).status_code == 200


def _signed_in(client, users, **stamps):
    sign_in(client, "analyst")
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    for key, value in stamps.items():
        session[key] = value
    session.save()


def test_thirty_minutes_idle_signs_out(client, users):
    _signed_in(client, users, **{SEEN: time.time() - 31 * 60})
    response = client.get(reverse("offence-types"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in client.session


def test_twelve_hours_after_signing_in_signs_out_however_busy(client, users):
    _signed_in(client, users, **{SIGNED_IN: time.time() - 12 * 3600 - 5, SEEN: time.time()})
    assert client.get(reverse("offence-types")).status_code == 302
    _signed_in(client, users, **{SIGNED_IN: time.time() - 11 * 3600, SEEN: time.time() - 60})
    assert client.get(reverse("offence-types")).status_code == 200


def test_pages_carry_a_content_security_policy(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    for part in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'",
                 "form-action 'self'", "connect-src 'self'"):
        assert part in policy


def test_scripts_run_only_from_this_site_or_with_the_pages_nonce(api, users):
    """No 'unsafe-inline' for scripts: the map set-up django-leaflet writes inline carries
    the nonce of the response's policy, and the API docs load their set-up as a file."""
    import re

    page = api(users["supervisor"]).get(reverse("home"))
    policy = page["Content-Security-Policy"]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)([^>]*)>",
                        page.content.decode())
    assert inline == [f' nonce="{nonce}"']  # the one map, with this response's nonce
    docs = api(users["analyst"]).get(reverse("api-docs"))
    assert docs.status_code == 200
    assert re.findall(r"<script(?![^>]*\bsrc=)", docs.content.decode()) == []
