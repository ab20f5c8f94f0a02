"""GeoJSON API pieces shared by every app: the WGS84 bounding-box filter, a geometry field
read from a WGS84 annotation, and GeoJSON pages."""

import functools
import threading
from typing import Any

import pyproj
from django.conf import settings
from django.contrib.gis.gdal import AxisOrder, CoordTransform, SpatialReference
from django.contrib.gis.geos import Polygon
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ParseError
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.filters import InBBoxFilter
from rest_framework_gis.pagination import GeoJsonPagination


class WgsInBBoxFilter(InBBoxFilter):
    """`?in_bbox=min_lon,min_lat,max_lon,max_lat` in WGS84, whatever the column's CRS.

    The library's filter builds an SRID-less polygon, which PostGIS would read in the
    column's metric CRS; this one says the box is WGS84 so it is transformed first.
    """

    def get_filter_bbox(self, request: Any) -> Polygon | None:
        text = request.query_params.get(self.bbox_param)
        if not text:
            return None
        try:
            p1x, p1y, p2x, p2y = (float(n) for n in text.split(","))
        except ValueError:
            raise ParseError(
                f"in_bbox must be min_lon,min_lat,max_lon,max_lat; got {text!r}"
            ) from None
        if not (-180 <= p1x < p2x <= 180 and -90 <= p1y < p2y <= 90):
            raise ParseError("in_bbox must be min_lon,min_lat,max_lon,max_lat within the globe")
        # Clipped to where the data's projection is valid: a box reaching far outside it
        # transforms into nonsense and matched nothing (issue 15, item 13).
        west, south, east, north = area_of_use(settings.HOTSPOTS_SRID)
        p1x, p1y, p2x, p2y = max(p1x, west), max(p1y, south), min(p2x, east), min(p2y, north)
        if p1x >= p2x or p1y >= p2y:
            return EMPTY
        return _box(p1x, p1y, p2x, p2y)

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        if self.get_filter_bbox(request) is EMPTY:
            return queryset.none()  # the box lies wholly where the data cannot be
        return super().filter_queryset(request, queryset, view)


# A box outside the projection's area of use: nothing can be in it.
EMPTY: Any = object()


@functools.cache
def area_of_use(srid: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees where the CRS is valid, from PROJ's database."""
    found = pyproj.CRS.from_epsg(srid).area_of_use
    if found is None:
        return (-180.0, -90.0, 180.0, 90.0)
    west, south, east, north = found.bounds
    return (west, south, east, north)


def _box(x1: float, y1: float, x2: float, y2: float) -> Polygon:
    box = Polygon.from_bbox((x1, y1, x2, y2))
    box.srid = 4326
    return box


@extend_schema_field({"type": "object", "description": "GeoJSON geometry in WGS84"})
class Wgs84GeometryField(GeometryField):
    """A geometry read from a WGS84 annotation of a metric-CRS column (see selectors)."""

    def __init__(self, source: str, **kwargs: Any) -> None:
        super().__init__(source=source, read_only=True, precision=6, **kwargs)


class GeoPagination(GeoJsonPagination):
    """GeoJSON pages (`?page=`, `?page_size=` up to 10,000) with an accurate schema."""

    max_page_size = 10_000

    def get_paginated_response_schema(self, schema: Any) -> dict[str, Any]:
        # drf-spectacular passes the list serializer's schema, which for GeoJSON is already
        # the FeatureCollection (type, features). The library nests that whole object under
        # "features"; the page really is that FeatureCollection plus the paging fields.
        return {"allOf": [schema, {
            "type": "object", "required": ["type", "count", "features"],
            "properties": {
                "count": {"type": "integer", "example": 123},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
            }}]}


_transforms = threading.local()


def coord_transform(source: int, target: int) -> CoordTransform:
    """A coordinate transformation between two SRIDs, built once per thread and reused:
    building one costs about 25 ms (PROJ chooses its pipeline), applying it about 0.2 ms.
    `geometry.transform(4326)` builds a new one each call, which made a loop of points
    (a demo's pings, a test's track) cost seconds. Longitude first, as GeoJSON has it.
    GDAL's transformations must not be shared between threads, hence one per thread."""
    cache: dict[tuple[int, int], CoordTransform] = _transforms.__dict__.setdefault("by", {})
    if (source, target) not in cache:
        cache[(source, target)] = CoordTransform(
            SpatialReference(source, axis_order=AxisOrder.TRADITIONAL),
            SpatialReference(target, axis_order=AxisOrder.TRADITIONAL))
    return cache[(source, target)]
