"""The application's database role cannot rewrite or empty the audit trail (issue 15, item 3).

The whole suite runs as that role (tests/conftest.py), with only the privileges that
`manage.py migrate` grants it; these tests try what an attacker holding its password would."""

import psycopg.errors
import pytest
from django.conf import settings
from django.db import connection, transaction

from audit.models import AuditEvent
from audit.services import audit_record

pytestmark = pytest.mark.django_db


def _rows() -> list[tuple]:
    return list(AuditEvent.objects.order_by("id").values_list("id", "action", "detail"))


def test_the_suite_runs_as_an_ordinary_role_that_owns_nothing():
    with connection.cursor() as cur:
        cur.execute("SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls "
                    "FROM pg_roles WHERE rolname = current_user")
        assert cur.fetchone() == ("hotspots_app", False, False, False, False)
        cur.execute("""SELECT count(*) FROM pg_class c JOIN pg_namespace n
                        ON n.oid = c.relnamespace
                       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                         AND pg_get_userbyid(c.relowner) = current_user""")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditevent'")
        assert cur.fetchone()[0] == "postgres"
        cur.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'django_migrations'")
        assert cur.fetchone()[0] == "postgres"  # migrations ran as the owner
    assert settings.DATABASES["default"]["USER"] == "hotspots_app"


@pytest.mark.parametrize(("statement", "refused"), [
    ("UPDATE audit_auditevent SET action = 'nothing.happened'",
     psycopg.errors.InsufficientPrivilege),
    ("DELETE FROM audit_auditevent", psycopg.errors.InsufficientPrivilege),
    ("TRUNCATE audit_auditevent", psycopg.errors.InsufficientPrivilege),
    ("TRUNCATE audit_auditevent CASCADE", psycopg.errors.InsufficientPrivilege),
    ("SET session_replication_role = replica", psycopg.errors.InsufficientPrivilege),
    ("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete",
     psycopg.errors.InsufficientPrivilege),
    ("DROP TABLE audit_auditevent", psycopg.errors.InsufficientPrivilege),
])
def test_the_audit_trail_cannot_be_rewritten_or_emptied(users, statement, refused):
    audit_record(actor=users["admin"], action="test.kept", detail={"n": 1})
    audit_record(actor=None, action="test.kept", detail={"n": 2})
    before = _rows()
    with pytest.raises(Exception) as caught, transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement)
    assert isinstance(caught.value.__cause__, refused), caught.value
    assert _rows() == before


def test_the_role_cannot_grant_itself_more():
    with connection.cursor() as cur:
        cur.execute("GRANT UPDATE, DELETE, TRUNCATE ON audit_auditevent TO hotspots_app")
        cur.execute("SELECT has_table_privilege('audit_auditevent', 'UPDATE'), "
                    "has_table_privilege('audit_auditevent', 'DELETE'), "
                    "has_table_privilege('audit_auditevent', 'TRUNCATE'), "
                    "has_table_privilege('audit_auditevent', 'INSERT')")
        assert cur.fetchone() == (False, False, False, True)


def test_reading_and_adding_audit_events_still_work(users):
    event = audit_record(actor=users["analyst"], action="test.added", detail={"why": "check"})
    assert AuditEvent.objects.get(pk=event.pk).detail == {"why": "check"}


@pytest.mark.django_db(transaction=True)
def test_migrate_grants_again_without_changing_anything():
    from django.core.management import call_command

    def privileges() -> list[tuple]:
        with connection.cursor() as cur:
            cur.execute("""SELECT table_name, privilege_type
                             FROM information_schema.role_table_grants
                            WHERE grantee = 'hotspots_app' ORDER BY 1, 2""")
            return cur.fetchall()

    before = privileges()
    assert ("audit_auditevent", "INSERT") in before and ("audit_auditevent", "SELECT") in before
    assert not [p for p in before if p[0] == "audit_auditevent" and p[1] not in ("INSERT",
                                                                                  "SELECT")]
    call_command("migrate", verbosity=0)  # as the owner, and back
    assert connection.settings_dict["USER"] == "hotspots_app"
    assert privileges() == before


LOOKALIKE = """CREATE FUNCTION {schema}.to_char(d date, f text) RETURNS text
LANGUAGE plpgsql AS $f$ BEGIN EXECUTE 'TRUNCATE audit_auditevent CASCADE'; RETURN 'x'; END
$f$"""


def test_the_role_can_create_nothing_in_public(users):
    """The reviewer's attack on the owner's functions: a lookalike to_char in public, an exact
    match for to_char(date, text), ran as the owner and emptied the trail."""
    for statement in (LOOKALIKE.format(schema="public"), "CREATE TABLE public.x (y int)"):
        with pytest.raises(Exception) as caught, transaction.atomic(), \
                connection.cursor() as cur:
            cur.execute(statement)
        assert isinstance(caught.value.__cause__, psycopg.errors.InsufficientPrivilege)


def test_the_owners_functions_find_no_lookalike_where_the_role_may_create(users):
    audit_record(actor=users["admin"], action="test.kept")
    before = _rows()
    with connection.cursor() as cur:
        cur.execute(LOOKALIKE.format(schema="hotspots_work"))
        cur.execute("SET LOCAL search_path = hotspots_work, public")
        cur.execute("SELECT patrols_ping_partition_drop('2001-01-01')")
        assert cur.fetchone()[0] is None
        cur.execute("SELECT patrols_ping_partition_create('2001-01-01')")
        assert cur.fetchone()[0] is True
        cur.execute("SELECT patrols_ping_partition_drop('2001-01-01')")
        assert cur.fetchone()[0] == 0
        # A table of that name that is no partition is never dropped.
        cur.execute("CREATE TABLE hotspots_work.patrols_gpsping_p20010102 (x int)")
        cur.execute("SELECT patrols_ping_partition_drop('2001-01-02')")
        assert cur.fetchone()[0] is None
    assert _rows() == before


@pytest.mark.parametrize("statement", [
    "UPDATE training_completion SET score = 100", "DELETE FROM training_completion",
    "TRUNCATE training_completion CASCADE",
    "ALTER TABLE training_completion DISABLE TRIGGER training_completion_no_update_delete"])
def test_training_completions_cannot_be_changed_or_removed(users, statement):
    """A completion is never edited, only superseded (issue 19): the role may only read and
    add them, as with the audit trail."""
    from tests.training.conftest import BODY, sit
    from training.models import Completion
    from training.services import module_save

    module = module_save(module=None, actor=None, slug="mm", title="M", body=BODY)
    done = sit(users["officer"], module, answers=[0, 1])
    with pytest.raises(Exception) as caught, transaction.atomic(), connection.cursor() as cur:
        cur.execute(statement)
    assert isinstance(caught.value.__cause__, psycopg.errors.InsufficientPrivilege)
    assert list(Completion.objects.values_list("pk", "score")) == [(done.pk, 0)]
