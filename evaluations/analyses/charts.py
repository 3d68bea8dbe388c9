"""Vega-Lite v6 specifications for result pages and /compare/, each paired with the table shown
under the chart.

Every chart is built from a :class:`ChartTable` whose ``rows`` are *both* the chart's inline
data and the table's rows (and the CSV download), so the picture can never show something the
table does not. Specs are plain dicts rendered by the static vega-embed bundle
(``portal/js/charts.bundle.js``); the page reads the same numbers without JavaScript.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evaluations.stats import DEFAULT_ALPHA, ITSResult, confidence_label

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
WIDTH = "container"
TREATMENT_COLOUR = "#005ea2"  # USWDS primary
COMPARISON_COLOUR = "#71767a"  # USWDS base
FITTED_COLOUR = "#162e51"
COUNTERFACTUAL_COLOUR = "#c05600"
# 'YYYY-MM' labels parse as midnight UTC on the 1st; read them in UTC too, or a browser west
# of Greenwich would place and label every month at the end of the month before.
MONTH_X: dict[str, Any] = {"field": "month", "type": "temporal", "timeUnit": "utcyearmonth"}
# Weekly series are keyed by each week's first day ('YYYY-MM-DD'): several weeks share a
# month, so their x axis keeps the day.
WEEK_X: dict[str, Any] = {"field": "month", "type": "temporal", "timeUnit": "utcyearmonthdate"}
# The x axis heading and tooltip format of the series chart, by the series' period.
PERIOD_AXIS: dict[str, tuple[str, str]] = {
    "week": ("Week starting", "%d %b %Y"),
    "month": ("Month", "%b %Y"),
    "quarter": ("Quarter starting", "%b %Y"),
    "year": ("Year starting", "%b %Y"),
}


@dataclass(frozen=True)
class ChartTable:
    """A chart and the table beneath it: ``columns`` are (key, heading) pairs; ``rows`` are
    dicts keyed by column key (the first column is the row header)."""

    slug: str
    title: str
    description: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def element_id(self) -> str:
        return f"chart-{self.slug}"

    @property
    def cells(self) -> list[list[Any]]:
        """The rows as lists in column order (for the template)."""
        return [[row.get(key) for key, _heading in self.columns] for row in self.rows]


def _base(title: str, description: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "title": title,
        "description": description,
        "width": WIDTH,
        "height": 280,
        "data": {"values": rows},
        "config": {"font": "Source Sans Pro, Helvetica, sans-serif"},
        # vega-embed reads these: its default <style> element and the actions menu's inline
        # styles would break the strict style-src CSP; the table below offers the CSV.
        "usermeta": {"embedOptions": {"defaultStyle": False, "actions": False, "tooltip": False}},
    }


def period_key(label: Any, period: str = "month") -> str:
    """The table's label of one period: 'YYYY-MM-DD' (the week's first day) for weekly
    series, else 'YYYY-MM' of the period's first month. Takes a stored row's 'YYYY-MM-DD', a
    pandas period as text ('2020-01', '2020Q3', '2020-01-06/2020-01-12') or a date."""
    text = str(label)
    quarter = re.fullmatch(r"(\d{4})Q([1-4])", text)
    if quarter:
        return f"{quarter[1]}-{3 * int(quarter[2]) - 2:02d}"
    return text[:10] if period == "week" else text[:7]


def _x(period: str) -> dict[str, Any]:
    return dict(WEEK_X if period == "week" else MONTH_X)


def start_rule_layers(intervention: str, period: str = "month") -> list[dict[str, Any]]:
    """The dashed "Start" rule and its label, drawn once at ``intervention`` (the start
    period's key, see :func:`period_key`).

    Both layers carry their own one-row data: a layer without data inherits every row of the
    chart's data and would draw the rule and its label once per row.
    """
    data = {"values": [{"month": intervention, "label": "Start"}]}
    x = _x(period)
    return [
        {
            "data": data,
            "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#1b1b1b"},
            "encoding": {"x": x},
        },
        {
            "data": data,
            "mark": {"type": "text", "align": "left", "baseline": "top", "dx": 4, "dy": 2},
            "encoding": {"x": x, "y": {"value": 0}, "text": {"field": "label"}},
        },
    ]


def reference_rule_layer(value: float) -> dict[str, Any]:
    """A dashed vertical rule at ``value`` on the x scale (no change on a forest plot), drawn
    once from its own one-row data."""
    return {
        "data": {"values": [{"reference": value}]},
        "mark": {"type": "rule", "strokeDash": [4, 4]},
        "encoding": {"x": {"field": "reference", "type": "quantitative"}},
    }


def series_chart(
    *,
    slug: str,
    title: str,
    description: str,
    rows: list[dict[str, Any]],
    intervention: str,
    value_label: str,
    fitted: bool,
    comparison: bool,
    period: str = "month",
) -> ChartTable:
    """Observed series with the intervention rule; ITS adds the fitted line and the
    counterfactual (pre-period trend projected forward); DiD / comparative ITS add the
    comparison series. ``rows`` have month (the period key, see :func:`period_key`),
    treatment, [comparison], [fitted, counterfactual]; ``period`` is the series' period
    ("week", "month", "quarter", "year")."""
    heading, tooltip_format = PERIOD_AXIS.get(period, PERIOD_AXIS["month"])
    columns = [("month", heading), ("treatment", f"Treatment area: {value_label}")]
    series = [("treatment", "Treatment area (observed)", TREATMENT_COLOUR, None)]
    if comparison:
        columns.append(("comparison", f"Comparison: {value_label}"))
        series.append(("comparison", "Comparison (observed)", COMPARISON_COLOUR, None))
    if fitted:
        columns += [("fitted", "Fitted (model)"), ("counterfactual", "Counterfactual (no change)")]
        series += [
            ("fitted", "Fitted (model)", FITTED_COLOUR, None),
            ("counterfactual", "Counterfactual (no change)", COUNTERFACTUAL_COLOUR, [6, 4]),
        ]
    keys = [s[0] for s in series]
    names = {s[0]: s[1] for s in series}
    spec = _base(title, description, rows)
    # The fold belongs to the series layers only: a layer with its own data (the start rule)
    # must not run it, and a top-level transform would apply to every inherited layer.
    folded = [
        {"fold": keys, "as": ["series_key", "series_value"]},
        {"calculate": f"{names!r}[datum.series_key]".replace("'", '"'), "as": "Series"},
        {"filter": "isValid(datum.series_value) && isFinite(toNumber(datum.series_value))"},
    ]
    observed_keys = [k for k in keys if k in ("treatment", "comparison")]
    colour = {
        "field": "Series",
        "type": "nominal",
        "scale": {"domain": [s[1] for s in series], "range": [s[2] for s in series]},
        "legend": {"orient": "bottom", "title": None},
    }
    x = {**_x(period), "title": heading}
    y = {"field": "series_value", "type": "quantitative", "title": value_label}
    spec["layer"] = [
        {
            "transform": [*folded, {"filter": {"field": "series_key", "oneOf": observed_keys}}],
            "mark": {"type": "line", "point": True, "strokeWidth": 1.5},
            "encoding": {
                "x": x,
                "y": y,
                "color": colour,
                "tooltip": [
                    {**_x(period), "title": heading, "format": tooltip_format},
                    {"field": "Series"},
                    {"field": "series_value", "title": value_label, "format": ",.2f"},
                ],
            },
        },
        *start_rule_layers(intervention, period),
    ]
    if fitted:
        spec["layer"].insert(
            1,
            {
                "transform": [
                    *folded,
                    {"filter": {"field": "series_key", "oneOf": ["fitted", "counterfactual"]}},
                ],
                "mark": {"type": "line", "strokeWidth": 2},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": colour,
                    "strokeDash": {
                        "field": "Series",
                        "type": "nominal",
                        "scale": {
                            "domain": ["Fitted (model)", "Counterfactual (no change)"],
                            "range": [[1, 0], [6, 4]],
                        },
                        "legend": None,
                    },
                },
            },
        )
    return ChartTable(slug, title, description, columns, rows, spec)


def means_chart(
    *, slug: str, title: str, description: str, rows: list[dict[str, Any]], value_label: str
) -> ChartTable:
    """Grouped bars of mean (or rate) before and after, per group: the pre/post means or the
    difference-in-differences 2×2 table. ``rows`` have group, before, after."""
    columns = [("group", "Group"), ("before", "Before the start"), ("after", "After the start")]
    spec = _base(title, description, rows)
    spec["height"] = 220
    spec["transform"] = [{"fold": ["before", "after"], "as": ["period_key", "mean"]}]
    spec["transform"].append(
        {
            "calculate": "datum.period_key === 'before' ? 'Before' : 'After'",
            "as": "Period",
        }
    )
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "y": {"field": "group", "type": "nominal", "title": None},
        "yOffset": {"field": "Period", "sort": ["Before", "After"]},
        "x": {"field": "mean", "type": "quantitative", "title": value_label},
        "color": {
            "field": "Period",
            "type": "nominal",
            "sort": ["Before", "After"],
            "scale": {"range": [COMPARISON_COLOUR, TREATMENT_COLOUR]},
            "legend": {"orient": "bottom", "title": None},
        },
    }
    return ChartTable(slug, title, description, columns, rows, spec)


def forest_chart(
    *,
    slug: str,
    title: str,
    description: str,
    rows: list[dict[str, Any]],
    scale_label: str,
    null_value: float,
    columns: list[tuple[str, str]] | None = None,
) -> ChartTable:
    """Forest plot: one row per site result and a final pooled row, each with its interval;
    a rule marks no effect. ``rows`` have label, estimate, ci_low, ci_high, weight (and any
    further ``columns`` the table shows)."""
    columns = columns or [
        ("label", "Result"),
        ("estimate", scale_label),
        ("ci_low", f"{confidence_label(DEFAULT_ALPHA)} CI low"),
        ("ci_high", f"{confidence_label(DEFAULT_ALPHA)} CI high"),
        ("weight", "Weight (%)"),
    ]
    spec = _base(title, description, rows)
    spec["height"] = {"step": 28}
    order = [r["label"] for r in rows]
    # labels are short by design: show them whole (Vega cuts them at 180 px by default)
    y = {
        "field": "label",
        "type": "nominal",
        "sort": order,
        "title": None,
        "axis": {"labelLimit": 0},
    }
    x_scale = {"type": "log"} if null_value == 1.0 else {"zero": False}
    spec["layer"] = [
        {
            "mark": {"type": "rule", "strokeWidth": 2},
            "encoding": {
                "y": y,
                "x": {
                    "field": "ci_low",
                    "type": "quantitative",
                    "title": scale_label,
                    "scale": x_scale,
                },
                "x2": {"field": "ci_high"},
            },
        },
        {
            "mark": {"type": "point", "filled": True, "shape": "square", "tooltip": True},
            "encoding": {
                "y": y,
                "x": {"field": "estimate", "type": "quantitative"},
                "size": {"field": "weight", "type": "quantitative", "legend": None},
                "color": {
                    "condition": {"test": "datum.pooled", "value": COUNTERFACTUAL_COLOUR},
                    "value": TREATMENT_COLOUR,
                },
            },
        },
        reference_rule_layer(null_value),
    ]
    return ChartTable(slug, title, description, columns, rows, spec)


def _by_period(series: pd.Series | None, period: str) -> dict[str, float | None]:
    """Period key -> the series' value rounded for the table (missing values as None)."""
    if series is None:
        return {}
    return {
        period_key(label, period): round(float(value), 4) if math.isfinite(value) else None
        for label, value in series.items()
    }


def its_series_rows(
    observed: dict[str, Any],
    result: ITSResult,
    comparison: dict[str, Any] | None = None,
    period: str = "month",
) -> list[dict[str, Any]]:
    """Table rows for the ITS chart: month (the period key), observed treatment (and
    comparison) value, fitted and counterfactual from the typed result. ``observed`` maps
    the period key (:func:`period_key`) to the (possibly suppressed) display value."""
    fitted = _by_period(result.fitted, period)
    counterfactual = _by_period(result.counterfactual, period)
    rows = []
    for month, value in fitted.items():
        row: dict[str, Any] = {"month": month, "treatment": observed.get(month)}
        if comparison is not None:
            row["comparison"] = comparison.get(month)
        row["fitted"] = value
        row["counterfactual"] = counterfactual.get(month)
        rows.append(row)
    return rows
