"""Writes for accounts: area boundaries, teams, users."""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.gdal import DataSource, GDALException, OGRGeometry, SpatialReference
from django.contrib.gis.gdal.error import SRSException
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection, transaction

from audit.services import audit_record
from core.errors import InputError

from .models import Area
from .signals import areas_changed

if TYPE_CHECKING:
    from .models import User


class AreaImportError(InputError):
    """The boundary file cannot be imported as asked; the message says why."""


@dataclass(frozen=True)
class AreaImportResult:
    created: int
    updated: int
    repaired: int
    crimes_moved: int = 0  # stored crimes whose area changed with these boundaries

    def summary(self) -> str:
        return (f"areas created: {self.created}, updated: {self.updated}, "
                f"invalid geometries repaired: {self.repaired}, "
                f"crimes given a new area: {self.crimes_moved:,}")


def _open_layer(path: Path, layer: str | None) -> Any:
    if not path.exists():
        raise AreaImportError(f"{path}: no such file")
    try:
        source = DataSource(str(path))
    except GDALException as exc:
        raise AreaImportError(f"{path}: not a boundary file GDAL can read ({exc})") from exc
    if layer is None:
        return source[0]
    names = [source[i].name for i in range(source.layer_count)]
    if layer not in names:
        raise AreaImportError(f"{path}: no layer {layer!r}; layers are {', '.join(names)}")
    return source[layer]


def _import_parent(parent_code: str | None, level: int) -> Area | None:
    if not parent_code:
        return None
    parent = Area.objects.filter(code=parent_code).first()
    if parent is None:
        raise AreaImportError(f"parent area {parent_code!r} does not exist")
    if parent.level >= level:
        raise AreaImportError(
            f"parent {parent_code!r} is a {parent.get_level_display()}, not above level {level}"
        )
    return parent


def _checked_layer(path: Path, layer: str | None, fields_wanted: tuple[str, ...]) -> Any:
    """The layer, once it has the fields asked for and polygons."""
    lyr = _open_layer(path, layer)
    fields = list(lyr.fields)
    for wanted in fields_wanted:
        if wanted not in fields:
            raise AreaImportError(
                f"{path}: no field {wanted!r}; fields are {', '.join(fields)}"
            )
    if lyr.geom_type.name.replace("25D", "") not in ("Polygon", "MultiPolygon", "Unknown"):
        raise AreaImportError(f"{path}: layer holds {lyr.geom_type.name}, not polygons")
    return lyr


def _layer_srs(path: Path, lyr: Any, source_srid: int | None) -> SpatialReference:
    try:
        srs = lyr.srs or (SpatialReference(source_srid) if source_srid else None)
    except (SRSException, GDALException) as exc:
        raise AreaImportError(f"unknown source SRID {source_srid}") from exc
    if srs is None:
        raise AreaImportError(f"{path}: the layer has no coordinate system; give --srid")
    return srs


def _feature_geom(feature: Any, srs: SpatialReference, target: SpatialReference,
                  where: str) -> MultiPolygon:
    """A feature's polygon(s) in the project's SRID, always as a MultiPolygon."""
    ogr: OGRGeometry = feature.geom.clone()
    ogr.srs = srs
    ogr.transform(target)
    geom = GEOSGeometry(ogr.wkb, srid=settings.HOTSPOTS_SRID)
    if geom.geom_type == "Polygon":
        return MultiPolygon(geom, srid=settings.HOTSPOTS_SRID)
    if not isinstance(geom, MultiPolygon):
        raise AreaImportError(f"{where} is a {geom.geom_type}")
    return geom


@transaction.atomic
def areas_import(
    *,
    path: Path,
    level: int,
    name_field: str,
    code_field: str,
    parent_code: str | None = None,
    layer: str | None = None,
    source_srid: int | None = None,
) -> AreaImportResult:
    """Create or update areas (matched by code) from a GeoPackage, GeoJSON or Shapefile layer."""
    lyr = _checked_layer(path, layer, (name_field, code_field))
    parent = _import_parent(parent_code, level)
    srs = _layer_srs(path, lyr, source_srid)
    target = SpatialReference(settings.HOTSPOTS_SRID)

    created = updated = 0
    seen: set[str] = set()
    for index, feature in enumerate(lyr, start=1):
        code = str(feature.get(code_field) or "").strip()
        name = str(feature.get(name_field) or "").strip()
        if not code or not name:
            raise AreaImportError(f"{path}: feature {index} has no {code_field} or {name_field}")
        if code in seen:
            raise AreaImportError(f"{path}: code {code!r} appears twice")
        seen.add(code)
        geom = _feature_geom(feature, srs, target, f"{path}: feature {index} ({code})")
        _, was_created = Area.objects.update_or_create(
            code=code, defaults={"name": name, "level": level, "parent": parent, "geom": geom}
        )
        created += was_created
        updated += not was_created
    if not seen:
        raise AreaImportError(f"{path}: the layer has no features")
    repaired = _areas_repair(codes=sorted(seen))
    moved = areas_rebuild_index()
    return AreaImportResult(created=created, updated=updated, repaired=repaired,
                            crimes_moved=moved)


