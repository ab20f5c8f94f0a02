from typing import Any

from django.core.management.base import BaseCommand

from training.services import defaults_load


class Command(BaseCommand):
    help = ("Create the learning modules the project ships (training/content/*.md) that are "
            "not here yet; a force's own edits are never overwritten.")

    def handle(self, *args: Any, **opts: Any) -> None:
        made = defaults_load()
        self.stdout.write(f"learning modules added: {', '.join(made) if made else 'none'}")
