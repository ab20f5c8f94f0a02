"""Production: everything secret or site-specific must come from the environment.

The WSGI entry point, the Celery app and the Docker image all default to these settings, so
a server started without naming its settings is a production server, never a debug one."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import INSECURE_DEV_SECRET, env

DEBUG = False


def _secret_key() -> str:
    key = str(env("DJANGO_SECRET_KEY", default="")).strip()
    if not key or key == INSECURE_DEV_SECRET:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. A production start needs its own long random "
            "secret, for example from: python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'. Keep it out of the image and the repository.")
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The proxy in front terminates TLS and says so in X-Forwarded-Proto; gunicorn passes the
# header only from FORWARDED_ALLOW_IPS (config/gunicorn.conf.py), so a client cannot claim it.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Only `manage.py migrate` uses the owner's connection; production names it explicitly.
DATABASE_OWNER_URL = env("DATABASE_OWNER_URL", default="")
