"""Officers' visits, stored exactly once by the phone's id."""

import functools
import hashlib
import json
import math
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from core.text import markup_problem
from hotspots.models import Hotspot

from ..models import Visit
from .alarms import alarms_clear_on_arrival
from .errors import TrackingInputError, VisitConflict
from .pings import _number

VISIT_FIELDS = ("hotspot", "task", "started_at", "ended_at", "start", "end", "activities",
                "notes", "retrospective")


def _body_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps({k: body.get(k) for k in VISIT_FIELDS}, sort_keys=True,
                           default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@functools.cache
def _to_metric() -> CoordTransform:
    # Built once per process: making a WGS84-to-grid transformation costs about 15 ms
    # (PROJ chooses its pipeline); applying it costs microseconds.
    return CoordTransform(SpatialReference(4326), SpatialReference(settings.HOTSPOTS_SRID))


def _point(fix: dict[str, Any] | None) -> tuple[Point | None, float | None]:
    if not fix:
        return None, None
    lat, lon = _number(fix.get("lat")), _number(fix.get("lon"))
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        raise TrackingInputError("a location needs a latitude (-90 to 90) and longitude "
                                 "(-180 to 180)")
    acc = _number(fix.get("accuracy"))
    point = Point(lon, lat, srid=4326)
    point.transform(_to_metric())
    return point, acc if math.isfinite(acc) else None


def _inside(hotspot: Hotspot, point: Point | None, accuracy: float | None) -> bool | None:
    if point is None:
        return None
    slack = settings.VISIT_TOLERANCE_M + min(accuracy or 0.0, settings.PING_MAX_ACCURACY_M)
    return bool(hotspot.geom.distance(point) <= slack)


def visit_record(*, officer: User, visit_id: uuid.UUID, body: dict[str, Any],
                 hotspot: Hotspot, task: Any, started_at: datetime,
                 ended_at: datetime | None) -> tuple[Visit, bool]:
    """Store an officer's visit once under the phone's id: the same id and body again is
    answered with the stored visit; the same id with another body is a conflict."""
    digest = _body_hash(body)
    now = timezone.now()
    if started_at > now + timedelta(seconds=settings.PING_MAX_FUTURE_SECONDS):
        raise TrackingInputError("the visit starts in the future: check the phone's clock")
    if ended_at is not None and ended_at < started_at:
        raise TrackingInputError("the visit ends before it starts")
    if ended_at is not None and ended_at - started_at > timedelta(hours=12):
        raise TrackingInputError("a visit lasts at most 12 hours")
    if problem := markup_problem("the notes", body.get("notes")):
        raise TrackingInputError(problem)
    activities = body.get("activities") or []
    if not isinstance(activities, list) or not set(activities) <= set(Visit.Activity.values):
        raise TrackingInputError(f"activities are from {', '.join(Visit.Activity.values)}")
    start, start_acc = _point(body.get("start"))
    end, end_acc = _point(body.get("end"))
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                id=visit_id, officer=officer, hotspot=hotspot, task=task,
                started_at=started_at, ended_at=ended_at, start_point=start,
                start_accuracy_m=start_acc, end_point=end, end_accuracy_m=end_acc,
                start_inside=_inside(hotspot, start, start_acc),
                end_inside=_inside(hotspot, end, end_acc), activities=sorted(set(activities)),
                notes=str(body.get("notes") or "")[:5000],
                retrospective=bool(body.get("retrospective")), body_hash=digest)
            # Who logged which visit, and when; its place stays in the visit, not the trail.
            audit_record(actor=officer, action="visit.create", target=visit,
                         detail={"hotspot": hotspot.pk, "task": getattr(task, "pk", None),
                                 "retrospective": visit.retrospective,
                                 "start_inside": visit.start_inside,
                                 "names": {f"hotspot:{hotspot.pk}":
                                           hotspot.name or hotspot.key}})
            # Someone has arrived: its alarm clears now, not at the next check (issue 20).
            if not visit.retrospective:
                alarms_clear_on_arrival(hotspot_id=hotspot.pk, at=started_at)
    except IntegrityError:
        # Sent before (or twice at once): the stored visit answers if it is the same one.
        # Trying the insert first keeps the common case, a new visit, to one statement.
        existing = Visit.objects.filter(pk=visit_id).first()
        if existing is None:
            raise
        if existing.body_hash != digest or existing.officer_id != officer.pk:
            raise VisitConflict("a different visit was already sent with this id") from None
        return existing, False
    return visit, True


@transaction.atomic
def observation_act(*, visit: Visit, actor: Any, comment: str, undo: bool = False) -> Visit:
    """Mark an officer's observation (their notes at a visit) acted on, with what was done:
    the officer sees it on My patrols (issue 19). Marking again replaces the comment; both
    are audited."""
    comment = comment.strip()
    if problem := markup_problem("What was done", comment):
        raise TrackingInputError(problem)
    if len(comment) > 300:
        raise TrackingInputError("say what was done in at most 300 characters")
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if not visit.notes:
        raise TrackingInputError("this visit has no notes to act on")
    before = {"acted_at": visit.notes_acted_at.isoformat() if visit.notes_acted_at else None,
              "comment": visit.notes_acted_comment}
    if undo and visit.notes_acted_at is None:
        return visit  # nothing to take away: no event
    visit.notes_acted_at, visit.notes_acted_by = (None, None) if undo else (timezone.now(),
                                                                            actor)
    visit.notes_acted_comment = "" if undo else comment
    visit.save(update_fields=["notes_acted_at", "notes_acted_by", "notes_acted_comment"])
    audit_record(actor=actor, action="visit.observation_unmarked" if undo
                 else "visit.observation_acted_on", target=visit,
                 detail={"hotspot": visit.hotspot_id, "before": before,
                         "comment": visit.notes_acted_comment})
    return visit
