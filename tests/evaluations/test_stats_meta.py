"""Meta-analysis and effect sizes.

Checked three ways: against published results (BCG vaccine trials, Colditz et al. 1994, as
analysed in Viechtbauer 2010 / metafor), against R metafor output for Kacker's (2004) example,
and against statsmodels' ``combine_effects`` (DL) or a direct numerical maximisation of the
restricted likelihood (REML, which statsmodels does not implement).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

from evaluations.stats import (
    InvalidInputError,
    MetaResult,
    MismatchedLengthsError,
    MissingValueError,
    TooFewStudiesError,
    difference_in_differences,
    effect_size_from_result,
    fixed_effect,
    hedges_g,
    hedges_g_variance,
    interrupted_time_series,
    log_rate_ratio_effect,
    pre_post,
    random_effects,
)

# BCG vaccine trials (Colditz et al. 1994, JAMA 271:698-702): vaccinated TB+, vaccinated TB-,
# control TB+, control TB- for each of the 13 trials.
BCG = np.array(
    [
        [4, 119, 11, 128],  # Aronson 1948
        [6, 300, 29, 274],  # Ferguson & Simes 1949
        [3, 228, 11, 209],  # Rosenthal et al 1960
        [62, 13536, 248, 12619],  # Hart & Sutherland 1977
        [33, 5036, 47, 5761],  # Frimodt-Moller et al 1973
        [180, 1361, 372, 1079],  # Stein & Aronson 1953
        [8, 2537, 10, 619],  # Vandiviere et al 1973
        [505, 87886, 499, 87892],  # TPT Madras 1980
        [29, 7470, 45, 7232],  # Coetzee & Berjak 1968
        [17, 1699, 65, 1600],  # Rosenthal et al 1961
        [186, 50448, 141, 27197],  # Comstock et al 1974
        [5, 2493, 3, 2338],  # Comstock & Webster 1969
        [27, 16886, 29, 17825],  # Comstock et al 1976
    ],
    dtype=float,
)


def bcg_log_risk_ratios():
    """yi / vi as metafor's escalc(measure="RR"): log risk ratio and its large-sample variance."""
    tpos, tneg, cpos, cneg = BCG.T
    yi = np.log(tpos / (tpos + tneg)) - np.log(cpos / (cpos + cneg))
    vi = 1 / tpos - 1 / (tpos + tneg) + 1 / cpos - 1 / (cpos + cneg)
    return yi, vi


# Kacker (2004) interlaboratory example, as used by metafor / statsmodels.
KACKER_Y = np.array([61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9])
KACKER_V = np.array([0.2025, 1.21, 0.09, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225])


# --------------------------------------------------------------------------------------------
# Published examples
# --------------------------------------------------------------------------------------------


def test_bcg_dersimonian_laird_matches_published():
    """Viechtbauer (2010, J Stat Softw 36(3)) / metafor rma(method="DL"): tau^2 = 0.3088,
    estimate -0.7141 (se 0.1787, 95% CI -1.0644 to -0.3638), Q(12) = 152.2330, I^2 = 92.12%."""
    yi, vi = bcg_log_risk_ratios()
    res = random_effects(yi, vi, method="DL")
    assert round(res.tau2, 4) == 0.3088
    assert round(res.estimate, 4) == -0.7141
    assert round(res.se, 4) == 0.1787
    assert (round(res.ci_low, 4), round(res.ci_high, 4)) == (-1.0644, -0.3638)
    assert round(res.q, 4) == 152.2330 and res.q_df == 12
    assert round(100 * res.i2, 2) == 92.12


def test_bcg_reml_matches_published():
    """metafor's default rma() (REML) on the BCG data: tau^2 = 0.3132, estimate -0.7145
    (se 0.1798, 95% CI -1.0669 to -0.3622)."""
    yi, vi = bcg_log_risk_ratios()
    res = random_effects(yi, vi)  # REML is the default
    assert res.tau2_method == "REML"
    assert round(res.tau2, 4) == 0.3132
    assert round(res.estimate, 4) == -0.7145
    assert round(res.se, 4) == 0.1798
    assert (round(res.ci_low, 4), round(res.ci_high, 4)) == (-1.0669, -0.3622)


