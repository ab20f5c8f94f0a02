from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from streets.services import StreetImportError, streets_import


class Command(BaseCommand):
    help = ("Import a street layer (GeoPackage, GeoJSON or zipped Shapefile of lines, for "
            "example OS Open Roads) to draw under the hot spots on every map.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--name", default="", help="what the layer is called (default: "
                                                       "the file's name)")
        parser.add_argument("--attribution", default="",
                            help="shown on every map, as the data's licence asks")
        parser.add_argument("--layer", help="layer in the file (default: road_link or the "
                                            "first)")
        parser.add_argument("--name-field", help="field with the street's name")
        parser.add_argument("--class-field", help="field with the road's class")
        parser.add_argument("--srid", type=int, help="SRID when the file does not say")
        parser.add_argument("--keep-outside", action="store_true",
                            help="keep lines more than 1 km from every area")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            layer = streets_import(
                path=opts["path"], name=opts["name"], attribution=opts["attribution"],
                actor=None, layer=opts["layer"], name_field=opts["name_field"],
                class_field=opts["class_field"], source_srid=opts["srid"],
                clip_to_areas=not opts["keep_outside"])
        except StreetImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"street layer {layer.name!r}: {layer.streets:,} lines")
