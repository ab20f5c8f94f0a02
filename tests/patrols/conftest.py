"""Devices, hot spots and helpers for the tracking tests."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.gis.geos import Point, Polygon

from accounts.models import User
from core.geo import coord_transform
from hotspots.models import Hotspot
from patrols.services import device_create
from tests.conftest import CAMDEN
from tests.tasking.conftest import INSIDE, make_hotspot, teams  # noqa: F401  (fixtures)

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
# Away from make_hotspot's squares: hot spots placed by hand (square()) for the dosage tests.
X0, Y0 = 529000.0, 186000.0


def lonlat(x: float, y: float) -> tuple[float, float]:
    """British National Grid metres to WGS84 (lon, lat), through one transformation
    reused (a new one for each point cost 25 ms: 12 s of a dosage test's set-up)."""
    p = Point(x, y, srid=27700)
    p.transform(coord_transform(27700, 4326))
    return p.x, p.y


def ping(t: datetime, x: float, y: float, accuracy: float = 8.0) -> dict:
    lon, lat = lonlat(x, y)
    return {"t": t.isoformat(), "lat": lat, "lon": lon, "accuracy": accuracy}


def track(start: datetime, seconds: int, every: int, x: float, y: float) -> list[dict]:
    """Pings every `every` seconds at one place, from `start` for `seconds` (inclusive)."""
    return [ping(start + timedelta(seconds=s), x, y) for s in range(0, seconds + 1, every)]


@pytest.fixture
def device(areas, users, teams):  # noqa: F811
    """A radio carried by the Camden officer (a PC), with its token."""
    users["officer"].rank = "pc"
    users["officer"].save(update_fields=["rank"])
    made, token = device_create(name="Radio 7", kind="radio", area=areas[CAMDEN],
                                team=teams["ct"], holder=users["officer"], actor=None)
    made.token = token  # type: ignore[attr-defined]  # the tests send it
    return made


@pytest.fixture
def spot(make_hotspot):  # noqa: F811
    """An approved hot spot: the 150 m square from INSIDE[CAMDEN] + 200 m east."""
    return make_hotspot([1.0] * 168)


def stay(start: datetime, end: datetime, x: float, y: float) -> list[dict]:
    """Pings every 10 s at (x, y) from `start` to `end`, each worth 10 s, then one 325 m
    north at `end` (away from every hot spot), which closes the stay at `end`."""
    seconds = int((end - start).total_seconds()) - 10
    return [*track(start, seconds, 10, x, y), ping(end, x, y + 325)]


def square(hotspot, x: float, y: float):
    """Move a hot spot to the 150 m square from (x, y)."""
    Hotspot.objects.filter(pk=hotspot.pk).update(geom=Polygon.from_bbox((x, y, x + 150,
                                                                         y + 150)))
    hotspot.refresh_from_db()
    return hotspot


def pc_with_radio(users, team, areas):
    """The Camden officer, made a PC, carrying a radio of `team`."""
    officer = users["officer"]
    officer.rank = User.Rank.PC
    officer.save(update_fields=["rank"])
    radio, _ = device_create(name="Radio 7", kind="radio", area=areas[CAMDEN],
                             team=team, holder=officer, actor=None)
    return officer, radio


def centre(hotspot) -> tuple[float, float]:
    c = hotspot.geom.centroid
    return c.x, c.y


__all__ = ["INSIDE"]
