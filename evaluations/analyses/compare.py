"""/compare/: every published result for one metric across jurisdictions, narrowed by design,
strategy type, jurisdiction kind, census region and population; when two or more are on the
same scale, their random-effects pooled estimate with its prediction interval, subgroups by
strategy type and jurisdiction kind with the test for subgroup differences, and leave-one-out.

Pooling uses the stats library (``effect_size_from_result`` then ``random_effects``; REML by
default, DerSimonian-Laird or Knapp-Hartung with the ``pooling`` option; ``subgroup_differences``
and ``leave_one_out`` build on ``random_effects`` with the same method), on each result's
headline estimate, i.e. the same number the result page leads with.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from django.db.models import QuerySet

from evaluations import stats
from evaluations.analyses import charts, findings, selectors
from evaluations.directions import EffectDirection
from evaluations.exports import CONTROL_CHARACTERS
from evaluations.models import Analysis, OutcomeMetric
from evaluations.stats.effect_sizes import LOG_RATE_RATIO
from evaluations.stats.results import critical_value
from evaluations.stats.subgroups import MIN_LEAVE_ONE_OUT
from portal.models import CENSUS_REGION_NAMES, Jurisdiction, states_in_region
from portal.numbers import format_measure, format_ratio_with_interval
from strategies.models import StrategyType

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

NO_STRATEGY = "No published strategy linked"
# The subgroup analyses /compare/ runs: key, heading.
SUBGROUP_KINDS: tuple[tuple[str, str], ...] = (
    ("strategy_type", "Strategy type"),
    ("jurisdiction_kind", "Jurisdiction kind"),
)


@dataclass(frozen=True)
class CompareFilters:
    """What /compare/ and ``GET /api/v1/compare/`` narrow the results by; all in the query
    string under these names."""

    metric: str = ""
    design: str = ""
    strategy_type: str = ""
    jurisdiction_kind: str = ""
    region: str = ""
    population_min: int | None = None
    population_max: int | None = None
    pooling: str = DEFAULT_POOLING

    def as_query(self) -> dict[str, str]:
        """The non-empty filters as query-string values (for links and downloads)."""
        values = {k: str(v) for k, v in asdict(self).items() if v not in ("", None)}
        if self.pooling == DEFAULT_POOLING:
            del values["pooling"]
        return values


# The largest population filter accepted: more residents than any jurisdiction has (and within
# the population column's range on every database, so a huge value never reaches SQL).
MAX_POPULATION = 2_000_000_000


def _population(params: Mapping[str, str], name: str, errors: list[str]) -> int | None:
    raw = (params.get(name) or "").strip().replace(",", "")
    if not raw:
        return None
    # ASCII digits only: str.isdigit() also accepts "²" and other digits int() refuses, and a
    # value of thousands of digits is past int()'s limit or the database column's range.
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    if not (raw.isascii() and raw.isdigit()):
        errors.append(f'{name}: "{shown}" is not a whole number of residents; use e.g. 250000.')
        return None
    if len(raw) > len(str(MAX_POPULATION)) or int(raw) > MAX_POPULATION:
        errors.append(f"{name}: {shown} is more residents than any jurisdiction has.")
        return None
    return int(raw)


def compare_filters_parse(params: Mapping[str, str]) -> tuple[CompareFilters, list[str]]:
    """Read and check the filters; each problem names the parameter, the value and the
    values allowed. Unknown values are refused rather than ignored, so a typo never shows
    an unfiltered comparison as if it were filtered."""
    errors: list[str] = []
    text = {
        key: (params.get(key) or "").strip()
        for key in ("metric", "design", "strategy_type", "jurisdiction_kind", "region")
    }
    for key, value in text.items():
        # PostgreSQL cannot hold NUL in text: such a value would fail the query, not match.
        if CONTROL_CHARACTERS.search(value):
            errors.append(f"{key}: remove the control characters (such as NUL) from the value.")
            text[key] = ""
    if text["design"] and text["design"] not in Analysis.Design.values:
        errors.append(
            f'design: "{text["design"]}" is not a design; use one of '
            f"{', '.join(Analysis.Design.values)}."
        )
    if text["jurisdiction_kind"] and text["jurisdiction_kind"] not in Jurisdiction.Kind.values:
        errors.append(
            f'jurisdiction_kind: "{text["jurisdiction_kind"]}" is not a jurisdiction kind; use '
            f"one of {', '.join(Jurisdiction.Kind.values)}."
        )
    if text["region"]:
        if not states_in_region(text["region"]):
            errors.append(
                f'region: "{text["region"]}" is not a census region; use one of '
                f"{', '.join(CENSUS_REGION_NAMES)}."
            )
        else:
            text["region"] = next(
                r for r in CENSUS_REGION_NAMES if r.lower() == text["region"].lower()
            )
    if (
        text["strategy_type"]
        and not StrategyType.objects.filter(slug=text["strategy_type"]).exists()
    ):
        slugs = ", ".join(StrategyType.objects.order_by("slug").values_list("slug", flat=True))
        errors.append(
            f'strategy_type: "{text["strategy_type"]}" is not a strategy type; use one of {slugs}.'
        )
    low = _population(params, "population_min", errors)
    high = _population(params, "population_max", errors)
    if low is not None and high is not None and low > high:
        errors.append(f"population_min ({low}) is larger than population_max ({high}); swap them.")
    pooling = (params.get("pooling") or "").strip() or DEFAULT_POOLING
    if pooling not in POOLING_METHODS:
        errors.append(
            f'pooling: "{pooling}" is not a pooling method; use one of '
            f"{', '.join(POOLING_METHODS)}."
        )
        pooling = DEFAULT_POOLING
    filters = CompareFilters(**text, population_min=low, population_max=high, pooling=pooling)
    return filters, errors


def comparison_columns(
    confidence: str = stats.confidence_label(stats.DEFAULT_ALPHA),
) -> list[tuple[str, str]]:
    """The table and CSV columns; ``confidence`` is the interval's level ("95%")."""
    # Key columns first: on a narrow screen the table scrolls with the result label held in
    # view, and at desktop width the estimate, interval and direction are always visible.
    # The label already names the site's place (with its state) and the design, so no column
    # repeats them; the strategy has its own column.
    return [
        ("label", "Result"),
        ("estimate", "Estimate"),
        ("ci_low", f"{confidence} CI low"),
        ("ci_high", f"{confidence} CI high"),
        ("direction", "Direction"),
        ("strategy", "Strategy"),
        ("region", "Census region"),
        ("jurisdiction_kind", "Jurisdiction kind"),
        ("population", "Population"),
        ("strategy_type", "Strategy type"),
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
    # Why the pooled estimate gets no improved/worsened badge, when it does not.
    pooled_note: str = ""
    not_pooled_reason: str = ""
    excluded: list[str] = field(default_factory=list)
    # Published results passing the filters whose figures are withheld from public view
    # (they would reveal small counts): named, never shown or pooled.
    withheld: list[str] = field(default_factory=list)
    chart: charts.ChartTable | None = None
    columns: list[tuple[str, str]] = field(default_factory=lambda: list(COLUMNS))
    filters: CompareFilters = field(default_factory=CompareFilters)
    ratio: bool = True
    # subgroup kind -> the test for subgroup differences, on the display scale
    subgroups: dict[str, dict[str, Any]] = field(default_factory=dict)
    subgroup_notes: dict[str, str] = field(default_factory=dict)
    leave_one_out: list[dict[str, Any]] = field(default_factory=list)
    leave_one_out_note: str = ""
    pooled_result: stats.MetaResult | None = None

    def tables(self) -> dict[str, tuple[list[tuple[str, str]], list[dict[str, Any]]]]:
        """Every table on the page by its download name: ``results`` (the sites and the
        pooled row), ``subgroups-<kind>`` and ``leave-one-out``; (columns, rows) each."""
        # a downloaded table leaves the page that names the metric, so it gains a column,
        # beside the strategy (the numbers keep the page table's positions)
        at = next(i for i, (key, _h) in enumerate(self.columns) if key == "strategy")
        results = [*self.columns[:at], ("metric", "Metric"), *self.columns[at:]]
        tables = {"results": (results, self.table_rows)}
        level = self.pooled["confidence"] if self.pooled else ""
        for kind, test in self.subgroups.items():
            columns = [
                ("subgroup", test["heading"]),
                ("k", "Results"),
                ("estimate", f"Estimate ({self.scale_label.lower()})"),
                ("ci_low", f"{level} CI low"),
                ("ci_high", f"{level} CI high"),
                ("i2_percent", "I² (%)"),
            ]
            tables[f"subgroups-{kind}"] = (columns, test["rows"])
        if self.leave_one_out:
            columns = [
                ("left_out", "Site left out"),
                ("estimate", f"Estimate ({self.scale_label.lower()})"),
                ("ci_low", f"{level} CI low"),
                ("ci_high", f"{level} CI high"),
                ("direction", "Direction"),
                ("i2_percent", "I² (%)"),
            ]
            tables["leave-one-out"] = (columns, self.leave_one_out)
        return tables


@dataclass
class _Entry:
    """One published result on the pooling scale: its effect size and sampling variance."""

    item: selectors.ListedAnalysis
    effect: float
    variance: float
    scale: str
    # An interrupted time series with impact="slope": a change a month in the trend, not an
    # effect of the strategy's size, so it is never pooled with the others.
    slope: bool = False

    def subgroup(self, kind: str) -> str:
        """This result's subgroup label for ``kind`` (one of ``SUBGROUP_KINDS``)."""
        a = self.item.analysis
        if kind == "jurisdiction_kind":
            return a.site.jurisdiction.get_kind_display() if a.site_id else "Program-wide"
        strategy = a.strategy
        if strategy is None or not strategy.live:
            return NO_STRATEGY
        return " + ".join(sorted(t.name for t in strategy.strategy_types.all())) or NO_STRATEGY


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
    metric_code: str,
    *,
    design: str = "",
    filters: CompareFilters | None = None,
    pooling: str | None = None,
) -> Comparison | None:
    """All published results for ``metric_code`` narrowed by ``filters`` (``design`` alone is
    the older spelling), the pooled random-effects estimate over those sharing the most
    common effect-size scale, its subgroups and leave-one-out. None for an unknown metric.

    ``pooling`` (or ``filters.pooling``) is one of :data:`POOLING_METHODS` (``REML``, ``DL``
    or ``HKSJ``) and fits every pool on the page; anything else raises ``ValueError`` naming
    the allowed values."""
    filters = filters or CompareFilters(metric=metric_code, design=design)
    if pooling is not None:
        filters = replace(filters, pooling=pooling)
    if filters.pooling not in POOLING_METHODS:
        raise ValueError(
            f"Unknown pooling {filters.pooling!r}; use one of: {', '.join(POOLING_METHODS)}."
        )
    metric = OutcomeMetric.objects.filter(code=metric_code).first()
    if metric is None:
        return None
    withheld: list[str] = []
    pool = _pool(_entries(metric, filters, withheld), filters.pooling)
    level_from = pool.meta or (pool.entries[0].item.estimate if pool.entries else None)
    confidence = (
        level_from.confidence_percent
        if level_from is not None
        else stats.confidence_label(stats.DEFAULT_ALPHA)
    )
    rows = [_site_row(entry, pool) for entry in pool.entries]
    direction = ""
    pooled_note = ""
    if pool.meta is not None:
        direction = _direction(
            pool.meta.estimate, pool.meta.ci_low, pool.meta.ci_high, pool, metric
        )
        approximate = [
            result_label(e.item.analysis)
            for e in pool.entries
            if id(e) in pool.weights and e.item.approximate
        ]
        if approximate:
            # A pool of intervals the benchmark measured too narrow is too narrow itself.
            direction = EffectDirection.APPROXIMATE.value
            pooled_note = (
                f"Approximate: {len(approximate)} of the {len(pool.weights)} pooled results "
                f"({'; '.join(approximate)}) are labelled approximate (their intervals may be "
                f"too narrow), so the pooled interval may be too narrow as well and no "
                f"improvement or worsening is claimed."
            )
        rows.append(_pooled_row(pool.meta, pool.ratio, direction, metric.name))
    comparison = Comparison(
        metric=metric,
        scale_label=pool.scale_label,
        table_rows=rows,
        pooled=_pooled_display(pool.meta, pool.ratio, pool.scale_label)
        if pool.meta is not None
        else None,
        pooled_direction=direction,
        pooled_note=pooled_note,
        not_pooled_reason=pool.reason,
        excluded=pool.excluded,
        withheld=withheld,
        chart=_forest(metric, pool, rows, confidence) if rows else None,
        columns=comparison_columns(confidence),
        filters=filters,
        ratio=pool.ratio,
        pooled_result=pool.meta,
    )
    if pool.meta is not None:
        _add_subgroups(comparison, pool)
        _add_leave_one_out(comparison, pool, metric)
    return comparison


