"""Project-level checks: the OpenAPI schema, docker-compose.yml, settings."""

import shutil
import subprocess

import pytest
from django.core.management import call_command

from tests.conftest import ROOT


def test_openapi_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/v1/crimes/", "/api/v1/imports/", "/api/v1/areas/",
                 "/api/v1/offence-types/{id}/", "/api/v1/me/", "/api/v1/auth/token/"):
        assert f"  {path}:" in text
    import yaml

    schemas = yaml.safe_load(text)["components"]["schemas"]
    # A GeoJSON page is the FeatureCollection plus the paging fields (tests/security fuzzes
    # real answers against this).
    page = schemas["PaginatedCrimeOutputList"]["allOf"]
    assert page[0] == {"$ref": "#/components/schemas/CrimeOutputList"}
    assert page[1]["required"] == ["type", "count", "features"]
    assert set(page[1]["properties"]) == {"count", "next", "previous"}
    collection = schemas["CrimeOutputList"]
    assert collection["properties"]["features"]["type"] == "array"


def test_docker_compose_file_is_accepted():
    if shutil.which("docker") and subprocess.run(
            ["docker", "compose", "version"], capture_output=True).returncode == 0:
        command = ["docker", "compose", "config", "-q"]
    else:
        # Debian has no compose v2 plugin; its docker-compose reads the same file format.
        assert shutil.which("docker-compose"), "scripts/setup.sh --test installs docker-compose"
        command = ["docker-compose", "config", "-q"]
    import os

    secrets = {"DJANGO_SECRET_KEY": "k" * 50, "DJANGO_ALLOWED_HOSTS": "hotspots.example",
               "POSTGRES_PASSWORD": "a", "OWNER_DB_PASSWORD": "b", "APP_DB_PASSWORD": "c"}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, **secrets})
    assert result.returncode == 0, result.stderr
    # Without its secrets the stack refuses to start, naming what is missing.
    bare = {k: v for k, v in os.environ.items() if k not in secrets}
    refused = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=bare)
    assert refused.returncode != 0 and "Missing mandatory value" in refused.stderr


@pytest.mark.django_db
def test_roles_are_groups_with_exactly_their_permissions():
    from django.contrib.auth.models import Group

    from accounts.roles import ROLE_PERMISSIONS, roles_sync

    roles_sync()
    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert have == perms


def test_production_settings_pass_the_deploy_check():
    import os
    import sys

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DJANGO_SECRET_KEY": "a-long-random-value-for-the-check-only-" + "x" * 40,
           "DJANGO_ALLOWED_HOSTS": "hotspots.force.example"}
    # The browser tests allow sync ORM calls beside Playwright's loop; production never does.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (1 silenced)."
