"""Issue a one-time enrolment code for a staff account's authenticator; audited."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.second_factor import enrolment_code_issue


class Command(BaseCommand):
    help = ("Issue a one-time code with which a supervisor, analyst, admin or auditor sets up "
            "their authenticator app at their next sign-in. Give it to them in person.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user named {options['username']!r}.") from None
        code = enrolment_code_issue(actor=None, user=user)
        self.stdout.write(f"{user.username}: enrolment code {code} (valid "
                          f"{settings.SECOND_FACTOR_ENROLMENT_HOURS} hours, once).")
