"""/compare/: every published result for one metric across jurisdictions, and when two or
more are on the same scale, their random-effects pooled estimate.

Pooling uses the stats library (``effect_size_from_result`` then ``random_effects``; REML by
default, DerSimonian-Laird or Knapp-Hartung with the ``pooling`` option), on each result's
headline estimate, i.e. the same number the result page leads with.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from evaluations import stats
from evaluations.analyses import charts, findings, selectors
from evaluations.directions import EffectDirection
from evaluations.models import OutcomeMetric
from evaluations.stats.effect_sizes import LOG_RATE_RATIO
from evaluations.stats.results import critical_value

MIN_POOLED = 2
# The ``pooling`` option: how the random-effects estimate is computed (stats.random_effects
# ``method``). HKSJ is REML's tau^2 with the Knapp-Hartung variance and a t interval on k - 1
# degrees of freedom, which holds its coverage better with few sites.
POOLING_METHODS: dict[str, str] = {
    "REML": "REML (restricted maximum likelihood), normal interval",
    "DL": "DerSimonian-Laird, normal interval",
    "HKSJ": "REML with the Knapp-Hartung (HKSJ) adjustment, t interval",
}
DEFAULT_POOLING = "REML"


def comparison_columns(
    confidence: str = stats.confidence_label(stats.DEFAULT_ALPHA),
) -> list[tuple[str, str]]:
    """The table and CSV columns; ``confidence`` is the interval's level ("95%")."""
    # Key columns first: on a narrow screen the table scrolls with the result label held in
    # view, and at desktop width the estimate, interval and direction are always visible.
    return [
        ("label", "Result"),
        ("estimate", "Estimate"),
        ("ci_low", f"{confidence} CI low"),
        ("ci_high", f"{confidence} CI high"),
        ("direction", "Direction"),
        ("design", "Design"),
        ("site", "Site"),
        ("state", "State"),
        ("jurisdiction_kind", "Jurisdiction kind"),
        ("weight", "Weight (%)"),
        ("in_pool", "In the pooled estimate"),
    ]


COLUMNS = comparison_columns()


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
    columns: list[tuple[str, str]] = field(default_factory=lambda: list(COLUMNS))


@dataclass
class _Entry:
    """One published result on the pooling scale: its effect size and sampling variance."""

    item: selectors.ListedAnalysis
    effect: float
    variance: float
    scale: str


@dataclass
class _Pool:
    """The results on the most common scale, which of them are pooled, and the pool."""

    scale: str
    entries: list[_Entry]
    excluded: list[str]
    weights: dict[int, float]
    meta: stats.MetaResult | None
    reason: str

    @property
    def ratio(self) -> bool:
        return self.scale == LOG_RATE_RATIO

    @property
    def scale_label(self) -> str:
        return "Rate ratio" if self.ratio else self.scale[:1].upper() + self.scale[1:]


def _display(value: float, ratio: bool) -> float:
    return round(math.exp(value) if ratio else value, 4)


def compare_metric(
    metric_code: str, *, design: str = "", pooling: str = DEFAULT_POOLING
) -> Comparison | None:
    """All published results for ``metric_code`` (optionally one design) and the pooled
    random-effects estimate over those sharing the most common effect-size scale.

    ``pooling`` is one of :data:`POOLING_METHODS` (``REML``, ``DL`` or ``HKSJ``); anything else
    raises ``ValueError`` naming the allowed values."""
    if pooling not in POOLING_METHODS:
        raise ValueError(f"Unknown pooling {pooling!r}; use one of: {', '.join(POOLING_METHODS)}.")
    metric = OutcomeMetric.objects.filter(code=metric_code).first()
    if metric is None:
        return None
    pool = _pool(_entries(metric, design), pooling)
    level_from = pool.meta or (pool.entries[0].item.estimate if pool.entries else None)
    confidence = (
        level_from.confidence_percent
        if level_from is not None
        else stats.confidence_label(stats.DEFAULT_ALPHA)
    )
    rows = [_site_row(entry, pool) for entry in pool.entries]
    direction = ""
    if pool.meta is not None:
        direction = findings.effect_direction(
            pool.meta.estimate,
            pool.meta.ci_low,
            pool.meta.ci_high,
            scale="log" if pool.ratio else "difference",
            desired=metric.desired_direction,
        )
        rows.append(_pooled_row(pool.meta, pool.ratio, direction))
    return Comparison(
        metric=metric,
        scale_label=pool.scale_label,
        table_rows=rows,
        pooled=_pooled_display(pool.meta, pool.ratio) if pool.meta is not None else None,
        pooled_direction=direction,
        not_pooled_reason=pool.reason,
        excluded=pool.excluded,
        chart=_forest(metric, pool, rows, confidence) if rows else None,
        columns=comparison_columns(confidence),
    )


def _entries(metric: OutcomeMetric, design: str) -> list[_Entry]:
    """Published results of ``metric`` whose headline estimate converts to an effect size."""
    queryset = selectors.published_analyses().filter(metric=metric)
    if design:
        queryset = queryset.filter(design=design)
    entries = []
    for analysis in queryset.order_by("site__name", "pk"):
        item = selectors.listed(analysis)
        if item is None:
            continue
        try:
            effect, variance, scale = stats.effect_size_from_result(item.estimate)
        except stats.AnalysisError:
            continue
        entries.append(_Entry(item, effect, variance, scale))
    return entries


