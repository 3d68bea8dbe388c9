"""The test for subgroup differences and leave-one-out, checked against statsmodels'
``combine_effects`` (DerSimonian-Laird, per subgroup) and ``scipy.stats.chi2``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.meta_analysis import combine_effects

from evaluations.stats import (
    MismatchedLengthsError,
    TooFewStudiesError,
    leave_one_out,
    random_effects,
    subgroup_differences,
)

# BCG vaccine trials' log risk ratios and variances (Colditz et al. 1994), grouped by how
# treatment was allocated (random, alternate, systematic), as in metafor's dat.bcg.
from tests.evaluations.test_stats_meta import bcg_log_risk_ratios

ALLOCATION = [
    "random",
    "random",
    "random",
    "random",
    "alternate",
    "alternate",
    "random",
    "random",
    "random",
    "systematic",
    "systematic",
    "systematic",
    "systematic",
]


def _by_hand_with_statsmodels(y, v, labels):
    """Pool each subgroup with statsmodels (DL, or the result itself when alone), then
    Cochran's Q across subgroup means and its chi-square p-value from scipy."""
    means, ses = [], []
    for label in sorted(set(labels)):
        mask = np.array([x == label for x in labels])
        if mask.sum() == 1:
            means.append(float(y[mask][0]))
            ses.append(math.sqrt(float(v[mask][0])))
            continue
        sm = combine_effects(y[mask], v[mask], method_re="dl")
        tau2 = max(0.0, sm.tau2)  # statsmodels does not truncate tau^2 at 0
        w = 1 / (v[mask] + tau2)
        means.append(float(np.sum(w * y[mask]) / np.sum(w)))
        ses.append(math.sqrt(1 / np.sum(w)))
        if sm.tau2 > 0:
            assert means[-1] == pytest.approx(sm.mean_effect_re, rel=1e-10)
    means, ses = np.array(means), np.array(ses)
    w = 1 / ses**2
    mu = np.sum(w * means) / np.sum(w)
    q = float(np.sum(w * (means - mu) ** 2))
    return q, means, float(sps.chi2.sf(q, len(means) - 1))


def test_bcg_allocation_subgroups_match_statsmodels_and_scipy():
    y, v = bcg_log_risk_ratios()
    res = subgroup_differences(y, v, ALLOCATION, method="DL")
    q, means, p = _by_hand_with_statsmodels(y, v, ALLOCATION)
    assert res.statistic == pytest.approx(q, rel=1e-10)
    assert res.df == 2
    assert res.p_value == pytest.approx(p, rel=1e-8)
    assert [g.label for g in res.subgroups] == ["alternate", "random", "systematic"]
    np.testing.assert_allclose([g.estimate for g in res.subgroups], means, rtol=1e-10)
    assert [g.k for g in res.subgroups] == [2, 7, 4]


def test_single_result_subgroup_enters_with_its_own_estimate():
    y = np.array([-0.4, -0.3, -0.5, 0.2])
    v = np.array([0.04, 0.05, 0.03, 0.06])
    labels = ["county", "county", "county", "city"]
    res = subgroup_differences(y, v, labels, method="DL")
    city = res.subgroups[0]
    assert city.label == "city" and city.k == 1
    assert city.estimate == pytest.approx(0.2) and city.se == pytest.approx(math.sqrt(0.06))
    q, _, p = _by_hand_with_statsmodels(y, v, labels)
    assert res.statistic == pytest.approx(q, rel=1e-10)
    assert res.p_value == pytest.approx(p, rel=1e-8)
    assert any("single result" in w for w in res.warnings)


def test_subgroup_test_needs_two_subgroups_and_matching_lengths():
    with pytest.raises(TooFewStudiesError, match="at least 2 subgroups"):
        subgroup_differences([0.1, 0.2], [0.01, 0.02], ["a", "a"])
    with pytest.raises(MismatchedLengthsError):
        subgroup_differences([0.1, 0.2], [0.01, 0.02], ["a"])


def test_leave_one_out_pools_the_others():
    y, v = bcg_log_risk_ratios()
    pools = leave_one_out(y, v, method="DL")
    assert len(pools) == y.size
    for i, pool in enumerate(pools):
        rest = np.delete(np.arange(y.size), i)
        sm = combine_effects(y[rest], v[rest], method_re="dl")
        assert pool.estimate == pytest.approx(sm.mean_effect_re, rel=1e-10)
        assert pool.k == y.size - 1
    # and options reach random_effects: REML by default
    assert leave_one_out(y, v)[0].estimate == pytest.approx(
        random_effects(y[1:], v[1:]).estimate, rel=1e-12
    )


def test_leave_one_out_needs_three_results():
    with pytest.raises(TooFewStudiesError, match="at least 3"):
        leave_one_out([0.1, 0.2], [0.01, 0.02])