def test_bcg_fixed_effect_matches_published():
    """metafor rma(method="FE") on the BCG data: -0.4303 (se 0.0405, CI -0.5097 to -0.3509)."""
    yi, vi = bcg_log_risk_ratios()
    res = fixed_effect(yi, vi)
    assert round(res.estimate, 4) == -0.4303
    assert round(res.se, 4) == 0.0405
    assert (round(res.ci_low, 4), round(res.ci_high, 4)) == (-0.5097, -0.3509)
    assert res.tau2 == 0 and res.pi_low is None


def test_kacker_example_matches_metafor_and_statsmodels():
    """R metafor rma(method="DL") / rma(method="FE") output for Kacker (2004), as recorded in
    statsmodels' own test-suite results (statsmodels/stats/tests/results/results_meta.py),
    and statsmodels' combine_effects as a second, independent implementation."""
    dl = random_effects(KACKER_Y, KACKER_V, method="DL")
    assert dl.tau2 == pytest.approx(0.288049246973751, rel=1e-9)
    assert dl.estimate == pytest.approx(62.3901386044504, rel=1e-12)
    assert dl.se == pytest.approx(0.245749668040304, rel=1e-9)
    assert dl.ci_low == pytest.approx(61.9084781058787, rel=1e-9)
    assert dl.ci_high == pytest.approx(62.8717991030221, rel=1e-9)
    assert dl.q == pytest.approx(24.801897741835, rel=1e-9)
    assert dl.q_p_value == pytest.approx(0.00167935146372742, rel=1e-6)
    assert 100 * dl.i2 == pytest.approx(67.744403741711, rel=1e-9)
    fe = fixed_effect(KACKER_Y, KACKER_V)
    assert fe.estimate == pytest.approx(62.5833970939982, rel=1e-12)
    assert fe.se == pytest.approx(0.107845705498231, rel=1e-9)

    sm = combine_effects(KACKER_Y, KACKER_V, method_re="dl")
    assert dl.estimate == pytest.approx(sm.mean_effect_re, rel=1e-12)
    assert dl.se == pytest.approx(sm.sd_eff_w_re, rel=1e-12)


# --------------------------------------------------------------------------------------------
# Independent implementations
# --------------------------------------------------------------------------------------------


def _heterogeneous(seed, k=10):
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.01, 0.2, k)
    y = rng.normal(0.3, 0.4, k) + rng.normal(0, np.sqrt(v))
    return y, v


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dl_matches_statsmodels_combine_effects(seed):
    y, v = _heterogeneous(seed)
    res = random_effects(y, v, method="DL", alpha=0.1)
    sm = combine_effects(y, v, method_re="dl", alpha=0.1)
    assert sm.tau2 > 0  # statsmodels does not truncate at 0, so only compare when positive
    assert res.tau2 == pytest.approx(sm.tau2, rel=1e-10)
    assert res.estimate == pytest.approx(sm.mean_effect_re, rel=1e-10)
    assert res.se == pytest.approx(sm.sd_eff_w_re, rel=1e-10)
    assert res.q == pytest.approx(sm.q, rel=1e-10)
    assert res.i2 == pytest.approx(sm.i2, rel=1e-10)
    np.testing.assert_allclose(res.weights, sm.weights_rel_re, rtol=1e-10)
    low, high = sm.conf_int(alpha=0.1)[1]  # row 1: random effects, normal
    assert (res.ci_low, res.ci_high) == (pytest.approx(low), pytest.approx(high))
    fe = fixed_effect(y, v)
    assert fe.estimate == pytest.approx(sm.mean_effect_fe, rel=1e-10)
    assert fe.se == pytest.approx(sm.sd_eff_w_fe, rel=1e-10)
    np.testing.assert_allclose(fe.weights, sm.weights_rel_fe, rtol=1e-10)