def _direction(estimate: float, low: float, high: float, pool: _Pool, metric: OutcomeMetric) -> str:
    return findings.effect_direction(
        estimate,
        low,
        high,
        scale="log" if pool.ratio else "difference",
        desired=metric.desired_direction,
    )


def _filtered(filters: CompareFilters, queryset: QuerySet[Analysis]) -> QuerySet[Analysis]:
    if filters.design:
        queryset = queryset.filter(design=filters.design)
    if filters.strategy_type:
        queryset = queryset.filter(
            strategy__live=True, strategy__strategy_types__slug=filters.strategy_type
        )
    if filters.jurisdiction_kind:
        queryset = queryset.filter(site__jurisdiction__kind=filters.jurisdiction_kind)
    if filters.region:
        queryset = queryset.filter(site__jurisdiction__state__in=states_in_region(filters.region))
    if filters.population_min is not None:
        queryset = queryset.filter(site__jurisdiction__population__gte=filters.population_min)
    if filters.population_max is not None:
        queryset = queryset.filter(site__jurisdiction__population__lte=filters.population_max)
    return queryset.distinct()


def _entries(
    metric: OutcomeMetric, filters: CompareFilters, withheld: list[str] | None = None
) -> list[_Entry]:
    """Published results of ``metric`` passing ``filters`` whose headline estimate converts
    to an effect size. The labels of those whose public version is withheld (small counts)
    are added to ``withheld`` when given."""
    queryset = _filtered(filters, selectors.published_analyses().filter(metric=metric))
    entries = []
    memo: dict = {}
    for analysis in queryset.prefetch_related("strategy__strategy_types").order_by(
        "site__name", "pk"
    ):
        item = selectors.listed(analysis, memo)
        if item is None:
            if withheld is not None and selectors.withheld_from_public(analysis, memo):
                withheld.append(result_label(analysis))
            continue
        try:
            effect, variance, scale = stats.effect_size_from_result(item.estimate)
        except stats.AnalysisError:
            continue
        slope = (
            analysis.design in ("its", "its_with_comparison")
            and (analysis.options or {}).get("impact") == "slope"
        )
        entries.append(_Entry(item, effect, variance, scale, slope))
    return entries


