"""Who may do what to strategy pages in the Wagtail admin.

Wagtail grants page permissions per subtree, and every strategy lives under the one index
page, so a "Site contributor" group with *change* on the index could otherwise edit every
site's strategies. This module draws the per-site line: a contributor acts on, and sees in
the admin, only the strategies of the grantee sites they belong to; BJA staff (and
superusers) act on all of them. Public visitors only ever see live pages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from wagtail.models import PagePermissionTester
from wagtail.permission_policies.pages import PagePermissionPolicy

from portal.roles import user_is_bja_staff
from portal.selectors import sites_user_can_edit


def user_may_act_for_site(user: AbstractBaseUser | AnonymousUser, site_id: int | None) -> bool:
    """True when ``user`` may write for the grantee site ``site_id`` (BJA staff: any site)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user_is_bja_staff(user):
        return True
    return site_id is not None and sites_user_can_edit(user).filter(pk=site_id).exists()


def strategy_pages_hidden_in_admin(user: AbstractBaseUser | AnonymousUser) -> QuerySet:
    """Primary keys of strategy pages ``user`` must not see in admin listings and search.

    That is every strategy of a site they do not belong to, live or not: admin listings
    show the latest draft's title, so even a live page's pending draft would leak.
    """
    from strategies.models import StrategyPage

    if user.is_authenticated and user_is_bja_staff(user):
        return StrategyPage.objects.none().values("pk")
    return StrategyPage.objects.exclude(grantee_site__in=sites_user_can_edit(user)).values("pk")


class StrategyPagePermissionTester(PagePermissionTester):
    """Wagtail's tester, further limited to the page's own grantee site."""

    @cached_property
    def acts_for_site(self) -> bool:
        if self.user.is_superuser:
            return True
        return user_may_act_for_site(self.user, getattr(self.page, "grantee_site_id", None))

    def can_edit(self) -> bool:
        return self.acts_for_site and super().can_edit()

    def can_delete(self, ignore_bulk: bool = False) -> bool:
        return self.acts_for_site and super().can_delete(ignore_bulk=ignore_bulk)

    def can_publish(self) -> bool:
        return self.acts_for_site and super().can_publish()

    def can_unpublish(self) -> bool:
        return self.acts_for_site and super().can_unpublish()

    def can_submit_for_moderation(self) -> bool:
        return self.acts_for_site and super().can_submit_for_moderation()

    def can_lock(self) -> bool:
        return self.acts_for_site and super().can_lock()

    def can_unlock(self) -> bool:
        return self.acts_for_site and super().can_unlock()

    def can_view_revisions(self) -> bool:
        return self.acts_for_site and super().can_view_revisions()


class StrategyIndexPermissionTester(PagePermissionTester):
    """Contributors add strategies under the index but may not edit the index itself."""

    @cached_property
    def is_bja(self) -> bool:
        return self.user.is_superuser or user_is_bja_staff(self.user)

    def can_edit(self) -> bool:
        return self.is_bja and super().can_edit()

    def can_delete(self, ignore_bulk: bool = False) -> bool:
        return self.is_bja and super().can_delete(ignore_bulk=ignore_bulk)

    def can_publish(self) -> bool:
        return self.is_bja and super().can_publish()

    def can_unpublish(self) -> bool:
        return self.is_bja and super().can_unpublish()

    def can_lock(self) -> bool:
        return self.is_bja and super().can_lock()

    def can_view_revisions(self) -> bool:
        return self.is_bja and super().can_view_revisions()


class SiteScopedPagePermissionPolicy(PagePermissionPolicy):
    """Wagtail's page policy, minus other sites' strategies.

    The explorer, the admin page search, the side-menu API and the site history all ask the
    registered page policy which pages a user may explore; narrowing it here keeps another
    site's drafts out of every one of those at once.
    """

    def explorable_instances(self, user):
        pages = super().explorable_instances(user)
        if user.is_superuser:
            return pages
        return pages.exclude(pk__in=strategy_pages_hidden_in_admin(user))

    def instances_user_has_any_permission_for(self, user, actions):
        pages = super().instances_user_has_any_permission_for(user, actions)
        if user.is_superuser:
            return pages
        return pages.exclude(pk__in=strategy_pages_hidden_in_admin(user))

    def user_has_any_permission_for_instance(self, user, actions, instance) -> bool:
        if not super().user_has_any_permission_for_instance(user, actions, instance):
            return False
        if user.is_superuser:
            return True
        return not strategy_pages_hidden_in_admin(user).filter(pk=instance.pk).exists()


def _shown_on_a_live_page(obj, shown_in_strategy: Callable[[object], bool]) -> bool:
    """True when a live, unrestricted page shows ``obj`` (a document or an image): the
    reference index names the candidates, and for a strategy ``shown_in_strategy`` must
    find it in the *live* body (not a pending draft)."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Page, ReferenceIndex

    from strategies.models import StrategyPage

    page_type = ContentType.objects.get_for_model(Page)
    page_ids = [
        int(object_id)
        for object_id in ReferenceIndex.get_references_to(obj)
        .filter(base_content_type=page_type)
        .values_list("object_id", flat=True)
        if str(object_id).isdigit()
    ]
    for page in Page.objects.live().public().filter(pk__in=page_ids).specific():
        if not isinstance(page, StrategyPage) or shown_in_strategy(page):
            return True
    return False


def document_on_a_live_page(document) -> bool:
    """True when a live, unrestricted page shows ``document``."""
    from strategies.selectors import strategy_documents

    return _shown_on_a_live_page(
        document,
        lambda page: any(item["document"].pk == document.pk for item in strategy_documents(page)),
    )


def image_on_a_live_page(image) -> bool:
    """True when a live, unrestricted page shows ``image`` (a strategy's figure, or any
    other page referring to it)."""
    from strategies.selectors import strategy_image_ids

    return _shown_on_a_live_page(image, lambda page: image.pk in strategy_image_ids(page))


def document_visible_to(user: AbstractBaseUser | AnonymousUser, document) -> bool:
    """Who may download ``document``: anyone when a live page shows it; otherwise only those
    with a permission on its collection (its site's members, BJA staff, superusers)."""
    from wagtail.permissions import policy_registry

    permission_policy = policy_registry.get_by_type(type(document))
    if user.is_authenticated and permission_policy.user_has_any_permission_for_instance(
        user, ["choose", "change", "add"], document
    ):
        return True
    return document_on_a_live_page(document)
