"""The Wagtail admin "Outcome data" section: metric catalogue (snippet, editable by BJA
staff), uploads and batches, templates, exports, publishing, and personal API tokens."""

from __future__ import annotations

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

import portal.wagtail_hooks_tokens  # noqa: F401  (registers the API-token admin pages)
from evaluations import admin_views
from evaluations.models import OutcomeMetric
from evaluations.selectors import published_analyses_for_strategy
from evaluations.synthesis.evidence import rating_suggestions_for
from portal.roles import user_sees_all_sites
from portal.selectors import sites_for_user
from strategies.selectors import LINKED_RESULTS_HOOK, RATING_SUGGESTIONS_HOOK

app_name = "evaluations_admin"
admin_urlpatterns = [
    path("", admin_views.batch_index, name="batches"),
    path("upload/", admin_views.upload, name="upload"),
    path("batches/<id:pk>/", admin_views.batch_detail, name="batch"),
    path("batches/<id:pk>/progress.json", admin_views.batch_progress, name="batch_progress"),
    path("batches/<id:pk>/confirm/", admin_views.batch_confirm, name="batch_confirm"),
    path("batches/<id:pk>/rollback/", admin_views.batch_rollback, name="batch_rollback"),
    path("batches/<id:pk>/retry/", admin_views.batch_retry, name="batch_retry"),
    path(
        "template.<str:file_format>",
        admin_views.template_download,
        name="template",
    ),
    path("export/", admin_views.export, name="export"),
    path("publish/", admin_views.publish, name="publish"),
]


@hooks.register("register_admin_urls")
def outcome_data_urls():
    return [
        path(
            "outcome-data/",
            include((admin_urlpatterns, "evaluations_admin"), namespace="evaluations_admin"),
        )
    ]


class OutcomeMetricViewSet(SnippetViewSet):
    model = OutcomeMetric
    icon = "table"
    menu_label = "Metric catalogue"
    add_to_admin_menu = False
    list_display = ["name", "code", "category", "unit_kind", "suppress_small_counts"]
    list_filter = ["category", "unit_kind", "suppress_small_counts"]
    search_fields = ["name", "code", "description"]
    ordering = ["category", "name"]


register_snippet(OutcomeMetricViewSet)


class SiteMemberMenuItem(MenuItem):
    """Shown to anyone who may read some site's outcome data."""

    def is_shown(self, request) -> bool:
        return sites_for_user(request.user).exists()


outcome_menu = Menu(register_hook_name="register_outcome_data_menu_item", construct_hook_name=None)


@hooks.register("register_admin_menu_item")
def outcome_data_menu():
    return SubmenuMenuItem(
        "Outcome data", outcome_menu, icon_name="table", name="outcome-data", order=320
    )


@hooks.register("register_outcome_data_menu_item")
def menu_upload():
    return SiteMemberMenuItem(
        "Upload", reverse("evaluations_admin:upload"), icon_name="upload", order=100
    )


@hooks.register("register_outcome_data_menu_item")
def menu_batches():
    return SiteMemberMenuItem(
        "Upload batches", reverse("evaluations_admin:batches"), icon_name="list-ul", order=200
    )


@hooks.register("register_outcome_data_menu_item")
def menu_export():
    return SiteMemberMenuItem(
        "Export", reverse("evaluations_admin:export"), icon_name="download", order=300
    )


@hooks.register("register_outcome_data_menu_item")
def menu_publish():
    return SiteMemberMenuItem(
        "Publish data", reverse("evaluations_admin:publish"), icon_name="globe", order=400
    )


@hooks.register("register_outcome_data_menu_item")
def menu_catalogue():
    return MenuItem(
        "Metric catalogue",
        reverse("wagtailsnippets_evaluations_outcomemetric:list"),
        icon_name="table",
        order=500,
    )


@hooks.register("register_outcome_data_menu_item")
def menu_tokens():
    return MenuItem("API tokens", reverse("portal_api_tokens:index"), icon_name="key", order=600)


import evaluations.analyses.wagtail_hooks  # noqa: E402, F401  (analysis admin pages)


@hooks.register(LINKED_RESULTS_HOOK)
def strategy_page_analyses(page) -> list:
    """A strategy page lists the published analyses linked to it."""
    return published_analyses_for_strategy(page)


@hooks.register(RATING_SUGGESTIONS_HOOK)
def strategy_rating_suggestions(page) -> list:
    """Suggested ratings per outcome, from the strategy's published results."""
    return rating_suggestions_for(page.pk)


class ProgramDashboardMenuItem(MenuItem):
    """Shown to the roles the program dashboard is for: BJA staff and research partners."""

    def is_shown(self, request) -> bool:
        return user_sees_all_sites(request.user)


@hooks.register("register_admin_menu_item")
def program_dashboard_menu():
    return ProgramDashboardMenuItem(
        "Program dashboard", "/dashboard/", icon_name="site", name="program-dashboard", order=310
    )
