from pathlib import Path
from typing import Any

from django.contrib.gis.gdal import DataSource
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Area
from accounts.services import AreaImportError, area_create_from_children, areas_import

LEVELS = {"force": Area.Level.FORCE, "bcu": Area.Level.BCU,
          "neighbourhood": Area.Level.NEIGHBOURHOOD}


class Command(BaseCommand):
    help = ("Import area boundaries (force, BCU or neighbourhood) from a GeoPackage, "
            "GeoJSON or Shapefile.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--level", choices=list(LEVELS), default="neighbourhood")
        parser.add_argument("--name-field", default="name")
        parser.add_argument("--code-field", default="code")
        parser.add_argument("--layer", help="layer name (default: the first)")
        parser.add_argument("--srid", type=int, help="SRID when the file does not say")
        parser.add_argument("--parent", help="code of the existing parent area")
        parser.add_argument("--create-parent", metavar="CODE:NAME:LEVEL",
                            help="create a parent area as the union of the imported areas")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = areas_import(
                path=opts["path"], level=LEVELS[opts["level"]], name_field=opts["name_field"],
                code_field=opts["code_field"], parent_code=opts["parent"], layer=opts["layer"],
                source_srid=opts["srid"],
            )
            self.stdout.write(result.summary())
            if opts["create_parent"]:
                code, _, rest = opts["create_parent"].partition(":")
                name, _, level = rest.partition(":")
                if not (code and name and level in LEVELS):
                    raise CommandError("--create-parent: write CODE:NAME:force|bcu")
                lyr = DataSource(str(opts["path"]))[opts["layer"] or 0]
                codes = [str(f.get(opts["code_field"])).strip() for f in lyr]
                parent = area_create_from_children(code=code, name=name, level=LEVELS[level],
                                                   child_codes=codes)
                self.stdout.write(f"parent {parent.code} holds {len(codes)} areas")
        except AreaImportError as exc:
            raise CommandError(str(exc)) from exc
