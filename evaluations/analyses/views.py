"""Public analysis pages: the /evaluations/ landing list, a result page per analysis with its
CSV downloads, and /compare/. Thin: selectors read, ``presentation`` assembles, templates
render; nothing is recomputed per request."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from evaluations.analyses import chart_render, charts, presentation, selectors
from evaluations.analyses import compare as compare_selectors
from evaluations.analyses.findings import is_finite_number, read_stored
from evaluations.analyses.methods import csv_filename
from evaluations.analyses.versions import approved_versions
from evaluations.directions import EffectDirection
from evaluations.models import Analysis, OutcomeMetric
from evaluations.stats import DEFAULT_ALPHA, confidence_label
from portal.models import GranteeSite

DIRECTIONS = EffectDirection.choices
LIST_COLUMNS = [
    ("title", "Analysis"),
    ("site", "Site"),
    ("state", "State"),
    ("metric", "Metric"),
    ("design", "Design"),
    ("estimate", "Estimate"),
    ("ci", f"{confidence_label(DEFAULT_ALPHA)} CI"),
    ("direction", "Direction"),
    ("finding", "Finding"),
    ("url", "Link"),
]


def _csv_response(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _landing_filters(request: HttpRequest) -> dict[str, str]:
    keys = ("site", "state", "metric", "design", "direction")
    return {key: request.GET.get(key, "").strip() for key in keys}


def _list_rows(items: list[selectors.ListedAnalysis], request: HttpRequest) -> list[dict]:
    rows = []
    for item in items:
        a = item.analysis
        est = item.estimate
        rows.append(
            {
                "title": a.title,
                "site": a.site.name if a.site_id else "Program-wide",
                "state": a.site.jurisdiction.state if a.site_id else "",
                "metric": a.metric.name,
                "design": a.get_design_display(),
                "estimate": est.estimate if is_finite_number(est.estimate) else None,
                "ci": f"{est.ci_low:.4g} to {est.ci_high:.4g}"
                if is_finite_number(est.ci_low) and is_finite_number(est.ci_high)
                else "",
                "direction": dict(DIRECTIONS)[item.direction],
                "direction_code": item.direction,
                "finding": item.finding,
                "url": request.build_absolute_uri(a.get_absolute_url()),
                "path": a.get_absolute_url(),
            }
        )
    return rows


def analyses_landing(request: HttpRequest) -> HttpResponse:
    """/evaluations/: published analyses with filters, as a table (and CSV)."""
    filters = _landing_filters(request)
    rows = _list_rows(selectors.landing_list(**filters), request)
    if request.GET.get("format") == "csv":
        return _csv_response(presentation.table_csv(LIST_COLUMNS, rows), "analyses.csv")
    published = Analysis.objects.filter(is_published=True)
    query = request.GET.copy()
    query.pop("format", None)
    context = {
        "rows": rows,
        "filters": filters,
        "sites": GranteeSite.objects.filter(analyses__in=published).distinct().order_by("name"),
        "states": sorted(
            set(published.exclude(site=None).values_list("site__jurisdiction__state", flat=True))
        ),
        "metrics": OutcomeMetric.objects.filter(analyses__in=published).distinct().order_by("name"),
        "designs": Analysis.Design.choices,
        "directions": DIRECTIONS,
        "query": query.urlencode(),
    }
    return render(request, "evaluations/analyses/landing.html", context)


def _visible(request: HttpRequest, pk: int) -> Analysis:
    analysis = selectors.analysis_for_page(request.user, pk)
    if analysis is None:
        raise Http404("No such analysis.")
    return analysis


WITHDRAWN = (
    "This analysis has been withdrawn from public view: the site has withdrawn or corrected "
    "data it used. It returns when it has been re-run on published data."
)
WITHHELD = (
    "The estimates of this analysis are withheld from public view: it used figures hidden to "
    "protect small counts, and it could not be re-run on the published figures alone."
)


def _public_or_gone(request: HttpRequest, analysis: Analysis, stored):
    """The viewer's public version of ``stored`` (None: exact), or raise 410 when the
    analysis is withdrawn for this viewer."""
    public = selectors.public_version(request.user, analysis, stored)
    if public is not None and public.withdrawn:
        raise AnalysisWithdrawn
    return public


class AnalysisWithdrawn(Exception):
    pass


def _withdrawn_page(request: HttpRequest, analysis: Analysis) -> HttpResponse:
    context = {"analysis": analysis, "page": None, "withdrawn": WITHDRAWN}
    return render(request, "evaluations/analyses/detail.html", context, status=410)


def analysis_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The result page, read from the stored current result."""
    analysis = _visible(request, pk)
    stored = selectors.current_result(analysis)
    page = None
    withheld = ""
    unreadable = False
    public = None
    if selectors.has_estimates(stored):
        if read_stored(stored.result) is None:
            unreadable = True
        else:
            try:
                public = _public_or_gone(request, analysis, stored)
            except AnalysisWithdrawn:
                return _withdrawn_page(request, analysis)
            if public is not None and public.withheld:
                withheld = WITHHELD
            else:
                page = presentation.result_page(
                    analysis, stored, suppress=public is not None, public=public
                )
    context = {
        "analysis": analysis,
        "stored": stored,
        "page": page,
        "withheld": withheld,
        "unreadable": unreadable,
        "csv_name": csv_filename(analysis.pk),
        "versions": list(approved_versions(analysis).defer("data", "result")),
        # a version's input hash would let anyone test guesses of a hidden input
        "version_hashes": page is not None and public is None,
    }
    return render(request, "evaluations/analyses/detail.html", context)


