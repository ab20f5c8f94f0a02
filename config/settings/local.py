"""Developer machine and `make demo`.

A demo left running on a network must leak nothing: DEBUG is off unless DJANGO_DEBUG=1 asks
for it (a developer's own machine), and the secret key is this checkout's own, generated on
first use into .secret-key (never committed), unless DJANGO_SECRET_KEY gives one."""

import secrets
from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_USE_FINDERS = DEBUG


def _local_secret() -> str:
    given = env("DJANGO_SECRET_KEY", default="")
    if given:
        return str(given)
    path = Path(env("DJANGO_SECRET_KEY_FILE", default=str(BASE_DIR / ".secret-key")))
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _local_secret()
