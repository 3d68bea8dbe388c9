from django.apps import AppConfig


class SearchConfig(AppConfig):
    """The cross-jurisdiction search index (database or Elasticsearch backend)."""

    name = "search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from search.sources import register_builtin_sources

        register_builtin_sources()
