"""Public views: thin wrappers that parse the request, call a selector and render."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.text import slugify

from strategies.choices import RATING_MEANINGS, Rating
from strategies.models import StrategyIndexPage, StrategyPage, StrategyType
from strategies.selectors import (
    strategies_filtered,
    strategy_filters_parse,
    strategy_table_rows,
    strategy_types_with_counts,
)

PAGE_SIZE = 12


def strategy_list_view(
    request: HttpRequest, index_page: StrategyIndexPage, *, type_slug: str | None = None
) -> TemplateResponse:
    """/strategies/ and /strategies/type/<slug>/: the filtered, sorted, paginated list."""
    strategy_type = get_object_or_404(StrategyType, slug=type_slug) if type_slug else None
    parsed = strategy_filters_parse(request.GET)
    context = index_page.get_context(request)
    context.update(
        {
            "form": parsed.form,
            "checkbox_fields": [parsed.form["kind"], parsed.form["rating"], parsed.form["status"]],
            "filter_errors": parsed.errors,
            "strategy_type": strategy_type,
            "strategy_types": strategy_types_with_counts(),
            "filters": parsed.filters,
        }
    )
    if parsed.filters is None:
        context["page_obj"] = None
        return TemplateResponse(request, "strategies/strategy_index_page.html", context, status=400)
    strategies = strategies_filtered(parsed.filters, strategy_type=strategy_type)
    page_obj = Paginator(strategies, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        {
            "page_obj": page_obj,
            "page_range": page_obj.paginator.get_elided_page_range(page_obj.number),
            "query_without_page": query.urlencode(),
        }
    )
    return TemplateResponse(request, "strategies/strategy_index_page.html", context)


def strategy_table_csv(request: HttpRequest, page_id: int, block_id: object) -> HttpResponse:
    """One table of a published strategy as CSV (every table on the portal offers this)."""
    page = get_object_or_404(StrategyPage.objects.live().public(), pk=page_id)
    found = strategy_table_rows(page, str(block_id))
    if found is None:
        raise Http404("No such table on this strategy.")
    caption, rows = found
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = slugify(f"{page.slug}-{caption}")[:80] or "table"
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerows(rows)
    return response


def evidence_ratings_page(request: HttpRequest) -> HttpResponse:
    """/evidence-ratings/: what each evidence rating means, linked from every badge."""
    ratings = [(code, label, RATING_MEANINGS[code]) for code, label in Rating.choices]
    return TemplateResponse(request, "strategies/evidence_ratings.html", {"ratings": ratings})
