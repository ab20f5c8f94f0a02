"""API tokens (issue 15, items 5 and 11) and the audit gaps (item 6): tokens expire, are new at
each sign-in, are listed and revoked by their owner and by an admin, and die with a password
change or a second-factor reset; every issue and revocation, failed sign-in, lockout, visit
and admin look at personal data is in the audit trail."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.api import SIGN_IN_REFUSED
from accounts.models import ApiToken
from accounts.second_factor import second_factor_reset
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"


def sign_in(username: str) -> str:
    response = Client().post(reverse("api-token"), {"username": username, "password": PASSWORD},
                             content_type="application/json")
    assert response.status_code == 200, response.content
    return str(response.json()["token"])


def me(token: str) -> int:
    return Client().get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token}").status_code


def revocations() -> list[tuple[str | None, str]]:
    return [(e.actor.username if e.actor else None, e.detail["reason"])
            for e in AuditEvent.objects.filter(action="token.revoke").order_by("id")]


def test_each_sign_in_gets_a_new_token_that_lasts_a_shift_for_an_officer(users, settings):
    before = timezone.now()
    first, second = sign_in("officer"), sign_in("officer")
    assert first != second and me(first) == me(second) == 200
    expiries = sorted(ApiToken.objects.filter(user=users["officer"]).values_list("expiry",
                                                                                 flat=True))
    for expiry in expiries:
        assert timedelta(hours=10) <= expiry - before <= timedelta(hours=10, seconds=30)
    assert settings.API_TOKEN_OFFICER_HOURS == 10
    issued = AuditEvent.objects.filter(action="token.issue").order_by("id")
    assert [(e.actor.username, e.detail["role"]) for e in issued] == [("officer", "officer")] * 2
    # Only a digest is stored: the token itself is nowhere in the database.
    assert not ApiToken.objects.filter(digest=first).exists()


def test_a_staff_token_lasts_the_setting_and_an_expired_one_is_refused(users):
    from accounts.tokens import token_issue

    token, text = token_issue(user=users["analyst"], with_second_factor=True)
    assert token.expiry is not None
    assert timedelta(days=7) - timedelta(seconds=30) <= token.expiry - timezone.now() \
        <= timedelta(days=7)
    ApiToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    response = Client().get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {text}")
    assert response.status_code == 401
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_a_person_lists_and_revokes_their_own_tokens(users):
    keep, drop = sign_in("officer"), sign_in("officer")
    client = Client(HTTP_AUTHORIZATION=f"Token {keep}")
    rows = client.get(reverse("api-my-tokens")).json()
    assert [(r["key"], r["current"]) for r in rows] == [(drop[:8], False), (keep[:8], True)]
    response = client.delete(reverse("api-my-token", kwargs={"key": drop[:8]}))
    assert (response.status_code, response.json()) == (200, {"revoked": 1})
    assert me(drop) == 401 and me(keep) == 200
    assert client.delete(reverse("api-my-token", kwargs={"key": drop[:8]})).status_code == 404
    everything = client.delete(reverse("api-my-tokens"))
    assert (everything.status_code, everything.json()) == (200, {"revoked": 1})
    assert me(keep) == 401
    assert revocations() == [("officer", "revoked by their owner")] * 2


def test_nobody_revokes_another_persons_token_by_its_key(users):
    officers = sign_in("officer")
    someone = Client()
    someone.force_login(users["norole"])
    response = someone.delete(reverse("api-my-token", kwargs={"key": officers[:8]}))
    assert response.status_code == 404
    assert me(officers) == 200 and revocations() == []


def test_an_admin_revokes_everyone_elses_tokens_and_a_supervisor_cannot(users, api):
    token = sign_in("officer")
    url = reverse("api-user-tokens", kwargs={"pk": users["officer"].pk})
    refused = api(users["supervisor"]).delete(url)
    assert refused.status_code == 403 and me(token) == 200 and revocations() == []
    done = api(users["admin"]).delete(url)
    assert (done.status_code, done.json()) == (200, {"revoked": 1})
    assert me(token) == 401
    assert revocations() == [("admin", "revoked by an admin")]


def test_a_password_change_revokes_the_tokens_however_it_is_made(users):
    token = sign_in("officer")
    officer = users["officer"]
    officer.set_password("a-new-password-for-tests")
    officer.save()
    response = Client().get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "This token was revoked when the password changed: sign in again."}
    assert not ApiToken.objects.filter(user=officer).exists()
    assert revocations() == [(None, "password changed")]


def test_a_password_changed_in_the_admin_revokes_at_once(users, api):
    sign_in("officer")
    officer = users["officer"]
    page = reverse("admin:auth_user_password_change", args=[officer.pk])
    users["admin"].is_staff = True
    users["admin"].save(update_fields=["is_staff"])
    response = api(users["admin"]).post(page, {"password1": "An0ther-long-passphrase",
                                               "password2": "An0ther-long-passphrase"})
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=officer).exists()
    assert revocations() == [("admin", "password changed")]


def test_a_second_factor_reset_revokes_the_tokens(users):
    from accounts.tokens import token_issue

    TOTPDevice.objects.create(user=users["analyst"], name="phone", confirmed=True)
    _, text = token_issue(user=users["analyst"], with_second_factor=True)
    assert me(text) == 200
    second_factor_reset(actor=users["admin"], user=users["analyst"])
    assert me(text) == 401
    assert revocations() == [("admin", "second factor reset")]


def test_a_wrong_password_and_a_wrong_code_get_the_same_answer(users):
    TOTPDevice.objects.create(user=users["analyst"], name="phone", confirmed=True)
    answers = set()
    for body in ({"username": "analyst", "password": "wrong"},
                 {"username": "analyst", "password": PASSWORD},
                 {"username": "analyst", "password": PASSWORD, "otp": "000000"},
                 {"username": "nobody", "password": PASSWORD, "otp": "000000"}):
        response = Client().post(reverse("api-token"), body, content_type="application/json")
        answers.add((response.status_code, response.content))
    assert answers == {(400, b'{"non_field_errors":["' + SIGN_IN_REFUSED.encode() + b'"]}')}
    assert not ApiToken.objects.exists()


def test_a_locked_out_token_request_gets_json_and_every_failure_is_audited(users):
    url = reverse("api-token")
    client = Client()
    statuses = [client.post(url, {"username": "officer", "password": "wrong"},
                            content_type="application/json").status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]  # the fifth failure locks
    locked = client.post(url, {"username": "officer", "password": PASSWORD},
                         content_type="application/json")
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert locked.json() == {"detail": "Too many failed sign-ins for this username from this "
                                       "address: try again in 10 minutes."}
    assert not ApiToken.objects.exists()
    failed = AuditEvent.objects.filter(action="login.failed").order_by("id")
    assert [(e.target_id, e.detail["username"], e.detail["through"]) for e in failed] == [
        (str(users["officer"].pk), "officer", "api")] * 6
    assert "wrong" not in str(list(failed.values_list("detail", flat=True)))  # no passwords
    lockouts = AuditEvent.objects.filter(action="login.locked_out")
    assert lockouts.count() == 2  # at the fifth failure, and at the try while locked out
    assert lockouts.first().detail["address"] == "127.0.0.1"


def test_a_locked_out_page_sign_in_is_still_a_page(users):
    client = Client()
    for _ in range(5):
        client.post(reverse("login"), {"username": "officer", "password": "wrong"})
    page = client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert page.status_code == 429 and b"Too many failed sign-ins" in page.content
    assert page["Content-Type"].startswith("text/html")


def test_admin_pages_of_people_record_who_looked(users, api):
    users["admin"].is_staff = True
    users["admin"].save(update_fields=["is_staff"])
    client = api(users["admin"])
    assert client.get(reverse("admin:accounts_user_changelist"), {"q": "off"}).status_code == 200
    person = users["officer"]
    assert client.get(reverse("admin:accounts_user_change", args=[person.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_apitoken_changelist")).status_code == 200
    seen = list(AuditEvent.objects.filter(action__startswith="admin.").order_by("id")
                .values_list("actor__username", "action", "target_id", "detail"))
    assert seen == [
        ("admin", "admin.list_view", "", {"model": "accounts.user", "query": {"q": "off"}}),
        ("admin", "admin.view", str(person.pk), {"model": "accounts.user"}),
        ("admin", "admin.list_view", "", {"model": "accounts.apitoken", "query": {}}),
    ]


def test_an_officers_visit_is_audited(users, areas, api):
    from tests.security.world import build_world

    world = build_world(users, areas)
    hotspot = world.ids["hotspot"]["camden"]
    body = {"id": "7d1c2f3e-0000-4000-8000-000000000001", "hotspot": hotspot,
            "started_at": (timezone.now() - timedelta(minutes=20)).isoformat(),
            "ended_at": (timezone.now() - timedelta(minutes=5)).isoformat(),
            "activities": ["foot"], "notes": ""}
    response = api(users["officer"]).post(reverse("api-visits"), body,
                                          content_type="application/json")
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.get(action="visit.create")
    assert (event.actor, event.target_id, event.detail["hotspot"],
            event.detail["retrospective"]) == (users["officer"], body["id"], hotspot, False)
    # Sent again (a phone retrying): stored once, audited once.
    again = api(users["officer"]).post(reverse("api-visits"), body,
                                       content_type="application/json")
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action="visit.create").count() == 1


def test_a_password_only_token_stops_when_the_role_comes_to_need_a_code(users):
    """The reviewer's case: an officer's token kept working after the officer was made a
    supervisor, a role that signs in with a second factor."""
    from django.contrib.auth.models import Group

    token = sign_in("officer")
    officer = users["officer"]
    officer.groups.set([Group.objects.get(name="supervisor")])
    response = Client().get(reverse("api-me"), HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 401
    assert "without the authenticator code your role now needs" in response.json()["detail"]
    assert not ApiToken.objects.filter(user=officer).exists()
    assert revocations() == [(None, "the role now needs a second factor")]


def test_deleting_a_device_in_the_admin_revokes_the_tokens_made_with_it(users, api):
    from accounts.tokens import token_issue

    device = TOTPDevice.objects.create(user=users["analyst"], name="phone", confirmed=True)
    _, text = token_issue(user=users["analyst"], with_second_factor=True)
    users["admin"].is_superuser = True  # Django admin's device pages are a superuser's
    users["admin"].is_staff = True
    users["admin"].save(update_fields=["is_superuser", "is_staff"])
    response = api(users["admin"]).post(
        reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert me(text) == 401
    assert revocations() == [("admin", "second factor removed in the admin")]


def test_a_right_password_with_a_wrong_code_counts_towards_the_lockout(users):
    """The reviewer's oracle: after four failures a wrong password got 429 where the right
    one with a wrong code got 400, and right-password attempts left no trace."""
    TOTPDevice.objects.create(user=users["analyst"], name="phone", confirmed=True)
    url = reverse("api-token")
    answers = []
    for body in ({"password": "wrong"}, {"password": PASSWORD}, {"password": PASSWORD,
                                                                 "otp": "000000"},
                 {"password": "wrong"}, {"password": PASSWORD, "otp": "000000"}):
        response = Client().post(url, {"username": "analyst", **body},
                                 content_type="application/json")
        answers.append(response.status_code)
    assert answers == [400, 400, 400, 400, 429]  # the fifth failure locks, whatever it was
    failed = AuditEvent.objects.filter(action="login.failed", target_id=str(users["analyst"].pk))
    assert failed.count() == 5
    assert not ApiToken.objects.exists()


def test_behind_a_trusted_proxy_the_lockout_keys_on_the_client_not_the_proxy(users, settings):
    """The reviewer's note: behind a proxy every sign-in came from the proxy's address, so
    five wrong passwords from anyone locked the username out for everyone."""
    settings.TRUSTED_PROXY_IPS = ["10.0.0.2"]
    url = reverse("api-token")

    def attempt(password: str, client_address: str, remote: str = "10.0.0.2") -> int:
        return Client(REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=client_address).post(
            url, {"username": "officer", "password": password},
            content_type="application/json").status_code

    assert [attempt("wrong", "203.0.113.9") for _ in range(5)][-1] == 429
    assert attempt(PASSWORD, "198.51.100.7") == 200  # another client is not locked out
    assert attempt(PASSWORD, "203.0.113.9") == 429
    # X-Forwarded-For from a client that is no trusted proxy is ignored: a guesser cannot
    # choose a new address for each try.
    assert [attempt("wrong", f"192.0.2.{i}", remote="203.0.113.50") for i in range(5)][-1] == 429
