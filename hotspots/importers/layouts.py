"""Column layouts: how a source's header maps onto a crime, and the per-row conversion."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InputError
from core.params import json_loads
from core.text import markup_problem

from .errors import ImportInputError
from .parse import DateParser, RowReject, parse_coordinate, parse_projected

# A staged row: (reference, content key, type id, from, to, x, y, location, lsoa, outcome)
StagedRow = tuple[str | None, str | None, int, str, str, float, float, str, str, str]
Converter = Callable[[list[str]], StagedRow]

POLICE_UK_REQUIRED = ("Month", "Longitude", "Latitude", "Crime type")
MAPPING_FIELDS = ("reference", "date", "from", "to", "lon", "lat", "x", "y", "type",
                  "location", "lsoa", "outcome")
MAPPING_OPTIONS = ("columns", "srid", "delimiter", "date_format", "date_precision", "types",
                   "default_type", "timezone")
MAX_TEXT = 255


def mapping_from_json(text: str) -> dict[str, Any]:
    """A column mapping typed as JSON text; ImportInputError says what is wrong with it."""
    if not text.strip():
        return {}
    try:
        parsed = json_loads(text, name="the mapping")
    except InputError as exc:
        raise ImportInputError(str(exc)) from None
    if not isinstance(parsed, dict):
        raise ImportInputError("the mapping must be a JSON object")
    if problem := markup_problem("the mapping", *_texts(parsed)):
        raise ImportInputError(problem)
    return parsed


def _texts(value: Any) -> list[str]:
    """Every key and string value in a parsed mapping (its depth is already bounded)."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (str(k), *_texts(v))]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return [value] if isinstance(value, str) else []


def content_key(fields: list[str]) -> str:
    """A stable digest of a row's whole content, for sources that give no id."""
    return hashlib.blake2b("\x1f".join(fields).encode(), digest_size=16).hexdigest()


class TypeResolver:
    """Finds the offence type id for a source's type text: explicit mapping, then name/alias."""

    def __init__(self, types: list[dict[str, Any]], mapping: dict[str, str] | None = None,
                 default_code: str | None = None) -> None:
        by_key: dict[str, int] = {}
        by_code: dict[str, int] = {}
        for t in types:
            by_code[t["code"]] = t["id"]
            for key in (t["code"], t["name"], *t["aliases"]):
                by_key[key.strip().casefold()] = t["id"]
        for raw, code in (mapping or {}).items():
            if code not in by_code:
                raise ImportInputError(
                    f"type mapping: {raw!r} maps to unknown offence type {code!r}")
            by_key[str(raw).strip().casefold()] = by_code[code]
        self.by_key = by_key
        # Every id this resolver can hand out: the importer locks them while it inserts.
        self.ids = frozenset(by_code.values())
        self.default: int | None = None
        if default_code:
            if default_code not in by_code:
                raise ImportInputError(f"default offence type {default_code!r} does not exist")
            self.default = by_code[default_code]

    def resolve(self, raw: str) -> int:
        found = self.by_key.get(raw.strip().casefold())
        if found is not None:
            return found
        # The default covers rows with no type (or a file with no type column), never a
        # type the analyst has not mapped: that would hide a mistake in the mapping.
        if self.default is not None and not raw.strip():
            return self.default
        raise RowReject("unknown offence type", repr(raw))


def _column(header: list[str], name: str, file: str) -> int:
    try:
        return header.index(name)
    except ValueError:
        raise ImportInputError(
            f"{file}: no column {name!r}; the header has: {', '.join(header) or '(nothing)'}"
        ) from None


@dataclass
class Layout:
    srid: int
    delimiter: str | None
    build: Callable[[list[str], str], Converter]
    # The offence type ids its rows can carry (the crime table has no per-row key check).
    type_ids: frozenset[int] = frozenset()


