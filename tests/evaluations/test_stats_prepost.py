"""pre_post(): checked against scipy's Welch t-test and statsmodels' Poisson GLM on the same data.

No database, no Django: the statistics library is pure numpy/pandas/scipy.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from evaluations.stats import (
    AllZeroCountsError,
    AnalysisError,
    ConstantSeriesError,
    InvalidInputError,
    MismatchedLengthsError,
    MissingValueError,
    NegativeExposureError,
    PrePostResult,
    TooFewPeriodsError,
)
from evaluations.stats import pre_post as _pre_post

REL = 1e-6


def pre_post(*args, **kwargs):
    """The function with its former default (errors="independent"), which these tests check against
    statsmodels/scipy; the calibrated default has its own tests in test_stats_calibrated.py."""
    kwargs.setdefault("errors", "independent")
    return _pre_post(*args, **kwargs)


def _poisson_glm(pre, post, pre_exposure=None, post_exposure=None, scale=None):
    """Independent implementation: statsmodels GLM of the period counts on a post indicator."""
    y = np.concatenate([pre, post]).astype(float)
    x = sm.add_constant(np.r_[np.zeros(len(pre)), np.ones(len(post))])
    e0 = np.ones(len(pre)) if pre_exposure is None else np.asarray(pre_exposure, float)
    e1 = np.ones(len(post)) if post_exposure is None else np.asarray(post_exposure, float)
    model = sm.GLM(y, x, family=sm.families.Poisson(), offset=np.log(np.r_[e0, e1]))
    return model.fit(scale=scale, tol=1e-12)


# --------------------------------------------------------------------------------------------
# Continuous
# --------------------------------------------------------------------------------------------


def test_continuous_matches_scipy_welch():
    rng = np.random.default_rng(11)
    pre = rng.normal(40, 6, 14)
    post = rng.normal(35, 11, 9)
    res = pre_post(pre, post)
    ref = stats.ttest_ind(post, pre, equal_var=False)
    ci = ref.confidence_interval(0.95)

    assert isinstance(res, PrePostResult)
    assert res.estimate == pytest.approx(post.mean() - pre.mean(), rel=1e-12)
    assert res.statistic == pytest.approx(ref.statistic, rel=REL)
    assert res.p_value == pytest.approx(ref.pvalue, rel=REL)
    assert res.df == pytest.approx(ref.df, rel=REL)
    assert res.ci_low == pytest.approx(ci.low, rel=REL)
    assert res.ci_high == pytest.approx(ci.high, rel=REL)
    assert res.se == pytest.approx(res.estimate / ref.statistic, rel=REL)
    assert res.scale == "difference" and res.log_estimate is None
    assert "Welch" in res.method


def test_continuous_matches_statsmodels_compare_means_and_other_alpha():
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    rng = np.random.default_rng(5)
    pre, post = rng.normal(10, 2, 30), rng.normal(11, 3, 25)
    res = pre_post(pre, post, alpha=0.1)
    cm = CompareMeans(DescrStatsW(post), DescrStatsW(pre))
    stat, p, df = cm.ttest_ind(usevar="unequal")
    low, high = cm.tconfint_diff(alpha=0.1, usevar="unequal")
    assert res.statistic == pytest.approx(stat, rel=REL)
    assert res.p_value == pytest.approx(p, rel=REL)
    assert res.df == pytest.approx(df, rel=REL)
    assert (res.ci_low, res.ci_high) == (pytest.approx(low, rel=REL), pytest.approx(high, rel=REL))


def test_continuous_secondary_statistics():
    rng = np.random.default_rng(3)
    pre, post = rng.normal(20, 4, 12), rng.normal(24, 5, 15)
    res = pre_post(pre, post)

    assert res.percent_change == pytest.approx(100 * (post.mean() / pre.mean() - 1), rel=1e-12)
    mw = stats.mannwhitneyu(post, pre, alternative="two-sided")
    assert res.mann_whitney_p == pytest.approx(mw.pvalue, rel=1e-12)

    # Hedges' g with the exact gamma-function correction, written out independently here.
    n1, n0 = len(post), len(pre)
    m = n1 + n0 - 2
    sp = math.sqrt(((n1 - 1) * post.var(ddof=1) + (n0 - 1) * pre.var(ddof=1)) / m)
    j = special.gamma(m / 2) / (math.sqrt(m / 2) * special.gamma((m - 1) / 2))
    assert res.hedges_g == pytest.approx(j * (post.mean() - pre.mean()) / sp, rel=1e-10)
    assert res.hedges_g_variance == pytest.approx(
        1 / n1 + 1 / n0 + res.hedges_g**2 / (2 * (n1 + n0)), rel=1e-12
    )
    # statsmodels uses the approximate correction 1 - 3/(4N - 9): close but not identical.
    from statsmodels.stats.meta_analysis import effectsize_smd

    g_sm, _ = effectsize_smd(post.mean(), post.std(ddof=1), n1, pre.mean(), pre.std(ddof=1), n0)
    assert res.hedges_g == pytest.approx(g_sm, rel=1e-3)


def test_continuous_one_constant_period_is_fine():
    res = pre_post([5.0, 5.0, 5.0], [6.0, 7.0, 8.0, 9.0])
    assert math.isfinite(res.se) and res.se > 0
    assert res.df == pytest.approx(3.0)


# --------------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------------


def test_count_overdispersed_matches_quasi_poisson_glm():
    pre = np.array([30, 55, 41, 72, 38, 60, 25, 49])
    post = np.array([20, 44, 31, 15, 39, 28])
    pre_e = np.array([1000, 1100, 1050, 990, 1010, 1200, 980, 1000.0])
    post_e = np.array([1020, 1000, 1100, 1080, 990, 1010.0])
    res = pre_post(pre, post, kind="count", pre_exposure=pre_e, post_exposure=post_e)

    ref = _poisson_glm(pre, post, pre_e, post_e, scale="X2")
    assert ref.scale > 1  # the data really are overdispersed
    assert res.dispersion == pytest.approx(ref.scale, rel=REL)
    assert res.log_estimate == pytest.approx(ref.params[1], rel=REL)
    assert res.estimate == pytest.approx(math.exp(ref.params[1]), rel=REL)
    assert res.se == pytest.approx(ref.bse[1], rel=REL)
    assert res.statistic == pytest.approx(ref.tvalues[1], rel=REL)
    assert res.p_value == pytest.approx(ref.pvalues[1], rel=REL)
    low, high = np.exp(ref.conf_int()[1])
    assert res.ci_low == pytest.approx(low, rel=REL)
    assert res.ci_high == pytest.approx(high, rel=REL)
    assert res.df is None and res.scale == "ratio"
    assert "quasi-Poisson" in res.method
    assert res.percent_change == pytest.approx(100 * (res.estimate - 1), rel=1e-12)
    rate_pre, rate_post = pre.sum() / pre_e.sum(), post.sum() / post_e.sum()
    assert (res.pre_mean, res.post_mean) == (pytest.approx(rate_pre), pytest.approx(rate_post))


def test_count_underdispersed_uses_plain_poisson():
    pre = np.array([50, 51, 49, 50, 50])
    post = np.array([40, 41, 40, 39])
    res = pre_post(pre, post, kind="count")
    ref = _poisson_glm(pre, post)
    assert ref.pearson_chi2 / ref.df_resid < 1
    assert res.dispersion == pytest.approx(ref.pearson_chi2 / ref.df_resid, rel=REL)
    assert res.se == pytest.approx(ref.bse[1], rel=REL)
    assert res.se == pytest.approx(math.sqrt(1 / pre.sum() + 1 / post.sum()), rel=1e-12)
    assert res.p_value == pytest.approx(ref.pvalues[1], rel=REL)
    assert "not above 1" in res.method and "quasi" not in res.method


def test_count_scalar_exposure_is_used_for_every_period():
    pre, post = [12, 15, 9], [20, 22, 25]
    a = pre_post(pre, post, kind="count", pre_exposure=100, post_exposure=200)
    b = pre_post(pre, post, kind="count", pre_exposure=[100] * 3, post_exposure=[200] * 3)
    assert a.estimate == pytest.approx(b.estimate) and a.se == pytest.approx(b.se)
    assert a.estimate == pytest.approx((67 / 600) / (36 / 300))


@settings(max_examples=40, deadline=None)
@given(
    pre=st.lists(st.integers(0, 400), min_size=2, max_size=12).filter(lambda v: sum(v) > 0),
    post=st.lists(st.integers(0, 400), min_size=2, max_size=12).filter(lambda v: sum(v) > 0),
)
def test_count_property_equals_statsmodels(pre, post):
    res = pre_post(pre, post, kind="count")
    plain = _poisson_glm(pre, post)
    dispersion = plain.pearson_chi2 / plain.df_resid
    ref = _poisson_glm(pre, post, scale="X2") if dispersion > 1 else plain
    assert res.log_estimate == pytest.approx(ref.params[1], rel=REL, abs=1e-9)
    assert res.se == pytest.approx(ref.bse[1], rel=REL)
    assert res.p_value == pytest.approx(ref.pvalues[1], rel=REL, abs=1e-12)


# --------------------------------------------------------------------------------------------
# Serialisation
# --------------------------------------------------------------------------------------------


def test_to_dict_is_json_safe():
    res = pre_post(np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 5.0]))
    data = res.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["estimate"] == pytest.approx(res.estimate)
    assert isinstance(data["warnings"], list) and data["warnings"]
    assert all(type(v) in (int, float, str, bool, list, type(None)) for v in data.values())


def test_to_dict_turns_nan_into_none():
    res = pre_post([-1.0, 0.0, 1.0], [1.0, 2.0, 3.0])
    assert res.percent_change is None
    assert res.to_dict()["percent_change"] is None
    odd = PrePostResult(
        estimate=float("nan"),
        se=np.float64(1.0),
        ci_low=-np.inf,
        ci_high=1.0,
        p_value=0.5,
        statistic=0.0,
        df=None,
        n=np.int64(4),
        method="m",
    )
    d = odd.to_dict()
    assert d["estimate"] is None and d["ci_low"] is None and d["pre_mean"] is None
    assert type(d["se"]) is float and type(d["n"]) is int
    json.dumps(d, allow_nan=False)


def test_result_is_frozen():
    res = pre_post([1.0, 2.0], [3.0, 5.0])
    with pytest.raises(AttributeError):
        res.estimate = 0  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def test_too_few_periods_message_is_actionable():
    with pytest.raises(TooFewPeriodsError) as err:
        pre_post([4.0], [5.0, 6.0])
    assert "pre period has 1 value; at least 2 are needed" in str(err.value)
    assert isinstance(err.value, AnalysisError) and isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"pre": [1.0, float("nan")], "post": [1.0, 2.0]}, MissingValueError),
        ({"pre": [3.0, 3.0], "post": [3.0, 3.0]}, ConstantSeriesError),
        ({"pre": [0, 0], "post": [3, 4], "kind": "count"}, AllZeroCountsError),
        ({"pre": [1, 2], "post": [0, 0], "kind": "count"}, AllZeroCountsError),
        (
            {"pre": [1, 2], "post": [3, 4], "kind": "count", "pre_exposure": [1, -1]},
            NegativeExposureError,
        ),
        (
            {"pre": [1, 2], "post": [3, 4], "kind": "count", "post_exposure": [0, 1]},
            NegativeExposureError,
        ),
        (
            {"pre": [1, 2], "post": [3, 4], "kind": "count", "pre_exposure": [1, 1, 1]},
            MismatchedLengthsError,
        ),
        ({"pre": [1, -2], "post": [3, 4], "kind": "count"}, InvalidInputError),
        ({"pre": [1, 2], "post": [3, 4], "kind": "rates"}, InvalidInputError),
        ({"pre": ["a", "b"], "post": [3, 4]}, InvalidInputError),
        ({"pre": [1, 2], "post": [3, 4], "pre_exposure": [1, 1]}, InvalidInputError),
    ],
)
def test_bad_input_raises_analysis_error(kwargs, error):
    with pytest.raises(error) as err:
        pre_post(kwargs.pop("pre"), kwargs.pop("post"), **kwargs)
    assert str(err.value)


# --- The AR(1) autocorrelation at the edge of its range ----------------------------------------


def test_a_trending_series_puts_rho_at_its_bound_and_is_approximate_not_a_fall():
    """Pre 100 + i, post 100 + 2i (i = 0..11): the means rose 5.4, but with rho at 0.98 the
    GLS estimate is the drop between the last month before and the first after. The result
    must not be a confident fall, and its method must not call it a difference in means."""
    rng = np.random.default_rng(0)
    i = np.arange(12)
    pre, post = 100 + i + rng.normal(0, 0.5, 12), 100 + 2 * i + rng.normal(0, 0.5, 12)
    result = _pre_post(pre, post, kind="continuous")
    assert result.post_mean - result.pre_mean > 5
    assert result.estimate < 0 and result.ci_high < 0  # what the GLS step measures
    assert result.ar1_rho >= 0.975
    assert result.approximate
    assert any("limit of its range (rho = 0.98)" in w for w in result.warnings)
    assert "Difference in means" not in result.method
    assert "can differ from the difference of the two means" in result.method


def test_counts_alternating_every_month_put_rho_at_its_bound_and_are_approximate():
    """[0, 9] * 6 then [0, 10] * 6: reporting every other month. rho at -0.98 makes the
    interval far narrower than the exact one on the totals."""
    counts = np.array([0, 9] * 6 + [0, 10] * 6, dtype=float)
    result = _pre_post(counts[:12], counts[12:], kind="count")
    exact = _pre_post(counts[:12], counts[12:], kind="count", errors="exact")
    assert result.ar1_rho <= -0.975
    assert (result.ci_high - result.ci_low) < (exact.ci_high - exact.ci_low) / 5
    assert result.approximate
    assert any("alternate up and down" in w for w in result.warnings)


def test_white_noise_never_reaches_the_bound_label():
    rng = np.random.default_rng(3)
    for _ in range(30):
        y = 50 + rng.normal(size=24)
        result = _pre_post(y[:12], y[12:], kind="continuous")
        assert abs(result.ar1_rho) < 0.975
        assert not any("limit of its range" in w for w in result.warnings)
