from django.apps import AppConfig


class TaskingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tasking"