def police_uk_layout(*, types: TypeResolver, tz: ZoneInfo) -> Layout:
    dates = DateParser(tz, precision="month")

    def build(header: list[str], file: str) -> Converter:
        missing = [c for c in POLICE_UK_REQUIRED if c not in header]
        if missing:
            raise ImportInputError(
                f"{file}: not a police.uk street file: missing {', '.join(missing)}; "
                f"the header has: {', '.join(header) or '(nothing)'}"
            )
        n = len(header)
        i_month, i_lon, i_lat, i_type = (header.index(c) for c in POLICE_UK_REQUIRED)
        i_id = header.index("Crime ID") if "Crime ID" in header else None
        i_loc = header.index("Location") if "Location" in header else None
        i_lsoa = header.index("LSOA code") if "LSOA code" in header else None
        i_out = header.index("Last outcome category") if "Last outcome category" in header else None

        def convert(f: list[str]) -> StagedRow:
            if len(f) != n:
                raise RowReject("wrong number of fields", f"expected {n}, found {len(f)}")
            ref = f[i_id].strip() if i_id is not None else ""
            lon = parse_coordinate(f[i_lon], "longitude", -180.0, 180.0)
            lat = parse_coordinate(f[i_lat], "latitude", -90.0, 90.0)
            w = dates.window(f[i_month])
            type_id = types.resolve(f[i_type])
            return (
                ref[:128] or None,
                None if ref else content_key(f),
                type_id, w.start_text, w.end_text, lon, lat,
                f[i_loc][:MAX_TEXT] if i_loc is not None else "",
                f[i_lsoa][:16] if i_lsoa is not None else "",
                f[i_out][:MAX_TEXT] if i_out is not None else "",
            )

        return convert

    return Layout(srid=4326, delimiter=",", build=build, type_ids=types.ids)


def _mapping_columns(mapping: dict[str, Any]) -> dict[str, str]:
    """The mapping's shape checked, and its columns (field -> column name)."""
    unknown = set(mapping) - set(MAPPING_OPTIONS)
    if unknown:
        raise ImportInputError(
            f"mapping: unknown option(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(MAPPING_OPTIONS)}"
        )
    raw_columns = mapping.get("columns") or {}
    if not isinstance(raw_columns, dict) or not all(
            isinstance(v, str) and v.strip() for v in raw_columns.values()):
        raise ImportInputError('mapping: "columns" must map fields to column names, '
                               'e.g. {"date": "Date", "lon": "Longitude"}')
    value = mapping.get("types")
    if value is not None and not (isinstance(value, dict) and all(
            isinstance(v, str) for v in value.values())):
        raise ImportInputError('mapping: "types" must map values of the type column to '
                               'offence type codes, e.g. {"BURG": "burglary"}')
    for key in ("default_type", "date_format", "date_precision", "timezone", "delimiter"):
        if mapping.get(key) is not None and not isinstance(mapping[key], str):
            raise ImportInputError(f"mapping: {key} must be text")
    columns: dict[str, str] = dict(raw_columns)
    bad = set(columns) - set(MAPPING_FIELDS)
    if bad:
        raise ImportInputError(
            f"mapping: unknown field(s) {', '.join(sorted(bad))}; "
            f"fields: {', '.join(MAPPING_FIELDS)}"
        )
    has_lonlat = "lon" in columns and "lat" in columns
    has_xy = "x" in columns and "y" in columns
    if has_lonlat == has_xy:
        raise ImportInputError("mapping: give either lon and lat, or x and y (with srid)")
    if "date" not in columns and "from" not in columns:
        raise ImportInputError("mapping: give a date column, or a from column (and optionally to)")
    if "type" not in columns and not mapping.get("default_type"):
        raise ImportInputError("mapping: give a type column or a default_type")
    return columns


def _mapping_crs(mapping: dict[str, Any], has_lonlat: bool,
                 crs_kind: Callable[[int], str | None] | None) -> tuple[int, bool]:
    """The mapping's SRID, and whether its coordinates are geographic (degrees)."""
    try:
        srid = int(mapping.get("srid") or 4326)
    except (TypeError, ValueError, OverflowError):
        raise ImportInputError(f"mapping: srid {mapping.get('srid')!r} is not a number") from None
    if not 0 < srid < 1_000_000:  # EPSG codes are at most six digits
        raise ImportInputError(f"mapping: srid {srid} is not a coordinate reference system "
                               "code (EPSG codes are 1 to 999999)")
    if has_lonlat and srid != 4326:
        raise ImportInputError("mapping: lon/lat are WGS84 (srid 4326); use x and y for other CRSs")
    geographic = has_lonlat
    if crs_kind is not None:
        kind = crs_kind(srid)
        if kind is None:
            raise ImportInputError(
                f"mapping: srid {srid} is not a coordinate reference system this database "
                "knows (27700 is British National Grid)")
        geographic = kind == "geographic"
    return srid, geographic


