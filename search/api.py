"""Search endpoints of the portal API, mounted at /api/v1/search/ by ``portal.api``.

Public like the search page (everything indexed is published). Parameters are checked by the
same parser as the page: an unknown parameter or value is a 400 with a message saying which.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from search.backends.base import FACETS, SearchHit, SearchResults
from search.selectors import search_query_parse, search_run, search_suggest

ROUTER_PREFIX = "/search"
router = Router(tags=["search"], auth=None)


class FacetValueOut(Schema):
    value: str
    label: str
    count: int


class ResultOut(Schema):
    type: str
    id: str
    title: str
    url: str
    summary: str
    highlight: str
    site: str
    site_name: str
    state: str
    jurisdiction: str
    jurisdiction_kind: str
    strategy_types: list[str]
    evidence_rating: str | None
    metrics: list[str]
    design: str
    direction: str
    effect_size: float | None
    year: int | None
    finding: str
    published_at: str | None
    score: float


class SearchOut(Schema):
    total: int
    page: int
    page_size: int
    page_count: int
    results: list[ResultOut]
    facets: dict[str, list[FacetValueOut]]
    did_you_mean: str
    degraded: bool


class ErrorOut(Schema):
    detail: str
    errors: list[str]


class SuggestionOut(Schema):
    value: str
    url: str
    type: str
    type_label: str


class SuggestOut(Schema):
    suggestions: list[SuggestionOut]


def result_json(hit: SearchHit) -> dict:
    d = hit.document
    return {
        "type": d.doc_type,
        "id": d.object_id,
        "title": d.title,
        "url": d.url,
        "summary": d.summary,
        "highlight": hit.highlight,
        "site": d.site,
        "site_name": d.site_name,
        "state": d.state,
        "jurisdiction": d.jurisdiction,
        "jurisdiction_kind": d.jurisdiction_kind,
        "strategy_types": d.strategy_types,
        "evidence_rating": d.evidence_ratings[0] if d.evidence_ratings else None,
        "metrics": d.metrics,
        "design": d.design,
        "direction": d.direction,
        "effect_size": d.effect_size,
        "year": d.year,
        "finding": d.finding,
        "published_at": d.published_at.isoformat() if d.published_at else None,
        "score": hit.score,
    }


def results_json(results: SearchResults) -> dict:
    return {
        "total": results.total,
        "page": results.query.page,
        "page_size": results.query.page_size,
        "page_count": results.page_count,
        "results": [result_json(h) for h in results.hits],
        "facets": {
            facet: [{"value": v.value, "label": v.label, "count": v.count} for v in values]
            for facet, values in results.facets.items()
        },
        "did_you_mean": results.did_you_mean,
        "degraded": results.degraded,
    }


@router.get(
    "/",
    response={200: SearchOut, 400: ErrorOut},
    summary="Search strategies, results, sites and documents",
    description=(
        'Full-text search with facets. Parameters: `q` (words, "quoted phrases", -exclude), '
        f"facet filters {', '.join(f'`{f}`' for f in FACETS)} (repeat a parameter for OR; "
        "different facets are AND'd), `site` (a grantee site slug), `sort` "
        "(relevance|newest|effect_size), `page`, `page_size` (max 100). Facet counts for each "
        "facet ignore that facet's own filter. `degraded` is true when Elasticsearch did not "
        "answer and the database served the query."
    ),
)
def search(request: HttpRequest):
    parsed = search_query_parse(request.GET)
    if parsed.query is None:
        return Status(400, {"detail": " ".join(parsed.errors), "errors": parsed.errors})
    return Status(200, results_json(search_run(parsed.query)))


@router.get("/suggest/", response={200: SuggestOut}, summary="Type-ahead title suggestions")
def suggest(request: HttpRequest, q: str = ""):
    return Status(200, {"suggestions": search_suggest(q)})
