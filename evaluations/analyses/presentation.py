"""Everything a result page shows, assembled from the stored result only.

The page must be fast (no model fitting per request) and must say the same thing wherever the
result appears, so the views, the strategy page, /compare/ and the search index all call these
functions. Small counts are hidden here, before any table, chart or CSV sees them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

import tablib
from django.conf import settings

from evaluations.analyses import charts, findings, methods
from evaluations.analyses.data import PERIOD_NOUNS, series_length
from evaluations.analyses.findings import StoredResult, as_result, is_finite_number
from evaluations.exports import cell_escape
from evaluations.periods import CALENDAR_LENGTHS
from evaluations.stats import EstimateResult
from portal.numbers import csv_number, format_ratio, ratio_change

TREATMENT, COMPARISON = "treatment", "comparison"


PUBLIC_ESTIMATE_NOTE = (
    "Some inputs are hidden to protect small counts, so the estimates shown here come from "
    "the same analysis run with each hidden figure replaced by a value worked out from the "
    "published tables alone (small counts by the middle of their range): they are close to, "
    "but not exactly, the result BJA staff, research partners and the site see. Means and "
    "fitted values are not published."
)


@dataclass
class EstimateRow:
    label: str
    estimate: str
    interval: str
    p_value: str
    se: str
    n: str
    scale: str


@dataclass
class ResultPage:
    """The page's content, in reading order."""

    finding: str
    direction: str
    estimates: list[EstimateRow]
    caveats: list[str]
    charts: list[charts.ChartTable]
    data_rows: list[dict[str, Any]]
    suppressed: bool
    methods: methods.Methods | None
    comparison_label: str
    notes: list[str] = field(default_factory=list)
    confidence: str = ""
    period: str = "month"  # one period of the series: "week", "month", "quarter", "year"

    @property
    def period_adjective(self) -> str:
        """ "weekly", "monthly", "quarterly" or "yearly"."""
        return PERIOD_ADJECTIVES.get(self.period, "monthly")


PERIOD_ADJECTIVES = {"week": "weekly", "month": "monthly", "quarter": "quarterly", "year": "yearly"}


def metric_kind(metric: Any) -> str:
    """Counts are modelled as Poisson rates; everything else as continuous."""
    return "count" if metric.unit_kind == "count" else "continuous"


def comparison_label(analysis: Any) -> str:
    areas = list(analysis.comparison_areas or [])
    if not areas:
        return ""
    return (
        "the comparison area " + areas[0]
        if len(areas) == 1
        else ("the comparison areas (" + ", ".join(areas) + ")")
    )


