from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    """Outcome data from grantee sites and the analyses run on it."""

    name = "evaluations"
    default_auto_field = "django.db.models.BigAutoField"
