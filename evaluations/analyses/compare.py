"""/compare/: every published result for one metric across jurisdictions, and when two or
more are on the same scale, their random-effects pooled estimate.

Pooling uses the stats library (``effect_size_from_result`` then ``random_effects``, REML), on
each result's headline estimate, i.e. the same number the result page leads with.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from evaluations import stats
from evaluations.analyses import charts, findings, selectors
from evaluations.models import OutcomeMetric
from evaluations.stats.effect_sizes import LOG_RATE_RATIO

COLUMNS = [
    ("label", "Result"),
    ("site", "Site"),
    ("state", "State"),
    ("jurisdiction_kind", "Jurisdiction kind"),
    ("design", "Design"),
    ("estimate", "Estimate"),
    ("ci_low", "95% CI low"),
    ("ci_high", "95% CI high"),
    ("direction", "Direction"),
    ("weight", "Weight (%)"),
    ("in_pool", "In the pooled estimate"),
]
MIN_POOLED = 2


@dataclass
class Comparison:
    metric: OutcomeMetric
    scale_label: str
    table_rows: list[dict[str, Any]]
    pooled: dict[str, Any] | None
    pooled_direction: str = ""
    not_pooled_reason: str = ""
    excluded: list[str] = field(default_factory=list)
    chart: charts.ChartTable | None = None


def _display(value: float, ratio: bool) -> float:
    return round(math.exp(value) if ratio else value, 4)


def compare_metric(metric_code: str, *, design: str = "") -> Comparison | None:
    """All published results for ``metric_code`` (optionally one design) and the pooled
    random-effects estimate over those sharing the most common effect-size scale."""
    metric = OutcomeMetric.objects.filter(code=metric_code).first()
    if metric is None:
        return None
    queryset = selectors.published_analyses().filter(metric=metric)
    if design:
        queryset = queryset.filter(design=design)
    entries = []
    for analysis in queryset.order_by("site__name", "pk"):
        item = selectors.listed(analysis)
        if item is None:
            continue
        try:
            effect, variance, label = stats.effect_size_from_result(item.estimate)
        except stats.AnalysisError:
            continue
        entries.append((item, effect, variance, label))
    labels = Counter(label for *_rest, label in entries)
    scale = labels.most_common(1)[0][0] if labels else LOG_RATE_RATIO
    ratio = scale == LOG_RATE_RATIO
    scale_label = "Rate ratio" if ratio else scale[:1].upper() + scale[1:]
    same_scale = [e for e in entries if e[3] == scale]
    excluded = [e[0].analysis.title for e in entries if e[3] != scale]
    # One result per site and area in the pool: two designs on the same data are not
    # independent studies. The strongest design (Maryland scale) represents the site.
    best: dict[tuple, tuple] = {}
    for entry in same_scale:
        a = entry[0].analysis
        key = (a.site_id, a.treatment_area)
        level = findings.DESIGN_STRENGTH.get(a.design, (0, ""))[0]
        if (
            key not in best
            or level > findings.DESIGN_STRENGTH.get(best[key][0].analysis.design, (0, ""))[0]
        ):
            best[key] = entry
    pool_ids = {id(entry) for entry in best.values()}
    pooled_entries = [e for e in same_scale if id(e) in pool_ids]
    pooled = None
    reason = ""
    weights: list[float] = [math.nan] * len(pooled_entries)
    if len(pooled_entries) >= MIN_POOLED:
        meta = stats.random_effects(
            [e[1] for e in pooled_entries], [e[2] for e in pooled_entries], method="REML"
        ).to_dict()
        weights = list(meta["weights"])
        pooled = meta
    else:
        reason = (
            f"Pooling needs at least {MIN_POOLED} published results on the same scale; "
            f"there {'is' if len(pooled_entries) == 1 else 'are'} {len(pooled_entries)}."
        )
    weight_of = {id(e): w for e, w in zip(pooled_entries, weights, strict=True)}
    rows = []
    for entry in same_scale:
        item, effect, variance, _label = entry
        weight = weight_of.get(id(entry), math.nan)
        in_pool = id(entry) in weight_of and pooled is not None
        a = item.analysis
        half = 1.959963984540054 * math.sqrt(variance)
        jurisdiction = a.site.jurisdiction if a.site_id else None
        rows.append(
            {
                "label": f"{a.site.name if a.site_id else 'Program'}: {a.title}",
                "site": a.site.name if a.site_id else "Program-wide",
                "state": jurisdiction.state if jurisdiction else "",
                "jurisdiction_kind": jurisdiction.get_kind_display() if jurisdiction else "",
                "design": a.get_design_display(),
                "estimate": _display(effect, ratio),
                "ci_low": _display(effect - half, ratio),
                "ci_high": _display(effect + half, ratio),
                "direction": item.direction.replace("_", " "),
                "weight": None if math.isnan(weight) else round(100 * weight, 1),
                "in_pool": "yes" if in_pool else "no (same site, weaker design)",
                "pooled": False,
                "url": a.get_absolute_url(),
            }
        )
    direction = ""
    if pooled is not None:
        rows.append(
            {
                "label": "Pooled (random effects)",
                "site": "",
                "state": "",
                "jurisdiction_kind": "",
                "design": "",
                "estimate": _display(pooled["estimate"], ratio),
                "ci_low": _display(pooled["ci_low"], ratio),
                "ci_high": _display(pooled["ci_high"], ratio),
                "direction": "",
                "weight": 100.0,
                "in_pool": "",
                "pooled": True,
                "url": "",
            }
        )
        direction = findings.effect_direction(
            pooled["estimate"],
            pooled["ci_low"],
            pooled["ci_high"],
            scale="log" if ratio else "difference",
            desired=metric.desired_direction,
        )
        rows[-1]["direction"] = direction.replace("_", " ")
    chart = None
    if rows:
        chart = charts.forest_chart(
            slug=f"compare-{metric.code}",
            title=f"{metric.name}: results by site",
            description=(
                f"Forest plot of {len(same_scale)} published results for {metric.name}: each "
                f"square is a site's estimate ({scale_label.lower()}) sized by its weight, the "
                f"line its 95% confidence interval; the last row is the pooled estimate. A dashed "
                f"line marks no change. The table below has the same values."
            ),
            rows=rows,
            scale_label=scale_label,
            null_value=1.0 if ratio else 0.0,
            columns=COLUMNS,
        )
    return Comparison(
        metric=metric,
        scale_label=scale_label,
        table_rows=rows,
        pooled=_pooled_display(pooled, ratio) if pooled else None,
        pooled_direction=direction,
        not_pooled_reason=reason,
        excluded=excluded,
        chart=chart,
    )


def _pooled_display(meta: dict[str, Any], ratio: bool) -> dict[str, Any]:
    """The pooled result for the page: interval and prediction interval on the display scale,
    heterogeneity as published (tau² on the analysis scale, I² as a percentage)."""
    return {
        "k": meta["k"],
        "estimate": _display(meta["estimate"], ratio),
        "ci_low": _display(meta["ci_low"], ratio),
        "ci_high": _display(meta["ci_high"], ratio),
        "pi_low": None if meta.get("pi_low") is None else _display(meta["pi_low"], ratio),
        "pi_high": None if meta.get("pi_high") is None else _display(meta["pi_high"], ratio),
        "tau2": meta["tau2"],
        "i2_percent": round(100 * meta["i2"], 1),
        "q": meta["q"],
        "q_df": meta["q_df"],
        "q_p_value": meta["q_p_value"],
        "method": meta["method"],
    }
