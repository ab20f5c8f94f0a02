"""Alarms for unpatrolled hot spots (issue 20, part 3), as forces that kept hot spots
policing going used a "targeting alarm". Checked by a beat job every few minutes, and
cleared at once by a check-in; idempotent: one alarm per hot spot and shift."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Area, User
from audit.services import audit_record
from core.text import markup_problem
from notices.services import notify

from ..models import Alarm
from .errors import TrackingInputError

# For each shift on now in a published plan, each hot spot with visits planned in it: its
# planned minutes, and the last moment anyone was there (GPS presence or a visit) since the
# shift began, and the minutes delivered since then (a visit counts its length, or the
# usual dwell while it is open; GPS its stays), each source's minutes apart: the alarm asks
# whether anyone came, not how the minutes reconcile.
DUE_SQL = """
WITH due AS (
    SELECT t.shift_id, t.hotspot_id, sh.starts_at, sh.ends_at, h.area_id,
           sum(t.minutes) AS planned
    FROM tasking_patroltask t
    JOIN tasking_taskingplan p ON p.id = t.plan_id AND p.status = 'published'
    JOIN tasking_shift sh ON sh.id = t.shift_id
    JOIN hotspots_hotspot h ON h.id = t.hotspot_id
    WHERE t.status = 'planned' AND sh.starts_at <= %(now)s AND sh.ends_at > %(now)s
    GROUP BY t.shift_id, t.hotspot_id, sh.starts_at, sh.ends_at, h.area_id
)
SELECT d.shift_id, d.hotspot_id, d.starts_at, d.ends_at, d.area_id, d.planned,
       GREATEST(
           (SELECT max(LEAST(p.ended_at, %(now)s)) FROM patrols_presence p
            WHERE p.hotspot_id = d.hotspot_id AND p.ended_at > d.starts_at
              AND p.started_at <= %(now)s),
           (SELECT max(LEAST(COALESCE(v.ended_at, %(now)s), %(now)s)) FROM patrols_visit v
            WHERE v.hotspot_id = d.hotspot_id AND v.started_at <= %(now)s
              AND COALESCE(v.ended_at, %(now)s) > d.starts_at)),
       COALESCE((SELECT sum(EXTRACT(EPOCH FROM LEAST(p.ended_at, %(now)s)
                                    - GREATEST(p.started_at, d.starts_at)))
                 FROM patrols_presence p WHERE p.hotspot_id = d.hotspot_id
                   AND p.ended_at > d.starts_at AND p.started_at <= %(now)s), 0)
       + COALESCE((SELECT sum(EXTRACT(EPOCH FROM LEAST(COALESCE(v.ended_at, %(now)s),
                                                      %(now)s)
                                    - GREATEST(v.started_at, d.starts_at)))
                   FROM patrols_visit v WHERE v.hotspot_id = d.hotspot_id
                     AND v.started_at <= %(now)s
                     AND COALESCE(v.ended_at, %(now)s) > d.starts_at), 0)
FROM due d
"""


def _hours(td: timedelta) -> str:
    minutes = int(td.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def alarms_check(*, now: datetime | None = None) -> dict[str, int]:
    """Raise, clear and repeat alarms for the shifts on now. Run again, it changes
    nothing new: one alarm per hot spot and shift, repeats at most every
    ALARM_REPEAT_MINUTES."""
    now = now or timezone.now()
    gap_limit = timedelta(hours=settings.ALARM_NO_PRESENCE_HOURS)
    share = settings.ALARM_DOSE_SHARE
    with connection.cursor() as cur:
        cur.execute(DUE_SQL, {"now": now})
        rows = cur.fetchall()
    counts = {"raised": 0, "cleared": 0, "repeated": 0}
    for shift_id, hotspot_id, starts, ends, area_id, planned, last_seen, seconds in rows:
        quiet = now - max(starts, last_seen) if last_seen else now - starts
        mid = starts + (ends - starts) / 2
        delivered = float(seconds or 0) / 60
        rule: str | None = None
        detail = ""
        if quiet >= gap_limit:
            rule = Alarm.Rule.NO_PRESENCE
            detail = (f"no patrol for {_hours(quiet)} of its tasked shift"
                      + ("" if last_seen else " (nobody there since it began)"))
        elif now >= mid and delivered < share * planned:
            rule = Alarm.Rule.UNDER_DOSE
            detail = (f"{delivered:.0f} of {planned} planned minutes by mid-shift (under "
                      f"{share:.0%})")
        alarm = Alarm.objects.filter(hotspot_id=hotspot_id, shift_id=shift_id).first()
        if rule is None:
            continue
        if alarm is None:
            alarm = Alarm.objects.create(hotspot_id=hotspot_id, shift_id=shift_id, rule=rule,
                                         detail=detail, raised_at=now)
            counts["raised"] += 1
        elif alarm.cleared_at is not None:
            if rule == Alarm.Rule.UNDER_DOSE:
                continue  # someone came since it was raised: only a new quiet spell reopens
            # Quiet again since it cleared: the same alarm opens again.
            Alarm.objects.filter(pk=alarm.pk).update(rule=rule, detail=detail, raised_at=now,
                                                     cleared_at=None, acknowledged_at=None,
                                                     acknowledged_by=None, reason="")
            alarm.refresh_from_db()
            counts["raised"] += 1
        else:
            Alarm.objects.filter(pk=alarm.pk).update(detail=detail)
            alarm.detail = detail
        told_before = alarm.notices_sent > 0
        if _notify(alarm, area_id=area_id, now=now) and told_before:
            counts["repeated"] += 1
    counts["cleared"] = _clear_arrived(now=now)
    return counts


def _supervisors_of(area_id: int | None) -> list[User]:
    """The supervisors of the hot spot's area and of the areas above it."""
    if area_id is None:
        return []
    path = Area.objects.filter(pk=area_id).values_list("path", flat=True).first() or ""
    ancestors = [int(x) for x in path.strip("/").split("/") if x]
    return list(User.objects.filter(area_id__in=ancestors, is_active=True,
                                    groups__name="supervisor"))


