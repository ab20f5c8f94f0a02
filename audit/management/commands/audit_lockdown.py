"""Give the application's database role only what the audit trail needs: read and add."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql


class Command(BaseCommand):
    help = ("Revoke UPDATE, DELETE and TRUNCATE on the audit trail from a role (the one the "
            "application connects as), leaving SELECT and INSERT. Run it as the owner.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("role", help="the PostgreSQL role the web and workers use")

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cur.fetchone() is None:
                raise CommandError(f"no database role {role!r}")
            ident = sql.Identifier(role)
            cur.execute(sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent FROM {}")
                        .format(ident))
            cur.execute(sql.SQL("GRANT SELECT, INSERT ON audit_auditevent TO {}").format(ident))
        self.stdout.write(f"{role} may now only read and add audit events")
