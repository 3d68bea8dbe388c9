"""Rating suggestions: each rule of docs/evidence-ratings.md case by case on hand-made
evidence, then the selector on stored results and the API's shape and permission boundary."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from evaluations import stats
from evaluations.stats.effect_sizes import HEDGES_G, LOG_RATE_RATIO, MEAN_DIFFERENCE
from evaluations.synthesis.evidence import failed_checks, rating_suggestions_for
from evaluations.synthesis.ratings import ResultEvidence, suggest_rating, withheld_result
from tests import factories
from tests.evaluations.analysis_helpers import make_analysis

DESIGNS = {2: "Pre/post", 3: "Difference-in-differences", 4: "ITS with comparison"}


def ev(
    *,
    ratio: float = 0.7,
    half: float = 0.15,
    level: int = 4,
    site: str = "Harlow",
    desired: str = "decrease",
    scale: str = LOG_RATE_RATIO,
    failed: tuple[str, ...] = (),
    approximate: bool = False,
    analysis_id: int = 1,
) -> ResultEvidence:
    """Evidence for a result whose estimate is ``ratio`` (a rate ratio; or the raw value for
    other scales) with a symmetric interval of ``half`` on the pooling scale."""
    effect = math.log(ratio) if scale == LOG_RATE_RATIO else ratio
    low, high = effect - half, effect + half
    if low <= 0 <= high:
        direction = "no_clear_change"
    elif (high < 0) == (desired == "decrease"):
        direction = "improved"
    else:
        direction = "worsened"
    return ResultEvidence(
        analysis_id=analysis_id,
        site=site,
        design_label=DESIGNS.get(level, "design"),
        level=level,
        direction=direction,
        scale=scale,
        effect=effect,
        ci_low=low,
        ci_high=high,
        desired=desired,
        failed_checks=failed,
        approximate=approximate,
    )


def rating(items, **kwargs) -> str:
    return suggest_rating("nonfatal_shootings", "Non-fatal shootings", items, **kwargs).rating


# --- Rule 1 and 2: what counts; nothing counts --------------------------------------------


def test_a_pre_post_alone_is_inconclusive_however_large():
    suggestion = suggest_rating("m", "M", [ev(ratio=0.5, level=2)])
    assert suggestion.rating == "inconclusive"
    assert "strong enough to rate" in suggestion.reasons[0]
    assert any("below Maryland level 3" in r for r in suggestion.reasons)


def test_a_failed_pre_trend_does_not_count():
    suggestion = suggest_rating("m", "M", [ev(ratio=0.6, level=3, failed=("pre-trend",))])
    assert suggestion.rating == "inconclusive"
    assert any("pre-trend check failed" in r for r in suggestion.reasons)


def test_an_approximate_interval_does_not_count():
    assert rating([ev(ratio=0.6, approximate=True)]) == "inconclusive"


# --- Rules 3 and 4: disagreement, harm ----------------------------------------------------


def test_counted_results_that_disagree_are_inconclusive():
    items = [ev(ratio=0.6, site="A"), ev(ratio=1.5, site="B", analysis_id=2)]
    suggestion = suggest_rating("m", "M", items)
    assert suggestion.rating == "inconclusive" and "disagree" in suggestion.reasons[0]


def test_significant_worsening_is_negative_effects():
    assert rating([ev(ratio=1.4)]) == "negative_effects"
    # "worse" follows the metric's goal: a fall in something that should rise
    assert rating([ev(ratio=0.7, desired="increase")]) == "negative_effects"


# --- Rule 5: effective or promising -------------------------------------------------------


def test_strong_large_improvement_is_effective_and_says_single_site():
    suggestion = suggest_rating("m", "M", [ev(ratio=0.7, level=4)])
    assert suggestion.rating == "effective"
    assert any("Single-site evidence" in r for r in suggestion.reasons)


def test_improvement_only_from_level_three_is_promising():
    suggestion = suggest_rating("m", "M", [ev(ratio=0.7, level=3)])
    assert suggestion.rating == "promising"
    assert "Maryland level 4" in suggestion.reasons[1]


def test_improvement_too_small_to_matter_is_promising():
    # a 5% fall, significant because the interval is narrow
    suggestion = suggest_rating("m", "M", [ev(ratio=0.95, half=0.02)])
    assert suggestion.rating == "promising"
    assert "too small to matter" in suggestion.reasons[1]


def test_a_raw_difference_cannot_be_effective():
    item = ev(ratio=-12.0, half=5.0, scale=MEAN_DIFFERENCE)
    suggestion = suggest_rating("days", "Days", [item])
    assert suggestion.rating == "promising"
    assert "common scale" in suggestion.reasons[1]


def test_hedges_g_uses_the_substantively_important_size():
    assert rating([ev(ratio=-0.4, half=0.1, scale=HEDGES_G)]) == "effective"
    assert rating([ev(ratio=-0.15, half=0.1, scale=HEDGES_G)]) == "promising"


def test_a_null_beside_an_improvement_holds_back_effective():
    items = [ev(ratio=0.7, site="A"), ev(ratio=0.95, half=0.3, site="B", analysis_id=2)]
    suggestion = suggest_rating("m", "M", items)
    assert suggestion.rating == "promising"
    assert "no clear change" in suggestion.reasons[1]


def test_a_failed_check_on_the_same_outcome_holds_back_effective():
    """Evidence whose pre-trend check failed never leads to "effective", even beside a
    stronger result that passed."""
    items = [
        ev(ratio=0.7, level=4, site="A"),
        ev(ratio=0.6, level=3, site="A", failed=("pre-trend",), analysis_id=2),
    ]
    suggestion = suggest_rating("m", "M", items)
    assert suggestion.rating == "promising"
    assert "a check failed" in suggestion.reasons[1]


def test_harm_on_another_outcome_holds_back_effective():
    suggestion = suggest_rating("m", "M", [ev(ratio=0.7)], other_outcomes_worsened=("Dismissals",))
    assert suggestion.rating == "promising"
    assert "worsened Dismissals" in suggestion.reasons[1]


def test_two_sites_improving_strongly_is_effective_without_single_site_note():
    items = [ev(ratio=0.7, site="A"), ev(ratio=0.75, site="B", analysis_id=2)]
    suggestion = suggest_rating("m", "M", items)
    assert suggestion.rating == "effective"
    assert "from 2 sites" in suggestion.reasons[0]
    assert not any("Single-site" in r for r in suggestion.reasons)


# --- Rule 6: no clear change --------------------------------------------------------------


def test_a_precise_null_is_no_effects():
    # ratio 1.0 with a 95% interval of roughly 0.87 to 1.16: rules out a 25% fall
    assert rating([ev(ratio=1.0, half=0.14)]) == "no_effects"
    one = suggest_rating("m", "M", [ev(ratio=1.0, half=0.14)])
    assert "1 of 1 rules out a large benefit" in one.reasons[0]
    two = suggest_rating("m", "M", [ev(ratio=1.0, half=0.14), ev(ratio=1.0, half=0.1, site="B")])
    assert "2 of 2 rule out a large benefit" in two.reasons[0]


def test_an_imprecise_null_is_inconclusive():
    suggestion = suggest_rating("m", "M", [ev(ratio=0.9, half=0.6)])
    assert suggestion.rating == "inconclusive"
    assert "too wide" in suggestion.reasons[0]


def test_no_results_is_refused():
    with pytest.raises(ValueError, match="No published results"):
        suggest_rating("m", "M", [])


def did_frame(*, drift: float) -> pd.DataFrame:
    """Two areas, 24 months before and 24 after; the treated area drifts apart from the
    comparison by ``drift`` a month before the start (and stays level after it)."""
    rng = np.random.default_rng(3)
    rows = []
    for treated in (0, 1):
        for month in range(48):
            trend = drift * min(month, 24) if treated else 0.0
            rows.append(
                {
                    "outcome": 20.0 + trend + rng.normal(0, 1.0),
                    "treated": treated,
                    "post": int(month >= 24),
                    "period": float(month),
                }
            )
    return pd.DataFrame(rows)


def test_the_stored_pre_trend_test_is_the_check_the_rules_read():
    """Rule 1's check on real results: a difference-in-differences whose treated area was
    already drifting away fails it; a parallel one and an ITS (no such check) do not."""
    drifting = stats.difference_in_differences(
        did_frame(drift=0.5), kind="continuous", time="period"
    )
    assert drifting.pre_trend.p_value < drifting.alpha
    assert failed_checks(drifting) == ("pre-trend",)
    parallel = stats.difference_in_differences(
        did_frame(drift=0.0), kind="continuous", time="period"
    )
    assert parallel.pre_trend.p_value >= parallel.alpha
    assert failed_checks(parallel) == ()
    series = pd.Series(
        20.0 + np.random.default_rng(4).normal(0, 1.0, 48),
        index=pd.period_range("2020-01", periods=48, freq="M"),
    )
    its = stats.interrupted_time_series(series, intervention=pd.Period("2022-01", freq="M"))
    assert failed_checks(its) == ()


def hidden(*, level: int = 4, site: str = "Harlow", analysis_id: int = 5) -> ResultEvidence:
    return withheld_result(
        analysis_id=analysis_id,
        site=site,
        design_label=DESIGNS.get(level, "design"),
        level=level,
        desired="decrease",
    )


# --- Withheld results: listed, never counted -----------------------------------------------


def test_only_withheld_results_are_inconclusive_and_say_why():
    suggestion = suggest_rating("homicides", "Homicides", [hidden(analysis_id=16), hidden()])
    assert suggestion.rating == "inconclusive"
    assert "withheld from public view" in suggestion.reasons[0]
    assert "cannot be rated publicly" in suggestion.reasons[0]
    assert any("result 16" in r and "withheld" in r for r in suggestion.reasons[1:])
    assert suggestion.results == (16, 5)


def test_a_withheld_result_beside_strong_improvements_holds_back_effective():
    """Its direction is hidden, so "every result improved" cannot be checked in public."""
    strong = [ev(ratio=0.6, site="A"), ev(ratio=0.6, site="B", analysis_id=2)]
    assert rating(strong) == "effective"
    suggestion = suggest_rating("m", "M", [*strong, hidden(site="C", analysis_id=3)])
    assert suggestion.rating == "promising"
    assert any("withheld from public view (C)" in r for r in suggestion.reasons)


def test_a_withheld_result_carries_no_figure():
    item = hidden()
    assert not item.counted and item.direction == "" and item.failed_checks == ()
    assert all(math.isnan(v) for v in (item.effect, item.ci_low, item.ci_high))


def test_the_suggestion_lists_every_result_it_considered():
    items = [ev(level=2, analysis_id=7), ev(level=4, analysis_id=9)]
    assert suggest_rating("m", "M", items).to_dict()["results"] == [7, 9]


# --- On stored results, and the API -------------------------------------------------------


@pytest.fixture
def strategy_with_results(strategy_index, site_a):
    page = factories.strategy_page_for(site_a, parent=strategy_index, title="GunStat A")
    did = make_analysis(site=site_a, design="did", seed=1, strategy=page, title="A did")
    pre = make_analysis(site=site_a, design="pre_post", seed=1, strategy=page, title="A pre")
    make_analysis(site=site_a, design="did", published=False, strategy=page, title="Draft")
    return page, did, pre


@pytest.mark.django_db
def test_suggestions_read_the_published_results(strategy_with_results):
    page, did, pre = strategy_with_results
    (suggestion,) = rating_suggestions_for(page.pk)
    assert suggestion.outcome == "nonfatal_shootings"
    assert sorted(suggestion.results) == sorted([did.pk, pre.pk])  # not the draft
    assert any(f"result {pre.pk}" in r and "below Maryland level" in r for r in suggestion.reasons)


@pytest.mark.django_db
def test_api_shape_and_boundary(client, strategy_with_results, site_b, strategy_index):
    page, did, _pre = strategy_with_results
    body = client.get(f"/api/v1/strategies/{page.pk}/rating-suggestions/").json()
    assert list(body) == ["suggestions"]
    (item,) = body["suggestions"]
    assert set(item) == {"outcome", "rating", "reasons", "results"}
    assert item["outcome"] == "nonfatal_shootings" and did.pk in item["results"]
    assert item["rating"] in {
        "effective",
        "promising",
        "no_effects",
        "negative_effects",
        "inconclusive",
    }
    draft = factories.strategy_page_for(
        site_b, parent=strategy_index, title="Draft strategy", publish=False
    )
    assert client.get(f"/api/v1/strategies/{draft.pk}/rating-suggestions/").status_code == 404
    assert client.get("/api/v1/strategies/999999/rating-suggestions/").status_code == 404
