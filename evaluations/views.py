"""Public outcome-data page: published observations with filters, small counts suppressed,
and CSV/XLSX downloads of exactly what is shown."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from evaluations.exports import observations_export
from evaluations.forms import ObservationFilterForm
from evaluations.models import OutcomeMetric
from evaluations.selectors import (
    observation_rows_named,
    observations_filter,
    observations_public,
    public_display,
)
from portal.models import GranteeSite
from portal.query_params import ascii_int

ROWS_PER_PAGE = 100


def _public_queryset(request: HttpRequest):
    """The filter form and the published observations it selects. An invalid filter selects
    nothing (the caller answers 400): never all data instead of the part asked for."""
    published_sites = GranteeSite.objects.filter(outcome_observations__is_published=True)
    form = ObservationFilterForm(
        request.GET or None, sites=published_sites.distinct(), other_parameters=("page",)
    )
    if request.GET and not form.is_valid():
        return form, observations_public().none()
    filters = form.filters() if request.GET else {}
    return form, observations_filter(observations_public(), **filters)


def _page_problem(request: HttpRequest) -> str | None:
    raw = request.GET.get("page")
    if raw in (None, "") or ascii_int(raw, minimum=1) is not None:
        return None
    return "page: a whole number from 1."


def public_data(request: HttpRequest) -> HttpResponse:
    form, queryset = _public_queryset(request)
    page_problem = _page_problem(request)
    if page_problem:
        form.add_error(None, page_problem)
    status = 400 if request.GET and not form.is_valid() else 200
    page = Paginator(queryset, ROWS_PER_PAGE).get_page(
        None if page_problem else request.GET.get("page")
    )
    # Protection is worked out on each site-metric's whole published table, not on this page.
    page_ids = [obs.pk for obs in page.object_list]
    rows = public_display(queryset.filter(pk__in=page_ids)).to_dict("records") if page_ids else []
    rows = observation_rows_named(rows)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "evaluations/public_data.html",
        {
            "form": form,
            "page_obj": page,
            "rows": rows,
            "query": query.urlencode(),
            "metrics": OutcomeMetric.objects.filter(observations__is_published=True).distinct(),
        },
        status=status,
    )


def public_data_export(request: HttpRequest, file_format: str) -> HttpResponse:
    if file_format not in ("csv", "xlsx"):
        raise Http404("Unknown format")
    form, queryset = _public_queryset(request)
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(
            "Nothing was exported; fix these filters:\n" + "\n".join(form.problems()) + "\n",
            content_type="text/plain; charset=utf-8",
        )
    export = observations_export(queryset, file_format=file_format, public=True)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    return response
