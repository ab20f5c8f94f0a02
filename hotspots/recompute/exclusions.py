"""Exclusion areas: places no hot spot may be chosen in."""

import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon
from django.db import transaction

from accounts.models import Area
from audit.services import audit_record
from core.text import markup_problem

from ..models import ExclusionArea
from .params import RunInputError

if TYPE_CHECKING:
    from accounts.models import User

MAX_EXCLUSION_M2 = 5_000_000  # 5 km²: a prison or a hospital, not a district


@transaction.atomic
def exclusion_area_create(*, actor: "User | None", area: Area, name: str, reason: str,
                          geometry: dict[str, Any]) -> ExclusionArea:
    """Rule a place out of targeting; the shape comes as WGS84 GeoJSON from the map."""

    if problem := markup_problem("the name and reason", name, reason):
        raise RunInputError(problem)
    shape = _checked_shape(geometry, area)
    if not name.strip() or not reason.strip():
        raise RunInputError("give the place a name and say why it is excluded")
    exclusion = ExclusionArea.objects.create(area=area, name=name.strip()[:200],
                                             reason=reason.strip(), geom=shape, created_by=actor)
    audit_record(actor=actor, action="exclusion_area.create", target=exclusion,
                 detail={"area": area.code, "name": exclusion.name, "m2": round(shape.area)})
    return exclusion


def _checked_shape(geometry: dict[str, Any], area: Area) -> MultiPolygon:
    """A WGS84 GeoJSON polygon from the map, as a MultiPolygon on the force's grid, once it
    is valid, inside the area and no bigger than an exclusion may be."""
    try:
        shape: Any = GEOSGeometry(json.dumps(geometry), srid=4326)
    except (GEOSException, GDALException, ValueError, TypeError):
        raise RunInputError("the shape is not a GeoJSON polygon") from None
    if shape.geom_type == "Polygon":
        shape = MultiPolygon(shape, srid=4326)
    if shape.geom_type != "MultiPolygon" or shape.empty:
        raise RunInputError("the shape must be a polygon")
    if not shape.valid:
        raise RunInputError(f"the shape is not valid: {shape.valid_reason}")
    west, south, east, north = shape.extent
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise RunInputError("the shape has points off the globe: longitude is -180 to 180 and "
                            "latitude -90 to 90")
    try:
        shape.transform(settings.HOTSPOTS_SRID)
    except GDALException:
        raise RunInputError("the shape cannot be placed on the force's map grid") from None
    if not shape.intersects(area.geom):
        raise RunInputError(f"the shape lies outside {area.name}")
    if shape.area > MAX_EXCLUSION_M2:
        raise RunInputError(f"the shape covers {shape.area / 1e6:.1f} km²; an exclusion area "
                            f"may cover at most {MAX_EXCLUSION_M2 / 1e6:.0f} km²")
    return shape


def exclusion_state(exclusion: ExclusionArea) -> dict[str, Any]:
    """What an exclusion's audit events compare: its name, reason and size."""
    return {"name": exclusion.name, "reason": exclusion.reason,
            "m2": round(exclusion.geom.area)}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Both sides of a change, each with only the fields that changed."""
    return {"before": {k: v for k, v in before.items() if after.get(k) != v},
            "after": {k: v for k, v in after.items() if before.get(k) != v}}


@transaction.atomic
def exclusion_area_update(*, actor: "User | None", exclusion: ExclusionArea,
                          name: str | None = None, reason: str | None = None,
                          geometry: dict[str, Any] | None = None) -> ExclusionArea:
    """Rename, re-explain or redraw an exclusion; audited with what changed. It takes
    effect at the next run, as a new one does."""
    locked = ExclusionArea.objects.select_for_update().select_related("area").get(
        pk=exclusion.pk)
    before = exclusion_state(locked)
    new_name = locked.name if name is None else name.strip()
    new_reason = locked.reason if reason is None else reason.strip()
    if problem := markup_problem("the name and reason", new_name, new_reason):
        raise RunInputError(problem)
    if not new_name or not new_reason:
        raise RunInputError("give the place a name and say why it is excluded")
    locked.name, locked.reason = new_name[:200], new_reason
    if geometry is not None:
        locked.geom = _checked_shape(geometry, locked.area)
    locked.save()
    audit_record(actor=actor, action="exclusion_area.update", target=locked,
                 detail=_changes(before, exclusion_state(locked)))
    return locked


@transaction.atomic
def exclusion_area_delete(*, actor: "User | None", exclusion: ExclusionArea) -> None:
    """Let a place be targeted again (from the next run); audited with what it was."""
    audit_record(actor=actor, action="exclusion_area.delete", target=exclusion,
                 detail={"area": exclusion.area.code, "name": exclusion.name,
                         "reason": exclusion.reason, "m2": round(exclusion.geom.area)})
    ExclusionArea.objects.filter(pk=exclusion.pk).delete()


def exclusion_area_changed_by_hand(*, actor: "User | None", exclusion: ExclusionArea,
                                   created: bool,
                                   before: dict[str, Any] | None = None) -> None:
    """The admin saved an exclusion area through its own form (a shape drawn on its map):
    audited as the page's changes are, with what changed (`before`: the stored name,
    reason and m2 the admin's form replaced)."""
    after = exclusion_state(exclusion)
    if created or before is None:
        detail: dict[str, Any] = {"area": exclusion.area.code, **after, "by": "admin"}
    else:
        if before == after:
            return  # saved with nothing changed: nothing to record
        detail = {"area": exclusion.area.code, "by": "admin", **_changes(before, after)}
    audit_record(actor=actor, action="exclusion_area.create" if created
                 else "exclusion_area.update", target=exclusion, detail=detail)
