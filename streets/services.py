"""Writes for the street layer: import a force's street file, delete a layer."""

import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.gdal import (
    CoordTransform,
    DataSource,
    GDALException,
    OGRGeometry,
    SpatialReference,
)
from django.contrib.gis.gdal.error import SRSException
from django.contrib.gis.gdal.geometries import MultiLineString
from django.db import connection, transaction
from django.utils.encoding import DjangoUnicodeDecodeError

from audit.services import audit_record
from core.errors import InputError

from .models import StreetLayer

if TYPE_CHECKING:
    from accounts.models import User


class StreetImportError(InputError):
    """The street file cannot be imported as asked; the message says why."""


# The fields that carry a street's name and class in the files forces are likely to have:
# OS Open Roads (name1, road_classification), OpenStreetMap extracts (name, highway; fclass
# in Geofabrik's shapefiles) and common council layers.
NAME_FIELDS = ("name1", "name", "road_name", "roadname", "street", "street_name", "NAME")
CLASS_FIELDS = ("road_classification", "highway", "fclass", "class", "road_class",
                "roadclass", "function")
# How important a class of road is: 0 is drawn from zoom 10, 1 from 12, 2 from 14, 3 from
# 15. Open Roads' classes and OpenStreetMap's highway tags, lower-cased.
RANKS = {
    "motorway": 0, "a road": 0, "trunk": 0, "primary": 0, "motorway_link": 0,
    "trunk_link": 0, "primary_link": 0,
    "b road": 1, "secondary": 1, "tertiary": 1, "secondary_link": 1, "tertiary_link": 1,
    "classified unnumbered": 2, "unclassified": 2, "residential": 2, "living_street": 2,
    "not classified": 2, "service": 2, "pedestrian": 2, "road": 2,
}
READERS = ("GPKG", "GeoJSON", "ESRI Shapefile")
# Streets further than this from every area are left out: a national file holds millions
# of lines the force never patrols.
CLIP_MARGIN_M = 1000
MAX_FEATURES = 2_000_000


def road_rank(road_class: str) -> int:
    return RANKS.get(road_class.strip().lower(), 3)


def _open(path: Path, layer: str | None) -> Any:
    if not path.exists():
        raise StreetImportError(f"{path.name}: no such file")
    # A zipped Shapefile is read inside its zip (GDAL's /vsizip/).
    where = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        source = DataSource(where)
    except GDALException as exc:
        raise StreetImportError(f"{path.name}: not a street file GDAL can read "
                                "(GeoPackage, GeoJSON or Shapefile)") from exc
    # Only the street formats: GDAL picks a reader by a file's content, and some readers
    # (a VRT in a .json, CSV:, PG:) read other files or databases once a layer is touched.
    # The reader is checked before any layer is.
    if source.driver.name not in READERS:
        raise StreetImportError(f"{path.name}: a {source.driver.name} file, not a GeoPackage, "
                                "GeoJSON or Shapefile")
    names = [source[i].name for i in range(source.layer_count)]
    if layer is None:
        # OS Open Roads' GeoPackage holds road_link (the lines) and road_node (points).
        return source["road_link"] if "road_link" in names else source[0]
    if layer not in names:
        raise StreetImportError(f"{path.name}: no layer {layer!r}; layers are "
                                f"{', '.join(names)}")
    return source[layer]


def _field(lyr: Any, asked: str | None, known: tuple[str, ...], what: str) -> str | None:
    fields = list(lyr.fields)
    if asked:
        if asked not in fields:
            raise StreetImportError(f"no field {asked!r} for the {what}; fields are "
                                    f"{', '.join(fields)}")
        return asked
    return next((f for f in known if f in fields), None)


def _transform(lyr: Any, source_srid: int | None) -> CoordTransform:
    try:
        srs = lyr.srs or (SpatialReference(source_srid) if source_srid else None)
    except (SRSException, GDALException) as exc:
        raise StreetImportError(f"unknown source SRID {source_srid}") from exc
    if srs is None:
        raise StreetImportError("the layer has no coordinate system; give its SRID")
    # One transformation for every line: building one per feature costs milliseconds each.
    return CoordTransform(srs, SpatialReference(settings.HOTSPOTS_SRID))


def _lines(geom: OGRGeometry) -> list[OGRGeometry]:
    """A line as itself, a multi-line as its parts; anything else is no street."""
    if isinstance(geom, MultiLineString):
        return [geom[i] for i in range(geom.geom_count)]
    if geom.geom_type.name.replace("25D", "") == "LineString":
        return [geom]
    return []


def _text(value: Any) -> str:
    """A field's text with control characters and markup brackets taken out: names are
    drawn on maps and printed, and a tag in one is never wanted."""
    text = "".join(" " if unicodedata.category(ch).startswith("C") or ch in "<>" else ch
                   for ch in str(value or ""))
    return " ".join(text.split())


