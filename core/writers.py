"""Writing rows to CSV, XLSX, GeoJSON and GeoPackage, each marked OFFICIAL-SENSITIVE, with
text that a spreadsheet would run as a formula neutralised. No Django here."""

import csv
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from .errors import Unavailable

MARKING = "OFFICIAL-SENSITIVE"
# A cell starting with one of these is run by Excel, LibreOffice and Sheets as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheets skip leading spaces and control characters before they look for a formula:
# " =1+1" runs as well as "=1+1" does (issue 15, item 9).
_SKIPPED = "".join(chr(c) for c in range(33)) + "\x7f\u00a0\u2000\u2001\u2002\u2003" \
    "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u202f\u205f\u3000\ufeff"


class WriterError(Unavailable):
    """The file could not be written; the message says why."""


def neutralise(value: Any) -> Any:
    """Text that would start a formula, once the spaces and control characters a spreadsheet
    skips are set aside, gets a leading apostrophe (OWASP's advice); numbers stay numbers."""
    if isinstance(value, str) and (value.startswith(FORMULA_START)
                                   or value.lstrip(_SKIPPED).startswith(FORMULA_START)):
        return "'" + value
    return value


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    n = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        out.write(f"# {MARKING}\n")
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([neutralise(v) for v in row])
            n += 1
    return n


def write_xlsx(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]],
               title: str) -> int:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31] or "data")
    sheet.append([MARKING])
    sheet.append(list(columns))
    n = 0
    for row in rows:
        sheet.append([neutralise(_xlsx_text(_plain(v))) for v in row])
        n += 1
    book.save(path)
    _mark_xlsx_header(path)
    return n


def _mark_xlsx_header(path: Path) -> None:
    """The marking in the printed header too (write-only sheets cannot set it)."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    for sheet in book.worksheets:
        sheet.oddHeader.center.text = MARKING
        sheet.oddFooter.center.text = MARKING
    book.save(path)


# Control characters a spreadsheet cannot hold (openpyxl raises on them); tab, newline and
# carriage return are allowed.
_ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _plain(value: Any) -> Any:
    # openpyxl refuses timezone-aware datetimes: write them as ISO 8601 text with offset.
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        return value.isoformat()
    return value


def _xlsx_text(value: Any) -> Any:
    # A bell typed into a visit note stopped a whole spreadsheet export; in a spreadsheet it
    # shows as U+FFFD. CSV and GeoJSON carry such characters as typed.
    return _ILLEGAL_IN_XLSX.sub("\ufffd", value) if isinstance(value, str) else value


def _json_number(value: Any) -> Any:
    # PostgreSQL's numeric arrives as Decimal, which json writes only as text: a harm of
    # "12.5" in a GIS could not be styled or summed (issue 18, item 18).
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def write_geojson(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                  geometry: int) -> int:
    """Rows whose column `geometry` holds GeoJSON geometry text (WGS84)."""
    n = 0
    with path.open("w", encoding="utf-8") as out:
        head = json.dumps({"type": "FeatureCollection", "classification": MARKING})
        out.write(head[:-1] + ', "features": [')
        for row in rows:
            props = {c: neutralise(_json_number(_plain(v)))
                     for i, (c, v) in enumerate(zip(columns, row, strict=True))
                     if i != geometry}
            feature = {"type": "Feature", "geometry": json.loads(row[geometry]) if row[geometry]
                       else None, "properties": props}
            out.write(("," if n else "") + json.dumps(feature, default=str))
            n += 1
        out.write("]}")
    return n


def write_gpkg(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]],
               geometry: int, srid: int, layer: str, geometry_type: str = "POINT") -> int:
    """Rows whose column `geometry` holds WKT in `srid`, through GDAL's ogr2ogr; the layer's
    description carries the marking (QGIS shows it in the layer's properties)."""
    ogr2ogr = shutil.which("ogr2ogr")
    if ogr2ogr is None:
        raise WriterError("ogr2ogr (Debian package gdal-bin) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"{layer}.csv"
        n = 0
        with source.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["wkt", *[c for i, c in enumerate(columns) if i != geometry]])
            for row in rows:
                writer.writerow([row[geometry], *[neutralise(_plain(v)) for i, v in
                                                  enumerate(row) if i != geometry]])
                n += 1
        result = subprocess.run(  # noqa: S603 - fixed arguments, paths we made
            [ogr2ogr, "-f", "GPKG", str(path), str(source), "-nln", layer,
             "-a_srs", f"EPSG:{srid}", "-oo", "GEOM_POSSIBLE_NAMES=wkt",
             "-oo", "KEEP_GEOM_COLUMNS=NO", "-oo", "AUTODETECT_TYPE=YES",
             "-nlt", geometry_type,
             "-lco", f"DESCRIPTION={MARKING}", "-lco", f"IDENTIFIER={layer} ({MARKING})"],
            capture_output=True, text=True, timeout=1800)
        if result.returncode != 0:
            raise WriterError(f"ogr2ogr failed: {result.stderr.strip()[:500]}")
    return n
