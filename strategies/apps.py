from django.apps import AppConfig


class StrategiesConfig(AppConfig):
    """Strategy write-ups: the pages prosecutors browse, and their taxonomy."""

    name = "strategies"
    default_auto_field = "django.db.models.BigAutoField"
