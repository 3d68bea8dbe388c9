"""Pre/post comparison for a single site: did the outcome change after the intervention?

A pre/post comparison has no comparison group, so it cannot separate the intervention from
anything else that changed at the same time (secular trends, seasonality, policy changes).
It is the weakest design the portal offers and is reported as such in ``warnings``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .calibration import (
    calibration_note,
    rho_bound_note,
    uncalibrated_note,
    underdispersion_note,
)
from .effect_sizes import hedges_g, hedges_g_variance
from .errors import (
    AllZeroCountsError,
    ConstantSeriesError,
    InvalidInputError,
    MismatchedLengthsError,
    MissingValueError,
    NegativeExposureError,
    TooFewPeriodsError,
)
from .fitting import MIN_AR1_PERIODS, ar1_poisson_fit, ar1_reml_fit, se_is_zero
from .results import PrePostResult, wald_result
from .results import events_phrase as _events
from .seasons import seasonal_terms

__all__ = ["pre_post"]

ERROR_MODELS = ("ar1", "independent", "exact")
SMALL_COUNT = 10

ArrayLike = Sequence[float] | np.ndarray

_DESIGN_WARNING = (
    "A pre/post comparison has no comparison group: any other change that happened at the "
    "same time as the intervention is attributed to it."
)


def _values(values: ArrayLike, label: str, minimum: int = 2) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"The {label} values must all be numbers; some could not be read as numbers."
        ) from exc
    if np.isnan(arr).any():
        bad = int(np.isnan(arr).sum())
        raise MissingValueError(
            f"The {label} values contain {bad} blank (missing) value{'s' if bad != 1 else ''}. "
            f"Fill them in or remove those periods before running the analysis."
        )
    if not np.isfinite(arr).all():
        raise InvalidInputError(f"The {label} values contain an infinite number.")
    if arr.size < minimum:
        raise TooFewPeriodsError(
            f"The {label} period has {arr.size} value{'s' if arr.size != 1 else ''}; at least "
            f"{minimum} "
            f"are needed for a pre/post comparison. Widen the {label} window or upload more "
            f"periods."
        )
    return arr


def _exposure(exposure: ArrayLike | float | None, size: int, label: str) -> np.ndarray:
    if exposure is None:
        return np.ones(size)
    arr = np.asarray(exposure, dtype=float).ravel()
    if arr.size == 1:
        arr = np.full(size, float(arr[0]))
    if arr.size != size:
        raise MismatchedLengthsError(
            f"The {label} period has {size} counts but {arr.size} exposure values; give one "
            f"exposure per period (or a single number used for every period)."
        )
    if np.isnan(arr).any():
        raise MissingValueError(
            f"The {label} exposure contains blank (missing) values; every period needs an exposure."
        )
    if (arr <= 0).any():
        first = int(np.flatnonzero(arr <= 0)[0]) + 1
        raise NegativeExposureError(
            f"Exposure must be greater than zero, but {label} period {first} has exposure "
            f"{arr[first - 1]:g}. Correct the exposure or drop that period."
        )
    return arr


def _step_design(
    pre: np.ndarray, post: np.ndarray, seasonal: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive periods pre then post: columns const, post and any seasonal terms; the
    stacked values."""
    n0, n1 = pre.size, post.size
    x = np.column_stack((np.ones(n0 + n1), np.r_[np.zeros(n0), np.ones(n1)]))
    if seasonal is not None:
        x = np.hstack((x, seasonal))
    return x, np.concatenate((pre, post))


def _check_ar1_length(pre: np.ndarray, post: np.ndarray) -> None:
    if pre.size + post.size < MIN_AR1_PERIODS:
        raise TooFewPeriodsError(
            f"The series has {pre.size + post.size} periods; at least {MIN_AR1_PERIODS} are "
            f"needed to allow for autocorrelation between periods. Upload more periods, or "
            f"choose errors='independent' (which assumes the periods are independent)."
        )