def months_around_start(intervention: dt.date, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """(months before, months from the start month on) of treatment-area data in ``rows``
    (stored analysis rows with ``period_start`` as ISO dates and ``group``). A run records
    these on its ``AnalysisResult`` so lists can word the finding without reading the rows."""
    start = intervention.isoformat()[:7]
    starts = sorted(
        {
            dt.date.fromisoformat(str(r["period_start"])[:10])
            for r in rows
            if r.get("group") == TREATMENT
        }
    )
    # A quarterly (or yearly) row covers three (twelve) calendar months, so eight quarters
    # are 24 months, not 8; weeks fall in the month they start in.
    span = max(1, CALENDAR_LENGTHS[series_length(starts) or "M"])
    months = set()
    for first in starts:
        for k in range(span):
            index = first.month - 1 + k
            months.add(f"{first.year + index // 12:04d}-{index % 12 + 1:02d}")
    pre = sum(1 for m in months if m < start)
    return pre, len(months) - pre


def periods_around_start(intervention: dt.date, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """(periods before, periods from the start on) of treatment-area data in ``rows``: the
    series' own periods (weeks, quarters), where :func:`months_around_start` counts months."""
    start = intervention.isoformat()
    starts = {str(r["period_start"])[:10] for r in rows if r.get("group") == TREATMENT}
    pre = sum(1 for d in starts if d < start)
    return pre, len(starts) - pre


def segment_lengths(
    analysis: Any, result: StoredResult, stored: Any = None, rows: list[dict] | None = None
) -> tuple[int, int]:
    """Months before and after the start in the treatment series: the result's own counts
    when it stores them (pre/post, ITS), else those the run recorded (``stored``), else
    counted from ``rows``; (0, 0) when none is known."""
    result = as_result(result)
    n_pre, n_post = getattr(result, "n_pre", 0), getattr(result, "n_post", 0)
    if n_pre and n_post:
        return int(n_pre), int(n_post)
    if stored is not None and stored.months_after:
        return int(stored.months_before), int(stored.months_after)
    if rows:
        return months_around_start(analysis.intervention_date, rows)
    return 0, 0


def finding_for(analysis: Any, stored: Any, result: StoredResult | None = None) -> str:
    """The one-sentence finding of a run, as every surface shows it: the result page, the
    /evaluations/ list and its CSV, the strategy pages, the search index and the API.

    ``stored`` is the ``AnalysisResult``; ``result`` the version of it the reader may see (the
    public version, for the public), by default ``stored.result``. The month counts come
    from the result when it has them, else from what the run recorded."""
    result = stored.result if result is None else result
    # lists defer the rows; reading them there would cost a query per analysis
    rows = None if "data" in stored.get_deferred_fields() else stored.data
    n_pre, n_post = segment_lengths(analysis, result, stored, rows)
    period = "month"
    typed = as_result(result)
    if getattr(typed, "n_pre", 0) and getattr(typed, "n_post", 0):
        # The result's own counts are periods of the series (weeks, quarters...).
        word = period_word(typed, rows)
        if word is not None:
            period = word
        elif stored.months_after:
            # Not known without the rows: use the months the run recorded instead.
            n_pre, n_post = int(stored.months_before), int(stored.months_after)
    elif rows:
        # A design whose result has no period counts (difference-in-differences): count the
        # treatment area's own periods when they are not months ("30 weeks", not "8 months").
        word = period_word(typed, rows)
        if word not in (None, "month"):
            period = word
            n_pre, n_post = periods_around_start(analysis.intervention_date, rows)
    metric = analysis.metric
    return findings.finding_sentence(
        design=analysis.design,
        metric_name=metric.name,
        unit_kind=metric.unit_kind,
        desired_direction=metric.desired_direction,
        treatment_area=analysis.treatment_area,
        comparison_label=comparison_label(analysis),
        n_pre=n_pre,
        n_post=n_post,
        result=result,
        period=period,
    )


def period_word(result: Any, rows: list[dict[str, Any]] | None) -> str | None:
    """What one period of the analysed series is ("week", "month", "quarter", "year"), from
    an interrupted time series' intervention period or from the stored rows' spacing; ``None``
    when neither tells."""
    start = str(getattr(result, "intervention", "") or "")
    if "/" in start:  # pandas writes a weekly period as its first and last day
        return "week"
    if re.fullmatch(r"\d{4}Q\d", start):
        return "quarter"
    if re.fullmatch(r"\d{4}-\d{2}", start):
        return "month"
    if re.fullmatch(r"\d{4}", start):
        return "year"
    if not rows:
        return None
    starts = sorted(
        {
            dt.date.fromisoformat(str(r["period_start"])[:10])
            for r in rows
            if r.get("group") == TREATMENT
        }
    )
    length = series_length(starts)
    return None if length is None else PERIOD_NOUNS[length]


def _fmt(value: Any, digits: int = 3) -> str:
    if not is_finite_number(value):
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def _p(value: Any) -> str:
    if not is_finite_number(value):
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _estimate_row(label: str, est: EstimateResult, unit_kind: str) -> EstimateRow:
    ratio = est.scale == "ratio"
    value = est.estimate if is_finite_number(est.estimate) else None
    has_interval = is_finite_number(est.ci_low) and is_finite_number(est.ci_high)
    if ratio and value is not None:
        text = f"{format_ratio(value)} ({ratio_change(value)})"
        interval = f"{format_ratio(est.ci_low)} to {format_ratio(est.ci_high)}"
        se = f"{_fmt(est.se)} (log scale)"
        scale = "Rate ratio"
    else:
        text = (
            findings.format_difference(value, unit_kind, signed=True) if value is not None else "—"
        )
        interval = (
            f"{findings.format_difference(est.ci_low, unit_kind, signed=True)} to "
            f"{findings.format_difference(est.ci_high, unit_kind, signed=True)}"
            if has_interval
            else "—"
        )
        se = _fmt(est.se)
        scale = "Difference"
    return EstimateRow(label, text, interval, _p(est.p_value), se, str(est.n or "—"), scale)


# The estimates each design's table shows after the headline, as (label, result field).
_DID_ROWS = (("Pre-trend check (treated × time, before the start)", "pre_trend"),)


def _its_comparison_rows(period: str) -> tuple[tuple[str, str], ...]:
    return (
        ("Level change, treatment minus comparison", "level_change_difference"),
        (f"Slope change per {period}, treatment minus comparison", "slope_change_difference"),
    )


def estimate_rows(
    design: str, result: StoredResult, unit_kind: str, period: str = "month"
) -> list[EstimateRow]:
    """The estimate table: the headline first, then the design's other estimates.
    ``period`` names one period of the series ("week", "month", "quarter") in the slope
    rows: a slope change is per period of the data, not always per month."""
    result = as_result(result)

    def nested(pairs: tuple[tuple[str, str], ...]) -> list[EstimateRow]:
        found = [(label, getattr(result, name, None)) for label, name in pairs]
        return [_estimate_row(label, est, unit_kind) for label, est in found if est is not None]

    if design == "pre_post":
        return [_estimate_row("Change after vs before the start", result, unit_kind)]
    if design == "did":
        headline = "Difference-in-differences (treatment vs comparison)"
        return [_estimate_row(headline, result, unit_kind), *nested(_DID_ROWS)]
    rows = nested(_its_comparison_rows(period))
    level = getattr(result, "level_change", None)
    if level is None and getattr(result, "slope_change", None) is None:
        level = result  # a result stored without its nested estimates
    if level is not None:
        rows.append(_estimate_row("Level change at the start (treatment area)", level, unit_kind))
    rows.extend(nested(((f"Slope change per {period} (treatment area)", "slope_change"),)))
    return rows


def _small_label() -> str:
    return f"<{settings.PORTAL_SMALL_COUNT_THRESHOLD}"


def display_rows(
    rows: list[dict[str, Any]], *, suppress: bool, labels: dict[int, str] | None = None
) -> list[dict[str, Any]]:
    """The data table's rows. ``labels`` (row index -> text, from the public version of the
    analysis) replaces hidden values; without it, ``suppress`` hides counts from 1 to
    threshold-1 as "<threshold"."""
    threshold = settings.PORTAL_SMALL_COUNT_THRESHOLD
    out = []
    for i, row in enumerate(rows):
        value = row.get("value")
        shown: Any = value
        if labels is not None:
            shown = labels.get(i, value)
        elif suppress and value is not None and 1 <= value < threshold:
            shown = _small_label()
        out.append({**row, "value": shown})
    return out


def pooled_observed(
    rows: list[dict[str, Any]],
    group: str,
    kind: str,
    *,
    suppress: bool,
    labels: dict[int, str] | None = None,
    period: str = "month",
) -> dict[str, Any]:
    """Period key (``charts.period_key``: the month, or a week's first day) -> the group's
    pooled value (counts summed, others averaged), as displayed. A period with a hidden
    input shows its own label when it is a single area, else "<10" or the neutral marker by
    the pooled value."""
    threshold = settings.PORTAL_SMALL_COUNT_THRESHOLD
    totals: dict[str, list[float]] = {}
    hidden: dict[str, list[str]] = {}
    for i, row in enumerate(rows):
        if row.get("group") == group and row.get("value") is not None:
            month = charts.period_key(row["period_start"], period)
            totals.setdefault(month, []).append(float(row["value"]))
            if labels is not None and i in labels:
                hidden.setdefault(month, []).append(labels[i])
    out: dict[str, Any] = {}
    for month, values in sorted(totals.items()):
        value = sum(values) if kind == "count" else sum(values) / len(values)
        value = round(value, 4)
        small = 1 <= value < threshold
        if month in hidden:
            if len(values) == 1:
                out[month] = hidden[month][0]
            else:
                out[month] = _small_label() if small else suppressed_marker()
        else:
            out[month] = _small_label() if suppress and small else value
    return out


def suppressed_marker() -> str:
    from evaluations.disclosure import disclosure_policy

    return disclosure_policy().suppressed_marker


def _value_label(metric: Any) -> str:
    return {"proportion": f"{metric.name} (proportion)", "dollars": f"{metric.name} ($)"}.get(
        metric.unit_kind, metric.name
    )


def chart_tables(
    analysis: Any,
    result: StoredResult,
    rows: list[dict],
    *,
    suppress: bool,
    labels: dict[int, str] | None = None,
) -> list[charts.ChartTable]:
    """The charts for the design, each with the exact rows of the table under it."""
    result = as_result(result)
    kind = metric_kind(analysis.metric)
    period = period_word(result, rows) or "month"
    observed = pooled_observed(
        rows, TREATMENT, kind, suppress=suppress, labels=labels, period=period
    )
    has_comparison = analysis.design in ("did", "its_with_comparison")
    comparison = (
        pooled_observed(rows, COMPARISON, kind, suppress=suppress, labels=labels, period=period)
        if has_comparison
        else None
    )
    out = [_series_chart(analysis, result, observed, comparison, period)]
    means = _means_chart(analysis, result, kind, period)
    if means is not None:
        out.append(means)
    return out


def _series_chart(
    analysis: Any,
    result: EstimateResult,
    observed: dict[str, Any],
    comparison: dict[str, Any] | None,
    period: str = "month",
) -> charts.ChartTable:
    """The series by period: with the fitted line and counterfactual for an ITS result, the
    observed values alone otherwise."""
    metric = analysis.metric
    start = charts.period_key(analysis.intervention_date.isoformat(), period)
    area = analysis.treatment_area
    common = {
        "slug": f"{analysis.pk}-series",
        "intervention": start,
        "value_label": _value_label(metric),
        "comparison": comparison is not None,
        "period": period,
    }
    if (
        analysis.design in ("its", "its_with_comparison")
        and getattr(result, "fitted", None) is not None
    ):
        return charts.series_chart(
            title=f"{metric.name} by {period}, {area}",
            description=(
                f"Line chart of {metric.name} by {period} in {area} with the model's fitted line "
                f"and the counterfactual (the trend before {start} projected forward); a "
                f"dashed vertical line marks the start. The table below has the same values."
            ),
            rows=charts.its_series_rows(observed, result, comparison, period),
            fitted=True,
            **common,
        )
    series = []
    for month in sorted(set(observed) | set(comparison or {})):
        row: dict[str, Any] = {"month": month, "treatment": observed.get(month)}
        if comparison is not None:
            row["comparison"] = comparison.get(month)
        series.append(row)
    return charts.series_chart(
        title=f"{metric.name} by {period}",
        description=(
            f"Line chart of {metric.name} by {period} in {area}"
            + (" and the comparison areas" if comparison is not None else "")
            + f"; a dashed vertical line marks the start ({start}). The table below "
            f"has the same values."
        ),
        rows=series,
        fitted=False,
        **common,
    )


def _means_chart(
    analysis: Any, result: EstimateResult, kind: str, period: str = "month"
) -> charts.ChartTable | None:
    """Before/after means (or rates) per group, for the designs that report them."""
    area = analysis.treatment_area
    means = getattr(result, "means", None)
    if analysis.design == "did" and isinstance(means, dict):
        mean_rows = [
            {
                "group": name,
                "before": _round(means.get(key, {}).get("pre")),
                "after": _round(means.get(key, {}).get("post")),
            }
            for key, name in (("treated", f"Treatment ({area})"), ("comparison", "Comparison"))
        ]
    elif analysis.design == "pre_post":
        mean_rows = [
            {
                "group": f"Treatment ({area})",
                "before": _round(result.pre_mean),
                "after": _round(result.post_mean),
            }
        ]
    else:
        return None
    if all(r["before"] is None and r["after"] is None for r in mean_rows):
        return None  # not published (see disclosure)
    mean_word = "rate" if kind == "count" else "mean"
    adjective = PERIOD_ADJECTIVES.get(period, "monthly")
    return charts.means_chart(
        slug=f"{analysis.pk}-means",
        title=f"{adjective.capitalize()} {mean_word} before and after the start",
        description=(
            f"Bar chart of the {adjective} {mean_word} of {analysis.metric.name} before and "
            f"after the start for each group; the table below has the same values."
        ),
        rows=mean_rows,
        value_label=f"{adjective.capitalize()} {mean_word}",
    )


def _round(value: Any) -> Any:
    return round(float(value), 4) if is_finite_number(value) else None


def result_page(
    analysis: Any, stored: Any, *, suppress: bool, public: Any | None = None
) -> ResultPage:
    """Assemble the result page from ``stored`` (an AnalysisResult that succeeded). For a
    public viewer, ``public`` is its ``disclosure.PublicAnalysis``: hidden inputs keep their
    labels and only the publishable part of the result is read."""
    outcome = as_result(stored.result)
    labels = None
    notes = []
    if public is not None:
        outcome, labels = as_result(public.result), public.labels
        if public.imputed:
            notes.append(PUBLIC_ESTIMATE_NOTE)
    rows = stored.data or []
    metric = analysis.metric
    kind = metric_kind(metric)
    period = period_word(outcome, rows) or "month"
    return ResultPage(
        finding=finding_for(analysis, stored, outcome),
        direction=findings.effect_direction_for(outcome, metric.desired_direction),
        estimates=estimate_rows(analysis.design, outcome, metric.unit_kind, period),
        caveats=findings.caveats(analysis, outcome, rows),
        charts=chart_tables(analysis, outcome, rows, suppress=suppress, labels=labels),
        data_rows=display_rows(rows, suppress=suppress, labels=labels),
        suppressed=suppress,
        methods=methods.methods_for(
            analysis_id=analysis.pk,
            design=analysis.design,
            kind=kind,
            intervention=analysis.intervention_date,
            options=analysis.options or {},
            result=outcome,
            rows=rows,
            library_versions=stored.library_versions or {},
            # a hash of the exact inputs would let anyone test guesses of a hidden value
            input_hash="" if labels else stored.input_hash,
        ),
        comparison_label=comparison_label(analysis),
        period=period,
        confidence=outcome.confidence_percent,
        notes=notes,
    )


def _csv_cell(value: Any) -> Any:
    """One CSV cell: empty for None, numbers at full precision without float noise
    (``portal.numbers.csv_number``), text formula-escaped."""
    if value is None:
        return ""
    return cell_escape(csv_number(value))


def table_csv(columns: list[tuple[str, str]], rows: list[dict[str, Any]]) -> str:
    """A table as CSV text with its headings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([heading for _key, heading in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(k)) for k, _h in columns])
    return buffer.getvalue()


def table_xlsx(columns: list[tuple[str, str]], rows: list[dict[str, Any]], title: str) -> bytes:
    """The same table as ``table_csv`` as an Excel workbook of one sheet named ``title``
    (at most 31 characters, Excel's limit), formula-escaped."""
    dataset = tablib.Dataset(headers=[heading for _key, heading in columns], title=title[:31])
    for row in rows:
        dataset.append([cell_escape("" if row.get(k) is None else row.get(k)) for k, _h in columns])
    return dataset.export("xlsx")


def data_csv(rows: list[dict[str, Any]]) -> str:
    """The data download: the stored rows with the column names the Methods snippet reads."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(methods.CSV_COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(row.get(k)) for k in methods.CSV_COLUMNS])
    return buffer.getvalue()
