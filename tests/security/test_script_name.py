"""A SCRIPT_NAME prefix must not move a request out of reach of the path checks (issue 15,
item 1): the second factor and the body-size limit decide on the path inside the
application, and gunicorn, as the Procfile and the Docker image start it, takes no
SCRIPT_NAME or PATH_INFO from a request header. Tested with Django's test client and through
real gunicorn, as the attack came."""

import contextlib
import http.client
import json
import re
import socket
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest

from audit.models import AuditEvent
from patrols.models import Visit
from tests.conftest import ROOT
from tests.faults.procs import BIN, child_env, free_port, port_open, process, wait_for

GUNICORN_CONF = "config/gunicorn.conf.py"


def password_only(client, username: str) -> None:
    """Signed in with the password and not yet the code: the session a thief would have."""
    response = client.post("/login/", {"username": username, "password": "pw-for-tests-only"})
    assert response.status_code == 302
    assert client.get("/").headers["Location"].startswith("/login/second-factor/")


@pytest.mark.django_db
@pytest.mark.parametrize("script_name", ["/login", "/logout", "/static", "/api/v1/auth/token"])
def test_a_prefix_does_not_exempt_a_request_from_the_second_factor(users, script_name):
    from django.test import Client

    client = Client()
    password_only(client, "supervisor")
    response = client.get("/api/v1/me/", SCRIPT_NAME=script_name)
    assert response.status_code == 403
    assert "second factor" in response.json()["detail"]
    page = client.get("/admin/accounts/user/", SCRIPT_NAME=script_name)
    assert page.status_code == 302 and "/login/second-factor/" in page["Location"]


@pytest.mark.django_db
def test_a_prefix_does_not_lift_the_body_limit(users, api):
    before = Visit.objects.count()
    body = b'{"notes": "' + b"x" * (4 * 1024 * 1024) + b'"}'
    response = api(users["officer"]).post("/api/v1/visits/", data=body,
                                          content_type="application/json",
                                          SCRIPT_NAME="/api/v1/imports")
    assert response.status_code == 413
    assert "limit here is 1,048,576 bytes" in response.json()["detail"]
    assert Visit.objects.count() == before


def test_every_server_start_uses_the_gunicorn_settings():
    procfile = (ROOT / "Procfile").read_text()
    assert re.search(r"^web: \.venv/bin/gunicorn config\.wsgi -c config/gunicorn\.conf\.py$",
                     procfile, re.M)
    assert '"-c", "config/gunicorn.conf.py"' in (ROOT / "Dockerfile").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    assert '["gunicorn", "config.wsgi", "-c", "config/gunicorn.conf.py"]' in compose


class Browserless:
    """A client that keeps cookies, on http.client: nothing between it and gunicorn."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        conn.close()
        return response.status, data

    def post_big(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        """Send a large body on a raw socket: a server that answers before reading all of it
        (413) closes the connection under the sender, which http.client cannot survive."""
        lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}",
                 f"Content-Length: {len(body)}", "Connection: close",
                 "Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                 *(f"{k}: {v}" for k, v in headers.items())]
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            with contextlib.suppress(OSError):
                sock.sendall(body)
            answer = b""
            with contextlib.suppress(OSError):
                while chunk := sock.recv(65536):
                    answer += chunk
        return int(answer.split(b" ", 2)[1])

    def sign_in_password_only(self, username: str) -> None:
        status, page = self.request("GET", "/login/")
        assert status == 200
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        form = urlencode({"csrfmiddlewaretoken": token.group(1).decode(),
                          "username": username, "password": "pw-for-tests-only"}).encode()
        status, _ = self.request("POST", "/login/", form, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1:{self.port}/login/"})
        assert status == 302


@pytest.mark.django_db(transaction=True)
def test_through_gunicorn_a_script_name_header_is_ignored(users, tmp_path: Path):
    from django.utils import timezone

    from patrols.services import device_create, ping_partitions_ensure, pings_ingest
    from tests.patrols.conftest import track

    device, _ = device_create(name="Radio 1", kind="radio", area=users["officer"].area,
                              actor=None, holder=users["officer"])
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=10)
    ping_partitions_ensure(days=[start.date(), timezone.now().date()])
    pings_ingest(device=device, pings=track(start, 60, 10, 527400, 184300))
    port = free_port()
    env = child_env(PORT=str(port), BIND_HOST="127.0.0.1", WEB_WORKERS="1")
    audit_before = AuditEvent.objects.count()
    with process([str(BIN / "gunicorn"), "config.wsgi", "-c", GUNICORN_CONF],
                 tmp_path / "gunicorn.log", env):
        wait_for(lambda: port_open(port), 30, "gunicorn to listen")
        staff = Browserless(port)
        staff.sign_in_password_only("supervisor")
        # Without the prefix the second factor is asked for, as it must be.
        status, body = staff.request("GET", "/api/v1/me/")
        assert status == 403 and b"second factor" in body
        # With it: the header is not taken, so the path is /login/api/v1/me/, which is no page.
        status, _ = staff.request("GET", "/login/api/v1/me/", headers={"SCRIPT_NAME": "/login"})
        assert status == 404
        admin = Browserless(port)
        admin.sign_in_password_only("admin")
        for path in ("/login/admin/accounts/user/", f"/login/api/v1/devices/{device.pk}/track/"):
            status, body = admin.request("GET", path, headers={"SCRIPT_NAME": "/login"})
            assert status == 404, path
            assert b"recorded_at" not in body
        # A 4 MiB body under a prefix that would have lifted the limit is never read as a visit.
        officer = Browserless(port)
        officer.sign_in_password_only("officer")
        big = json.dumps({"notes": "x" * (4 * 1024 * 1024)}).encode()
        status = officer.post_big("/api/v1/imports/api/v1/visits/", big, {
            "SCRIPT_NAME": "/api/v1/imports", "Content-Type": "application/json"})
        assert status == 404  # no such route: the body is never parsed
        status = officer.post_big("/api/v1/visits/", big, {"Content-Type": "application/json"})
        assert status == 413
    assert Visit.objects.count() == 0
    # No track was read: a read of a track is audited, and only sign-ins were recorded.
    assert not AuditEvent.objects.filter(action__startswith="track").exists()
    assert AuditEvent.objects.count() >= audit_before