def _continuous(
    pre: np.ndarray,
    post: np.ndarray,
    alpha: float,
    errors: str,
    seasonal: tuple[np.ndarray | None, str] = (None, ""),
) -> PrePostResult:
    n0, n1 = pre.size, post.size
    m0, m1 = float(pre.mean()), float(post.mean())
    v0, v1 = float(pre.var(ddof=1)), float(post.var(ddof=1))
    rho: float | None = None
    if v0 == 0 and v1 == 0:
        raise ConstantSeriesError(
            "The outcome has the same value in every pre period and in every post period, so "
            "there is no variation to estimate uncertainty from. Check that the right column "
            "was uploaded."
        )
    if errors == "ar1":
        fit = ar1_reml_fit(*_step_design(pre, post, seasonal[0]))
        diff, se = float(fit.beta[1]), math.sqrt(float(fit.cov[1, 1]))
        df = fit.satterthwaite_df(1)
        rho = fit.rho
        method = (
            "Change in level (post minus pre) from a regression of the period values on a "
            f"post-period indicator{seasonal[1]} with the errors modelled as a first-order "
            "autoregressive "
            f"process (AR(1), estimated rho = {fit.rho:.2f}, by REML), generalised least "
            "squares (which weighs the periods unequally, so the estimate can differ from "
            "the difference of the two means); t test and interval with "
            "Kenward-Roger standard errors (linear form) and "
            "Satterthwaite degrees of freedom "
            f"({df:.1f}). Hedges' g and a two-sided Mann-Whitney U test (both of which "
            "assume independent periods) are "
            "reported as a standardised effect and a rank-based check."
        )
    else:
        a0, a1 = v0 / n0, v1 / n1
        se = math.sqrt(a0 + a1)
        df = (a0 + a1) ** 2 / (a0**2 / (n0 - 1) + a1**2 / (n1 - 1))
        diff = m1 - m0
        method = (
            "Difference in means (post minus pre) with Welch's unequal-variance t-test; the "
            "confidence interval uses the t distribution with Welch-Satterthwaite degrees of "
            f"freedom ({df:.1f}), assuming independent periods. Hedges' g and a two-sided "
            "Mann-Whitney U test are reported as a standardised effect and a rank-based "
            "robustness check."
        )

    # A standard error this small next to the data's own scale is a numerical zero (for
    # example constant periods but for one rounding-level difference): refuse rather than
    # report a zero-width interval and p = 0. Relative, as difference_in_differences does.
    scale = max(float(np.ptp(np.concatenate([pre, post]))), 1e-300)
    if se_is_zero(se, scale):
        raise ConstantSeriesError(
            "The outcome barely varies within the pre and post periods (the standard error is "
            "numerically zero), so there is no variation to estimate uncertainty from. Check "
            "that the right column was uploaded."
        )
    g = hedges_g(m1, m0, math.sqrt(v1), math.sqrt(v0), n1, n0)
    g_var = hedges_g_variance(g, n1, n0)
    mw_p = float(stats.mannwhitneyu(post, pre, alternative="two-sided").pvalue)

    warnings = [_DESIGN_WARNING]
    if min(n0, n1) < 5:
        warnings.append(
            f"With only {min(n0, n1)} values in one period the t-test relies heavily on the "
            f"outcome being roughly normally distributed; compare with the Mann-Whitney "
            f"p-value."
        )
    return wald_result(
        diff,
        se,
        df=df,
        alpha=alpha,
        n=n0 + n1,
        method=method,
        warnings=warnings,
        cls=PrePostResult,
        kind="continuous",
        pre_mean=m0,
        post_mean=m1,
        n_pre=n0,
        n_post=n1,
        percent_change=100.0 * (m1 / m0 - 1.0) if m0 != 0 else None,
        hedges_g=g,
        hedges_g_variance=g_var,
        mann_whitney_p=mw_p,
        errors=errors,
        ar1_rho=rho,
    )


