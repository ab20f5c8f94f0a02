"""Issue 20, part 3, in the browser: a supervisor on the Live page sees an alarm appear
when a tasked hot spot goes unvisited (the shift's clock and generated GPS pings drive the
rule), and sees it clear when an officer checks in there on a phone."""

from datetime import timedelta

from django.utils import timezone

from patrols.models import Alarm, Device
from patrols.services import alarms_check, pings_ingest, presence_update
from tests.tasking.conftest import make_hotspot  # noqa: F401  (fixture)

from .conftest import login, shot
from .patrol_phone import shift_now  # noqa: F401  (fixture)
from .test_patrol_shift import phone


def _pings_at(spot, start, minutes: int) -> list[dict]:
    centre = spot.geom.centroid.transform(4326, clone=True)
    return [{"t": (start + timedelta(seconds=s)).isoformat(), "lat": centre.y,
             "lon": centre.x, "accuracy": 8} for s in range(0, minutes * 60, 10)]


def test_the_alarm_appears_and_clears_when_an_officer_checks_in(
        page, browser, playwright, live_server, users, areas, settings, shift_now):  # noqa: F811
    settings.LIVE_REFRESH_SECONDS = 2
    tasks, spots = shift_now
    # The officer's radio was at the later visit's hot spot half an hour ago (GPS pings).
    radio = Device.objects.create(name="Radio 12", kind="radio", area=areas["E09000007"],
                                  holder=users["officer"], token_hash="alarm-radio")
    pings_ingest(device=radio, pings=_pings_at(spots[3], timezone.now() - timedelta(
        minutes=30), 12))
    presence_update()
    login(page, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/live/")
    page.wait_for_selector("[data-testid=no-alarms]")

    # The shift began four hours ago: the beat's check finds who has gone unpatrolled.
    alarms_check()
    quiet = {a.hotspot_id for a in Alarm.objects.all()}
    assert spots[2].pk in quiet and spots[3].pk not in quiet
    row = f"[data-alarm='{Alarm.objects.get(hotspot=spots[2]).pk}']"
    page.wait_for_selector(row, timeout=15_000)
    assert page.inner_text(row).startswith(f"{spots[2].key}: no patrol for 4 h")
    shot(page, "live-alarm")

    officer = phone(browser, playwright, spots[2])
    mobile = officer.new_page()
    login(mobile, live_server.url, "officer")
    mobile.goto(f"{live_server.url}/patrol/")
    mobile.wait_for_selector("#patrol[data-loaded]", timeout=20_000)
    mobile.locator(f"#visits li[data-task='{tasks['next'].pk}'] button:has-text('Check in')") \
        .click()
    mobile.wait_for_selector("#active:not([hidden])")
    # Checked in (the visit itself goes at check-out): the supervisor's alarm clears.
    page.wait_for_selector(row, state="detached", timeout=15_000)
    alarm = Alarm.objects.get(hotspot=spots[2])
    assert alarm.cleared_at is not None
    officer.close()
