"""Reads that feed the rating rules: each published result of a strategy as ``ResultEvidence``
and the suggestion for every outcome it has results on.

Only what the public may read is used: published, non-withdrawn analyses, in their approved
version's public form (``analyses.selectors.listed``), so a suggestion never rests on hidden
figures and anyone can check it against the result pages it links to. A result whose public
version is withheld (its figures would reveal small counts) is still listed, as a result the
public cannot rate, with none of its figures. BJA staff get the same suggestion as everyone:
a rating is published, so it rests only on what the public can check.
"""

from __future__ import annotations

import math
from collections import defaultdict

from evaluations import stats
from evaluations.analyses import findings, selectors
from evaluations.stats.results import critical_value
from evaluations.synthesis.ratings import (
    WORSENED,
    RatingSuggestion,
    ResultEvidence,
    suggest_rating,
    withheld_result,
)


def failed_checks(result: stats.EstimateResult | None) -> tuple[str, ...]:
    """Names of the result's specification checks that failed at its own ``alpha``. The one
    check the analyses store is the difference-in-differences pre-trend test (treated x time
    on the pre period); interrupted time series and pre/post store none."""
    check = getattr(result, "pre_trend", None)
    p_value = getattr(check, "p_value", None)
    if findings.is_finite_number(p_value) and p_value < result.alpha:
        return ("pre-trend",)
    return ()


def _site_name(analysis) -> str:
    return analysis.site.name if analysis.site_id else "program-wide"


def _level(analysis) -> int:
    return findings.DESIGN_STRENGTH.get(analysis.design, (0, ""))[0]


def result_evidence(item: selectors.ListedAnalysis) -> ResultEvidence | None:
    """The rules' view of one listed (public) result; None when its headline estimate has no
    effect size (no usable standard error)."""
    analysis = item.analysis
    try:
        effect, variance, scale = stats.effect_size_from_result(item.estimate)
    except stats.AnalysisError:
        return None
    half = critical_value(item.estimate.alpha, None) * math.sqrt(variance)
    whole = item.result or item.estimate
    return ResultEvidence(
        analysis_id=analysis.pk,
        site=_site_name(analysis),
        design_label=analysis.get_design_display(),
        level=_level(analysis),
        direction=item.direction,
        scale=scale,
        effect=effect,
        ci_low=effect - half,
        ci_high=effect + half,
        desired=analysis.metric.desired_direction,
        failed_checks=failed_checks(whole),
        approximate=bool(getattr(whole, "approximate", False)),
    )


def _withheld_evidence(analysis) -> ResultEvidence:
    return withheld_result(
        analysis_id=analysis.pk,
        site=_site_name(analysis),
        design_label=analysis.get_design_display(),
        level=_level(analysis),
        desired=analysis.metric.desired_direction,
    )


def evidence_by_outcome(analyses) -> dict[str, tuple[str, list[ResultEvidence]]]:
    """``{metric code: (metric name, [evidence, ...])}`` for the listed results among
    ``analyses`` (a queryset from ``selectors.published_analyses``) and those withheld from
    public view."""
    grouped: dict[str, tuple[str, list[ResultEvidence]]] = {}
    memo: dict = {}
    for analysis in analyses.order_by("metric__code", "pk"):
        item = selectors.listed(analysis, memo)
        if item is not None:
            evidence = result_evidence(item)
        elif selectors.withheld_from_public(analysis, memo):
            evidence = _withheld_evidence(analysis)
        else:
            evidence = None
        if evidence is None:
            continue
        grouped.setdefault(analysis.metric.code, (analysis.metric.name, []))[1].append(evidence)
    return grouped


def rating_suggestions_for(strategy_id: int) -> list[RatingSuggestion]:
    """One suggestion per outcome with published results linked to the strategy, by metric
    code. Outcomes whose counted evidence worsened hold back "effective" on the others."""
    grouped = evidence_by_outcome(selectors.published_analyses().filter(strategy_id=strategy_id))
    worsened = defaultdict(bool)
    for code, (_, items) in grouped.items():
        worsened[code] = any(i.counted and i.direction == WORSENED for i in items)
    suggestions = []
    for code, (name, items) in grouped.items():
        others = tuple(grouped[c][0] for c in grouped if c != code and worsened[c])
        suggestions.append(suggest_rating(code, name, items, other_outcomes_worsened=others))
    return suggestions
