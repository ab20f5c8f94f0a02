"""Remove a user's authenticator devices (a lost or replaced phone); audited."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.second_factor import enrolment_code_issue, second_factor_reset


class Command(BaseCommand):
    help = "Reset a user's second factor: they set up an authenticator at their next sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"No user named {options['username']!r}.") from None
        removed = second_factor_reset(actor=None, user=user)
        code = enrolment_code_issue(actor=None, user=user)
        self.stdout.write(f"{user.username}: removed {removed} device(s); they will set up "
                          f"an authenticator at their next sign-in with the enrolment code "
                          f"{code}.")