def _pooled_entries(pool: _Pool) -> list[_Entry]:
    return [e for e in pool.entries if id(e) in pool.weights]


def _add_subgroups(comparison: Comparison, pool: _Pool) -> None:
    """The test for subgroup differences for each of ``SUBGROUP_KINDS`` with two or more
    subgroups among the pooled results; otherwise a note saying why not."""
    entries = _pooled_entries(pool)
    alpha = pool.meta.alpha
    for kind, heading in SUBGROUP_KINDS:
        labels = [e.subgroup(kind) for e in entries]
        if len(set(labels)) < 2:
            comparison.subgroup_notes[kind] = (
                f"Every pooled result has the same {heading.lower()} ({labels[0]}), so there "
                "are no subgroups to compare."
            )
            continue
        test = stats.subgroup_differences(
            [e.effect for e in entries],
            [e.variance for e in entries],
            labels,
            alpha=alpha,
            method=comparison.filters.pooling,
        )
        comparison.subgroups[kind] = {
            "heading": heading,
            "q": test.statistic,
            "df": test.df,
            "p_value": test.p_value,
            "differ": test.p_value < alpha,
            "method": test.method,
            "warnings": list(test.warnings),
            "rows": [
                {
                    "subgroup": g.label,
                    "k": g.k,
                    "estimate": _display(g.estimate, pool.ratio),
                    "ci_low": _display(g.ci_low, pool.ratio),
                    "ci_high": _display(g.ci_high, pool.ratio),
                    "i2_percent": round(100 * g.i2, 1),
                }
                for g in test.subgroups
            ],
        }