def _reml_by_optimisation(y, v):
    """Maximise the restricted log-likelihood of the random-effects model directly."""

    def negative_restricted_loglik(tau2):
        w = 1 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        return 0.5 * (np.sum(np.log(v + tau2)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))

    upper = 10 * np.var(y) + 1
    fit = optimize.minimize_scalar(
        negative_restricted_loglik,
        bounds=(0, upper),
        method="bounded",
        options={"xatol": 1e-13},
    )
    return fit.x


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_reml_maximises_restricted_likelihood(seed):
    y, v = _heterogeneous(seed, k=8)
    res = random_effects(y, v, method="REML")
    assert res.tau2 == pytest.approx(_reml_by_optimisation(y, v), rel=1e-6)
    yi, vi = bcg_log_risk_ratios()
    assert random_effects(yi, vi).tau2 == pytest.approx(_reml_by_optimisation(yi, vi), rel=1e-6)


def test_reml_converges_where_plain_fisher_scoring_oscillates():
    """Found by Hypothesis: full scoring steps jump between ~0 and ~0.18 for ever here."""
    y = np.array([0.0, 0.0, 0.0, 0.0, 1.0])
    v = np.array([1.0, 1.0, 1.0, 1.0, 0.125])
    tau2 = random_effects(y, v, method="REML").tau2
    # Independent check: a plain grid over the restricted log-likelihood.
    grid = np.linspace(0, 1, 100_001)
    w = 1 / (v[None, :] + grid[:, None])
    mu = (w * y).sum(axis=1) / w.sum(axis=1)
    loglik = -0.5 * (
        np.log(v[None, :] + grid[:, None]).sum(axis=1)
        + np.log(w.sum(axis=1))
        + (w * (y[None, :] - mu[:, None]) ** 2).sum(axis=1)
    )
    assert tau2 == pytest.approx(grid[np.argmax(loglik)], abs=2e-5)


def test_prediction_interval_and_weights():
    y, v = _heterogeneous(4, k=7)
    res = random_effects(y, v, alpha=0.1)
    half = stats.t.ppf(0.95, 5) * math.sqrt(res.tau2 + res.se**2)
    assert res.pi_low == pytest.approx(res.estimate - half, rel=1e-10)
    assert res.pi_high == pytest.approx(res.estimate + half, rel=1e-10)
    assert sum(res.weights) == pytest.approx(1.0)
    w = 1 / (v + res.tau2)
    np.testing.assert_allclose(res.weights, w / w.sum())
    assert res.q_p_value == pytest.approx(stats.chi2.sf(res.q, 6))
    two = random_effects(y[:2], v[:2])
    assert two.pi_low is None and two.pi_high is None
    assert any("Only 2 sites" in w for w in two.warnings)


def test_homogeneous_studies_truncate_tau2_to_zero():
    y = np.array([0.50, 0.52, 0.49, 0.51, 0.50])
    v = np.full(5, 0.04)
    fe = fixed_effect(y, v)
    for method in ("DL", "REML"):
        res = random_effects(y, v, method=method)
        assert res.tau2 == 0.0
        assert res.estimate == pytest.approx(fe.estimate) and res.se == pytest.approx(fe.se)
        assert res.i2 == 0.0


@settings(max_examples=30, deadline=None)
@given(data=st.lists(st.tuples(st.floats(-3, 3), st.floats(0.01, 2)), min_size=3, max_size=15))
def test_property_pooled_estimate_between_extremes(data):
    y, v = np.array(data).T
    for method in ("DL", "REML"):
        res = random_effects(y, v, method=method)
        assert y.min() - 1e-9 <= res.estimate <= y.max() + 1e-9
        assert res.tau2 >= 0 and 0 <= res.i2 < 1
        assert res.ci_low <= res.estimate <= res.ci_high
        assert res.pi_low <= res.ci_low + 1e-12


