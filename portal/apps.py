from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Base app: home page, jurisdictions, grantee sites, memberships and roles."""

    name = "portal"
    verbose_name = "IPS portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models.signals import post_delete, post_migrate, post_save

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
        # Memberships change through the admin, the demo loader and scripts alike; whichever
        # way, the site's media group must follow, so this one rule lives on the model.
        from portal.models import SiteMembership

        post_save.connect(_membership_changed, sender=SiteMembership, dispatch_uid="portal_media")
        post_delete.connect(
            _membership_changed, sender=SiteMembership, dispatch_uid="portal_media_delete"
        )


def _sync_roles_after_migrate(sender, **kwargs) -> None:
    """Groups and their permissions are data every environment needs; keep them current.

    Connected without a sender so it runs after *every* app's permissions exist.
    """
    if getattr(sender, "name", None) != "portal":
        return
    from portal.roles import roles_sync
    from portal.services import site_media_sync_all

    roles_sync()
    site_media_sync_all()


def _membership_changed(sender, instance, **kwargs) -> None:
    from portal.services import site_media_sync

    site_media_sync(instance.site)
