from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Base app: home page, jurisdictions, grantee sites, memberships and roles."""

    name = "portal"
    verbose_name = "IPS portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_migrate

        from portal.indexing import register_source
        from portal.page_cache import check_shared_cache, connect_page_signals
        from portal.search_source import GranteeSiteSource

        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="portal_roles")
        register_source(GranteeSiteSource())
        # ``<id:pk>`` in every app's URLs: ids a database can hold (see query_params).
        import portal.query_params  # noqa: F401

        # Publications clear the anonymous page cache; deployments are told to share it.
        connect_page_signals()
        checks.register(check_shared_cache, checks.Tags.caches, deploy=True)


def _sync_roles_after_migrate(sender, **kwargs) -> None:
    """Groups and their permissions are data every environment needs; keep them current.

    Connected without a sender so it runs after *every* app's permissions exist.
    """
    if getattr(sender, "name", None) != "portal":
        return
    from portal.roles import roles_sync

    roles_sync()
