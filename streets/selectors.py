"""Reads of the street layer: the layer maps draw, its vector tiles, and the streets of a
printed map."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from .models import StreetLayer

# From which zoom each rank is drawn (services.RANKS): a city's every footpath at zoom 10
# would be megabytes a tile and a grey smear.
RANK_FROM_ZOOM = ((15, 3), (14, 2), (12, 1), (10, 0))
MAX_ZOOM = 20
# Tiles at zoom 15 hold every rank; the browser draws closer zooms from them.
MAX_DATA_ZOOM = 15


def current_layer() -> StreetLayer | None:
    """The newest street layer: the one every map draws."""
    return StreetLayer.objects.order_by("-imported_at", "-id").first()


def max_rank(z: int) -> int | None:
    return next((rank for zoom, rank in RANK_FROM_ZOOM if z >= zoom), None)


TILE_SQL = """
WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e),
     box AS (SELECT ST_Transform(ST_Expand(e, (ST_XMax(e) - ST_XMin(e)) / 16), %(srid)s) AS b
               FROM env),
     lines AS (
        SELECT ST_AsMVTGeom(ST_Transform(s.geom, 3857), env.e, 4096, 64, true) AS geom,
               s.name, s.rank
          FROM streets_street s, env, box
         WHERE s.layer_id = %(layer)s AND s.rank <= %(rank)s AND s.geom && box.b
)
SELECT ST_AsMVT(lines, 'streets', 4096, 'geom') FROM lines WHERE geom IS NOT NULL
"""


def tile(*, layer_id: int, z: int, x: int, y: int) -> bytes:
    """One Mapbox vector tile (layer "streets": name, rank) of the street layer; empty
    where nothing is drawn at this zoom."""
    rank = max_rank(z)
    if rank is None:
        return b""
    with connection.cursor() as cur:
        cur.execute(TILE_SQL, {"z": z, "x": x, "y": y, "srid": settings.HOTSPOTS_SRID,
                               "layer": layer_id, "rank": rank})
        row = cur.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


@dataclass(frozen=True)
class PrintedStreet:
    path: str          # SVG path data (ST_AsSVG: y is -y)
    name: str          # "" where this piece carries no label (one label per street name)
    rank: int
    label_x: float     # the piece's middle, in the layer's metres
    label_y: float
    angle: float       # degrees, kept upright


def streets_in_box(*, x0: float, y0: float, x1: float, y1: float,
                   limit: int = 4000) -> list[PrintedStreet]:
    """The current layer's streets in a box (project SRID), clipped to it, for a printed
    map: every line, and each name once, on the middle of its longest piece."""
    layer = current_layer()
    if layer is None:
        return []
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH box AS (SELECT ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, %(srid)s) b),
                 clipped AS (
                    SELECT s.name, s.rank, ST_Intersection(s.geom, box.b) AS g
                      FROM streets_street s, box
                     WHERE s.layer_id = %(layer)s AND s.geom && box.b
                     ORDER BY s.rank, s.id LIMIT %(limit)s),
                 parts AS (
                    SELECT name, rank, (ST_Dump(g)).geom AS g FROM clipped
                     WHERE NOT ST_IsEmpty(g)),
                 lines AS (
                    SELECT name, rank, g,
                           name <> '' AND row_number() OVER (
                               PARTITION BY name ORDER BY ST_Length(g) DESC) = 1 AS labelled
                      FROM parts WHERE GeometryType(g) = 'LINESTRING')
            SELECT name, rank, ST_AsSVG(g, 0, 1), labelled,
                   ST_X(ST_LineInterpolatePoint(g, 0.5)), ST_Y(ST_LineInterpolatePoint(g, 0.5)),
                   degrees(ST_Azimuth(ST_LineInterpolatePoint(g, 0.45),
                                      ST_LineInterpolatePoint(g, 0.55)))
              FROM lines
             ORDER BY rank DESC, name
            """, {"x0": x0, "y0": y0, "x1": x1, "y1": y1, "srid": settings.HOTSPOTS_SRID,
                  "layer": layer.pk, "limit": limit})
        rows = cur.fetchall()
    out = []
    for name, rank, path, labelled, lx, ly, azimuth in rows:
        angle = 0.0
        if labelled and azimuth is not None:
            # Azimuth is clockwise from north; SVG rotates clockwise from east. Kept between
            # -90 and 90 so no name is printed upside down.
            angle = (float(azimuth) - 90.0) % 180.0
            if angle > 90:
                angle -= 180
        out.append(PrintedStreet(path=path, name=name if labelled else "", rank=rank,
                                 label_x=lx, label_y=ly, angle=angle))
    return out