def _count_exact(
    pre: np.ndarray, post: np.ndarray, e0: np.ndarray, e1: np.ndarray, alpha: float
) -> PrePostResult:
    """Rate ratio of the period totals with the exact conditional-binomial test and interval:
    given N = y0 + y1 events, y1 ~ Binomial(N, p) with p = E1 RR / (E0 + E1 RR), so the
    Clopper-Pearson interval for p maps to one for RR (Ederer & Mantel 1974)."""
    y0, y1 = float(pre.sum()), float(post.sum())
    big_e0, big_e1 = float(e0.sum()), float(e1.sum())
    total = int(round(y0 + y1))
    if y0 != round(y0) or y1 != round(y1):
        raise InvalidInputError(
            "The exact interval needs whole-number counts; some counts are fractional."
        )
    test = stats.binomtest(int(round(y1)), total, big_e1 / (big_e0 + big_e1))
    ci = test.proportion_ci(confidence_level=1 - alpha, method="exact")

    def ratio(p: float) -> float:
        if p >= 1.0:
            return math.inf
        return (p / (1.0 - p)) * (big_e0 / big_e1)

    log_rr = math.log(y1 / big_e1) - math.log(y0 / big_e0)
    se = math.sqrt(1.0 / y0 + 1.0 / y1)
    warnings = [_DESIGN_WARNING]
    if min(y0, y1) < SMALL_COUNT:
        warnings.append(
            f"One period has only {_events(min(y0, y1))} in total; the exact interval is valid "
            f"but wide."
        )
    return PrePostResult(
        estimate=math.exp(log_rr),
        se=se,
        ci_low=ratio(float(ci.low)),
        ci_high=ratio(float(ci.high)),
        p_value=float(test.pvalue),
        statistic=log_rr / se,
        df=None,
        n=pre.size + post.size,
        method=(
            "Rate ratio of the period totals (post events / post exposure over pre events / "
            "pre exposure) with the exact conditional-binomial test and Clopper-Pearson "
            "interval given the total number of events; it treats the events as a Poisson "
            "process, so extra-Poisson variation between periods is not allowed for. The "
            "standard error shown is the Poisson one, sqrt(1/pre total + 1/post total), on "
            "the log scale."
        ),
        scale="ratio",
        warnings=tuple(warnings),
        log_estimate=log_rr,
        alpha=float(alpha),
        kind="count",
        pre_mean=y0 / big_e0,
        post_mean=y1 / big_e1,
        n_pre=pre.size,
        n_post=post.size,
        percent_change=100.0 * (math.exp(log_rr) - 1.0),
        errors="exact",
    )


