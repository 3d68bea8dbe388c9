"""The one-sentence finding, direction and caveats, on results the stats library computed."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from evaluations.analyses.findings import (
    caveats,
    comparison_change,
    effect_direction_for,
    finding_sentence,
    format_difference,
)
from tests.evaluations.analysis_helpers import compute, make_rows


def sentence(design, result, *, unit_kind="count", n_pre=24, n_post=24, desired="decrease"):
    return finding_sentence(
        design=design,
        metric_name="Non-fatal shootings",
        unit_kind=unit_kind,
        desired_direction=desired,
        treatment_area="Zone 3",
        comparison_label="the comparison zones",
        n_pre=n_pre,
        n_post=n_post,
        result=result,
    )


def pct(value):
    return f"{abs(value):.0f}%" if abs(value) >= 9.95 else f"{abs(value):.1f}%"


def test_did_count_fall_reads_as_percentage_with_comparison():
    result = compute("did", "count", make_rows(design="did", kind="count", effect=-0.35, seed=3))
    text = sentence("did", result)
    fall = (1 - result["estimate"]) * 100
    low, high = sorted(((1 - result["ci_high"]) * 100, (1 - result["ci_low"]) * 100))
    assert text.startswith(f"Non-fatal shootings in Zone 3 fell {pct(fall)} (95% CI {pct(low)}")
    assert f"to {pct(high)})" in text
    assert "in the 24 months after the strategy began" in text
    comp = comparison_change("did", result)
    means = result["means"]["comparison"]
    assert comp == pytest.approx(means["post"] / means["pre"])
    word = "fall" if comp < 1 else "rise"
    assert f"{pct((comp - 1) * 100)} {word} in the comparison zones" in text
    # DiD of counts with 24 months before measured below the band: no badge either way.
    assert result["approximate"] is True
    assert effect_direction_for(result, "decrease") == "approximate"
    calibrated = {**result, "approximate": False}
    assert effect_direction_for(calibrated, "decrease") == "improved"
    assert effect_direction_for(calibrated, "increase") == "worsened"


def test_ci_including_null_says_no_clear_change():
    rows = make_rows(
        design="did", kind="count", effect=0.0, comp_effect=0.0, months=12, post_from=6
    )
    result = compute("did", "count", rows)
    assert result["ci_low"] < 1 < result["ci_high"]
    text = sentence("did", result, n_pre=6, n_post=6)
    assert "showed no clear change in the 6 months after" in text
    assert "includes no change" in text
    # Six months a side is below what the benchmark vouches for: approximate, no claim.
    assert effect_direction_for(result, "decrease") == "approximate"
    assert effect_direction_for({**result, "approximate": False}, "decrease") == "no_clear_change"


def test_increase_desired_rise_is_improved():
    rows = make_rows(design="pre_post", kind="count", effect=0.5, seed=5)
    result = compute("pre_post", "count", rows)
    text = finding_sentence(
        design="pre_post",
        metric_name="Crime guns recovered",
        unit_kind="count",
        desired_direction="increase",
        treatment_area="Zone 3",
        comparison_label="",
        n_pre=result["n_pre"],
        n_post=result["n_post"],
        result=result,
    )
    assert text.startswith(f"Crime guns recovered in Zone 3 rose {pct(result['percent_change'])}")
    assert "compared with the 24 months before" in text
    # Pre/post of counts with 24 months before measured below the band: labelled approximate.
    assert result["approximate"] is True
    assert effect_direction_for(result, "increase") == "approximate"
    assert effect_direction_for({**result, "approximate": False}, "increase") == "improved"
    assert effect_direction_for({**result, "approximate": False}, "decrease") == "worsened"


def test_continuous_did_in_days():
    rows = make_rows(design="did", kind="continuous", effect=-6.0, comp_effect=0.0, seed=2)
    result = compute("did", "continuous", rows)
    text = sentence("did", result, unit_kind="days")
    assert re.search(r"fell [\d.]+ days \(95% CI [\d.]+ days to [\d.]+ days\)", text)
    assert f"{abs(result['estimate']):.2f}".rstrip("0") in text


def test_proportion_in_percentage_points():
    rows = make_rows(design="pre_post", kind="continuous", base=0.5, effect=0.0, seed=4)
    for row in rows:
        row["value"] = round(
            min(max(row["value"] / 40 + (0.1 if row["period_start"] >= "2022" else 0), 0), 1), 4
        )
    result = compute("pre_post", "continuous", rows)
    text = sentence("pre_post", result, unit_kind="proportion")
    assert f"{result['estimate'] * 100:.1f} percentage points" in text
    assert "rose" in text


def test_its_count_and_comparative_its():
    result = compute("its", "count", make_rows(design="its", kind="count", effect=-0.4, seed=8))
    text = sentence("its", result)
    assert f"fell {pct((1 - result['estimate']) * 100)}" in text
    assert "compared with the trend of the 24 months before" in text
    comp = compute(
        "its_with_comparison",
        "count",
        make_rows(design="its_with_comparison", kind="count", effect=-0.4, seed=8),
    )
    text = sentence("its_with_comparison", comp)
    head = comp["level_change_difference"]
    assert f"{pct((head['estimate'] - 1) * 100)}" in text
    assert "in the comparison zones" in text
    expected = comp["level_change"]["estimate"] / head["estimate"]
    assert comparison_change("its_with_comparison", comp) == pytest.approx(expected)


def test_caveats_design_strength_warnings_and_few_periods():
    rows = make_rows(design="its", kind="count", months=12, post_from=6, seed=9)
    result = compute("its", "count", rows)
    notes = caveats(
        SimpleNamespace(design="its", metric=SimpleNamespace(unit_kind="count")), result
    )
    assert notes[0].startswith("Interrupted time series (Maryland scale level 3")
    for warning in result["warnings"]:
        assert warning in notes
    assert any("segment has only 6 periods" in n for n in notes)
    small = make_rows(design="pre_post", kind="count", base=2.0)
    pre = compute("pre_post", "count", small)
    namespace = SimpleNamespace(design="pre_post", metric=SimpleNamespace(unit_kind="count"))
    assert not any(n.startswith("Small counts") for n in caveats(namespace, result, rows))
    notes = caveats(namespace, pre, small)
    assert "level 2 of 5" in notes[0]
    assert any(n.startswith("Small counts") for n in notes)


def test_caveats_pre_trend():
    rows = make_rows(design="did", kind="continuous", effect=-3.0, seed=1)
    for row in rows:  # the treatment area was already falling before the start
        if row["group"] == "treatment":
            month = int(row["period_start"][:4]) * 12 + int(row["period_start"][5:7])
            row["value"] -= 0.5 * (month - 2020 * 12)
    result = compute("did", "continuous", rows)
    assert result["pre_trend"]["p_value"] < 0.05
    notes = caveats(SimpleNamespace(design="did", metric=None), result)
    assert any("trend" in n.lower() for n in notes[1:])


def test_an_approximate_result_gets_no_confident_badge():
    rows = make_rows(design="its", kind="continuous", effect=-8.0, months=20, post_from=10)
    result = compute("its", "continuous", rows)
    assert result["approximate"] is True
    assert any("Approximate interval" in w for w in result["warnings"])
    # Neither a badge nor "no clear change" beside an interval that excludes no change.
    assert result["ci_high"] < 0
    assert effect_direction_for(result, "decrease") == "approximate"
    # 36 months before the start: the benchmark held the band for ITS of this length.
    result_long = compute(
        "its",
        "continuous",
        make_rows(design="its", kind="continuous", effect=-8.0, months=72, post_from=36),
    )
    assert result_long["approximate"] is False
    assert effect_direction_for(result_long, "decrease") == "improved"


def test_comparative_its_slope_impact_reads_the_comparison_slope_difference():
    """With impact="slope" there is no level change: the finding, badge and table must use
    the treatment-minus-comparison slope change, not the treatment area's own slope alone."""
    from evaluations.analyses.findings import headline
    from evaluations.analyses.presentation import estimate_rows

    rows = make_rows(design="its_with_comparison", kind="count", effect=-0.4, seed=8)
    comp = compute("its_with_comparison", "count", rows, options={"impact": "slope"})
    assert comp["level_change_difference"] is None
    diff = comp["slope_change_difference"]
    assert headline(comp).estimate == pytest.approx(diff["estimate"])
    assert headline(comp).estimate != pytest.approx(comp["estimate"])
    text = sentence("its_with_comparison", comp)
    assert "when the strategy began" not in text
    assert "trend" in text and "a month" in text
    expected = comp["slope_change"]["estimate"] / diff["estimate"]
    assert comparison_change("its_with_comparison", comp) == pytest.approx(expected)
    labels = [row.label for row in estimate_rows("its_with_comparison", comp, "count")]
    assert "Slope change per month, treatment minus comparison" in labels
    assert not any(label.startswith("Level change") for label in labels)


