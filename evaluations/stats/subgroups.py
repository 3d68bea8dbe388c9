"""Subgroups and sensitivity of a random-effects pool: the test for subgroup differences and
leave-one-out.

Both build on :func:`evaluations.stats.meta.random_effects`, passing its options through, so
whatever estimator and interval it is asked for (REML or DL, with or without an adjusted
interval) is the one each subgroup and each leave-one-out pool uses.

The test for subgroup differences is the one the Cochrane Handbook (section 10.11.3) and
RevMan report for random-effects subgroup analyses: each subgroup is pooled on its own (its
own tau^2), and the subgroup estimates are compared with a fixed-effect Cochran's Q across
subgroups, Q_between = sum_g (mu_g - mu_bar)^2 / se_g^2 with mu_bar their inverse-variance
mean, referred to chi-square on G - 1 degrees of freedom. A subgroup of one result enters with
its own estimate and standard error.

Checked against: statsmodels ``combine_effects`` (``method_re="dl"``) per subgroup, then
``scipy.stats.chi2`` on the between-subgroup Q (``tests/evaluations/test_stats_subgroups.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import special

from .errors import InvalidInputError, MismatchedLengthsError, TooFewStudiesError
from .meta import random_effects
from .results import DEFAULT_ALPHA, MetaResult, critical_value

__all__ = ["SubgroupEstimate", "SubgroupTestResult", "leave_one_out", "subgroup_differences"]

MIN_LEAVE_ONE_OUT = 3


@dataclass(frozen=True, kw_only=True)
class SubgroupEstimate:
    """One subgroup's pooled estimate (on the additive scale it was given, e.g. log ratios).

    ``k`` results; ``tau2`` and ``i2`` are 0 for a subgroup of one result, whose estimate and
    standard error are that result's own."""

    label: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float = 0.0
    i2: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class SubgroupTestResult:
    """The test for subgroup differences: Cochran's Q across subgroup estimates.

    ``statistic`` is Q_between, ``df`` the number of subgroups minus one, ``p_value`` its
    chi-square upper tail, ``subgroups`` each subgroup's pooled estimate in label order."""

    statistic: float
    df: int
    p_value: float
    alpha: float
    method: str
    subgroups: tuple[SubgroupEstimate, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": self.statistic,
            "df": self.df,
            "p_value": self.p_value,
            "alpha": self.alpha,
            "method": self.method,
            "subgroups": [s.to_dict() for s in self.subgroups],
            "warnings": list(self.warnings),
        }


def _validated(
    estimates: Sequence[float], variances: Sequence[float], labels: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    y = np.asarray(estimates, dtype=float).ravel()
    v = np.asarray(variances, dtype=float).ravel()
    if not (y.size == v.size == len(labels)):
        raise MismatchedLengthsError(
            f"There are {y.size} estimates, {v.size} variances and {len(labels)} subgroup "
            f"labels; each result needs all three."
        )
    if not np.isfinite(y).all() or not np.isfinite(v).all() or (v <= 0).any():
        raise InvalidInputError(
            "Every result needs a finite estimate and a positive, finite variance."
        )
    return y, v, [str(label) for label in labels]


def _subgroup(
    label: str, y: np.ndarray, v: np.ndarray, *, alpha: float, **options: Any
) -> SubgroupEstimate:
    if y.size == 1:
        se = math.sqrt(float(v[0]))
        half = critical_value(alpha, None) * se
        est = float(y[0])
        return SubgroupEstimate(
            label=label, k=1, estimate=est, se=se, ci_low=est - half, ci_high=est + half
        )
    pooled = random_effects(y, v, alpha=alpha, **options)
    return SubgroupEstimate(
        label=label,
        k=pooled.k,
        estimate=pooled.estimate,
        se=pooled.se,
        ci_low=pooled.ci_low,
        ci_high=pooled.ci_high,
        tau2=pooled.tau2,
        i2=pooled.i2,
    )


def subgroup_differences(
    estimates: Sequence[float],
    variances: Sequence[float],
    labels: Sequence[str],
    *,
    alpha: float = DEFAULT_ALPHA,
    **options: Any,
) -> SubgroupTestResult:
    """Pool each subgroup by random effects and test whether the subgroup estimates differ.

    ``estimates`` and ``variances`` are on an additive scale (log rate ratios, Hedges' g);
    ``labels`` names each result's subgroup. ``options`` go to ``random_effects`` (``method``
    and the like). Needs at least two subgroups; raises ``TooFewStudiesError`` otherwise.
    """
    y, v, names = _validated(estimates, variances, labels)
    order = sorted(set(names))
    if len(order) < 2:
        raise TooFewStudiesError(
            "The test for subgroup differences needs results in at least 2 subgroups; "
            f"all {y.size} are in {order[0] if order else 'none'}."
        )
    groups = []
    for label in order:
        mask = np.array([n == label for n in names])
        groups.append(_subgroup(label, y[mask], v[mask], alpha=alpha, **options))
    mu = np.array([g.estimate for g in groups])
    w = 1.0 / np.array([g.se**2 for g in groups])
    mu_bar = float(w @ mu / w.sum())
    q_between = float(w @ (mu - mu_bar) ** 2)
    df = len(groups) - 1
    warnings = []
    if any(g.k < 2 for g in groups):
        warnings.append(
            "Some subgroups hold a single result, so the test compares single sites as much "
            "as kinds of site; read it as a hint, not a finding."
        )
    if y.size < 10:
        warnings.append(
            f"With {y.size} results the test for subgroup differences has little power: a "
            "large p-value does not show the subgroups are alike."
        )
    return SubgroupTestResult(
        statistic=q_between,
        df=df,
        p_value=float(special.chdtrc(df, q_between)),
        alpha=alpha,
        method=(
            "Test for subgroup differences (random effects): each subgroup pooled with its own "
            "between-site variance, then Cochran's Q across the subgroup estimates on "
            f"{df} degree{'s' if df != 1 else ''} of freedom."
        ),
        subgroups=tuple(groups),
        warnings=tuple(warnings),
    )


def leave_one_out(
    estimates: Sequence[float], variances: Sequence[float], **options: Any
) -> tuple[MetaResult, ...]:
    """The random-effects pool recomputed without each result in turn (result i left out is
    element i). Needs at least ``MIN_LEAVE_ONE_OUT`` results so every pool keeps two.
    ``options`` go to ``random_effects``."""
    y = np.asarray(estimates, dtype=float).ravel()
    v = np.asarray(variances, dtype=float).ravel()
    if y.size != v.size:
        raise MismatchedLengthsError(
            f"There are {y.size} estimates but {v.size} variances; each result needs both."
        )
    if y.size < MIN_LEAVE_ONE_OUT:
        raise TooFewStudiesError(
            f"Leave-one-out needs at least {MIN_LEAVE_ONE_OUT} results; {y.size} were given."
        )
    keep = ~np.eye(y.size, dtype=bool)
    return tuple(random_effects(y[row], v[row], **options) for row in keep)
