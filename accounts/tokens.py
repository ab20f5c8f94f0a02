"""API tokens: issued at each sign-in with a fixed lifetime, listed and revoked by their
owner, revoked by an admin, and by a password change or a second-factor reset. Every issue
and revocation is audited (issue 15, item 5; docs/adr/0011).

django-rest-knox keeps only a digest of each token and checks expiry; this module adds the
lifetimes per role, the binding to the password and the audit trail."""

from datetime import timedelta
from hmac import compare_digest

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from knox.auth import TokenAuthentication
from rest_framework import exceptions

from audit.services import audit_record

from .models import ApiToken, User
from .roles import OFFICER, needs_second_factor, user_role

# A person signs in again rather than keep more than this many live tokens: the oldest go.
MAX_LIVE_TOKENS = 10


def token_lifetime(user: User) -> timedelta:
    """An officer's token lasts a shift; other roles' a setting's number of hours."""
    hours = (settings.API_TOKEN_OFFICER_HOURS if user_role(user) == OFFICER
             else settings.API_TOKEN_HOURS)
    return timedelta(hours=hours)


def token_issue(*, user: User, with_second_factor: bool = False) -> tuple[ApiToken, str]:
    """A new token for a user who has just proved who they are (with their authenticator
    code too, when `with_second_factor`); the text is shown once."""
    with transaction.atomic():
        token, text = ApiToken.objects.create(user=user, expiry=token_lifetime(user),
                                              auth_hash=user.get_session_auth_hash(),
                                              with_second_factor=with_second_factor)
        audit_record(actor=user, action="token.issue", target=user,
                     detail={"key": token.token_key[:8], "role": user_role(user),
                             "expiry": token.expiry.isoformat() if token.expiry else None})
        live = ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by(
            "-created", "-digest")
        surplus = [t.digest for t in live[MAX_LIVE_TOKENS:]]
        if surplus:
            tokens_revoke(actor=user, user=user, digests=surplus,
                          reason=f"more than {MAX_LIVE_TOKENS} live tokens")
    return token, text


def tokens_revoke(*, actor: "User | None", user: User, reason: str, keys: list[str] | None = None,
                  digests: list[str] | None = None) -> int:
    """Revoke a user's tokens: those whose keys (the first characters shown to their owner)
    or digests are given, or all of them. Audited with who asked and why."""
    qs = ApiToken.objects.filter(user=user)
    if keys is not None:
        qs = qs.filter(token_key__in=keys)
    if digests is not None:
        qs = qs.filter(digest__in=digests)
    with transaction.atomic():
        revoked = sorted(k[:8] for k in qs.values_list("token_key", flat=True))
        if not revoked:
            return 0
        qs.delete()
        audit_record(actor=actor, action="token.revoke", target=user,
                     detail={"keys": revoked, "reason": reason})
    return len(revoked)


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>`: knox's digest and expiry checks, then the password
    the token was issued under. A token from before a password change is revoked when it
    is next used, whatever changed the password (admin, command line, a shell)."""

    def validate_user(self, auth_token: ApiToken) -> tuple[User, ApiToken]:
        user = auth_token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.")
        if not compare_digest(auth_token.auth_hash, user.get_session_auth_hash()):
            tokens_revoke(actor=None, user=user, digests=[auth_token.digest],
                          reason="password changed")
            raise exceptions.AuthenticationFailed(
                "This token was revoked when the password changed: sign in again.")
        if needs_second_factor(user) and not auth_token.with_second_factor:
            tokens_revoke(actor=None, user=user, digests=[auth_token.digest],
                          reason="the role now needs a second factor")
            raise exceptions.AuthenticationFailed(
                "This token was issued without the authenticator code your role now needs: "
                "sign in again with it.")
        return user, auth_token
