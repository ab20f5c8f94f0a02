"""A hot spot run over every crime in the benchmark database for one area, in its own
process (peak memory is its own). Prints one JSON line: timings, metrics, peak RSS."""

import json
import os
import resource
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from accounts.models import Area  # noqa: E402
from hotspots.recompute import hotspot_run_create, hotspot_run_execute  # noqa: E402


def main() -> None:
    from hotspots.models import OffenceType

    area = Area.objects.get(code=sys.argv[1])
    end = datetime(2025, 3, 1, tzinfo=ZoneInfo("Europe/London"))
    # Every offence type, so the run reads every crime in the area.
    every = list(OffenceType.objects.values_list("code", flat=True))
    run = hotspot_run_create(area=area, trigger="command", window_end=end,
                             parameters={"offence_types": every})
    hotspot_run_execute(run_id=run.pk)
    run.refresh_from_db()
    print(json.dumps({"status": run.status, "error": run.error, "timings": run.timings,
                      "crimes": run.metrics.get("crimes"), "cells": run.metrics.get("cells"),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