def _count(
    pre: np.ndarray,
    post: np.ndarray,
    pre_exposure: ArrayLike | float | None,
    post_exposure: ArrayLike | float | None,
    alpha: float,
    errors: str,
    seasonal: tuple[np.ndarray | None, str] = (None, ""),
) -> PrePostResult:
    for arr, label in ((pre, "pre"), (post, "post")):
        if (arr < 0).any():
            raise InvalidInputError(
                f"Counts cannot be negative, but the {label} period contains "
                f"{arr[arr < 0][0]:g}. Use kind='continuous' for outcomes that can be negative."
            )
    e0 = _exposure(pre_exposure, pre.size, "pre")
    e1 = _exposure(post_exposure, post.size, "post")
    y0, y1 = float(pre.sum()), float(post.sum())
    for total, label in ((y0, "pre"), (y1, "post")):
        if total == 0:
            raise AllZeroCountsError(
                f"Every count in the {label} period is zero, so the rate ratio is not finite. "
                f"Combine periods, choose a more common outcome, or report the raw counts."
            )
    rate0, rate1 = y0 / float(e0.sum()), y1 / float(e1.sum())
    log_rr = math.log(rate1) - math.log(rate0)
    if errors == "exact":
        return _count_exact(pre, post, e0, e1, alpha)

    # Pearson dispersion of the two-parameter Poisson fit (fitted mean = exposure x group rate).
    mu0, mu1 = e0 * rate0, e1 * rate1
    chi2 = float(np.sum((pre - mu0) ** 2 / mu0) + np.sum((post - mu1) ** 2 / mu1))
    n = pre.size + post.size
    dispersion = chi2 / (n - 2)
    df: float | None = None
    rho: float | None = None
    if errors == "ar1":
        x, y = _step_design(pre, post, seasonal[0])
        fit = ar1_poisson_fit(x, y, np.log(np.concatenate((e0, e1))))
        log_rr, se = float(fit.beta[1]), math.sqrt(float(fit.cov[1, 1]))
        df = fit.satterthwaite_df(1)
        dispersion = fit.marginal_variance
        rho = fit.rho
        method = (
            "Rate ratio (post rate / pre rate) from a log-linear regression of the period "
            f"counts on a post-period indicator{seasonal[1]} with a log-exposure offset, "
            "fitted by penalised "
            "quasi-likelihood with the working errors modelled as AR(1) (estimated rho = "
            f"{fit.rho:.2f}, by REML) and a free dispersion ({dispersion:.3g}); t test and "
            "interval on the log scale with "
            "Kenward-Roger standard errors (linear form) and "
            f"Satterthwaite degrees of freedom ({df:.1f})."
        )
    else:
        se = math.sqrt(1.0 / y0 + 1.0 / y1)
        quasi = dispersion > 1.0
        if quasi:
            se *= math.sqrt(dispersion)
        se_part = (
            f"quasi-Poisson standard error (Poisson SE scaled by the square root of the "
            f"Pearson dispersion {dispersion:.3g})"
            if quasi
            else f"Poisson standard error (Pearson dispersion {dispersion:.3g} is not above 1)"
        )
        method = (
            "Rate ratio (post rate / pre rate) from a Poisson regression of the period counts "
            "on a post-period indicator with a log-exposure offset (closed-form maximum "
            f"likelihood), with a {se_part}; Wald test and interval on the log scale using "
            "the normal distribution, assuming independent periods."
        )

    warnings = [_DESIGN_WARNING]
    if min(y0, y1) < SMALL_COUNT:
        warnings.append(
            f"One period has only {_events(min(y0, y1))} in total; the rate ratio is imprecise "
            f"and the approximation behind its interval is rough. The exact interval "
            f"(errors='exact') is safer for so few events."
        )
    if not (np.all(pre == np.round(pre)) and np.all(post == np.round(post))):
        warnings.append("Some counts are not whole numbers; check that counts were uploaded.")
    if dispersion > 1.5:
        warnings.append(
            f"Counts vary {dispersion:.1f} times more than a Poisson model expects; standard "
            f"errors were widened accordingly."
        )
    return wald_result(
        log_rr,
        se,
        df=df,
        alpha=alpha,
        n=n,
        method=method,
        scale="ratio",
        warnings=warnings,
        cls=PrePostResult,
        kind="count",
        pre_mean=rate0,
        post_mean=rate1,
        n_pre=pre.size,
        n_post=post.size,
        percent_change=100.0 * (math.exp(log_rr) - 1.0),
        dispersion=dispersion,
        errors=errors,
        ar1_rho=rho,
    )