def _add_leave_one_out(comparison: Comparison, pool: _Pool, metric: OutcomeMetric) -> None:
    entries = _pooled_entries(pool)
    if len(entries) < MIN_LEAVE_ONE_OUT:
        comparison.leave_one_out_note = (
            f"Leave-one-out needs at least {MIN_LEAVE_ONE_OUT} pooled results; there are "
            f"{len(entries)}."
        )
        return
    pools = stats.leave_one_out(
        [e.effect for e in entries],
        [e.variance for e in entries],
        alpha=pool.meta.alpha,
        method=comparison.filters.pooling,
    )
    for entry, without in zip(entries, pools, strict=True):
        a = entry.item.analysis
        direction = _direction(without.estimate, without.ci_low, without.ci_high, pool, metric)
        comparison.leave_one_out.append(
            {
                "left_out": a.site.name if a.site_id else "Program-wide",
                "analysis_id": a.pk,
                "estimate": _display(without.estimate, pool.ratio),
                "ci_low": _display(without.ci_low, pool.ratio),
                "ci_high": _display(without.ci_high, pool.ratio),
                "direction": EffectDirection(direction).label.lower(),
                "direction_code": direction,
                "i2_percent": round(100 * without.i2, 1),
            }
        )


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
    scales = Counter(entry.scale for entry in entries if not entry.slope)
    scale = scales.most_common(1)[0][0] if scales else LOG_RATE_RATIO
    same_scale = [e for e in entries if e.scale == scale and not e.slope]
    excluded = [
        result_label(e.item.analysis) + (" (a slope change a month)" if e.slope else "")
        for e in entries
        if e.scale != scale or e.slope
    ]
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
        "metric": a.metric.name,
        # a draft's title is its site's and BJA's, not the public's
        "strategy": a.strategy.title if a.strategy_id and a.strategy.live else "",
        "site": a.site.name if a.site_id else "Program-wide",
        "state": jurisdiction.state if jurisdiction else "",
        "region": jurisdiction.region if jurisdiction else "",
        "jurisdiction_kind": jurisdiction.get_kind_display() if jurisdiction else "",
        "population": jurisdiction.population if jurisdiction else None,
        "strategy_type": entry.subgroup("strategy_type"),
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


