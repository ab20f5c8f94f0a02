"""`manage.py migrate`, as the schema's owner (DATABASE_OWNER_URL), then the application's
role is granted what it needs (core/db_roles.py). Without DATABASE_OWNER_URL it is Django's
own migrate on the one role there is."""

from typing import Any

from django.core.management.commands import migrate

from core.db_roles import app_role_grant, connected_as_owner


class Command(migrate.Command):
    help = ("Migrate as the schema's owner (DATABASE_OWNER_URL), then give the application's "
            "role only what it needs.")

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        with connected_as_owner(alias) as app_role:
            super().handle(*args, **options)
            if app_role:
                app_role_grant(alias=alias, role=app_role)
                if options["verbosity"] >= 1:
                    self.stdout.write(f"Granted the application's role {app_role!r} what it "
                                      "needs; it may only read and add audit events.")