def _notify(alarm: Alarm, *, area_id: int | None, now: datetime) -> bool:
    """Tell the area's supervisors now, and again every ALARM_REPEAT_MINUTES while it is
    open and not acknowledged."""
    if alarm.acknowledged_at is not None or alarm.cleared_at is not None:
        return False
    repeat = timedelta(minutes=settings.ALARM_REPEAT_MINUTES)
    if alarm.notified_at is not None and now - alarm.notified_at < repeat:
        return False
    with transaction.atomic():
        updated = Alarm.objects.filter(pk=alarm.pk, notices_sent=alarm.notices_sent).update(
            notified_at=now, notices_sent=alarm.notices_sent + 1)
        if not updated:  # another check got there first
            return False
        name = alarm.hotspot.name or alarm.hotspot.key
        notify(users=_supervisors_of(area_id), kind="alarm",
               title=f"{name}: {alarm.detail}", url="/live/",
               key=f"alarm:{alarm.pk}:{alarm.notices_sent + 1}")
    return True


def _clear_arrived(*, now: datetime) -> int:
    """Open alarms whose hot spot has had someone there since they were raised."""
    cleared = 0
    # Only shifts still on: an alarm of a past shift stays as it ended, not checked forever.
    for alarm in Alarm.objects.filter(cleared_at__isnull=True, shift__ends_at__gt=now):
        arrived = _arrival_since(hotspot_id=alarm.hotspot_id, since=alarm.raised_at, now=now)
        if arrived is not None:
            Alarm.objects.filter(pk=alarm.pk, cleared_at__isnull=True).update(
                cleared_at=arrived)
            cleared += 1
    return cleared


def _arrival_since(*, hotspot_id: int, since: datetime, now: datetime) -> datetime | None:
    with connection.cursor() as cur:
        cur.execute(
            """SELECT LEAST(
                   (SELECT min(GREATEST(started_at, %(since)s)) FROM patrols_presence
                    WHERE hotspot_id = %(h)s AND ended_at >= %(since)s
                      AND started_at <= %(now)s),
                   (SELECT min(GREATEST(started_at, %(since)s)) FROM patrols_visit
                    WHERE hotspot_id = %(h)s AND started_at <= %(now)s
                      AND COALESCE(ended_at, %(now)s) >= %(since)s))""",
            {"h": hotspot_id, "since": since, "now": now})
        row = cur.fetchone()
    return row[0] if row else None


def alarms_clear_on_arrival(*, hotspot_id: int, at: datetime) -> int:
    """A check-in at a hot spot clears its open alarm at once (not at the next check)."""
    return Alarm.objects.filter(hotspot_id=hotspot_id, cleared_at__isnull=True,
                                raised_at__lte=at + timedelta(minutes=5)).update(cleared_at=at)


@transaction.atomic
def alarm_acknowledge(*, alarm: Alarm, actor: Any, reason: str) -> Alarm:
    """A supervisor says they know (with why: "officers at a stabbing"), which stops the
    repeats; audited."""
    reason = reason.strip()
    if not reason:
        raise TrackingInputError("say why, in a few words: the acknowledgement is audited")
    if problem := markup_problem("The reason", reason):
        raise TrackingInputError(problem)
    if len(reason) > 300:
        raise TrackingInputError("the reason is at most 300 characters")
    alarm = Alarm.objects.select_for_update().get(pk=alarm.pk)
    alarm.acknowledged_at, alarm.acknowledged_by, alarm.reason = timezone.now(), actor, reason
    alarm.save(update_fields=["acknowledged_at", "acknowledged_by", "reason"])
    audit_record(actor=actor, action="alarm.acknowledged", target=alarm,
                 detail={"hotspot": alarm.hotspot_id, "shift": alarm.shift_id,
                         "reason": reason, "detail": alarm.detail})
    return alarm