def _pooled_row(
    meta: stats.MetaResult, ratio: bool, direction: str, metric_name: str
) -> dict[str, Any]:
    return {
        "label": "Pooled (random effects)",
        "metric": metric_name,
        "strategy": "",
        "site": "",
        "state": "",
        "region": "",
        "jurisdiction_kind": "",
        "population": None,
        "strategy_type": "",
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


def _pooled_display(meta: stats.MetaResult, ratio: bool, label: str) -> dict[str, Any]:
    """The pooled result for the page: interval and prediction interval on the display scale,
    heterogeneity as published (tau² on the analysis scale, I² as a percentage)."""
    return {
        "k": meta.k,
        "summary": _pooled_summary(meta, ratio, label),
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


def _pooled_summary(meta: stats.MetaResult, ratio: bool, label: str) -> str:
    """The pooled estimate as one phrase: "Rate ratio 1.07 (95% CI 0.41 to 2.76), a 6.5%
    rise" for counts, "Difference 2.31 (95% CI 0.120 to 4.50)" otherwise."""
    if ratio:
        return format_ratio_with_interval(
            label=label,
            estimate=math.exp(meta.estimate),
            ci_low=math.exp(meta.ci_low),
            ci_high=math.exp(meta.ci_high),
            confidence=meta.confidence_percent,
        )
    return (
        f"{label} {format_measure(meta.estimate)} ({meta.confidence_percent} CI "
        f"{format_measure(meta.ci_low)} to {format_measure(meta.ci_high)})"
    )
