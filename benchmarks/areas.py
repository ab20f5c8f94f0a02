"""A fresh square BCU for a benchmark, with a finished hot spot run to hang hot spots on.
A previous run's area goes first, with the rows that protect it; audited actors are kept."""

from datetime import UTC, datetime

from django.contrib.gis.geos import MultiPolygon, Polygon

from accounts.models import Area, Team, User
from accounts.services import areas_rebuild_index
from hotspots.models import Hotspot, HotspotRun


def fresh_area(*, code: str, name: str, x0: float, y0: float,
               size: float) -> tuple[Area, HotspotRun]:
    old = Area.objects.filter(code=code).first()
    if old is not None:
        Hotspot.objects.filter(run_area=old).delete()
        HotspotRun.objects.filter(area=old).delete()
        User.objects.filter(area=old).update(area=None, team=None)
        Team.objects.filter(area=old).delete()
        old.delete()
    area = Area.objects.create(name=name, code=code, level=Area.Level.BCU,
                               geom=MultiPolygon(Polygon.from_bbox((x0, y0, x0 + size,
                                                                    y0 + size))))
    areas_rebuild_index()
    run = HotspotRun.objects.create(area=area, trigger="command", status="done",
                                    window_start=datetime(2025, 1, 1, tzinfo=UTC),
                                    window_end=datetime(2026, 1, 1, tzinfo=UTC))
    return area, run
