"""Template context every page needs (navigation, the current role)."""

from __future__ import annotations

from django.http import HttpRequest

NAVIGATION = (
    ("Strategies", "/strategies/"),
    ("Evaluations", "/evaluations/"),
    ("Search", "/search/"),
    ("Compare", "/compare/"),
    ("Sites", "/sites/"),
    ("Evidence map", "/evidence-map/"),
)


def portal(request: HttpRequest) -> dict:
    path = request.path
    return {
        "portal_navigation": [
            {"label": label, "url": url, "current": path.startswith(url)}
            for label, url in NAVIGATION
        ],
    }
