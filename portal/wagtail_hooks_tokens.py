"""Admin URLs for personal API tokens; imported by ``evaluations.wagtail_hooks`` (the base
app's own hooks module is not touched)."""

from __future__ import annotations

from django.urls import include, path
from wagtail import hooks

from portal import views_tokens

token_urlpatterns = [
    path("", views_tokens.token_index, name="index"),
    path("new/", views_tokens.token_create, name="create"),
    path("<int:pk>/revoke/", views_tokens.token_revoke, name="revoke"),
]


@hooks.register("register_admin_urls")
def api_token_urls():
    return [
        path(
            "api-tokens/",
            include((token_urlpatterns, "portal_api_tokens"), namespace="portal_api_tokens"),
        )
    ]
