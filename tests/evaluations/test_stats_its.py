"""interrupted_time_series(): checked against statsmodels OLS (HAC, hac-panel) and Poisson GLM."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.stats.stattools import durbin_watson

from evaluations.stats import (
    AllZeroCountsError,
    AnalysisError,
    ConstantSeriesError,
    EstimateResult,
    InvalidInputError,
    IrregularTimeIndexError,
    ITSResult,
    MismatchedLengthsError,
    MissingValueError,
    NegativeExposureError,
    TooFewPeriodsError,
    default_hac_lags,
)
from evaluations.stats import interrupted_time_series as _interrupted_time_series

REL = 1e-6
START = "2018-01-01"
INTERVENTION = "2021-01-01"


def interrupted_time_series(*args, **kwargs):
    """The function with its former default (errors="independent"), which these tests check against
    statsmodels/scipy; the calibrated default has its own tests in test_stats_calibrated.py."""
    kwargs.setdefault("errors", "independent")
    kwargs.setdefault("seasonality", None)
    return _interrupted_time_series(*args, **kwargs)


def _series(seed=0, n=60, t0=36, counts=False, level=-8.0, slope=-0.3, season=0.0, phi=0.5):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    post = (t >= t0).astype(float)
    month = (t % 12) + 1
    seasonal = season * np.sin(2 * np.pi * month / 12)
    noise = np.zeros(n)
    for i in range(n):  # AR(1) errors, as in real administrative series
        noise[i] = (phi * noise[i - 1] if i else 0.0) + rng.normal(0, 3)
    idx = pd.date_range(START, periods=n, freq="MS")
    if counts:
        mu = np.exp(np.log(80) + 0.004 * t - 0.25 * post - 0.01 * post * (t - t0) + seasonal / 40)
        y = rng.poisson(mu * rng.gamma(6, 1 / 6, n)).astype(float)
    else:
        y = 100 + 0.5 * t + level * post + slope * post * (t - t0) + seasonal + noise
    return pd.Series(y, index=idx, name="y")


def _frame(y, t0, group=None):
    n = len(y)
    t = np.arange(n)
    df = pd.DataFrame(
        {
            "y": np.asarray(y, float),
            "time": t,
            "post": (t >= t0).astype(int),
            "time_after": np.where(t >= t0, t - t0, 0),
            "month": ((t % 12) + 1),
        }
    )
    if group is not None:
        df["group"] = group
    return df


def _check(res, ref, term, *, ratio=False):
    coef = ref.params[term]
    assert res.estimate == pytest.approx(math.exp(coef) if ratio else coef, rel=REL)
    if ratio:
        assert res.log_estimate == pytest.approx(coef, rel=REL)
    assert res.se == pytest.approx(ref.bse[term], rel=REL)
    assert res.statistic == pytest.approx(ref.tvalues[term], rel=REL)
    assert res.p_value == pytest.approx(ref.pvalues[term], rel=REL, abs=1e-300)
    low, high = ref.conf_int().loc[term]
    if ratio:
        low, high = math.exp(low), math.exp(high)
    assert res.ci_low == pytest.approx(low, rel=REL)
    assert res.ci_high == pytest.approx(high, rel=REL)
    assert res.df is None  # statsmodels uses the normal distribution for HAC and GLM


def _glm(df, formula, exposure=None, **fit):
    offset = None if exposure is None else np.log(np.asarray(exposure, float))
    model = smf.glm(formula, df, family=sm.families.Poisson(), offset=offset)
    plain = model.fit(tol=1e-12)
    if plain.pearson_chi2 / plain.df_resid > 1:
        return model.fit(tol=1e-12, scale="X2")
    return plain


# --------------------------------------------------------------------------------------------
# Continuous
# --------------------------------------------------------------------------------------------


def test_default_lag_rule():
    assert default_hac_lags(60) == 3
    assert default_hac_lags(100) == 4
    assert default_hac_lags(24) == 2
    assert default_hac_lags(48) == math.floor(4 * 0.48 ** (2 / 9))


@pytest.mark.parametrize("lags", [None, 0, 1, 6])
def test_continuous_hac_matches_statsmodels(lags):
    y = _series(seed=1)
    res = interrupted_time_series(y, intervention=INTERVENTION, hac_lags=lags)
    used = 3 if lags is None else lags
    ref = smf.ols("y ~ time + post + time_after", _frame(y, 36)).fit(
        cov_type="HAC", cov_kwds={"maxlags": used}
    )
    assert isinstance(res, ITSResult)
    assert res.hac_lags == used
    _check(res.level_change, ref, "post")
    _check(res.slope_change, ref, "time_after")
    # the top-level estimate is the level change
    assert (res.estimate, res.se, res.p_value) == (
        res.level_change.estimate,
        res.level_change.se,
        res.level_change.p_value,
    )
    assert f"{used} lag" in res.method and "Newey-West" in res.method
    if lags is None:
        assert "floor(4 (n/100)^(2/9))" in res.method
    np.testing.assert_allclose(res.fitted.to_numpy(), ref.fittedvalues, rtol=1e-9)
    assert res.durbin_watson == pytest.approx(durbin_watson(ref.resid), rel=1e-9)
    assert res.n == 60 and (res.n_pre, res.n_post) == (36, 24)


def test_counterfactual_and_relative_effect():
    y = _series(seed=2)
    res = interrupted_time_series(y, intervention=INTERVENTION)
    frame = _frame(y, 36)
    ref = smf.ols("y ~ time + post + time_after", frame).fit()
    cf = ref.predict(frame.assign(post=0, time_after=0))
    np.testing.assert_allclose(res.counterfactual.to_numpy(), cf, rtol=1e-9)
    assert res.counterfactual.index.equals(y.index)
    np.testing.assert_allclose(res.counterfactual.iloc[:36], res.fitted.iloc[:36], rtol=1e-12)
    assert res.relative_effect_last == pytest.approx(
        ref.fittedvalues.iloc[-1] / cf.iloc[-1] - 1, rel=1e-9
    )


def test_seasonality_adds_month_terms():
    y = _series(seed=3, season=6.0)
    res = interrupted_time_series(y, intervention=INTERVENTION, seasonality="month")
    ref = smf.ols("y ~ time + post + time_after + C(month)", _frame(y, 36)).fit(
        cov_type="HAC", cov_kwds={"maxlags": 3}
    )
    assert len(ref.params) == 15  # 4 segment terms + 11 month indicators
    _check(res.level_change, ref, "post")
    _check(res.slope_change, ref, "time_after")
    assert "month-of-year" in res.method


def test_period_index_and_unstored_frequency_give_same_answer():
    y = _series(seed=4)
    a = interrupted_time_series(y, intervention=INTERVENTION)
    b = interrupted_time_series(y.to_period("M"), intervention=pd.Period("2021-01", "M"))
    c = interrupted_time_series(
        pd.Series(y.to_numpy(), index=pd.DatetimeIndex(list(y.index))), intervention="2021-01"
    )
    month_end = pd.Series(y.to_numpy(), index=pd.date_range("2018-01-31", periods=60, freq="ME"))
    d = interrupted_time_series(month_end, intervention=pd.Timestamp("2021-01-31"))
    mid_month = pd.Series(y.to_numpy(), index=y.index + pd.Timedelta(days=14))
    e = interrupted_time_series(mid_month, intervention="2021-01-15")
    for other in (b, c, d, e):
        assert other.estimate == pytest.approx(a.estimate, rel=1e-12)
        assert other.slope_change.se == pytest.approx(a.slope_change.se, rel=1e-12)
    assert b.intervention == "2021-01"


def test_quarterly_series_is_supported():
    y = _series(seed=5, n=24, t0=12)
    q = pd.Series(y.to_numpy(), index=pd.date_range(START, periods=24, freq="QS"))
    q_unstored = pd.Series(y.to_numpy(), index=pd.DatetimeIndex(list(q.index)))
    res = interrupted_time_series(q_unstored, intervention="2021-01-01")
    ref = smf.ols("y ~ time + post + time_after", _frame(y, 12)).fit(
        cov_type="HAC", cov_kwds={"maxlags": default_hac_lags(24)}
    )
    _check(res.level_change, ref, "post")


def test_short_segments_warn():
    y = _series(seed=6, n=14, t0=6)
    res = interrupted_time_series(y, intervention=y.index[6])
    assert any("pre-intervention segment has only 6 periods" in w for w in res.warnings)
    assert not any("post-intervention segment has only" in w for w in res.warnings)


def test_to_dict_is_json_safe_with_series():
    res = interrupted_time_series(_series(seed=7), intervention=INTERVENTION)
    data = res.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["fitted"]["index"][0].startswith("2018-01-01")
    assert len(data["counterfactual"]["values"]) == 60
    assert data["level_change"]["estimate"] == pytest.approx(res.estimate)
    assert data["level_change_difference"] is None


# --------------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------------


def test_count_matches_quasi_poisson_glm_with_exposure():
    y = _series(seed=8, counts=True)
    rng = np.random.default_rng(8)
    exposure = pd.Series(rng.uniform(900, 1100, 60), index=y.index)
    res = interrupted_time_series(y, intervention=INTERVENTION, kind="count", exposure=exposure)
    ref = _glm(_frame(y, 36), "y ~ time + post + time_after", exposure)
    assert ref.scale > 1  # overdispersed data: quasi-Poisson branch
    _check(res.level_change, ref, "post", ratio=True)
    _check(res.slope_change, ref, "time_after", ratio=True)
    assert res.scale == "ratio" and res.dispersion == pytest.approx(ref.scale, rel=REL)
    np.testing.assert_allclose(res.fitted.to_numpy(), ref.fittedvalues, rtol=1e-8)
    cf = ref.predict(_frame(y, 36).assign(post=0, time_after=0), offset=np.log(exposure.to_numpy()))
    np.testing.assert_allclose(res.counterfactual.to_numpy(), cf, rtol=1e-8)
    expected = math.exp(ref.params["post"] + 23 * ref.params["time_after"]) - 1
    assert res.relative_effect_last == pytest.approx(expected, rel=1e-8)
    mu = ref.fittedvalues.to_numpy()
    pearson = (y.to_numpy() - mu) / np.sqrt(mu)
    assert res.durbin_watson == pytest.approx(durbin_watson(pearson), rel=1e-8)


def test_count_underdispersed_and_seasonal():
    rng = np.random.default_rng(9)
    y = pd.Series(
        np.round(200 + 10 * np.sin(np.arange(48) / 12 * 2 * np.pi)) + rng.integers(0, 2, 48),
        index=pd.period_range("2019-01", periods=48, freq="M"),
    )
    res = interrupted_time_series(y, intervention="2021-01", kind="count", seasonality="month")
    ref = _glm(_frame(y, 24), "y ~ time + post + time_after + C(month)")
    assert ref.scale == 1.0  # dispersion below 1: plain Poisson
    _check(res.level_change, ref, "post", ratio=True)
    _check(res.slope_change, ref, "time_after", ratio=True)
    assert "not above 1" in res.method


# --------------------------------------------------------------------------------------------
# Comparative ITS
# --------------------------------------------------------------------------------------------


def _stacked(y, c, t0):
    return pd.concat([_frame(y, t0, group=1), _frame(c, t0, group=0)], ignore_index=True)


@pytest.mark.parametrize("seasonality", [None, "month"])
def test_comparative_continuous_matches_hac_panel(seasonality):
    y, c = _series(seed=10, season=3.0), _series(seed=11, level=0.0, slope=0.0, season=3.0)
    res = interrupted_time_series(
        y, intervention=INTERVENTION, comparison=c, seasonality=seasonality
    )
    df = _stacked(y, c, 36)
    formula = "y ~ (time + post + time_after) * group" + (" + C(month)" if seasonality else "")
    ref = smf.ols(formula, df).fit(
        cov_type="hac-panel", cov_kwds={"groups": df["group"].to_numpy(), "maxlags": 3}
    )
    assert isinstance(res.level_change_difference, EstimateResult)
    _check(res.level_change_difference, ref, "post:group")
    _check(res.slope_change_difference, ref, "time_after:group")
    assert res.level_change_difference.n == 120
    # the treatment series' own changes still come from the single-series model
    single = interrupted_time_series(y, intervention=INTERVENTION, seasonality=seasonality)
    assert res.level_change.estimate == pytest.approx(single.level_change.estimate, rel=1e-12)
    assert "hac-panel" in res.level_change_difference.method


def test_comparative_count_matches_stacked_glm():
    y, c = _series(seed=12, counts=True), _series(seed=13, counts=True)
    rng = np.random.default_rng(12)
    e_t, e_c = rng.uniform(900, 1100, 60), rng.uniform(1900, 2100, 60)
    res = interrupted_time_series(
        y,
        intervention=INTERVENTION,
        kind="count",
        exposure=e_t,
        comparison=c,
        comparison_exposure=pd.Series(e_c, index=c.index),
    )
    ref = _glm(_stacked(y, c, 36), "y ~ (time + post + time_after) * group", np.r_[e_t, e_c])
    _check(res.level_change_difference, ref, "post:group", ratio=True)
    _check(res.slope_change_difference, ref, "time_after:group", ratio=True)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def test_missing_month_is_reported():
    y = _series(seed=14).drop(pd.Timestamp("2019-05-01"))
    with pytest.raises(IrregularTimeIndexError, match="2019-04 and 2019-06"):
        interrupted_time_series(y, intervention=INTERVENTION)
    p = _series(seed=14).to_period("M").drop(pd.Period("2019-05", "M"))
    with pytest.raises(IrregularTimeIndexError, match="gap"):
        interrupted_time_series(p, intervention=INTERVENTION)


def test_too_few_periods_in_a_segment():
    y = _series(seed=15)
    with pytest.raises(TooFewPeriodsError, match="post-intervention segment has 2 periods"):
        interrupted_time_series(y, intervention=y.index[-2])
    with pytest.raises(TooFewPeriodsError, match="after the last"):
        interrupted_time_series(y, intervention="2030-01")


@pytest.mark.parametrize(
    ("build", "kwargs", "error"),
    [
        (lambda y: y.reset_index(drop=True), {}, IrregularTimeIndexError),
        (lambda y: y.where(y.index != y.index[5]), {}, MissingValueError),
        (lambda y: y * 0 + 4.0, {}, ConstantSeriesError),
        (
            lambda y: y.iloc[:20],
            {"seasonality": "month", "intervention": "2018-10"},
            TooFewPeriodsError,
        ),
        (lambda y: y, {"seasonality": "week"}, InvalidInputError),
        (lambda y: y, {"kind": "counts"}, InvalidInputError),
        (lambda y: y, {"intervention": "not a date"}, InvalidInputError),
        (lambda y: y, {"comparison": "x"}, InvalidInputError),
        (lambda y: y, {"kind": "count", "exposure": np.ones(59)}, MismatchedLengthsError),
        (lambda y: y, {"kind": "count", "exposure": -np.ones(60)}, NegativeExposureError),
        (lambda y: y.where(y.index < INTERVENTION, 0.0), {"kind": "count"}, AllZeroCountsError),
        (lambda y: -y, {"kind": "count"}, InvalidInputError),
        (lambda y: y, {"exposure": np.ones(60)}, InvalidInputError),
        (lambda y: y, {"hac_lags": 60}, InvalidInputError),
        (lambda y: y.to_numpy(), {}, InvalidInputError),
    ],
)
def test_bad_input(build, kwargs, error):
    y = build(_series(seed=16, counts=True))
    kwargs = {"intervention": INTERVENTION, **kwargs}
    with pytest.raises(error) as err:
        interrupted_time_series(y, **kwargs)
    assert str(err.value)


def test_comparison_on_other_dates_is_rejected():
    y = _series(seed=17)
    other = _series(seed=18)
    other.index = other.index + pd.DateOffset(months=1)
    with pytest.raises(MismatchedLengthsError, match="same periods"):
        interrupted_time_series(y, intervention=INTERVENTION, comparison=other)


def test_duplicate_months_are_rejected():
    y = _series(seed=19)
    dup = pd.concat([y, y.iloc[[3]]]).sort_index()
    dup.index = pd.DatetimeIndex(list(dup.index))
    with pytest.raises(IrregularTimeIndexError):
        interrupted_time_series(dup, intervention=INTERVENTION)


@pytest.mark.parametrize(
    ("freq", "start", "n", "harmonics", "dummies"),
    [("M", "2021-01", 36, 6, "month"), ("Q", "2017Q1", 24, 2, "quarter")],
)
def test_full_fourier_basis_equals_season_indicators(freq, start, n, harmonics, dummies):
    """With the most harmonic pairs a period allows (6 for months, 2 for quarters) the Fourier
    terms span the same space as the season indicators, so the fits agree (1e-6). The last
    pair of an even period has a sine that is zero everywhere: it is that sine, not the
    alternating cosine, that must be dropped."""
    from evaluations.stats.seasons import seasonal_terms

    pidx = pd.period_range(start, periods=n, freq=freq)
    cols, _ = seasonal_terms(pidx, "fourier", harmonics)
    assert cols.shape[1] == 2 * harmonics - 1
    assert np.all(np.abs(cols).max(axis=0) > 0.5)  # no column that is zero everywhere
    rng = np.random.default_rng(4)
    season = np.sin(np.arange(n) * 2.1) * 3
    series = pd.Series(10 + season + rng.normal(0, 1, n), index=pidx)
    start_at = pidx[n // 2]
    kw = {"intervention": start_at, "errors": "independent", "hac_lags": 0}
    fourier = _interrupted_time_series(series, seasonality="fourier", harmonics=harmonics, **kw)
    indicators = _interrupted_time_series(series, seasonality=dummies, **kw)
    assert fourier.estimate == pytest.approx(indicators.estimate, rel=1e-6)
    assert fourier.se == pytest.approx(indicators.se, rel=1e-6)


def test_season_terms_that_make_the_design_singular_are_named():
    """Twelve months either side of a January start with month indicators (or all six
    Fourier pairs): the time trend is a combination of the months and the post indicator, so
    no fit exists. The refusal must say the seasonality is the cause and what to change."""
    pidx = pd.period_range("2022-01", periods=24, freq="M")
    rng = np.random.default_rng(2)
    series = pd.Series(rng.normal(10, 1, 24), index=pidx)
    for options in ({"seasonality": "month"}, {"seasonality": "fourier", "harmonics": 6}):
        with pytest.raises(
            AnalysisError, match="seasonal terms .* exactly once on each side.* or 'none'"
        ):
            _interrupted_time_series(series, intervention=pidx[12], **options)
    five = _interrupted_time_series(
        series, intervention=pidx[12], seasonality="fourier", harmonics=5
    )
    assert math.isfinite(five.estimate)


@pytest.mark.parametrize("units", [1, 2])
def test_comparison_counts_in_fixed_proportion_refuse_instead_of_a_zero_se(units):
    """Comparison counts that are exact multiples of the treatment's leave the treatment's
    share of every period's events constant: the standard error is numerically zero (it was
    reported as ~1e-14 with a 95% CI of 1.0 to 1.0). Refuse, as difference-in-differences does."""
    pidx = pd.period_range("2022-01", periods=24, freq="M")
    counts = np.random.default_rng(1).poisson(5, 24).astype(float)
    series = pd.Series(counts, index=pidx)
    comparison = pd.DataFrame({f"c{k}": (k + 2) * counts for k in range(units)}, index=pidx)
    with pytest.raises(ConstantSeriesError, match="numerically zero"):
        _interrupted_time_series(series, intervention=pidx[12], kind="count", comparison=comparison)


def test_an_effect_with_under_two_degrees_of_freedom_is_called_very_wide():
    """Random walks of 8 + 8 months: REML often leaves the slope change about one
    Satterthwaite degree of freedom. The interval is the t interval on those df (checked
    against scipy), and only then does the result say it is very wide and says little."""
    from scipy import stats as sps

    rng = np.random.default_rng(1)
    flagged = unflagged = 0
    for _ in range(40):
        y = np.cumsum(rng.normal(size=16)) + 50
        series = pd.Series(y, index=pd.period_range("2022-01", periods=16, freq="M"))
        result = _interrupted_time_series(series, intervention=pd.Period("2022-09", "M"))
        notes = [w for w in result.warnings if "very wide and says little" in w]
        few = {
            name: est.df
            for name, est in (("level", result.level_change), ("slope", result.slope_change))
            if est.df < 2
        }
        for est in (result.level_change, result.slope_change):
            half = sps.t.ppf(0.975, est.df) * est.se
            assert est.ci_high - est.ci_low == pytest.approx(2 * half, rel=1e-6)
        if few:
            flagged += 1
            assert len(notes) == 1
            for name, df in few.items():
                shown = f"{math.floor(df * 10) / 10:.1f}"  # rounded down: 1.98 is not "2.0"
                assert f"{name} change's" in notes[0] and shown in notes[0]
        else:
            unflagged += 1
            assert notes == []
    assert flagged and unflagged


def test_the_very_wide_caveat_reads_the_comparison_differences_too():
    """Comparative ITS: the treatment-minus-comparison slope change can rest on under 2 df
    while the treatment area's own changes do not; the caveat names the difference."""
    idx = pd.period_range("2020-01", periods=9, freq="M")
    treated = pd.Series([-1.39, -1.33, -1.09, 0.36, 1.11, 0.52, 1.12, 2.28, 2.6], index=idx)
    comparison = pd.Series(
        [-0.32, -2.15, -0.78, -2.04, -2.34, -2.62, -2.92, -3.17, -4.58], index=idx
    )
    result = _interrupted_time_series(
        treated, intervention=pd.Period("2020-06", "M"), comparison=comparison, seasonality=None
    )
    reported = {
        "level change": result.level_change,
        "slope change": result.slope_change,
        "level change (treatment minus comparison)": result.level_change_difference,
        "slope change (treatment minus comparison)": result.slope_change_difference,
    }
    few = {label: est.df for label, est in reported.items() if est.df < 2}
    assert "slope change (treatment minus comparison)" in few
    notes = [w for w in result.warnings if "very wide and says little" in w]
    assert len(notes) == 1
    for label in reported:
        assert (f"{label}'s" in notes[0]) == (label in few)
