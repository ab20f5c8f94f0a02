from django.apps import AppConfig


class HotspotsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "hotspots"
