"""Plain-language readings of a stored analysis result: the one-sentence finding, the effect
direction and the caveats.

Pure functions on the typed result the stats library stored (``AnalysisResult.result`` read
back through ``result_from_dict``), so the result page, the strategy page, /compare/ and the
search index all say the same thing about a result without recomputing it. A prosecutor
should be able to read the sentence aloud; the estimate table below it on the page carries the
exact numbers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from evaluations.directions import Direction, EffectDirection, effect_direction
from evaluations.stats import EstimateResult, result_from_dict
from portal.numbers import format_percent, indefinite_article

# A result as callers hold it: typed, or as stored (then read through ``result_from_dict``).
StoredResult = EstimateResult | Mapping[str, Any]


def as_result(result: StoredResult) -> EstimateResult:
    """The typed result: stored JSON goes through ``result_from_dict`` (the only reader)."""
    return result if isinstance(result, EstimateResult) else result_from_dict(result)


logger = logging.getLogger(__name__)


def read_stored(result: StoredResult | None) -> EstimateResult | None:
    """The typed result, or ``None`` when nothing is stored or this code cannot read it (a
    ``schema_version`` newer than it knows, an unknown ``result_type``, a damaged payload).

    Pages, lists, the API and the search index use this so that one unreadable result reads
    as "no result" (and is logged) instead of breaking every page that lists it."""
    if not result:
        return None
    try:
        return as_result(result)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        logger.warning("Stored analysis result cannot be read: %s", exc)
        return None


# Maryland Scientific Methods Scale level and a reason, per design (docs/reading-findings.md).
DESIGN_STRENGTH: dict[str, tuple[int, str]] = {
    "pre_post": (
        2,
        "Pre/post comparison (Maryland scale level 2 of 5): anything else that changed at the "
        "same time, such as a citywide drop, would look like an effect of the strategy.",
    ),
    "did": (
        3,
        "Difference-in-differences (Maryland scale level 3 of 5): changes shared by the "
        "treatment and comparison areas are removed, but the two areas must have been on "
        "parallel paths before the strategy.",
    ),
    "its": (
        3,
        "Interrupted time series (Maryland scale level 3 of 5): the change is measured against "
        "the trend before the strategy, but an event at the same time could still explain it.",
    ),
    "its_with_comparison": (
        4,
        "Interrupted time series with a comparison series (Maryland scale level 4 of 5): the "
        "change is measured against both the earlier trend and the comparison area.",
    ),
}
FEW_PERIODS = 8
SMALL_MONTHLY_COUNT = 5


def headline(result: StoredResult) -> EstimateResult:
    """The estimate the finding is about: the treatment-minus-comparison level change for a
    comparative ITS (the strongest estimate on the page), or its slope change when the impact
    model has no level change (``impact="slope"``), else the top-level estimate."""
    result = as_result(result)
    for key in ("level_change_difference", "slope_change_difference"):
        diff = getattr(result, key, None)
        if diff is not None and is_finite_number(diff.estimate):
            return diff
    return result


def slope_only(result: StoredResult) -> bool:
    """Whether an interrupted time series estimated a slope change only (``impact="slope"``):
    its headline is a change per period in the trend, not a change when the strategy began."""
    result = as_result(result)
    return (
        getattr(result, "impact", None) == "slope"
        and getattr(result, "level_change", None) is None
        and getattr(result, "slope_change", None) is not None
    )


def _number(value: Any) -> float | None:
    return float(value) if is_finite_number(value) else None


def effect_direction_for(result: StoredResult, desired: str) -> Direction:
    """improved / worsened / no_clear_change for the headline estimate, using the one shared
    definition in :func:`evaluations.directions.effect_direction`. A result the calibration
    benchmark labels approximate (its interval measured too narrow for a series this short)
    is "approximate": neither an improved/worsened badge nor "no clear change" beside an
    interval that may exclude no change."""
    est = headline(result)
    if getattr(as_result(result), "approximate", False):
        return EffectDirection.APPROXIMATE.value
    return effect_direction(
        _number(est.estimate),
        _number(est.ci_low),
        _number(est.ci_high),
        scale=est.scale or "difference",
        desired=desired,
    )


def _percent(value: float) -> str:
    """A percentage magnitude as ``portal.numbers.format_percent`` writes it, but with two
    significant figures below 0.1% ("0.04%"), so a finding never reads "rose 0.0%"; below
    1e-7% (floating-point noise on a ratio) "0.0%"."""
    magnitude = abs(value)
    if 1e-7 <= magnitude < 0.095:
        return _two_figures(magnitude) + "%"
    return format_percent(value)


def _signed_pct(value: float) -> str:
    text = _percent(value)
    # a change that rounds to nothing reads "0.0%", never "+0.0%" or "−0.0%"
    sign = "" if text == "0.0%" else "+" if value > 0 else "−" if value < 0 else ""
    return sign + text


# A change smaller than this fraction of the values it is the change between is floating-point
# noise (two means of the same values, summed in different orders, differ by about 1e-17).
RELATIVE_NOISE = 1e-9


def _noise_to_zero(change: float, *values: float, null: float = 0.0) -> float:
    """``change`` (a difference, or a ratio when ``null`` is 1), or exactly ``null`` when it
    differs from ``null`` by floating-point noise relative to ``values``."""
    scale = max((abs(v) for v in values), default=0.0)
    return null if abs(change - null) <= RELATIVE_NOISE * max(scale, abs(null)) else change


def _two_figures(magnitude: float) -> str:
    """A small magnitude to two significant figures, written out in full ("0.0049"); below
    1e-6 in scientific notation ("5e-13"), which only metrics in tiny units reach."""
    if magnitude < 1e-6:
        mantissa, exponent = f"{magnitude:.1e}".split("e")
        return f"{float(mantissa):g}e{int(exponent)}"
    return format(Decimal(f"{magnitude:.2g}"), "f")


def format_difference(value: float, unit_kind: str, *, signed: bool = False) -> str:
    """A difference in the metric's own units: days, dollars, percentage points for
    proportions (stored as 0–1), plain numbers otherwise. Below the usual decimals (0.01, or
    0.1 percentage points) a difference keeps two significant figures, so it never reads as a
    signed zero. Not a number: "—"."""
    if not math.isfinite(value):
        return "—"
    sign = ("+" if value > 0 else "−" if value < 0 else "") if signed else ""
    magnitude = abs(value)
    small = magnitude > 0
    if unit_kind == "proportion":
        points = magnitude * 100
        shown = _two_figures(points) if small and points < 0.1 else f"{points:.1f}"
        return f"{sign}{shown} percentage points"
    if unit_kind == "dollars":
        if small and magnitude < 0.01:
            return f"{sign}${_two_figures(magnitude)}"
        return f"{sign}${magnitude:,.0f}" if magnitude >= 100 else f"{sign}${magnitude:,.2f}"
    if small and magnitude < 0.01:
        text = _two_figures(magnitude)
    elif magnitude >= 10:
        text = f"{magnitude:,.1f}"
    else:
        text = f"{magnitude:.2f}".rstrip("0").rstrip(".")
    if unit_kind == "days":
        return f"{sign}{text} day{'' if text == '1' else 's'}"
    return f"{sign}{text}"


def _change_phrase(estimate: float, scale: str, unit_kind: str) -> tuple[str, str]:
    """(verb, magnitude) for an estimate: ("fell", "31%") or ("rose", "4.2 days")."""
    if scale == "ratio":
        pct = (_noise_to_zero(estimate, null=1.0) - 1.0) * 100.0
        return ("fell" if pct < 0 else "rose" if pct > 0 else "did not change"), _percent(pct)
    verb = "fell" if estimate < 0 else "rose" if estimate > 0 else "did not change"
    return verb, format_difference(estimate, unit_kind)


def _interval(est: EstimateResult, unit_kind: str, *, verb: str) -> str:
    """The confidence interval at the result's own level (``alpha``), written as magnitudes in
    the direction of the verb when it lies on one side of no change ("12% to 46%" for a fall),
    signed otherwise."""
    level = est.confidence_percent
    low, high = float(est.ci_low), float(est.ci_high)
    if est.scale == "ratio":
        low_v, high_v = (low - 1) * 100, (high - 1) * 100
        if verb in ("fell", "rose"):
            ends = sorted((abs(low_v), abs(high_v)))
            return f"{level} CI {_percent(ends[0])} to {_percent(ends[1])}"
        return f"{level} CI {_signed_pct(low_v)} to {_signed_pct(high_v)}"
    if verb in ("fell", "rose"):
        ends = sorted((abs(low), abs(high)))
        return (
            f"{level} CI {format_difference(ends[0], unit_kind)} to "
            f"{format_difference(ends[1], unit_kind)}"
        )
    return (
        f"{level} CI {format_difference(low, unit_kind, signed=True)} to "
        f"{format_difference(high, unit_kind, signed=True)}"
    )


def _includes_null(est: EstimateResult) -> bool:
    null = 1.0 if est.scale == "ratio" else 0.0
    low, high = _number(est.ci_low), _number(est.ci_high)
    if low is None or high is None:
        return True
    return min(low, high) <= null <= max(low, high)


def comparison_change(design: str, result: StoredResult) -> float | None:
    """What happened in the comparison area on the headline's scale: the comparison group's
    post/pre ratio (counts) or post − pre difference (DiD), or its ITS level change."""
    result = as_result(result)
    scale = result.scale
    if design == "did":
        means = (getattr(result, "means", None) or {}).get("comparison") or {}
        pre, post = _number(means.get("pre")), _number(means.get("post"))
        if pre is None or post is None:
            return None
        if scale == "ratio":
            return _noise_to_zero(post / pre, null=1.0) if pre else None
        return _noise_to_zero(post - pre, pre, post)
    if design == "its_with_comparison":
        slope = slope_only(result)
        diff = getattr(
            result, "slope_change_difference" if slope else "level_change_difference", None
        )
        own = getattr(result, "slope_change" if slope else "level_change", None) or result
        diff_estimate = _number(diff.estimate) if diff is not None else None
        own_estimate = _number(own.estimate)
        if diff_estimate is None or own_estimate is None:
            return None
        if scale == "ratio":
            return _noise_to_zero(own_estimate / diff_estimate, null=1.0) if diff_estimate else None
        return _noise_to_zero(own_estimate - diff_estimate, own_estimate, diff_estimate)
    return None


def _comparison_phrase(value: float, scale: str, unit_kind: str, label: str) -> str:
    verb, magnitude = _change_phrase(value, scale, unit_kind)
    if verb == "did not change":
        return f"against no change in {label}"
    noun = "fall" if verb == "fell" else "rise"
    if scale != "ratio":
        return f"against a {noun} of {magnitude} in {label}"
    return f"against {indefinite_article(magnitude)} {magnitude} {noun} in {label}"


def _months(n: int, period: str = "month") -> str:
    return f"{n} {period}{'' if n == 1 else 's'}"


def finding_sentence(
    *,
    design: str,
    metric_name: str,
    unit_kind: str,
    desired_direction: str,
    treatment_area: str,
    comparison_label: str,
    n_pre: int,
    n_post: int,
    result: StoredResult,
    period: str = "month",
) -> str:
    """The one plain sentence that opens the result page, e.g. "Non-fatal shootings in Zone 3
    fell 31% (95% CI 12% to 46%) in the 24 months after the strategy began, against a 5% fall
    in the comparison zones."

    Counts (ratio scale) read as percentage changes; continuous outcomes as differences in
    their units. When the interval includes no change the sentence says "no clear change"
    first, because that is the finding. ``desired_direction`` is accepted so every caller
    passes the metric's full description; the sentence itself reports what happened, the
    improved/worsened badge beside it (``effect_direction_for``) says whether that is good.
    ``period`` names the series' periods ("month", "week", "quarter") that ``n_pre`` and
    ``n_post`` count.
    """
    del desired_direction  # the badge, not the sentence, carries good/bad
    result = as_result(result)
    est = headline(result)
    scale = est.scale or "difference"
    subject = f"{metric_name} in {treatment_area}" if treatment_area else metric_name
    when = {
        "pre_post": f"in the {_months(n_post, period)} after the strategy began, compared with the "
        f"{_months(n_pre, period)} before",
        "did": f"in the {_months(n_post, period)} after the strategy began",
        "its": f"when the strategy began, compared with the trend of the "
        f"{_months(n_pre, period)} before ({_months(n_post, period)} of data after)",
        "its_with_comparison": f"when the strategy began, compared with the earlier trend and "
        f"net of the comparison series ({_months(n_post, period)} of data after)",
    }.get(design, f"in the {_months(n_post, period)} after the strategy began")
    slope = design in ("its", "its_with_comparison") and slope_only(result)
    if slope:
        # impact="slope": the estimate is a change in the trend per period, not a jump.
        net = " net of the comparison series" if design == "its_with_comparison" else ""
        before = f" of the {_months(n_pre, period)} before" if n_pre > 0 else ""
        when = (
            f"in its trend after the strategy began, compared with the trend{before}{net} "
            f"(a slope-change model: no change at the start itself is estimated)"
        )
    if n_post <= 0 and not slope:
        # The month counts are unknown (a list reads the stored result without its rows, and a
        # difference-in-differences result does not store them): say nothing rather than "0".
        when = {
            "pre_post": "after the strategy began, compared with before",
            "its": "when the strategy began, compared with the earlier trend",
            "its_with_comparison": "when the strategy began, compared with the earlier trend "
            "and net of the comparison series",
        }.get(design, "after the strategy began")
    if not all(is_finite_number(v) for v in (est.estimate, est.ci_low, est.ci_high)):
        return f"{subject}: the analysis did not produce an estimate."
    point_estimate = float(est.estimate)
    if scale != "ratio":
        # floating-point noise next to the interval's own ends (a difference of two means of
        # the same values) is no change
        point_estimate = _noise_to_zero(point_estimate, float(est.ci_low), float(est.ci_high))
    verb, magnitude = _change_phrase(point_estimate, scale, unit_kind)
    per = f" a {period}" if slope else ""
    tail = ""
    comp = comparison_change(design, result)
    if comp is not None and comparison_label:
        tail = ", " + _comparison_phrase(comp, scale, unit_kind, comparison_label)
    if _includes_null(est):
        noun = {"fell": "fall", "rose": "rise"}.get(verb)
        if not noun:
            point = "no change"
        elif scale == "ratio":
            point = f"{indefinite_article(magnitude)} {magnitude} {noun}{per}"
        else:
            point = f"a {noun} of {magnitude}{per}"
        return (
            f"{subject} showed no clear change {when}: the estimate is {point}, but the "
            f"{_interval(est, unit_kind, verb='none')} includes no change{tail}."
        )
    return (
        f"{subject} {verb} {magnitude}{per} ({_interval(est, unit_kind, verb=verb)}) {when}{tail}."
    )


def caveats(
    analysis: Any, result: StoredResult, rows: list[dict[str, Any]] | None = None
) -> list[str]:
    """Plain-language caveats for the page: the design's strength on the Maryland scale, the
    stats library's own warnings, and checks on periods, pre-trend and counts.

    ``analysis`` needs ``design`` (and ``metric.unit_kind`` for the small-count check, which
    reads the stored ``rows``); only attributes are read, so a simple namespace works.
    """
    result = as_result(result)
    out: list[str] = []
    design = getattr(analysis, "design", "")
    if design in DESIGN_STRENGTH:
        out.append(DESIGN_STRENGTH[design][1])
    seen = set()
    for warning in [*result.warnings, *_nested_warnings(result)]:
        if warning not in seen:
            seen.add(warning)
            out.append(warning)
    n_pre, n_post = getattr(result, "n_pre", 0) or 0, getattr(result, "n_post", 0) or 0
    if (n_pre and n_pre < FEW_PERIODS) or (n_post and n_post < FEW_PERIODS):
        text = (
            f"Few periods: {n_pre} before and {n_post} after the start; 12 or more on each side "
            f"make the estimate much more reliable."
        )
        if not any(
            w.startswith(("The pre-intervention segment", "The post-intervention")) for w in seen
        ):
            out.append(text)
    trend = getattr(result, "pre_trend", None)
    trend_shown = trend is not None and is_finite_number(trend.p_value)
    if trend_shown and trend.p_value < result.alpha and not any("trend" in w.lower() for w in seen):
        out.append(
            "Pre-existing trend: the treatment and comparison areas were already moving "
            "apart before the strategy began, so the difference-in-differences may "
            "reflect that trend rather than the strategy."
        )
    metric = getattr(analysis, "metric", None)
    if getattr(metric, "unit_kind", "") == "count":
        values = [r["value"] for r in rows or [] if r.get("group", "treatment") == "treatment"]
        average = sum(values) / len(values) if values else None
        if average is not None and average < SMALL_MONTHLY_COUNT:
            out.append(
                f"Small counts: the treatment area averages {average:.1f} events a month, so a "
                f"few events more or less move the estimate a lot."
            )
    return out


def _nested_warnings(result: EstimateResult) -> list[str]:
    found: list[str] = []
    for key in ("level_change_difference", "slope_change_difference", "pre_trend"):
        value = getattr(result, key, None)
        if value is not None:
            found.extend(value.warnings)
    return found


def is_finite_number(value: Any) -> bool:
    """True for a real, finite number (stored JSON turns NaN into None)."""
    return isinstance(value, (int, float)) and math.isfinite(value)
