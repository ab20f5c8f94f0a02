"""Two database roles (docs/adr/0011): the owner, which runs migrations and owns every table,
and the application's role, which the web server and workers connect as. The application's
role is no superuser, owns no table of the schema, and holds only SELECT and INSERT on the
audit trail: neither a bug nor a stolen application password can rewrite or empty it
(UPDATE, DELETE and TRUNCATE are refused by privilege; the trigger of audit 0002 refuses
UPDATE and DELETE to every role; `SET session_replication_role`, which would skip the
trigger, needs a superuser)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import environ
from django.conf import settings
from django.db import connections
from psycopg import sql

AUDIT_TABLE = "audit_auditevent"
# Tables the application's role only reads and adds to: the audit trail, and training
# completions, which are never edited, only superseded (training migration 0002).
APPEND_ONLY_TABLES = (AUDIT_TABLE, "training_completion")
# The one schema the application's role may create tables in (hotspots migration 0006).
WORK_SCHEMA = "hotspots_work"
# SECURITY DEFINER functions the application calls for work that needs the owner: a day's GPS
# ping partition is made and dropped by them (patrols migration 0003).
OWNER_FUNCTIONS = ("patrols_ping_partition_create(date)", "patrols_ping_partition_drop(date)")


def owner_settings() -> dict[str, Any] | None:
    """The owner's connection settings from DATABASE_OWNER_URL, or None when the
    application's own role also owns the schema (a single-role install)."""
    url = getattr(settings, "DATABASE_OWNER_URL", "")
    if not url:
        return None
    cfg = environ.Env.db_url_config(url)
    return {key: cfg.get(key) or "" for key in ("USER", "PASSWORD", "HOST", "PORT")}


@contextmanager
def connected_as_owner(alias: str = "default") -> Iterator[str | None]:
    """Run the block on `alias`'s database as the owner; yields the application's role to
    grant to, or None when there is no separate owner. The database name is kept, so a
    test database is migrated as such."""
    owner = owner_settings()
    conn = connections[alias]
    app_role = str(getattr(settings, "DATABASE_APP_ROLE", "") or "")
    if owner is None or not owner["USER"] or owner["USER"] == app_role:
        yield None
        return
    if conn.settings_dict.get("USER") == owner["USER"]:  # already the owner (the test setup)
        yield app_role
        return
    saved = {key: conn.settings_dict.get(key) for key in owner}
    conn.close()
    conn.settings_dict.update(owner)
    try:
        yield app_role
    finally:
        conn.close()
        conn.settings_dict.update(saved)


def app_role_grant(*, alias: str = "default", role: str) -> None:
    """Give the application's role what it needs and no more. Run as the owner after every
    migrate (the migrate command does): new tables and partitions are covered by default
    privileges, and running it again changes nothing."""
    conn = connections[alias]
    ident = sql.Identifier(role)
    database = sql.Identifier(str(conn.settings_dict["NAME"]))
    with conn.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        found = cur.fetchone()
        if found is None:
            raise LookupError(f"there is no database role {role!r}: create it first "
                              "(README, 'Database roles')")
        if found[0]:
            raise ValueError(f"the application's role {role!r} is a superuser: it could "
                             "empty the audit trail; make it an ordinary role")
        statements = [
            "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {role}",
            # Nothing of its own in public, which every role (the owner's migrate included)
            # searches: a lookalike function there could run with another role's rights.
            "REVOKE CREATE ON SCHEMA public FROM {role}",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            "GRANT USAGE ON SCHEMA public TO {role}",
            # An import's staging table, shared by its connections, goes in its own schema.
            "GRANT USAGE, CREATE ON SCHEMA hotspots_work TO {role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            "GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        ]
        for statement in statements:
            cur.execute(sql.SQL(statement).format(db=database, role=ident))
        # The owner's tables and sequences, one by one: PostGIS's spatial_ref_sys and the
        # app's own staging tables are not the owner's to grant.
        cur.execute("""
            SELECT c.relname, c.relkind FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles
                                                           WHERE rolname = current_user)
               AND c.relkind IN ('r', 'p', 'S')""")
        for name, kind in cur.fetchall():
            if name in APPEND_ONLY_TABLES:
                continue
            grant = ("GRANT USAGE, SELECT ON SEQUENCE {t} TO {role}" if kind == "S" else
                     "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {t} TO {role}")
            cur.execute(sql.SQL(grant).format(t=sql.Identifier(name), role=ident))
        for append_only in APPEND_ONLY_TABLES:
            table = sql.Identifier(append_only)
            cur.execute(sql.SQL("REVOKE ALL ON TABLE {t} FROM {role}").format(
                t=table, role=ident))
            cur.execute(sql.SQL("GRANT SELECT, INSERT ON TABLE {t} TO {role}").format(
                t=table, role=ident))
        for function in OWNER_FUNCTIONS:
            cur.execute("SELECT to_regprocedure(%s)", [function])
            if cur.fetchone()[0] is not None:
                cur.execute(sql.SQL("GRANT EXECUTE ON FUNCTION {f} TO {role}").format(
                    f=sql.SQL(function), role=ident))
