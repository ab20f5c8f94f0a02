"""Pings become stays inside hot spots: gaps tolerated, drive-throughs dropped, each ping
counting for the time to the next, and re-runs or late pings never double a stay."""

from datetime import timedelta

from patrols.models import Presence, PresenceRun
from patrols.services import pings_ingest, presence_update

from .conftest import T0, centre, track


def test_a_stay_with_a_short_absence_is_one_stay_and_a_drive_through_none(device, spot,
                                                                         make_hotspot):
    x, y = centre(spot)
    other = make_hotspot([1.0] * 168)
    ox, oy = centre(other)
    now = T0 + timedelta(hours=2)
    pings = (track(T0, 600, 5, x, y)                                   # 10 min inside
             + track(T0 + timedelta(seconds=605), 55, 5, x + 250, y)   # a minute away
             + track(T0 + timedelta(seconds=665), 300, 5, x, y)        # 5 min inside again
             + track(T0 + timedelta(seconds=970), 60, 5, ox, oy)       # 1 min: drive-through
             + track(T0 + timedelta(seconds=1035), 600, 30, ox + 150, oy))  # gone
    assert pings_ingest(device=device, pings=pings, now=now).accepted == len(pings)
    run = presence_update()
    stays = list(Presence.objects.values_list("hotspot_id", "started_at", "ended_at", "pings",
                                              "seconds", "team_id", "rank"))
    # Inside: 121 pings each worth 5 s, then 61 pings, the last worth 5 s to the next ping
    # (which is at the other hot spot): 605 + 305 seconds. The other hot spot's 13 pings
    # come to 65 s, under the 120 s dwell.
    assert stays == [(spot.pk, T0, T0 + timedelta(seconds=970), 182, 910.0,
                      device.team_id, "pc")]
    assert (run.devices, run.inserted, run.removed) == (1, 1, 0)


def test_running_again_and_late_pings_recompute_without_doubling(device, spot):
    x, y = centre(spot)
    now = T0 + timedelta(hours=2)
    pings_ingest(device=device, pings=track(T0, 300, 10, x, y), now=now)
    presence_update()
    again = presence_update()
    assert (again.removed, again.inserted) == (1, 1)  # the same stay, rebuilt
    assert Presence.objects.count() == 1
    first = Presence.objects.get()
    assert (first.started_at, first.seconds) == (T0, 300.0)
    # Pings from before arrive late (a radio back in range): the stay grows, still one.
    pings_ingest(device=device, pings=track(T0 - timedelta(seconds=240), 230, 10, x, y),
                 now=now + timedelta(minutes=2))
    presence_update()
    stay = Presence.objects.get()
    assert (stay.started_at, stay.ended_at, stay.pings) == (
        T0 - timedelta(seconds=240), T0 + timedelta(seconds=300), 55)
    assert stay.seconds == 540.0
    assert PresenceRun.objects.count() == 3


def test_a_gap_longer_than_the_tolerance_splits_the_stay(device, spot, settings):
    x, y = centre(spot)
    now = T0 + timedelta(hours=2)
    pings = track(T0, 300, 5, x, y) + track(T0 + timedelta(seconds=600), 300, 5, x, y)
    pings_ingest(device=device, pings=pings, now=now)
    presence_update()
    stays = list(Presence.objects.order_by("started_at").values_list("started_at", "seconds"))
    # The last ping before the 5-minute silence is worth the gap cap (180 s), not 300 s.
    assert stays == [(T0, 300.0 + 180.0), (T0 + timedelta(seconds=600), 300.0)]
