"""Alarms for unpatrolled hot spots (issue 20, part 3): raised by the rule, told to the
area's supervisors once and again at most every hour, stopped by an acknowledgement with a
reason (audited), cleared at once when someone checks in."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from notices.models import Notice
from patrols.models import Alarm, Device, Presence
from patrols.services import alarms_check
from tasking.models import PatrolTask, Shift, ShiftPattern, TaskingPlan
from tests.conftest import CAMDEN
from tests.tasking.conftest import make_hotspot  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_now(users, areas, make_hotspot):  # noqa: F811
    """A Camden shift that began three hours ago (8 h): A has 30 planned minutes and was
    last patrolled 2 h 20 min ago (GPS); B has 15 and had a 2-minute stay half an hour ago."""
    now = timezone.now().replace(second=0, microsecond=0)
    start = now - timedelta(hours=3)
    local = timezone.localtime(start)
    camden = areas[CAMDEN]
    pattern = ShiftPattern.objects.create(area=camden, name="Now", duration_minutes=480,
                                          start_time=local.time())
    shift = Shift.objects.create(pattern=pattern, area=camden, date=local.date(),
                                 starts_at=start, ends_at=start + timedelta(hours=8))
    plan = TaskingPlan.objects.create(area=camden, status="published", seed=1,
                                      week_start=local.date() - timedelta(days=local.weekday()))
    a, b = make_hotspot([1.0] * 168), make_hotspot([1.0] * 168)
    for spot, at in ((a, start + timedelta(minutes=20)), (a, start + timedelta(hours=5)),
                     (b, start + timedelta(hours=2))):
        PatrolTask.objects.create(plan=plan, shift=shift, hotspot=spot, starts_at=at,
                                  minutes=15, assignee_user=users["officer"])
    radio = Device.objects.create(name="Radio", kind="radio", area=camden,
                                  holder=users["officer"], token_hash="r1")
    Presence.objects.create(device=radio, hotspot=a, started_at=start + timedelta(minutes=30),
                            ended_at=start + timedelta(minutes=40), pings=60, seconds=600)
    Presence.objects.create(device=radio, hotspot=b, started_at=now - timedelta(minutes=30),
                            ended_at=now - timedelta(minutes=28), pings=12, seconds=120)
    return {"now": now, "start": start, "shift": shift, "a": a, "b": b}


def test_a_quiet_hot_spot_raises_one_alarm_told_to_its_supervisors(users, on_now):
    now, a = on_now["now"], on_now["a"]
    assert alarms_check(now=now) == {"raised": 1, "cleared": 0, "repeated": 0}
    alarm = Alarm.objects.get()
    assert (alarm.hotspot, alarm.rule, alarm.detail) == (
        a, "no_presence", "no patrol for 2 h 20 min of its tasked shift")
    assert list(Notice.objects.values_list("user__username", "kind", "title", "url")) == [
        ("supervisor", "alarm", f"{a.key}: no patrol for 2 h 20 min of its tasked shift",
         "/live/")]
    # Run again (a second beat, a retried task): nothing new.
    assert alarms_check(now=now + timedelta(minutes=5)) == {"raised": 0, "cleared": 0,
                                                            "repeated": 0}
    assert (Alarm.objects.count(), Notice.objects.count()) == (1, 1)
    # An hour on, still open: told again, once. (By then, past mid-shift, B is under its
    # planned minutes too: an alarm of its own.)
    assert alarms_check(now=now + timedelta(minutes=61))["repeated"] == 1
    assert Notice.objects.filter(title__startswith=f"{a.key}:").count() == 2


def test_an_acknowledged_alarm_is_not_repeated_and_the_reason_is_audited(api, users, on_now):
    now = on_now["now"]
    alarms_check(now=now)
    alarm = Alarm.objects.get()
    refused = api(users["officer"]).post(f"/live/alarms/{alarm.pk}/acknowledge/",
                                         {"reason": "x"})
    assert refused.status_code == 403
    empty = api(users["supervisor"]).post(f"/live/alarms/{alarm.pk}/acknowledge/",
                                          {"reason": " "})
    assert empty.status_code == 302
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is None and not AuditEvent.objects.filter(
        action="alarm.acknowledged").exists()
    done = api(users["supervisor"]).post(f"/live/alarms/{alarm.pk}/acknowledge/",
                                         {"reason": "All units at a stabbing on High St"})
    assert done.status_code == 302
    alarm.refresh_from_db()
    assert (alarm.acknowledged_by, alarm.reason) == (users["supervisor"],
                                                     "All units at a stabbing on High St")
    assert AuditEvent.objects.get(action="alarm.acknowledged").detail["reason"] == \
        "All units at a stabbing on High St"
    alarms_check(now=now + timedelta(minutes=61))
    assert Notice.objects.filter(title__startswith=f"{alarm.hotspot.key}:").count() == 1


def test_a_check_in_clears_the_alarm_at_once(api, users, on_now):
    now, a = on_now["now"], on_now["a"]
    alarms_check(now=now)
    real_now = timezone.now()
    got = api(users["officer"]).post("/api/v1/visits/", {
        "id": str(uuid.uuid4()), "hotspot": a.pk, "started_at": real_now.isoformat()},
        content_type="application/json")
    assert got.status_code == 201
    alarm = Alarm.objects.get()
    assert alarm.cleared_at == real_now.replace(microsecond=real_now.microsecond)
    assert alarms_check(now=now + timedelta(minutes=10))["raised"] == 0


def test_under_its_planned_minutes_by_mid_shift(users, on_now):
    """B: 2 minutes delivered of 15 planned, under a quarter, past mid-shift."""
    mid = on_now["start"] + timedelta(hours=4, minutes=5)
    alarms_check(now=mid)
    rules = dict(Alarm.objects.values_list("hotspot_id", "rule"))
    assert rules[on_now["b"].pk] == "under_dose"
    assert Alarm.objects.get(hotspot=on_now["b"]).detail == \
        "2 of 15 planned minutes by mid-shift (under 25%)"


def test_a_cleared_under_dose_alarm_is_not_reopened_by_the_same_shortfall(on_now):
    """Someone came to B after its under-dose alarm: the minutes may still be short, but
    only a new quiet spell reopens it."""
    from patrols.services import alarms_clear_on_arrival

    mid = on_now["start"] + timedelta(hours=4, minutes=5)
    alarms_check(now=mid)
    alarms_clear_on_arrival(hotspot_id=on_now["b"].pk, at=mid + timedelta(minutes=1))
    alarms_check(now=mid + timedelta(minutes=5))
    assert Alarm.objects.get(hotspot=on_now["b"]).cleared_at == mid + timedelta(minutes=1)


def test_no_alarm_outside_a_shift_on_now(users, on_now):
    after = on_now["start"] + timedelta(hours=9)
    assert alarms_check(now=after) == {"raised": 0, "cleared": 0, "repeated": 0}
    assert Alarm.objects.count() == 0
