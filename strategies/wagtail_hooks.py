"""Admin wiring: the per-site page policy, the strategy-type snippet, and moderation hooks."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseNotFound
from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.admin.widgets import Button
from wagtail.models import Page
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from portal.media import IMAGE_ON_LIVE_PAGE_HOOK
from portal.selectors import sites_user_can_edit
from strategies import admin_views
from strategies.access import (
    SiteScopedPagePermissionPolicy,
    document_visible_to,
    image_on_a_live_page,
    strategy_pages_hidden_in_admin,
)
from strategies.forms import EVIDENCE_RATING_PERMISSION
from strategies.models import StrategyIndexPage, StrategyPage, StrategyType

# Registered for Page (more specific than Wagtail's AbstractPage default), before any admin
# view asks the registry, so explorer, page search and history all see the narrowed policy.
register_permission_policy(Page, SiteScopedPagePermissionPolicy(Page))


class StrategyTypeViewSet(SnippetViewSet):
    model = StrategyType
    icon = "tag"
    menu_label = "Strategy types"
    add_to_admin_menu = True
    menu_order = 310
    list_display = ["name", "slug"]
    search_fields = ["name", "description"]
    ordering = ["name"]


register_snippet(StrategyTypeViewSet)


@hooks.register("before_create_page")
def strategy_needs_a_site(request, parent_page, page_class):
    """A contributor who belongs to no grantee site has nobody to write a strategy for."""
    if page_class is StrategyPage and not sites_user_can_edit(request.user).exists():
        raise PermissionDenied("You are not a member of any grantee site.")


@hooks.register("construct_page_chooser_queryset")
def hide_other_sites_drafts_from_chooser(pages, request):
    """Choosing a related strategy may show other sites' live pages, never their drafts.

    The chooser prints the latest revision's title, so a live page with a pending draft is
    left out too until that draft is published or discarded.
    """
    hidden = strategy_pages_hidden_in_admin(request.user)
    return pages.exclude(pk__in=hidden.filter(Q(live=False) | Q(has_unpublished_changes=True)))


@hooks.register("after_create_page")
def strategy_index_moderation(request, page):
    """An index created by hand in the admin gets the same permissions and workflow."""
    if isinstance(page.specific, StrategyIndexPage):
        from strategies.services import strategy_moderation_sync

        strategy_moderation_sync(page)


ratings_urlpatterns = [
    path("<int:page_id>/", admin_views.rating_index, name="index"),
    path("<int:page_id>/add/", admin_views.rating_edit, name="add"),
    path("<int:page_id>/<int:rating_id>/", admin_views.rating_edit, name="edit"),
]


@hooks.register("register_admin_urls")
def evidence_rating_urls():
    return [
        path(
            "strategy-ratings/",
            include((ratings_urlpatterns, "strategies_ratings"), namespace="strategies_ratings"),
        )
    ]


@hooks.register("register_page_header_buttons")
def evidence_ratings_button(page, user, view_name, next_url=None):
    """BJA staff reach a strategy's ratings from its page header."""
    if page.specific_class is StrategyPage and user.has_perm(EVIDENCE_RATING_PERMISSION):
        yield Button(
            "Evidence ratings",
            reverse("strategies_ratings:index", args=[page.pk]),
            icon_name="tick-inverse",
            priority=40,
        )


@hooks.register("before_serve_document")
def serve_only_public_or_own_documents(document, request):
    """A draft's attachment is not public: 404 (not 403, which would confirm it exists)."""
    if not document_visible_to(request.user, document):
        return HttpResponseNotFound("No such document.")
    return None


@hooks.register(IMAGE_ON_LIVE_PAGE_HOOK)
def image_shown_on_a_live_strategy(image) -> bool:
    """Tells /media/ (``portal.media``) when a live page shows an image, so its files are
    public; other images of a site's collection stay with the site's members and BJA."""
    return image_on_a_live_page(image)


# After Wagtail's own hook has added its PagesSummaryItem.
@hooks.register("construct_homepage_summary_items", order=100)
def count_only_visible_pages(request, summary_items):
    """The dashboard's page count leaves out the strategies this user may not see, so a
    contributor cannot watch another site's drafts come and go in the number."""
    from wagtail.admin.site_summary import PagesSummaryItem

    class VisiblePagesSummaryItem(PagesSummaryItem):
        def get_context_data(self, parent_context):
            context = super().get_context_data(parent_context)
            root_page = context["root_page"]
            if root_page is not None and context["total_pages"]:
                hidden = (
                    Page.objects.descendant_of(root_page, inclusive=True)
                    .filter(pk__in=strategy_pages_hidden_in_admin(self.request.user))
                    .count()
                )
                context["total_pages"] -= hidden
            return context

    summary_items[:] = [
        VisiblePagesSummaryItem(request) if type(item) is PagesSummaryItem else item
        for item in summary_items
    ]


class EvidenceRatingsToCheckDashboardPanel(Component):
    """BJA's dashboard: every rating flagged because a finding it rests on changed."""

    name = "evidence_ratings_to_check"
    template_name = "strategies/admin/ratings_to_check_dashboard.html"
    order = 50

    def __init__(self, ratings: list) -> None:
        self.ratings = ratings

    def get_context_data(self, parent_context=None):
        return {"ratings": self.ratings}


@hooks.register("construct_homepage_panels")
def evidence_ratings_to_check_on_dashboard(request, panels):
    """Only users who may set ratings see the list, and only when something needs checking."""
    from strategies.selectors import evidence_ratings_to_check

    ratings = list(evidence_ratings_to_check(request.user))
    if ratings:
        panels.append(EvidenceRatingsToCheckDashboardPanel(ratings))
