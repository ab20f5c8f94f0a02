"""Hot spots and shift patterns for the tasking tests, made directly (no run needed)."""

from datetime import UTC, datetime, time

import pytest
from django.contrib.gis.geos import Polygon

from accounts.models import Team
from hotspots.models import Hotspot, HotspotRun
from tasking.services import shift_pattern_create
from tests.conftest import CAMDEN, ISLINGTON, upcoming_monday

# Points well inside each borough (British National Grid metres).
INSIDE = {CAMDEN: (527400.0, 184300.0), ISLINGTON: (531400.0, 184800.0)}
WEEK = upcoming_monday()


def night_profile(weight: float = 1.0) -> list[float]:
    """Harm only from 23:00 to 07:00 every day."""
    return [weight if (h % 24) >= 23 or (h % 24) < 7 else 0.0 for h in range(168)]


def day_profile(weight: float = 1.0) -> list[float]:
    """Harm only from 09:00 to 17:00 every day."""
    return [weight if 9 <= (h % 24) < 17 else 0.0 for h in range(168)]


@pytest.fixture
def make_hotspot(areas):
    run = HotspotRun.objects.create(
        area=areas["CN"], trigger="command", status="done",
        window_start=datetime(2024, 3, 1, tzinfo=UTC), window_end=datetime(2025, 3, 1, tzinfo=UTC))
    count = {"n": 0}

    def make(profile: list[float], *, borough: str = CAMDEN, status: str = "approved",
             crimes: int = 10, harm: float = 100.0) -> Hotspot:
        count["n"] += 1
        x0, y0 = INSIDE[borough]
        x, y = x0 + 200 * (count["n"] % 8), y0 + 200 * (count["n"] // 8)
        return Hotspot.objects.create(
            run_area=areas["CN"], area=areas[borough], key=f"sq150:{borough}:{count['n']}",
            geom=Polygon.from_bbox((x, y, x + 150, y + 150)), status=status,
            first_run=run, last_selected_run=run, profile=profile,
            stats={"count": crimes, "harm": harm, "z": 4.2, "pattern": "persistent"})

    return make


@pytest.fixture
def teams(users, areas) -> dict[str, Team]:
    """Camden has two teams (one from the users fixture), Islington one."""
    return {"ct": Team.objects.get(name="Camden Town SNT"),
            "kt": Team.objects.create(name="Kentish Town SNT", callsign="KT1",
                                      area=areas[CAMDEN]),
            "hw": Team.objects.create(name="Holloway SNT", area=areas[ISLINGTON])}


@pytest.fixture
def patterns(areas, teams):
    """Camden: Early 07-15, Late 15-23, Night 23-07; the Camden Town team has 60, 90 and 30
    minutes in them, Kentish Town 30, 30 and 0."""
    camden = areas[CAMDEN]
    return {
        name: shift_pattern_create(area=camden, name=name, start_time=time(start),
                                   duration_minutes=480,
                                   capacities={teams["ct"]: ct, teams["kt"]: kt})
        for name, start, ct, kt in (("Early", 7, 60, 30), ("Late", 15, 90, 30),
                                    ("Night", 23, 30, 0))
    }


def capacity_body(cells: dict[tuple[int, int], str], **base) -> dict[str, str]:
    """The shifts page's capacity formset as a browser sends it: the management form and
    one form per (shift id, team id) cell given."""
    body = {**base, "cap-TOTAL_FORMS": str(len(cells)), "cap-INITIAL_FORMS": str(len(cells)),
            "cap-MIN_NUM_FORMS": "0", "cap-MAX_NUM_FORMS": "2000"}
    for i, ((shift, team), minutes) in enumerate(cells.items()):
        body.update({f"cap-{i}-shift": str(shift), f"cap-{i}-team": str(team),
                     f"cap-{i}-minutes": minutes})
    return body
