from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotspots.exports import ExportError, run_cells_csv, run_cells_gpkg
from hotspots.models import HotspotRun


class Command(BaseCommand):
    help = "Write a hot spot run's whole cell layer to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run_id", type=int)
        parser.add_argument("--format", choices=["csv", "gpkg"], default="csv")
        parser.add_argument("--output", type=Path, required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        run = HotspotRun.objects.filter(pk=opts["run_id"]).first()
        if run is None:
            raise CommandError(f"no run {opts['run_id']}")
        if run.status != HotspotRun.Status.DONE or not run.cells:
            raise CommandError(f"run {run.pk} is {run.status}: it has no cell layer")
        if opts["format"] == "gpkg":
            try:
                n = run_cells_gpkg(run, opts["output"])
            except ExportError as exc:
                raise CommandError(str(exc)) from exc
        else:
            with opts["output"].open("w", newline="") as out:
                n = run_cells_csv(run, out)
        self.stdout.write(f"{n:,} cells written to {opts['output']}")
