"""Read-only API for published strategies (public, like /strategies/), under /api/v1/.

Takes the same query parameters as the /strategies/ listing, so a filtered list in the
browser and in a script are one and the same.
"""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status

from strategies.models import StrategyPage
from strategies.selectors import strategies_filtered, strategy_filters_parse

router = Router(tags=["strategies"])
MAX_LIMIT = 100


class EvidenceRatingOut(Schema):
    outcome: str
    metric_code: str
    rating: str
    rating_label: str
    reason: str
    rated_on: datetime.date


class StrategyOut(Schema):
    id: int
    title: str
    url: str
    summary: str
    site: str
    site_name: str
    state: str
    jurisdiction_kind: str
    strategy_types: list[str]
    status: str
    start_year: int
    overall_rating: str
    first_published_at: datetime.datetime | None
    evidence_ratings: list[EvidenceRatingOut]


class StrategyListOut(Schema):
    count: int
    results: list[StrategyOut]


class FilterErrorOut(Schema):
    detail: list[str]


def _strategy_out(page: StrategyPage) -> dict:
    site = page.grantee_site
    return {
        "id": page.pk,
        "title": page.title,
        "url": page.url,
        "summary": page.summary,
        "site": site.slug,
        "site_name": site.name,
        "state": site.jurisdiction.state,
        "jurisdiction_kind": site.jurisdiction.kind,
        "strategy_types": [t.slug for t in page.strategy_types.all()],
        "status": page.status,
        "start_year": page.start_year,
        "overall_rating": page.overall_rating,
        "first_published_at": page.first_published_at,
        "evidence_ratings": [
            {
                "outcome": r.outcome,
                "metric_code": r.metric_code,
                "rating": r.rating,
                "rating_label": r.get_rating_display(),
                "reason": r.reason,
                "rated_on": r.rated_on,
            }
            for r in page.ratings
        ],
    }


@router.get(
    "/strategies/",
    response={200: StrategyListOut, 400: FilterErrorOut},
    summary="List published strategies",
)
def strategy_list(request: HttpRequest, limit: int = 20, offset: int = 0):
    """Published strategies, filtered and sorted like /strategies/ (``q``, ``type``,
    ``state``, ``kind``, ``rating``, ``status``, ``year_from``, ``year_to``, ``sort``)."""
    parsed = strategy_filters_parse(request.GET)
    if parsed.filters is None:
        return Status(400, {"detail": parsed.errors})
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    pages = strategies_filtered(parsed.filters)
    return Status(
        200,
        {
            "count": pages.count(),
            "results": [_strategy_out(p) for p in pages[offset : offset + limit]],
        },
    )
