from typing import Any

from django.core.management.base import BaseCommand

from demo.force import DEMO_PASSWORD, USERS, demo_totp_secret, seed_demo


class Command(BaseCommand):
    help = "Load the demo force (real police.uk burglary in Camden and Islington); safe to re-run."

    def handle(self, *args: Any, **opts: Any) -> None:
        for line in seed_demo():
            self.stdout.write(line)
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, first, last, role, *_ in USERS:
            self.stdout.write(f"  {username:<11} {role:<11} {first} {last}")
        self.stdout.write("Supervisor, analyst, admin and auditor then give an authenticator "
                          "code: `.venv/bin/python manage.py demo_code` prints the current "
                          "one (or add the demo key to an app: "
                          f"{demo_totp_secret()}).")
