"""Public analysis pages: the /evaluations/ landing list, a result page per analysis with its
CSV downloads, and /compare/. Thin: selectors read, ``presentation`` assembles, templates
render; nothing is recomputed per request."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from evaluations.analyses import chart_render, charts, presentation, selectors
from evaluations.analyses import compare as compare_selectors
from evaluations.analyses.compare_reading import comparison_reading
from evaluations.analyses.disclosure import WITHDRAWN_NOTICE, WITHHELD_NOTICE
from evaluations.analyses.findings import is_finite_number, read_stored
from evaluations.analyses.methods import csv_filename
from evaluations.analyses.permissions import user_can_run_analysis
from evaluations.analyses.versions import approved_versions
from evaluations.directions import EffectDirection
from evaluations.exports import CONTENT_TYPES
from evaluations.models import Analysis, OutcomeMetric
from evaluations.stats import DEFAULT_ALPHA, confidence_label
from portal.models import CENSUS_REGION_NAMES, GranteeSite, Jurisdiction
from portal.worker import worker_status
from strategies.models import StrategyType

DIRECTIONS = EffectDirection.choices
LIST_COLUMNS = [
    ("title", "Analysis"),
    ("site", "Site"),
    ("state", "State"),
    ("metric", "Metric"),
    ("design", "Design"),
    ("scale", "Scale"),
    ("estimate", "Estimate"),
    ("ci_low", f"{confidence_label(DEFAULT_ALPHA)} CI low"),
    ("ci_high", f"{confidence_label(DEFAULT_ALPHA)} CI high"),
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
                "scale": "Rate ratio" if est.scale == "ratio" else "Difference",
                "estimate": est.estimate if is_finite_number(est.estimate) else None,
                "ci_low": est.ci_low if is_finite_number(est.ci_low) else None,
                "ci_high": est.ci_high if is_finite_number(est.ci_high) else None,
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
    context = {"analysis": analysis, "page": None, "withdrawn": WITHDRAWN_NOTICE}
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
                withheld = WITHHELD_NOTICE
            else:
                page = presentation.result_page(
                    analysis, stored, suppress=public is not None, public=public
                )
    can_run = user_can_run_analysis(request.user, analysis)
    context = {
        "analysis": analysis,
        "stored": stored,
        "can_run": can_run,
        # only people who can act on it hear that no worker is running
        "worker": worker_status()
        if can_run and analysis.status in Analysis.WAITING_ON_WORKER
        else None,
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
        return HttpResponse(WITHDRAWN_NOTICE, status=410, content_type="text/plain; charset=utf-8")
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
        return HttpResponse(WITHDRAWN_NOTICE, status=410, content_type="text/plain; charset=utf-8")
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


COMPARE_TABLE_FORMATS = ("csv", "xlsx")


def _download_problem(problem: str) -> HttpResponse:
    """A download that cannot be made: 404 in plain text naming why (a script asking for a
    file never gets the HTML "page not found", whose text production does not show)."""
    return HttpResponse(problem, status=404, content_type="text/plain; charset=utf-8")


def _compare_download(
    comparison: compare_selectors.Comparison, file_format: str, table: str
) -> HttpResponse:
    """One of the comparison's tables (CSV, XLSX) or its forest plot (SVG, PNG) as a file."""
    tables = comparison.tables()
    if file_format in COMPARE_TABLE_FORMATS and table not in tables:
        return _download_problem(f'table: no table "{table}" here; use one of {", ".join(tables)}.')
    suffix = "" if table == "results" else f"-{table}"
    name = f"compare-{comparison.metric.code}{suffix}"
    if file_format == "csv":
        return _csv_response(presentation.table_csv(*tables[table]), f"{name}.csv")
    if file_format == "xlsx":
        content = presentation.table_xlsx(*tables[table], title=table)
        content_type = CONTENT_TYPES["xlsx"]
    else:
        if comparison.chart is None:
            return _download_problem(
                "There is no plot: no published result matches these filters; widen them."
            )
        content = chart_render.chart_render(comparison.chart, file_format)
        content_type = chart_render.CONTENT_TYPES[file_format]
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


def compare(request: HttpRequest) -> HttpResponse:
    """/compare/: every published result for a metric, narrowed by the filters in the query
    string, the pooled estimate, subgroups, leave-one-out and a plain reading; ``format``
    csv/xlsx downloads the table, svg/png the plot."""
    filters, errors = compare_selectors.compare_filters_parse(request.GET)
    file_format = request.GET.get("format", "").strip()
    if file_format and file_format not in (*COMPARE_TABLE_FORMATS, *chart_render.CONTENT_TYPES):
        errors.append(f'format: "{file_format}" is not a download; use csv, xlsx, svg or png.')
    comparison = None
    if filters.metric and not errors:
        comparison = compare_selectors.compare_metric(filters.metric, filters=filters)
    if comparison is not None and file_format:
        table = request.GET.get("table", "").strip() or "results"
        return _compare_download(comparison, file_format, table)
    if errors and file_format:
        return HttpResponse("\n".join(errors), status=400, content_type="text/plain; charset=utf-8")
    if file_format:
        # A download was asked for but there is nothing to download: say so, never answer a
        # script's "give me the CSV" with the HTML page and 200.
        problem = (
            f'metric: no metric has the code "{filters.metric}".'
            if filters.metric
            else "metric: required for a download; give an outcome metric code."
        )
        status = 404 if filters.metric else 400
        return HttpResponse(problem, status=status, content_type="text/plain; charset=utf-8")
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    context = {
        "metrics": OutcomeMetric.objects.filter(analyses__is_published=True)
        .distinct()
        .order_by("name"),
        "designs": Analysis.Design.choices,
        "strategy_types": StrategyType.objects.order_by("name"),
        "jurisdiction_kinds": Jurisdiction.Kind.choices,
        "regions": CENSUS_REGION_NAMES,
        "pooling_methods": compare_selectors.POOLING_METHODS.items(),
        "filters": filters,
        "errors": errors,
        "metric_code": filters.metric,
        "design": filters.design,
        "comparison": comparison,
        "reading": comparison_reading(comparison) if comparison else [],
        "columns": comparison.columns if comparison else compare_selectors.COLUMNS,
        "query": query.urlencode(),
    }
    # An unknown metric is a missing page, as its download and the API say (404).
    status = 400 if errors else 404 if filters.metric and comparison is None else 200
    return render(request, "evaluations/analyses/compare.html", context, status=status)
