"""Shared fixtures: real PostGIS (pytest-django's test database), users for each role, areas."""

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import roles
from accounts.models import Area, Team, User
from accounts.services import area_create_from_children, areas_import

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = ROOT.parent / "shared" / "data"
DEMO_AREAS = ROOT / "demo" / "areas.geojson"
CAMDEN, ISLINGTON = "E09000007", "E09000019"


def shared_file(*parts: str) -> Path:
    """A file of ../shared/data, or skip: a user's clone has no ../shared."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the large real data files are not part of a clone")
    return path


_ROLES: dict[str, dict[str, object]] = {}


def _use_role(which: str) -> None:
    """Connect as the schema's owner or as the application's role (docs/adr/0011). The
    connection's settings are changed in place, so threads (the live server) and the
    processes the fault tests start follow."""
    from django.db import connections

    from core.db_roles import owner_settings

    conn = connections["default"]
    if not _ROLES:
        _ROLES["app"] = {k: conn.settings_dict.get(k) for k in ("USER", "PASSWORD", "HOST",
                                                                "PORT")}
        _ROLES["owner"] = dict(owner_settings() or _ROLES["app"])
    conn.close()
    conn.settings_dict.update(_ROLES[which])


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The owner makes and migrates the test database, as `manage.py migrate` does."""
    _use_role("owner")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Then every test runs as the application's role, with only the privileges production
    gives it. Emptying the tables after a transactional test is the owner's job: the
    application's role may not TRUNCATE the audit trail (tests/security/test_db_roles.py)."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    flush = DatabaseOperations.execute_sql_flush

    def flush_as_owner(self, sql_list):
        _use_role("owner")
        try:
            # The ping table is unmanaged (partitioned SQL), so Django's flush leaves it:
            # pings a transactional test committed must not reach the next test's presence.
            flush(self, [*sql_list, "TRUNCATE patrols_gpsping;"])
        finally:
            _use_role("app")

    with django_db_blocker.unblock():
        _use_role("app")
    DatabaseOperations.execute_sql_flush = flush_as_owner  # type: ignore[method-assign]
    yield
    DatabaseOperations.execute_sql_flush = flush  # type: ignore[method-assign]
    with django_db_blocker.unblock():
        _use_role("owner")  # the owner drops the test database


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush every table, the migrated offence types included. Without
    pytest-xdist they run last; with it a worker may run one before an ordinary test, so
    every test that uses the database finds the offence types there (one query when they
    are)."""
    names = set(request.fixturenames)
    if not {"db", "transactional_db", "live_server", "django_db_setup"} & names and not \
            request.node.get_closest_marker("django_db"):
        return
    if {"transactional_db", "live_server"} & names:
        request.getfixturevalue("transactional_db")
    else:
        request.getfixturevalue("db")
    from hotspots.models import OffenceType
    from hotspots.services import offence_types_ensure_defaults

    if not OffenceType.objects.exists():
        offence_types_ensure_defaults()


@pytest.fixture
def areas(db) -> dict[str, Area]:
    """Camden and Islington (neighbourhoods) under one BCU under one force."""
    areas_import(path=DEMO_AREAS, level=Area.Level.NEIGHBOURHOOD, name_field="name",
                 code_field="gss_code")
    area_create_from_children(code="CN", name="Central North", level=Area.Level.BCU,
                              child_codes=[CAMDEN, ISLINGTON])
    area_create_from_children(code="FORCE", name="Test force", level=Area.Level.FORCE,
                              child_codes=["CN"])
    return {a.code: a for a in Area.objects.all()}


def make_user(username: str, role: str | None, area: Area | None = None,
              team: Team | None = None) -> User:
    user = User.objects.create_user(username=username, password="pw-for-tests-only",
                                    area=area, team=team)
    if role:
        # migrate (and the flush after a transactional test) syncs the roles through
        # post_migrate; syncing again for each user cost 0.4 s of every test's set-up.
        group = Group.objects.filter(name=role).first()
        if group is None:
            roles.roles_sync()
            group = Group.objects.get(name=role)
        user.groups.add(group)
    return user


@pytest.fixture
def users(areas) -> dict[str, User]:
    """One user per role: the officer and supervisor work in Camden only."""
    camden = areas[CAMDEN]
    team = Team.objects.create(name="Camden Town SNT", area=camden)
    return {
        "officer": make_user("officer", roles.OFFICER, camden, team),
        "supervisor": make_user("supervisor", roles.SUPERVISOR, camden),
        "analyst": make_user("analyst", roles.ANALYST, areas["FORCE"]),
        "admin": make_user("admin", roles.ADMIN, areas["FORCE"]),
        "auditor": make_user("auditor", roles.AUDITOR, areas["FORCE"]),
        "norole": make_user("norole", None, camden),
    }


class SignedInClient(Client):
    """force_login leaves the session as a full sign-in would: staff roles have also passed
    their second factor. tests/accounts/test_second_factor.py tests the real sign-in."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        if roles.needs_second_factor(user):
            device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
                      or TOTPDevice.objects.create(user=user, name="test", confirmed=True))
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()


@pytest.fixture
def client():
    return SignedInClient()


@pytest.fixture
def api(client):
    """Django's test client, logged in as a given user: api(user).get(...)."""

    def as_user(user: User):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (a thread here) consuming the test Redis database's queue."""
    from celery.contrib.testing.worker import start_worker

    from config.celery_app import app

    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING",
                      shutdown_timeout=30) as worker:
        yield worker


def sign_in(client: Client, username: str) -> None:
    """The real sign-in: the password form, then for staff roles a TOTP code from an
    authenticator enrolled here (its replay guard reset, as a fresh sign-in would have)."""
    from django_otp.oath import totp

    response = client.post("/login/", {"username": username, "password": "pw-for-tests-only"})
    assert response.status_code == 302, response.content[:300]
    user = User.objects.get(username=username)
    if roles.needs_second_factor(user):
        device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
                  or TOTPDevice.objects.create(user=user, name="test", confirmed=True))
        device.last_t = -1
        device.save(update_fields=["last_t"])
        response = client.post("/login/second-factor/", {"code": f"{totp(device.bin_key):06d}"})
        assert response.status_code == 302, response.content[:300]


LONDON = ZoneInfo("Europe/London")  # the test settings' TIME_ZONE


def upcoming_monday(weeks_ahead: int = 2, today: date | None = None) -> date:
    """A Monday at least `weeks_ahead` weeks from today, in a week with no clock change.

    Tests of shifts still to come and of trials not yet started must not expire with the
    calendar (a fixed date did, in the week it named), and a plan may be made at most 12
    weeks ahead. Without a clock change, a shift's UTC times are its local times moved by
    one offset."""
    day = (today or date.today()) + timedelta(weeks=weeks_ahead)
    day += timedelta(days=-day.weekday() % 7)
    while _offset(day) != _offset(day + timedelta(days=8)):  # through next Tuesday's night
        day += timedelta(weeks=1)
    return day


def _offset(day: date) -> timedelta | None:
    return datetime.combine(day, time(12), tzinfo=LONDON).utcoffset()


def local_utc(day: date, hour: int, minute: int = 0) -> datetime:
    """`day` at `hour`:`minute` in London, as a UTC datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def api_time(at: datetime) -> str:
    """How the API writes a time: in London's local time with its offset, "Z" when that is
    UTC (Django REST framework's rendering). A helper that wrote UTC passed only in winter."""
    return at.astimezone(LONDON).isoformat().replace("+00:00", "Z")
