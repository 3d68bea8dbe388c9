"""Reads for search: turning a query string into a validated ``SearchQuery``, running it, and
giving facet values their human labels.

The page and the API share ``search_query_parse`` so both accept exactly the same parameters
and reject the same mistakes (unknown parameter, unknown value, bad page).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.http import QueryDict

from evaluations.directions import EffectDirection
from evaluations.models import OutcomeMetric
from portal.indexing import doc_type_labels
from portal.query_params import ascii_int
from search.backends import get_search_backend
from search.backends.base import (
    DIRECTIONS,
    FACETS,
    MAX_PAGE_SIZE,
    SORTS,
    SearchQuery,
    SearchResults,
)
from strategies.choices import Rating
from strategies.models import StrategyType

# Study designs the analyses app reports (codes as stored on ``Analysis.design``).
DESIGN_LABELS: dict[str, str] = {
    "pre_post": "Before/after (no comparison)",
    "did": "Difference-in-differences (comparison group)",
    "its": "Interrupted time series",
    "its_with_comparison": "Interrupted time series with comparison series",
}
DIRECTION_LABELS: dict[str, str] = dict(EffectDirection.choices)
FACET_TITLES: dict[str, str] = {
    "type": "Type",
    "strategy_type": "Strategy type",
    "state": "State",
    "region": "Census region",
    "jurisdiction_kind": "Jurisdiction kind",
    "evidence_rating": "Evidence rating",
    "metric": "Outcome metric",
    "design": "Study design",
    "direction": "Direction of effect",
    "year": "Year",
}
SORT_LABELS: dict[str, str] = {
    "relevance": "Best match",
    "newest": "Newest first",
    "effect_size": "Largest effect first",
}
OTHER_PARAMETERS = ("q", "sort", "page", "page_size", "site")
MAX_QUERY_LENGTH = 200
MAX_VALUES_PER_FACET = 30
_SLUG = re.compile(r"^[-a-z0-9_]{1,80}$")
# Control characters (NUL among them, which PostgreSQL cannot hold in text) are never words.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _state_labels() -> dict[str, str]:
    from portal.models import US_STATES

    return dict(US_STATES)


def _region_labels() -> dict[str, str]:
    from portal.models import CENSUS_REGIONS

    return {r: r for r in sorted(set(CENSUS_REGIONS.values()))}


def _kind_labels() -> dict[str, str]:
    from portal.models import Jurisdiction

    return dict(Jurisdiction.Kind.choices)


def _rating_labels() -> dict[str, str]:
    return dict(Rating.choices)


def _strategy_type_labels(values: set[str] | None = None) -> dict[str, str]:
    queryset = StrategyType.objects.all()
    if values is not None:
        queryset = queryset.filter(slug__in=values)
    return dict(queryset.values_list("slug", "name"))


def _metric_labels(values: set[str] | None = None) -> dict[str, str]:
    queryset = OutcomeMetric.objects.all()
    if values is not None:
        queryset = queryset.filter(code__in=values)
    return dict(queryset.values_list("code", "name"))


def facet_labels(facet: str, values: set[str] | None = None) -> dict[str, str]:
    """Code → label for ``facet`` (only ``values`` when given, for the DB-backed facets)."""
    if facet == "type":
        # Each app's search source carries its own label.
        return doc_type_labels()
    if facet == "state":
        return _state_labels()
    if facet == "region":
        return _region_labels()
    if facet == "jurisdiction_kind":
        return _kind_labels()
    if facet == "evidence_rating":
        return _rating_labels()
    if facet == "design":
        return DESIGN_LABELS
    if facet == "direction":
        return DIRECTION_LABELS
    if facet == "strategy_type":
        return _strategy_type_labels(values)
    if facet == "metric":
        return _metric_labels(values)
    return {}


# Facets whose accepted values are a fixed list (anything else is a 400).
_CLOSED_FACETS = ("type", "state", "region", "jurisdiction_kind", "evidence_rating", "design")


@dataclass
class ParsedSearch:
    query: SearchQuery | None = None
    errors: list[str] = field(default_factory=list)


def _validate_values(facet: str, values: list[str]) -> str | None:
    if len(values) > MAX_VALUES_PER_FACET:
        return f"{facet}: at most {MAX_VALUES_PER_FACET} values."
    if facet == "year":
        bad = [v for v in values if ascii_int(v, minimum=1990, maximum=2100) is None]
        return f"year: {', '.join(bad)} is not a year between 1990 and 2100." if bad else None
    if facet == "direction":
        allowed: set[str] = set(DIRECTIONS)
    elif facet in _CLOSED_FACETS:
        allowed = set(facet_labels(facet))
    else:  # strategy_type, metric: codes that exist
        malformed = [v for v in values if not _SLUG.match(v)]
        if malformed:
            return f"{facet}: {', '.join(malformed)} is not a valid code."
        allowed = set(facet_labels(facet, set(values)))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        return f"{facet}: unknown value(s) {', '.join(repr(v) for v in unknown)}."
    return None


def search_query_parse(params: QueryDict, *, page_size: int = 20) -> ParsedSearch:
    """Validate search parameters. Empty values are ignored (a form submits them)."""
    errors: list[str] = []
    unknown = sorted(set(params) - set(FACETS) - set(OTHER_PARAMETERS))
    if unknown:
        errors.append(
            f"Unknown parameter(s): {', '.join(unknown)}. Accepted: "
            f"{', '.join((*OTHER_PARAMETERS, *FACETS))}."
        )
    text = (params.get("q") or "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        errors.append(f"q: at most {MAX_QUERY_LENGTH} characters.")
    elif _CONTROL.search(text):
        errors.append("q: remove the control characters (such as NUL) from the search words.")
    filters: dict[str, tuple[str, ...]] = {}
    for facet in FACETS:
        values = list(dict.fromkeys(v.strip() for v in params.getlist(facet) if v.strip()))
        if not values:
            continue
        error = _validate_values(facet, values)
        if error:
            errors.append(error)
        else:
            filters[facet] = tuple(values)
    sort = params.get("sort") or "relevance"
    if sort not in SORTS:
        errors.append(f"sort: must be one of {', '.join(SORTS)}.")
    page = _positive_int(params.get("page"), "page", errors, default=1, maximum=10_000)
    size = _positive_int(
        params.get("page_size"), "page_size", errors, default=page_size, maximum=MAX_PAGE_SIZE
    )
    site = (params.get("site") or "").strip()
    if site and not _SLUG.match(site):
        errors.append("site: not a valid site slug.")
    if errors:
        return ParsedSearch(errors=errors)
    return ParsedSearch(
        query=SearchQuery(
            text=text, filters=filters, sort=sort, page=page, page_size=size, site=site
        )
    )


def _positive_int(raw: str | None, name: str, errors: list[str], *, default: int, maximum: int):
    if raw in (None, ""):
        return default
    value = ascii_int(raw, minimum=1, maximum=maximum)
    if value is None:
        errors.append(f"{name}: must be a whole number from 1 to {maximum}.")
        return default
    return value


def search_run(query: SearchQuery) -> SearchResults:
    """Run ``query`` on the configured backend and label its facet values."""
    results = get_search_backend().search(query)
    for facet, values in results.facets.items():
        labels = facet_labels(facet, {v.value for v in values})
        for value in values:
            value.label = labels.get(value.value, value.value)
    return results


def search_suggest(prefix: str, *, limit: int = 8) -> list[dict[str, str]]:
    labels = facet_labels("type")
    suggestions = get_search_backend().suggest(prefix[:MAX_QUERY_LENGTH], limit=limit)
    for item in suggestions:
        item["type_label"] = labels.get(item["type"], item["type"])
    return suggestions