def test_its_slope_impact_is_not_labelled_a_level_change():
    from evaluations.analyses.presentation import estimate_rows

    result = compute(
        "its",
        "count",
        make_rows(design="its", kind="count", effect=-0.4, seed=8),
        options={"impact": "slope"},
    )
    text = sentence("its", result)
    assert "when the strategy began" not in text and "a month" in text
    labels = [row.label for row in estimate_rows("its", result, "count")]
    assert not any(label.startswith("Level change") for label in labels)
    assert labels.count("Slope change per month (treatment area)") == 1


@pytest.mark.parametrize(
    ("value", "unit_kind", "expected"),
    [
        # a difference too small for the usual decimals keeps two significant figures
        (-1.234e-5, "count", "−0.000012"),
        (3e-6, "days", "+0.000003 days"),
        # below 1e-6, scientific notation (metrics in tiny units only)
        (-1.234e-7, "count", "−1.2e-7"),
        (-4e-6, "proportion", "−0.0004 percentage points"),
        (2e-5, "dollars", "+$0.00002"),
        # neighbours below 0.01 keep the same precision
        (0.0049, "count", "+0.0049"),
        (0.005, "count", "+0.005"),
        (5e-324, "count", "+4.9e-324"),
        # not a number is —
        (float("inf"), "count", "—"),
        # the usual decimals are unchanged
        (-3.3, "count", "−3.3"),
        (0.0123, "proportion", "+1.2 percentage points"),
        (0.0, "count", "0"),
    ],
)
def test_small_differences_never_read_as_a_signed_zero(value, unit_kind, expected):
    assert format_difference(value, unit_kind, signed=True) == expected


