"""Deployment defaults are production defaults (issue 15, item 2): whatever serves the
application without naming its settings runs production's, which refuse to start without a
secret of their own; the demo's local settings have DEBUG off and a generated secret."""

import os
import subprocess
import sys

from tests.conftest import ROOT


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "DJANGO_DEBUG",
                          "DJANGO_ALLOW_ASYNC_UNSAFE")}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_the_wsgi_entry_point_without_a_secret_stops_with_a_clear_message():
    result = _python("import config.wsgi", DJANGO_ALLOWED_HOSTS="hotspots.example")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set. A production start needs its own long random " \
           "secret" in result.stderr
    # The built-in development value is refused as well as a missing one.
    result = _python("import config.wsgi", DJANGO_ALLOWED_HOSTS="hotspots.example",
                     DJANGO_SECRET_KEY="insecure-local-only-change-me")
    assert result.returncode != 0 and "DJANGO_SECRET_KEY is not set" in result.stderr


def test_the_wsgi_and_celery_entry_points_default_to_production():
    code = ("import config.wsgi, config.celery_app; from django.conf import settings; "
            "print(settings.SETTINGS_MODULE, settings.DEBUG, settings.SESSION_COOKIE_SECURE)")
    result = _python(code, DJANGO_SECRET_KEY="k" * 50, DJANGO_ALLOWED_HOSTS="hotspots.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings.production", "False", "True"]


def test_the_demo_settings_have_debug_off_and_a_secret_of_their_own(tmp_path):
    key_file = tmp_path / "secret"
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.local'; "
            "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)")
    first = _python(code, DJANGO_SECRET_KEY_FILE=str(key_file))
    assert first.returncode == 0, first.stderr
    debug, key = first.stdout.split()
    assert debug == "False"
    assert len(key) >= 50 and key != "insecure-local-only-change-me"
    assert key_file.read_text() == key and (key_file.stat().st_mode & 0o777) == 0o600
    again = _python(code, DJANGO_SECRET_KEY_FILE=str(key_file))
    assert again.stdout.split()[1] == key  # the same key next time: sessions survive a restart
    developer = _python(code, DJANGO_SECRET_KEY_FILE=str(key_file), DJANGO_DEBUG="1")
    assert developer.stdout.split()[0] == "True"


def test_the_image_and_compose_serve_production_settings():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in dockerfile
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "DJANGO_SETTINGS_MODULE: config.settings.production" in compose
    assert "config.settings.local" not in compose
    assert "DJANGO_SECRET_KEY: ${DJANGO_SECRET_KEY:?" in compose


def test_a_404_and_a_500_show_nothing_of_the_code(client, users, settings):
    settings.DEBUG = False
    client.force_login(users["officer"])
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"URLconf" not in response.content and b"api/v1/" not in response.content
