from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "evaluation"

    def ready(self) -> None:
        # Running trials steer tasking's plans; tasking, below, cannot import evaluation.
        from tasking.constraints import provider_register

        from .selectors import patrol_constraints

        provider_register("trials", patrol_constraints)
        # Lessons can quote the last trial's result; training, below, cannot import it.
        from training.figures import figure_register

        from .selectors import last_trial_figure

        figure_register("last_trial", last_trial_figure)
