"""Admin pages for analyses, registered from ``evaluations.wagtail_hooks`` (imported there)
and listed in its "Outcome data" menu."""

from __future__ import annotations

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from evaluations.analyses import admin_views
from evaluations.analyses.permissions import analyses_in_admin_for, sites_user_can_analyse

admin_urlpatterns = [
    path("", admin_views.analysis_index, name="index"),
    path("new/", admin_views.analysis_create_view, name="create"),
    path("<id:pk>/", admin_views.analysis_detail, name="detail"),
    path("<id:pk>/run/", admin_views.analysis_run_view, name="run"),
    path("<id:pk>/publish/", admin_views.analysis_publish_view, name="publish"),
    path(
        "<id:pk>/versions/<id:result_pk>/review/",
        admin_views.analysis_version_review_view,
        name="review",
    ),
]


@hooks.register("register_admin_urls")
def analyses_urls():
    return [
        path(
            "analyses/", include((admin_urlpatterns, "analyses_admin"), namespace="analyses_admin")
        )
    ]


class AnalysesMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        user = request.user
        return sites_user_can_analyse(user).exists() or analyses_in_admin_for(user).exists()


@hooks.register("register_outcome_data_menu_item")
def menu_analyses():
    return AnalysesMenuItem(
        "Analyses", reverse("analyses_admin:index"), icon_name="view", order=450
    )
