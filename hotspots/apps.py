from typing import Any

from django.apps import AppConfig


class HotspotsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "hotspots"

    def ready(self) -> None:
        from accounts.signals import areas_changed

        areas_changed.connect(_crimes_follow_areas, dispatch_uid="hotspots.crimes_follow_areas")


def _crimes_follow_areas(sender: Any, cursor: Any, **kwargs: Any) -> int:
    """Crimes in changed area parts take their new area (accounts.signals.areas_changed)."""
    from .importers.pipeline import reassign_areas

    return int(reassign_areas(cursor))
