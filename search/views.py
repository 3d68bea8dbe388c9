"""The public search page (/search/) and its type-ahead endpoint. Thin: parse, run, render.

Every state of the page (text, ticked facets, sort, page) lives in the query string, so any
result list can be bookmarked or shared, and everything works without JavaScript.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from search.backends.base import FACETS
from search.selectors import (
    FACET_TITLES,
    SORT_LABELS,
    search_query_parse,
    search_run,
    search_suggest,
)

# Facets a visitor sees first; the rest start collapsed (still in the page for no-JS users).
OPEN_FACETS = ("type", "strategy_type", "state", "evidence_rating")


def _url_without(params: list[tuple[str, str]], drop: tuple[str, str] | None) -> str:
    kept = [(k, v) for k, v in params if (k, v) != drop and k != "page"]
    return "?" + urlencode(kept) if kept else "?"


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    parsed = search_query_parse(request.GET)
    if parsed.query is None:
        return render(
            request,
            "search/search_page.html",
            {"errors": parsed.errors, "sort_labels": SORT_LABELS},
            status=400,
        )
    query = parsed.query
    results = search_run(query)
    params = [(k, v) for k in request.GET for v in request.GET.getlist(k) if v]
    labels = {(facet, v.value): v.label for facet, values in results.facets.items() for v in values}
    active_filters = [
        {
            "facet": FACET_TITLES[facet],
            "label": labels.get((facet, value), value),
            "remove_url": _url_without(params, (facet, value)),
        }
        for facet in FACETS
        for value in query.filters.get(facet, ())
    ]
    if query.site:
        active_filters.append(
            {
                "facet": "Site",
                "label": query.site,
                "remove_url": _url_without(params, ("site", query.site)),
            }
        )
    facet_groups = [
        {
            "name": facet,
            "title": FACET_TITLES[facet],
            "values": results.facets.get(facet, []),
            "open": facet in OPEN_FACETS or facet in query.filters,
        }
        for facet in FACETS
        if results.facets.get(facet)
    ]
    base_params = [(k, v) for k, v in params if k != "page"]
    context = {
        "query": query,
        "results": results,
        "facet_groups": facet_groups,
        "active_filters": active_filters,
        "sort_labels": SORT_LABELS,
        "page_base": "?" + urlencode([*base_params, ("page", "")]),
        "prev_page": query.page - 1 if query.page > 1 else None,
        "next_page": query.page + 1 if query.page < results.page_count else None,
        "did_you_mean_url": "?"
        + urlencode([("q", results.did_you_mean), *[(k, v) for k, v in base_params if k != "q"]])
        if results.did_you_mean
        else "",
        "clear_url": "?" + urlencode([("q", query.text)]) if query.text else "?",
    }
    return render(request, "search/search_page.html", context)


@require_GET
def suggest(request: HttpRequest) -> JsonResponse:
    """Type-ahead for the search box: ``{"suggestions": [{"value", "url", "type", ...}]}``."""
    return JsonResponse({"suggestions": search_suggest(request.GET.get("q", ""))})