def analysis_data_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The rows the analysis used (small counts hidden for viewers not entitled to them)."""
    analysis = _visible(request, pk)
    stored = selectors.current_result(analysis)
    if stored is None or not stored.data:
        raise Http404("This analysis has no stored data yet.")
    try:
        public = _public_or_gone(request, analysis, stored)
    except AnalysisWithdrawn:
        return HttpResponse(WITHDRAWN, status=410, content_type="text/plain; charset=utf-8")
    rows = presentation.display_rows(
        stored.data, suppress=public is not None, labels=public.labels if public else None
    )
    return _csv_response(presentation.data_csv(rows), csv_filename(analysis.pk))


def _chart_for(request: HttpRequest, pk: int, slug: str) -> charts.ChartTable | HttpResponse:
    """The chart ``slug`` of an analysis as this viewer may see it (the same rows and labels
    whatever the format), or the 410 response when it is withdrawn for them."""
    analysis = _visible(request, pk)
    stored = selectors.current_result(analysis)
    if not selectors.has_estimates(stored):
        raise Http404("This analysis has no result yet.")
    result = read_stored(stored.result)
    if result is None:
        raise Http404("This analysis's stored result cannot be read.")
    try:
        public = _public_or_gone(request, analysis, stored)
    except AnalysisWithdrawn:
        return HttpResponse(WITHDRAWN, status=410, content_type="text/plain; charset=utf-8")
    if public is not None:
        result = None if public.withheld else read_stored(public.result)
        if result is None:
            raise Http404("This analysis's charts are withheld.")
    for chart in presentation.chart_tables(
        analysis,
        result,
        stored.data or [],
        suppress=public is not None,
        labels=public.labels if public else None,
    ):
        if chart.slug == slug:
            return chart
    raise Http404("No such chart.")


def analysis_chart_csv(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """One chart's table as CSV (the same rows the chart draws)."""
    chart = _chart_for(request, pk, slug)
    if isinstance(chart, HttpResponse):
        return chart
    return _csv_response(presentation.table_csv(chart.columns, chart.rows), f"analysis-{slug}.csv")


def _image_response(chart: charts.ChartTable, fmt: chart_render.ChartFormat) -> HttpResponse:
    response = HttpResponse(
        chart_render.chart_render(chart, fmt), content_type=chart_render.CONTENT_TYPES[fmt]
    )
    response["Content-Disposition"] = f'inline; filename="chart-{chart.slug}.{fmt}"'
    return response


def analysis_chart_image(request: HttpRequest, pk: int, slug: str, fmt: str) -> HttpResponse:
    """One chart drawn on the server as SVG or PNG, from exactly the rows of its CSV."""
    chart = _chart_for(request, pk, slug)
    if isinstance(chart, HttpResponse):
        return chart
    return _image_response(chart, fmt)


def compare(request: HttpRequest) -> HttpResponse:
    """/compare/: every published result for a metric, and the pooled estimate."""
    metric_code = request.GET.get("metric", "").strip()
    design = request.GET.get("design", "").strip()
    pooling = request.GET.get("pooling", "").strip() or compare_selectors.DEFAULT_POOLING
    if pooling not in compare_selectors.POOLING_METHODS:
        return HttpResponseBadRequest(
            f"Unknown pooling; use one of: {', '.join(compare_selectors.POOLING_METHODS)}.",
            content_type="text/plain",
        )
    comparison = (
        compare_selectors.compare_metric(metric_code, design=design, pooling=pooling)
        if metric_code
        else None
    )
    fmt = request.GET.get("format")
    if comparison is not None and fmt == "csv":
        return _csv_response(
            presentation.table_csv(comparison.columns, comparison.table_rows),
            f"compare-{comparison.metric.code}.csv",
        )
    if fmt in chart_render.CONTENT_TYPES:
        if comparison is None or comparison.chart is None:
            raise Http404("Choose a metric with published results to draw its chart.")
        return _image_response(comparison.chart, fmt)
    query = request.GET.copy()
    query.pop("format", None)
    context = {
        "metrics": OutcomeMetric.objects.filter(analyses__is_published=True)
        .distinct()
        .order_by("name"),
        "designs": Analysis.Design.choices,
        "metric_code": metric_code,
        "design": design,
        "comparison": comparison,
        "columns": comparison.columns if comparison else compare_selectors.COLUMNS,
        "query": query.urlencode(),
    }
    return render(request, "evaluations/analyses/compare.html", context)
