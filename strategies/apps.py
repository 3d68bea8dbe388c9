from django.apps import AppConfig


class StrategiesConfig(AppConfig):
    """Strategy write-ups: the pages prosecutors browse, and their taxonomy."""

    name = "strategies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from portal.indexing import register_source
        from portal.search_source import register_site_dependents
        from strategies.search_source import DocumentSource, StrategySource, site_dependents

        post_migrate.connect(_sync_moderation_after_migrate, dispatch_uid="strategies_moderation")
        register_source(StrategySource())
        register_source(DocumentSource())
        register_site_dependents(site_dependents)


def _sync_moderation_after_migrate(sender, **kwargs) -> None:
    """Keep the index's page permissions and review workflow current on every migrate.

    Runs after the portal's roles sync (apps migrate in INSTALLED_APPS order) and does
    nothing until the index page exists; ``strategy_index_ensure`` covers that case.
    """
    if getattr(sender, "name", None) != "strategies":
        return
    from strategies.models import StrategyIndexPage
    from strategies.services import strategy_moderation_sync

    index_page = StrategyIndexPage.objects.first()
    if index_page is not None:
        strategy_moderation_sync(index_page)
