import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Area
from hotspots.models import HotspotRun
from hotspots.recompute import RunInputError, hotspot_run_create, hotspot_run_execute


class Command(BaseCommand):
    help = "Compute hot spots now for an area (or every area at the nightly run level)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--area", action="append", default=[], metavar="CODE",
                            help="area code; repeatable (default: the nightly run level)")
        parser.add_argument("--cell", type=float, help="cell size in metres (150)")
        parser.add_argument("--bandwidth", type=float, help="KDE bandwidth in metres (450)")
        parser.add_argument("--lookback-days", type=int, help="data window in days (365)")
        parser.add_argument("--top-n", type=int, help="keep at most this many hot spots")
        parser.add_argument("--until", help="end of the data window, YYYY-MM-DD (default: "
                            "today, or HOTSPOTS_WINDOW_END)")
        parser.add_argument("--type", action="append", default=[], metavar="CODE",
                            help="count only these offence types (repeatable)")
        parser.add_argument("--no-asb", action="store_true", help="leave out anti-social "
                            "behaviour")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["area"]:
            areas = list(Area.objects.filter(code__in=opts["area"]))
            missing = set(opts["area"]) - {a.code for a in areas}
            if missing:
                raise CommandError(f"no area with code {', '.join(sorted(missing))}")
        else:
            areas = list(Area.objects.filter(level=settings.HOTSPOTS_RUN_LEVEL)) or list(
                Area.objects.filter(level=Area.Level.FORCE))
        params = {k: v for k, v in {
            "cell": opts["cell"], "bandwidth": opts["bandwidth"],
            "lookback_days": opts["lookback_days"], "top_n": opts["top_n"],
        }.items() if v is not None}
        if opts["no_asb"]:
            params["include_asb"] = False
        if opts["type"]:
            params["offence_types"] = opts["type"]
        until = None
        if opts["until"]:

            try:
                until = datetime.fromisoformat(opts["until"]).replace(
                    tzinfo=ZoneInfo(settings.TIME_ZONE))
            except ValueError:
                raise CommandError(f"--until {opts['until']!r} is not a date") from None
        failed = False
        for area in areas:
            try:
                run = hotspot_run_create(area=area, trigger=HotspotRun.Trigger.COMMAND,
                                         parameters=params, window_end=until)
            except RunInputError as exc:
                raise CommandError(str(exc)) from exc
            hotspot_run_execute(run_id=run.pk)
            run.refresh_from_db()
            if run.status == HotspotRun.Status.FAILED:
                failed = True
                self.stderr.write(f"{area.code}: {run.error}")
                continue
            m = run.metrics
            self.stdout.write(
                f"{area.code}: run {run.pk}: {m['crimes']:,} crimes, {m['cells']:,} cells, "
                f"{m['significant']:,} significant, {m['selected']:,} hot spots "
                f"({m['new']} new, {m['dropped']} dropped) in {run.timings['total']:.1f} s; "
                f"top 1% of cells hold {100 * m['top_1_percent']:.1f}% of harm")
            self.stdout.write(json.dumps(run.timings, indent=None))
        if failed:
            raise CommandError("some runs failed")
