from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "evaluation"

    def ready(self) -> None:
        # Running trials steer tasking's plans; tasking, below, cannot import evaluation.
        from tasking.constraints import provider_register

        from .selectors import patrol_constraints

        provider_register("trials", patrol_constraints)