def _strongest_per_site(entries: list[_Entry]) -> list[_Entry]:
    """One result per site and area in the pool: two designs on the same data are not
    independent studies. The strongest design (Maryland scale) represents the site."""

    def level(entry: _Entry) -> int:
        return findings.DESIGN_STRENGTH.get(entry.item.analysis.design, (0, ""))[0]

    best: dict[tuple, _Entry] = {}
    for entry in entries:
        a = entry.item.analysis
        key = (a.site_id, a.treatment_area)
        if key not in best or level(entry) > level(best[key]):
            best[key] = entry
    chosen = {id(entry) for entry in best.values()}
    return [e for e in entries if id(e) in chosen]


def _pool(entries: list[_Entry], pooling: str = DEFAULT_POOLING) -> _Pool:
    """Keep the most common scale, pick one result per site, and pool when there are enough."""
    scales = Counter(entry.scale for entry in entries)
    scale = scales.most_common(1)[0][0] if scales else LOG_RATE_RATIO
    same_scale = [e for e in entries if e.scale == scale]
    excluded = [e.item.analysis.title for e in entries if e.scale != scale]
    pooled_entries = _strongest_per_site(same_scale)
    if len(pooled_entries) < MIN_POOLED:
        reason = (
            f"Pooling needs at least {MIN_POOLED} published results on the same scale; "
            f"there {'is' if len(pooled_entries) == 1 else 'are'} {len(pooled_entries)}."
        )
        return _Pool(scale, same_scale, excluded, {}, None, reason)
    meta = stats.random_effects(
        [e.effect for e in pooled_entries],
        [e.variance for e in pooled_entries],
        method=pooling,
    )
    weights = {id(e): float(w) for e, w in zip(pooled_entries, meta.weights, strict=True)}
    return _Pool(scale, same_scale, excluded, weights, meta, "")


def _site_row(entry: _Entry, pool: _Pool) -> dict[str, Any]:
    """One site's row: its effect size and interval on the display scale, and its weight."""
    a = entry.item.analysis
    weight = pool.weights.get(id(entry), math.nan)
    in_pool = id(entry) in pool.weights and pool.meta is not None
    half = critical_value(entry.item.estimate.alpha, None) * math.sqrt(entry.variance)
    jurisdiction = a.site.jurisdiction if a.site_id else None
    return {
        "label": result_label(a),
        "title": a.title,
        "site": a.site.name if a.site_id else "Program-wide",
        "state": jurisdiction.state if jurisdiction else "",
        "jurisdiction_kind": jurisdiction.get_kind_display() if jurisdiction else "",
        "design": a.get_design_display(),
        "estimate": _display(entry.effect, pool.ratio),
        "ci_low": _display(entry.effect - half, pool.ratio),
        "ci_high": _display(entry.effect + half, pool.ratio),
        "direction": EffectDirection(entry.item.direction).label.lower(),
        "weight": None if math.isnan(weight) else round(100 * weight, 1),
        "in_pool": "yes" if in_pool else "no (same site, weaker design)",
        "pooled": False,
        "url": a.get_absolute_url(),
    }


# Short design names for forest-plot labels, keyed by ``Analysis.Design`` value.
DESIGN_ABBREVIATIONS = {
    "pre_post": "Pre/post",
    "did": "DiD",
    "its": "ITS",
    "its_with_comparison": "ITS + comparison",
}


def result_label(analysis: Any) -> str:
    """A short, unique label for one result on a forest plot and its table: the site's place
    (not the office's long name), the design, and the analysis number, e.g.
    "Harlow County, MO · ITS · #12"."""
    place = str(analysis.site.jurisdiction) if analysis.site_id else "Program-wide"
    design = DESIGN_ABBREVIATIONS.get(analysis.design, analysis.get_design_display())
    return f"{place} · {design} · #{analysis.pk}"


def _pooled_row(meta: stats.MetaResult, ratio: bool, direction: str) -> dict[str, Any]:
    return {
        "label": "Pooled (random effects)",
        "title": "",
        "site": "",
        "state": "",
        "jurisdiction_kind": "",
        "design": "",
        "estimate": _display(meta.estimate, ratio),
        "ci_low": _display(meta.ci_low, ratio),
        "ci_high": _display(meta.ci_high, ratio),
        "direction": EffectDirection(direction).label.lower(),
        "weight": 100.0,
        "in_pool": "",
        "pooled": True,
        "url": "",
    }


def _forest(
    metric: OutcomeMetric, pool: _Pool, rows: list[dict[str, Any]], confidence: str
) -> charts.ChartTable:
    return charts.forest_chart(
        slug=f"compare-{metric.code}",
        title=f"{metric.name}: results by site",
        description=(
            f"Forest plot of {len(pool.entries)} published results for {metric.name}: each "
            f"square is a site's estimate ({pool.scale_label.lower()}) sized by its weight, the "
            f"line its {confidence} confidence interval; the last row is the pooled estimate. "
            f"A dashed line marks no change. The table below has the same values."
        ),
        rows=rows,
        scale_label=pool.scale_label,
        null_value=1.0 if pool.ratio else 0.0,
        columns=comparison_columns(confidence),
    )


def _pooled_display(meta: stats.MetaResult, ratio: bool) -> dict[str, Any]:
    """The pooled result for the page: interval and prediction interval on the display scale,
    heterogeneity as published (tau² on the analysis scale, I² as a percentage)."""
    return {
        "k": meta.k,
        "estimate": _display(meta.estimate, ratio),
        "ci_low": _display(meta.ci_low, ratio),
        "ci_high": _display(meta.ci_high, ratio),
        "pi_low": None if meta.pi_low is None else _display(meta.pi_low, ratio),
        "pi_high": None if meta.pi_high is None else _display(meta.pi_high, ratio),
        "tau2": meta.tau2,
        "i2_percent": round(100 * meta.i2, 1),
        "q": meta.q,
        "q_df": meta.q_df,
        "q_p_value": meta.q_p_value,
        "method": meta.method,
        "confidence": meta.confidence_percent,
    }
