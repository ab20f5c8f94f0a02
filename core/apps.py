from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The ground floor every app may use; it imports no app (docs/ARCHITECTURE.md)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