def test_to_dict_json_safe():
    yi, vi = bcg_log_risk_ratios()
    res = random_effects(yi, vi)
    assert isinstance(res, MetaResult)
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert len(d["weights"]) == 13 and d["tau2_method"] == "REML"


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "v", "kwargs", "error"),
    [
        ([0.1], [0.1], {}, TooFewStudiesError),
        ([0.1, 0.2], [0.1], {}, MismatchedLengthsError),
        ([0.1, float("nan")], [0.1, 0.1], {}, MissingValueError),
        ([0.1, 0.2], [0.1, 0.0], {}, InvalidInputError),
        ([0.1, 0.2], [0.1, -1.0], {}, InvalidInputError),
        ([0.1, 0.2], [0.1, 0.1], {"method": "PM"}, InvalidInputError),
    ],
)
def test_bad_input(y, v, kwargs, error):
    with pytest.raises(error) as err:
        random_effects(y, v, **kwargs)
    assert str(err.value)


# --------------------------------------------------------------------------------------------
# Effect sizes
# --------------------------------------------------------------------------------------------


def test_hedges_g_functions():
    g = hedges_g(12.0, 10.0, 3.0, 2.0, 20, 25)
    m = 43
    sp = math.sqrt((19 * 9 + 24 * 4) / m)
    assert g == pytest.approx((1 - 3 / (4 * m - 1)) * 2 / sp, rel=1e-4)
    assert hedges_g_variance(g, 20, 25) == pytest.approx(1 / 20 + 1 / 25 + g**2 / 90)
    with pytest.raises(InvalidInputError):
        hedges_g(1, 1, 0, 0, 5, 5)


def test_effect_size_from_each_result_type():
    rng = np.random.default_rng(0)
    count = pre_post([30, 41, 35], [20, 25, 22], kind="count")
    est, var, label = effect_size_from_result(count)
    assert label == "log rate ratio"
    assert (est, var) == (pytest.approx(count.log_estimate), pytest.approx(count.se**2))
    assert log_rate_ratio_effect(count) == (pytest.approx(est), pytest.approx(var))
    # the stored JSON form gives the same answer
    assert effect_size_from_result(json.loads(json.dumps(count.to_dict()))) == (
        pytest.approx(est),
        pytest.approx(var),
        label,
    )

    cont = pre_post(rng.normal(10, 2, 12), rng.normal(12, 2, 12))
    est, var, label = effect_size_from_result(cont)
    assert label == "Hedges' g"
    assert (est, var) == (cont.hedges_g, cont.hedges_g_variance)

    import pandas as pd

    y = pd.Series(rng.normal(50, 3, 36), index=pd.date_range("2020-01-01", periods=36, freq="MS"))
    its = interrupted_time_series(y, intervention="2021-07-01")
    est, var, label = effect_size_from_result(its)
    assert label == "mean difference"
    assert (est, var) == (pytest.approx(its.level_change.estimate), pytest.approx(its.se**2))

    panel = pd.DataFrame(
        {
            "treated": np.repeat([1, 0], 20),
            "post": np.tile(np.repeat([0, 1], 10), 2),
            "outcome": rng.normal(5, 1, 40),
        }
    )
    did = difference_in_differences(panel)
    assert effect_size_from_result(did)[2] == "mean difference"
    with pytest.raises(InvalidInputError):
        log_rate_ratio_effect(did)


def test_pooling_site_rate_ratios_end_to_end():
    rng = np.random.default_rng(42)
    effects = []
    for _site in range(6):
        pre = rng.poisson(100, 12)
        post = rng.poisson(100 * math.exp(-0.2 + 0.1 * rng.normal()), 12)
        res = pre_post(pre, post, kind="count")
        est, var, label = effect_size_from_result(res)
        assert label == "log rate ratio"
        effects.append((est, var))
    y, v = np.array(effects).T
    pooled = random_effects(y, v)
    assert math.exp(pooled.estimate) < 1
    assert pooled.n == 6 and pooled.k == 6
