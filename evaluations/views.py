"""Public outcome-data page: published observations with filters, small counts suppressed,
and CSV/XLSX downloads of exactly what is shown."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from evaluations.exports import observations_export
from evaluations.forms import ObservationFilterForm
from evaluations.models import OutcomeMetric
from evaluations.selectors import observations_filter, observations_public, public_display
from portal.models import GranteeSite

ROWS_PER_PAGE = 100


def _public_queryset(request: HttpRequest):
    published_sites = GranteeSite.objects.filter(outcome_observations__is_published=True)
    form = ObservationFilterForm(request.GET or None, sites=published_sites.distinct())
    filters = form.filters() if request.GET else {}
    return form, observations_filter(observations_public(), **filters)


def public_data(request: HttpRequest) -> HttpResponse:
    form, queryset = _public_queryset(request)
    page = Paginator(queryset, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    # Protection is worked out on each site-metric's whole published table, not on this page.
    page_ids = [obs.pk for obs in page.object_list]
    rows = public_display(queryset.filter(pk__in=page_ids)).to_dict("records") if page_ids else []
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
    )


def public_data_export(request: HttpRequest, file_format: str) -> HttpResponse:
    if file_format not in ("csv", "xlsx"):
        raise Http404("Unknown format")
    _, queryset = _public_queryset(request)
    export = observations_export(queryset, file_format=file_format, public=True)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    return response
