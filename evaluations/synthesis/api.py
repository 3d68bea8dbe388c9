"""Synthesis endpoints of the portal API: ``GET /api/v1/compare/`` (the /compare/ page as
JSON) and ``GET /api/v1/strategies/{id}/rating-suggestions/``. Public, like the pages: both
read published, non-withdrawn results only. Mounted on ``evaluations.api.router``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from evaluations.analyses.compare import Comparison, compare_filters_parse, compare_metric
from evaluations.analyses.compare_reading import comparison_reading
from evaluations.synthesis.evidence import rating_suggestions_for
from portal.api_auth import API_AUTH
from strategies.models import StrategyPage


def _anyone(request: HttpRequest) -> bool:
    """Last in the auth list: published material needs no credentials."""
    return True


router = Router(auth=[*API_AUTH, _anyone])


def comparison_out(comparison: Comparison) -> dict[str, Any]:
    """The JSON shape of a comparison: the same rows, pooled estimate, subgroups,
    leave-one-out and reading the page shows."""
    pooled = None
    if comparison.pooled is not None:
        pooled = {**comparison.pooled, "direction": comparison.pooled_direction}
    return {
        "metric": comparison.metric.code,
        "metric_name": comparison.metric.name,
        "desired_direction": comparison.metric.desired_direction,
        "filters": comparison.filters.as_query(),
        "scale": comparison.scale_label,
        # the metric is named once, above; each result names its site, strategy and design
        "results": [
            {key: value for key, value in row.items() if key not in ("pooled", "metric")}
            for row in comparison.table_rows
            if not row["pooled"]
        ],
        "pooled": pooled,
        "not_pooled_reason": comparison.not_pooled_reason,
        "excluded": comparison.excluded,
        "withheld": comparison.withheld,
        "subgroups": comparison.subgroups,
        "subgroup_notes": comparison.subgroup_notes,
        "leave_one_out": comparison.leave_one_out,
        "leave_one_out_note": comparison.leave_one_out_note,
        "reading": comparison_reading(comparison),
    }


@router.get(
    "/compare/",
    response={200: dict, 400: dict, 404: dict},
    tags=["synthesis"],
    summary="Compare published results for one metric across sites",
)
def compare(request: HttpRequest):
    """The same comparison as /compare/ with the same query parameters (``metric``
    required; ``design``, ``strategy_type``, ``jurisdiction_kind``, ``region``,
    ``population_min``, ``population_max``). 400 lists every parameter not understood."""
    filters, errors = compare_filters_parse(request.GET)
    if not filters.metric:
        errors.insert(0, "metric: required; give an outcome metric code, e.g. nonfatal_shootings.")
    if errors:
        return Status(400, {"detail": errors})
    comparison = compare_metric(filters.metric, filters=filters)
    if comparison is None:
        return Status(404, {"detail": f'metric: no metric has the code "{filters.metric}".'})
    return Status(200, comparison_out(comparison))


@router.get(
    "/strategies/{strategy_id}/rating-suggestions/",
    response={200: dict, 404: dict},
    tags=["synthesis"],
    summary="Suggested evidence ratings of a published strategy, per outcome",
)
def rating_suggestions(request: HttpRequest, strategy_id: int):
    """``{"suggestions": [{"outcome": <metric code>, "rating": ..., "reasons": [...],
    "results": [<analysis ids>]}]}``: one suggestion per outcome with published results
    (docs/evidence-ratings.md has the rules). A suggestion, not BJA's rating: the
    strategy's ``evidence_ratings`` in ``GET /api/v1/strategies/`` are the decisions."""
    page = StrategyPage.objects.live().filter(pk=strategy_id).first()
    if page is None:
        return Status(404, {"detail": "No published strategy has this id."})
    return Status(200, {"suggestions": [s.to_dict() for s in rating_suggestions_for(page.pk)]})