def test_an_interval_of_tiny_differences_reads_as_numbers_not_minus_zero_to_plus_zero():
    # a measure in tiny units (values around 2e-7): the run is real, the sentence must not
    # round its interval to "−0 to +0"
    rows = make_rows(design="pre_post", kind="continuous", effect=0.0, seed=5)
    for row in rows:
        row["value"] = row["value"] * 1e-8
    result = compute("pre_post", "continuous", rows, {"errors": "independent"})
    assert abs(result["ci_high"]) < 1e-6 and result["ci_low"] < 0 < result["ci_high"]
    text = sentence("pre_post", result, unit_kind="rate")
    assert "−0 to +0" not in text and "CI 0 to" not in text
    low = format_difference(result["ci_low"], "rate", signed=True)
    high = format_difference(result["ci_high"], "rate", signed=True)
    assert low.startswith("−") and "e-" in low and high.startswith("+") and "e-" in high
    assert f"CI {low} to {high}" in text


def test_a_comparison_change_of_floating_point_noise_reads_as_no_change():
    rows = make_rows(design="did", kind="continuous", effect=-3.0, seed=2)
    result = compute("did", "continuous", rows)
    # comparison means 0.2 before and after, stored as 0.20000000000000004 and 0.19999999999999998
    result["means"]["comparison"] = {"pre": 0.20000000000000004, "post": 0.19999999999999998}
    assert comparison_change("did", result) == 0.0
    assert "against no change in the comparison zones" in sentence("did", result, unit_kind="days")
    # a real change of the same size in tiny units is not noise
    result["means"]["comparison"] = {"pre": 2e-16, "post": 1e-16}
    assert comparison_change("did", result) == pytest.approx(-1e-16)


def _ratio_result(estimate, low, high):
    from evaluations.stats import EstimateResult

    return EstimateResult(
        estimate=estimate, se=0.0001, ci_low=low, ci_high=high, p_value=0.001, statistic=3.3,
        df=30.0, alpha=0.05, n=24, method="test", scale="ratio",
    ).to_dict()  # fmt: skip


def test_a_small_ratio_change_reads_as_its_size_not_zero_percent():
    text = sentence("pre_post", _ratio_result(1.0004, 1.0001, 1.0007))
    assert "rose 0.04% (95% CI 0.01% to 0.07%)" in text
    assert "0.0%" not in text
    # a ratio of 1 up to floating-point noise is no change
    text = sentence("pre_post", _ratio_result(1 + 1e-14, 0.9, 1.1))
    assert "did not change" in text or "no clear change" in text
    assert "0.0% rise" not in text


def test_a_tiny_real_difference_reads_as_what_the_badge_says():
    """Values in tiny units: a change of 5e-13 with an interval above zero is a rise in the
    sentence as in the direction tag (no absolute cut-off for differences)."""
    result = {
        **_ratio_result(5e-13, 2e-13, 8e-13),
        "scale": "difference",
    }
    text = sentence("pre_post", result, unit_kind="number", desired="decrease")
    assert "rose 5e-13 (95% CI 2e-13 to 8e-13)" in text
    assert effect_direction_for(result, "decrease") == "worsened"


def test_a_headline_of_floating_point_noise_reads_as_no_change():
    """The same twelve values before and after in another order: the difference of the means
    is about 5.6e-17, not a fall."""
    from evaluations.stats import pre_post

    pre = [0.1, 0.2, 0.7, 0.3, 0.6, 0.1, 0.2, 0.7, 0.3, 0.6, 0.4, 0.5]
    result = pre_post(pre, pre[::-1], kind="continuous", errors="independent").to_dict()
    assert result["estimate"] != 0 and abs(result["estimate"]) < 1e-15
    text = sentence("pre_post", result, unit_kind="days")
    assert "the estimate is no change" in text and "e-1" not in text


def test_the_comparison_phrase_agrees_with_the_headline_on_small_ratios():
    from evaluations.analyses.findings import _change_phrase, _comparison_phrase

    assert _change_phrase(1.0004, "ratio", "count") == ("rose", "0.04%")
    assert (
        _comparison_phrase(1.0004, "ratio", "count", "Zone 1") == "against a 0.04% rise in Zone 1"
    )
