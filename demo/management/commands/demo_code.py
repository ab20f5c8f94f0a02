"""Print the demo force's current authenticator code (the demo's published key only)."""

from typing import Any

from django.core.management.base import BaseCommand

from demo.force import demo_totp_code


class Command(BaseCommand):
    help = "The current code of the demo's shared authenticator key (staff demo logins)."

    def handle(self, *args: Any, **options: Any) -> None:
        code, seconds = demo_totp_code()
        self.stdout.write(f"{code}  (valid for {seconds} s more; each code works once per user)")