def pre_post(
    pre: ArrayLike,
    post: ArrayLike,
    *,
    kind: str = "continuous",
    pre_exposure: ArrayLike | float | None = None,
    post_exposure: ArrayLike | float | None = None,
    alpha: float = 0.05,
    errors: str = "ar1",
    periods: pd.PeriodIndex | None = None,
    seasonality: str | None = "auto",
    harmonics: int = 2,
) -> PrePostResult:
    """Compare an outcome before and after an intervention at one site.

    ``kind="continuous"``: ``pre`` and ``post`` are the per-period values. The estimate is
    mean(post) - mean(pre) with Welch's unequal-variance t-test and its t interval
    (Welch-Satterthwaite df), i.e. ``scipy.stats.ttest_ind(post, pre, equal_var=False)``,
    which the tests check it against. Also reported: percent change of the means, Hedges' g
    (exact small-sample correction; variance 1/n1 + 1/n2 + g^2 / (2 (n1 + n2)), the large-sample
    formula metafor uses) and a two-sided Mann-Whitney U p-value as a check that does not rely
    on normality.

    ``kind="count"``: ``pre`` and ``post`` are per-period event counts with optional
    exposures (a number or one value per period; default 1). The estimate is the rate ratio
    (sum post / sum post exposure) / (sum pre / sum pre exposure), which is exactly the
    maximum-likelihood estimate of a Poisson regression of the counts on a post indicator with
    a log-exposure offset (closed form for one binary regressor). The SE of the log rate ratio
    is sqrt(1/sum pre + 1/sum post); when the Pearson dispersion (Pearson chi2 / (n - 2))
    exceeds 1 it is multiplied by its square root (quasi-Poisson, the same as statsmodels'
    ``GLM(..., family=Poisson, offset=log exposure).fit(scale="X2")``). The interval is a Wald
    interval on the log scale with the normal distribution, exponentiated; ``se`` and
    ``log_estimate`` are on the log scale.

    ``errors`` selects the error model. ``"ar1"`` (the default, at least 6 periods): the values
    (pre then post, consecutive periods) are regressed on a post indicator with AR(1) errors by
    REML and Satterthwaite t inference; counts use the same error model on a log-linear model
    (penalised quasi-likelihood). With ``periods`` (one per value) ``seasonality`` adds seasonal
    terms as in :func:`interrupted_time_series` (``"auto"``: Fourier pairs from two years of
    data). ``"independent"`` is the former default described above (Welch / quasi-Poisson),
    which assumes independent periods. ``"exact"`` (counts): the rate ratio of the totals with
    the exact conditional-binomial test and Clopper-Pearson interval (as R's ``poisson.test``).

    Raises an :class:`~evaluations.stats.errors.AnalysisError` subclass when either period has
    fewer than 2 values, values are missing, counts are negative or all zero, exposures are not
    positive, or a continuous outcome is constant.
    """
    if not 0 < alpha < 1:
        raise InvalidInputError(f"alpha must be between 0 and 1, got {alpha}.")
    if errors not in ERROR_MODELS:
        raise InvalidInputError(
            f"errors must be one of {', '.join(map(repr, ERROR_MODELS))}; got {errors!r}."
        )
    pre_arr = _values(pre, "pre", 1 if errors == "exact" else 2)
    post_arr = _values(post, "post", 1 if errors == "exact" else 2)
    seasonal: tuple[np.ndarray | None, str] = (None, "")
    if errors == "ar1":
        _check_ar1_length(pre_arr, post_arr)
        if periods is not None:
            if len(periods) != pre_arr.size + post_arr.size:
                raise MismatchedLengthsError(
                    f"periods has {len(periods)} entries but there are "
                    f"{pre_arr.size + post_arr.size} values; give one period per value."
                )
            seasonal = seasonal_terms(periods, seasonality, int(harmonics))
    if kind == "continuous":
        if pre_exposure is not None or post_exposure is not None:
            raise InvalidInputError(
                "Exposures only apply to counts; use kind='count' or leave the exposures out."
            )
        if errors == "exact":
            raise InvalidInputError("errors='exact' applies to counts only.")
        result = _continuous(pre_arr, post_arr, alpha, errors, seasonal)
    elif kind == "count":
        result = _count(pre_arr, post_arr, pre_exposure, post_exposure, alpha, errors, seasonal)
        if errors != "exact" and se_is_zero(result.se):
            # A free dispersion of zero (the same count every period before, another after)
            # would read as "rose 100% (95% CI 100% to 100%)", p = 1e-88.
            raise ConstantSeriesError(
                "The counts are the same in every period before the start and the same in "
                "every period after, so there is no period-to-period variation to estimate "
                "uncertainty from: the standard error is numerically zero. Real counts vary "
                "from period to period; check that the right column was uploaded, or use "
                "errors 'exact', which treats the totals as Poisson counts."
            )
    else:
        raise InvalidInputError(f"kind must be 'continuous' or 'count', got {kind!r}.")
    if errors != "ar1":
        note = uncalibrated_note(
            "pre_post", kind, f'errors="{errors}"', measured=errors == "independent"
        )
        return dataclasses.replace(result, warnings=result.warnings + (note,), approximate=True)
    coverage, note = calibration_note("pre_post", kind, pre_arr.size, post_arr.size)
    under = underdispersion_note(kind, result.dispersion)
    bound = rho_bound_note(result.ar1_rho)
    labels = tuple(w for w in (note, under, bound) if w)
    return dataclasses.replace(
        result,
        warnings=result.warnings + labels,
        approximate=bool(labels),
        calibrated_coverage=coverage,
    )
