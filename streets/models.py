"""A force's own street layer (for example OS Open Roads), drawn under the hot spots on every
map from this site's own vector tiles: patrol networks often reach no outside tile server."""

from django.conf import settings
from django.contrib.gis.db import models


class StreetLayer(models.Model):
    """One imported street file. Maps draw the newest layer; an older one is kept until an
    admin deletes it, so a bad import can be undone by deleting the new one."""

    name = models.CharField(max_length=120)
    source_file = models.CharField(max_length=255, help_text="The file's name, not its path.")
    attribution = models.CharField(
        max_length=255, blank=True,
        help_text="Shown on every map, as the data's licence asks (for OS Open Roads: "
                  "Contains OS data © Crown copyright and database right).")
    streets = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.streets:,} streets)"


class Street(models.Model):
    """One street line. `rank` says from which zoom it is drawn: 0 main roads (A roads,
    motorways), 1 B roads, 2 local streets, 3 paths and anything unclassified."""

    layer = models.ForeignKey(StreetLayer, on_delete=models.CASCADE, related_name="street_set")
    name = models.CharField(max_length=200, blank=True)
    road_class = models.CharField(max_length=60, blank=True)
    rank = models.PositiveSmallIntegerField()
    geom = models.LineStringField(srid=settings.HOTSPOTS_SRID)

    class Meta:
        indexes = [models.Index(fields=["layer", "rank"])]

    def __str__(self) -> str:
        return self.name or f"unnamed {self.road_class or 'street'}"