def _mapping_dates(mapping: dict[str, Any], default_tz: str) -> DateParser:
    try:
        tz = ZoneInfo(str(mapping.get("timezone") or default_tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise ImportInputError(f"mapping: unknown time zone {mapping.get('timezone')!r}") from None
    try:
        return DateParser(tz, date_format=mapping.get("date_format") or None,
                          precision=str(mapping.get("date_precision") or "auto"))
    except ValueError as exc:
        raise ImportInputError(f"mapping: {exc}") from None


def _coords_reader(idx: dict[str, int], geographic: bool,
                   has_lonlat: bool) -> Callable[[list[str]], tuple[float, float]]:
    """Reads a row's coordinates; degrees are range-checked, projected metres only parsed."""
    if geographic:
        i_a, i_b = (idx["lon"], idx["lat"]) if has_lonlat else (idx["x"], idx["y"])

        def degrees(f: list[str]) -> tuple[float, float]:
            return (parse_coordinate(f[i_a], "longitude", -180.0, 180.0),
                    parse_coordinate(f[i_b], "latitude", -90.0, 90.0))
        return degrees
    i_a, i_b = idx["x"], idx["y"]

    def projected(f: list[str]) -> tuple[float, float]:
        return parse_projected(f[i_a], "x"), parse_projected(f[i_b], "y")
    return projected


def _window_reader(idx: dict[str, int],
                   dates: DateParser) -> Callable[[list[str]], tuple[str, str]]:
    """Reads a row's time window as text: one date column, or from (and optionally to)."""
    i_date, i_from, i_to = idx.get("date"), idx.get("from"), idx.get("to")

    def window(f: list[str]) -> tuple[str, str]:
        if i_date is not None:
            w = dates.window(f[i_date])
            start, end, start_text, end_text = w.start, w.end, w.start_text, w.end_text
        else:
            assert i_from is not None
            w = dates.window(f[i_from])
            start, start_text = w.start, w.start_text
            end, end_text = w.end, w.end_text
            if i_to is not None and f[i_to].strip():
                w_to = dates.window(f[i_to])
                end, end_text = w_to.end, w_to.end_text
        if end < start:
            raise RowReject("window ends before it starts", f"{start_text} to {end_text}")
        return start_text, end_text
    return window


def generic_layout(*, mapping: dict[str, Any], types_table: list[dict[str, Any]],
                   default_tz: str,
                   crs_kind: Callable[[int], str | None] | None = None) -> Layout:
    """A layout from a user's column mapping; every mistake in the mapping is explained.

    `crs_kind` says whether the database knows an SRID and whether it is geographic: an
    unknown SRID, or x/y beyond the globe in a geographic one, would otherwise stop the
    whole import in PostGIS instead of being explained or rejected row by row."""
    columns = _mapping_columns(mapping)
    has_lonlat = "lon" in columns and "lat" in columns
    srid, geographic = _mapping_crs(mapping, has_lonlat, crs_kind)
    dates = _mapping_dates(mapping, default_tz)
    types = TypeResolver(types_table, mapping.get("types") or {},
                         mapping.get("default_type") or None)

    def build(header: list[str], file: str) -> Converter:
        idx = {name: _column(header, col, file) for name, col in columns.items()}
        n = len(header)
        i_ref, i_type = idx.get("reference"), idx.get("type")
        i_loc, i_lsoa, i_out = idx.get("location"), idx.get("lsoa"), idx.get("outcome")
        coords = _coords_reader(idx, geographic, has_lonlat)
        window = _window_reader(idx, dates)

        def convert(f: list[str]) -> StagedRow:
            if len(f) != n:
                raise RowReject("wrong number of fields", f"expected {n}, found {len(f)}")
            ref = f[i_ref].strip() if i_ref is not None else ""
            x, y = coords(f)
            start_text, end_text = window(f)
            type_id = types.resolve(f[i_type] if i_type is not None else "")
            return (
                ref[:128] or None,
                None if ref else content_key(f),
                type_id, start_text, end_text, x, y,
                f[i_loc][:MAX_TEXT] if i_loc is not None else "",
                f[i_lsoa][:16] if i_lsoa is not None else "",
                f[i_out][:MAX_TEXT] if i_out is not None else "",
            )

        return convert

    delimiter = mapping.get("delimiter") or None
    if delimiter in ("tab", "\\t"):
        delimiter = "\t"
    return Layout(srid=srid, delimiter=delimiter, build=build, type_ids=types.ids)
