import csv
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hotspots.importers.errors import ImportInputError
from hotspots.models import ImportJob
from hotspots.services import crime_import_paths


class Command(BaseCommand):
    help = (
        "Import recorded crime from police.uk CSVs or zip archives, or from any CSV/TSV with "
        "a column mapping. Ends with one line: read, inserted, duplicate, rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--format", choices=[f.value for f in ImportJob.Format],
                            help="police_uk (default), or generic when a mapping is given")
        parser.add_argument("--source", help="where the records come from (default police.uk "
                            "for police.uk files, else 'force')")
        parser.add_argument("--mapping", help="the column mapping as JSON, or @file.json")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                            help="map one field (date, from, to, lon, lat, x, y, type, "
                            "reference, location, lsoa, outcome) to a column; repeatable")
        parser.add_argument("--type-map", action="append", default=[], metavar="VALUE=CODE",
                            help="map a value of the type column to an offence type code")
        parser.add_argument("--default-type", help="offence type code for rows with no type")
        parser.add_argument("--srid", type=int, help="SRID of x/y columns")
        parser.add_argument("--date-format", help="strptime format of the date columns")
        parser.add_argument("--date-precision", choices=["auto", "month", "day"])
        parser.add_argument("--timezone", help="time zone of the dates (default: TIME_ZONE)")
        parser.add_argument("--delimiter", help="field separator: , ; | or tab")
        parser.add_argument("--rejects", type=Path,
                            help="write every sampled rejected row (file, line, reason) here")

    def _mapping(self, opts: dict[str, Any]) -> dict[str, Any]:
        mapping: dict[str, Any] = {}
        if opts["mapping"]:
            text = opts["mapping"]
            try:
                if text.startswith("@"):
                    text = Path(text[1:]).read_text()
                mapping = json.loads(text)
            except (OSError, json.JSONDecodeError) as exc:
                raise CommandError(f"--mapping: {exc}") from exc
            if not isinstance(mapping, dict):
                raise CommandError("--mapping must be a JSON object")
        # A malformed mapping is left as it is: the layout explains what is wrong with it.
        columns = mapping.get("columns") or {}
        if opts["map"] and not isinstance(columns, dict):
            raise CommandError('--mapping: "columns" must be an object when --map is given')
        for item in opts["map"]:
            field, sep, column = item.partition("=")
            if not sep:
                raise CommandError(f"--map {item!r}: write FIELD=COLUMN")
            columns[field.strip()] = column.strip()
        if columns:
            mapping["columns"] = columns
        types = mapping.get("types") or {}
        if opts["type_map"] and not isinstance(types, dict):
            raise CommandError('--mapping: "types" must be an object when --type-map is given')
        for item in opts["type_map"]:
            value, sep, code = item.partition("=")
            if not sep:
                raise CommandError(f"--type-map {item!r}: write VALUE=CODE")
            types[value] = code.strip()
        if types:
            mapping["types"] = types
        for key in ("default_type", "srid", "date_format", "date_precision", "timezone",
                    "delimiter"):
            if opts[key] is not None:
                mapping[key] = opts[key]
        return mapping

    def handle(self, *args: Any, **opts: Any) -> None:
        mapping = self._mapping(opts)
        fmt = opts["format"] or (
            ImportJob.Format.GENERIC if mapping else ImportJob.Format.POLICE_UK)
        source = opts["source"] or ("police.uk" if fmt == ImportJob.Format.POLICE_UK else "force")
        try:
            job = crime_import_paths(paths=opts["paths"], format=fmt, source=source,
                                     mapping=mapping)
        except ImportInputError as exc:
            raise CommandError(str(exc)) from exc
        for message in job.warnings:
            self.stderr.write(f"warning: {message}")
        for reject in job.rejects_sample[:20]:
            self.stderr.write(
                f"rejected: {reject['file']} line {reject['line']}: {reject['reason']}")
        if job.rows_rejected > 20:
            self.stderr.write(f"... {job.rows_rejected - 20:,} more rejected rows; by reason: "
                              + ", ".join(f"{k} {v:,}" for k, v in job.rejects_by_reason.items()))
        if opts["rejects"]:
            with opts["rejects"].open("w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(["file", "line", "reason"])
                for reject in job.rejects_sample:
                    writer.writerow([reject["file"], reject["line"], reject["reason"]])
        self.stdout.write(job.summary)
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job.error or "nothing could be imported")