@transaction.atomic
def areas_changed_by_hand(*, actor: "User | None", action: str, areas: list[Area]) -> int:
    """Areas were added, edited or deleted in the admin (the rows are already written or
    about to be deleted, in this transaction): repair what was drawn, rebuild paths, parts
    and crimes' areas, and audit it. Returns how many crimes changed area."""
    for area in areas:
        audit_record(actor=actor, action=action, target=area,
                     detail={"code": area.code, "name": area.name, "through": "admin"})
    _areas_repair(codes=[a.code for a in areas])
    return areas_rebuild_index()


def _areas_repair(*, codes: list[str]) -> int:
    # Boundary files often carry self-intersections; ST_MakeValid keeps the polygon parts.
    with connection.cursor() as cur:
        cur.execute(
            """
            UPDATE accounts_area
               SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3))
             WHERE code = ANY(%s) AND NOT ST_IsValid(geom)
            """,
            [codes],
        )
        return cur.rowcount


@transaction.atomic
def area_create_from_children(*, code: str, name: str, level: int, child_codes: list[str]) -> Area:
    """Create (or reshape) a parent area as the union of existing areas, and adopt them."""
    children = list(Area.objects.filter(code__in=child_codes))
    missing = set(child_codes) - {c.code for c in children}
    if missing:
        raise AreaImportError(f"no areas with codes {', '.join(sorted(missing))}")
    if any(c.level <= level for c in children):
        raise AreaImportError("children must be at a lower level than their parent")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_AsEWKB(ST_Multi(ST_Union(geom))) FROM accounts_area WHERE code = ANY(%s)",
            [child_codes],
        )
        union = GEOSGeometry(memoryview(cur.fetchone()[0]))
    parent, _ = Area.objects.update_or_create(
        code=code, defaults={"name": name, "level": level, "geom": union}
    )
    Area.objects.filter(code__in=child_codes).update(parent=parent)
    areas_rebuild_index()
    return parent


def areas_rebuild_index() -> int:
    """Recompute every area's path, its subdivided parts and every crime's area, set-based;
    returns how many crimes changed area. Boundaries drawn after the crimes were imported,
    redrawn or deleted would otherwise leave crimes out of their area's hot spots."""
    with transaction.atomic(), connection.cursor() as cur:
        # Self-exclusive, and it waits for running crime imports (which hold SHARE on the
        # parts until they commit) while new ones wait for it: no crime keeps an area found
        # in the parts this replaces.
        cur.execute("LOCK TABLE accounts_areapart IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(
            """
            WITH RECURSIVE tree AS (
                SELECT id, '/' || id || '/' AS path FROM accounts_area WHERE parent_id IS NULL
                UNION ALL
                SELECT a.id, t.path || a.id || '/' FROM accounts_area a JOIN tree t
                  ON a.parent_id = t.id
            )
            UPDATE accounts_area a SET path = tree.path FROM tree
             WHERE a.id = tree.id AND a.path IS DISTINCT FROM tree.path
            """
        )
        # What the parts were, to find where they changed: ST_Subdivide cuts the same
        # boundary the same way, so an unchanged area gives byte-identical parts.
        cur.execute("CREATE TEMP TABLE areapart_before ON COMMIT DROP AS "
                    "SELECT area_id, is_leaf, ST_AsEWKB(geom) AS g FROM accounts_areapart")
        cur.execute("DELETE FROM accounts_areapart")
        # A leaf keeps its whole boundary. An area with children keeps only what its
        # children leave uncovered: a point there has no leaf and takes the deepest such
        # area. A force tiled by its BCUs then has no parts of its own, so the importer's
        # fallback for points outside every leaf costs next to nothing (docs/adr/0002).
        cur.execute(
            """
            INSERT INTO accounts_areapart (area_id, level, is_leaf, geom)
            SELECT a.id, a.level, c.children IS NULL,
                   ST_Subdivide(CASE WHEN c.children IS NULL THEN a.geom ELSE
                       ST_CollectionExtract(ST_Difference(a.geom, c.children), 3) END, 64)
              FROM accounts_area a
              CROSS JOIN LATERAL (SELECT ST_Union(ch.geom) AS children
                                    FROM accounts_area ch WHERE ch.parent_id = a.id) c
            """
        )
        # Crimes can change area only inside a part that was removed or added.
        cur.execute(
            """
            CREATE TEMP TABLE areas_changed ON COMMIT DROP AS
            SELECT ST_GeomFromEWKB(g) AS geom FROM (
                (SELECT area_id, is_leaf, g FROM areapart_before
                 EXCEPT SELECT area_id, is_leaf, ST_AsEWKB(geom) FROM accounts_areapart)
                UNION ALL
                (SELECT area_id, is_leaf, ST_AsEWKB(geom) FROM accounts_areapart
                 EXCEPT SELECT area_id, is_leaf, g FROM areapart_before)) changed
            """
        )
        # What sits in areas (crime) is moved by its own app, which listens (accounts sits
        # below hotspots and imports none of it).
        moved = sum(int(n or 0) for _, n in areas_changed.send(sender=Area, cursor=cur))
        cur.execute("DROP TABLE areapart_before, areas_changed")
        return moved