def _rows(lyr: Any, ct: CoordTransform, name_field: str | None,
          class_field: str | None) -> Any:
    for feature in lyr:
        ogr = feature.geom
        if ogr is None:
            continue
        ogr = ogr.clone()
        ogr.set_3d(False)
        ogr.transform(ct)
        try:
            name = _text(feature.get(name_field)) if name_field else ""
            road_class = _text(feature.get(class_field)) if class_field else ""
        except DjangoUnicodeDecodeError as exc:
            raise StreetImportError(f"feature {feature.fid}: a name that is not UTF-8 text; "
                                    "save the file as UTF-8") from exc
        name, road_class = name[:200], road_class[:60]
        rank = road_rank(road_class)
        for line in _lines(ogr):
            yield name, road_class, rank, bytes(line.wkb)


@transaction.atomic
def streets_import(*, path: Path, name: str, actor: "User | None", attribution: str = "",
                   layer: str | None = None, name_field: str | None = None,
                   class_field: str | None = None, source_srid: int | None = None,
                   clip_to_areas: bool = True) -> StreetLayer:
    """Import a street file (GeoPackage, GeoJSON or Shapefile of lines) as the newest street
    layer; lines further than CLIP_MARGIN_M from every area are left out."""
    lyr = _open(path, layer)
    if lyr.geom_type.name.replace("25D", "") not in ("LineString", "MultiLineString",
                                                      "Unknown"):
        raise StreetImportError(f"{path.name}: the layer holds {lyr.geom_type.name}, "
                                "not street lines")
    if len(lyr) > MAX_FEATURES:
        raise StreetImportError(f"{path.name}: {len(lyr):,} lines; cut the file to the "
                                f"force's area first (at most {MAX_FEATURES:,})")
    name_col = _field(lyr, name_field, NAME_FIELDS, "street name")
    class_col = _field(lyr, class_field, CLASS_FIELDS, "road class")
    ct = _transform(lyr, source_srid)
    street_layer = StreetLayer.objects.create(
        name=name.strip()[:120] or path.stem, source_file=path.name[:255],
        attribution=attribution.strip()[:255], imported_by=actor)
    with connection.cursor() as cur:
        # Dropped here as well as on commit: two imports can share one transaction.
        cur.execute("DROP TABLE IF EXISTS street_stage")
        cur.execute("CREATE TEMP TABLE street_stage (name text, road_class text, rank int, "
                    "wkb bytea) ON COMMIT DROP")
        try:
            with cur.copy("COPY street_stage FROM STDIN") as copy:
                for row in _rows(lyr, ct, name_col, class_col):
                    copy.write_row(row)
        except GDALException as exc:
            raise StreetImportError(f"{path.name}: a line could not be read ({exc})") from exc
        count = _store(cur, street_layer.pk, clip_to_areas)
        cur.execute("DROP TABLE street_stage")
    if count == 0:
        raise StreetImportError(f"{path.name}: no street lines in or near the force's areas")
    street_layer.streets = count
    street_layer.save(update_fields=["streets"])
    audit_record(actor=actor, action="streets.import", target=street_layer,
                 detail={"file": street_layer.source_file, "streets": count,
                         "name_field": name_col or "", "class_field": class_col or ""})
    return street_layer


def _store(cur: Any, layer_id: int, clip: bool) -> int:
    """Staged lines into the layer, set-based: valid, non-empty, near an area."""
    cur.execute(
        """
        WITH box AS (SELECT ST_Expand(ST_Extent(geom)::geometry, %(margin)s) AS b
                       FROM accounts_area)
        INSERT INTO streets_street (layer_id, name, road_class, rank, geom)
        SELECT %(layer)s, s.name, s.road_class, s.rank,
               ST_SetSRID(ST_GeomFromWKB(s.wkb), %(srid)s)
          FROM street_stage s, box
         WHERE NOT ST_IsEmpty(ST_GeomFromWKB(s.wkb))
           AND ST_NPoints(ST_GeomFromWKB(s.wkb)) >= 2
           AND (NOT %(clip)s OR box.b IS NULL
                OR ST_SetSRID(ST_GeomFromWKB(s.wkb), %(srid)s) && box.b)
        """, {"margin": CLIP_MARGIN_M, "layer": layer_id, "srid": settings.HOTSPOTS_SRID,
              "clip": clip})
    return int(cur.rowcount)


@transaction.atomic
def street_layer_delete(*, layer: StreetLayer, actor: "User | None") -> None:
    audit_record(actor=actor, action="streets.delete", target=layer,
                 detail={"name": layer.name, "streets": layer.streets})
    layer.delete()
