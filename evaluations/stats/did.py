"""Difference-in-differences: treated vs comparison units, before vs after the intervention.

The estimate is the treated x post interaction of a two-way model: how much more the treated
group changed than the comparison group. It is unbiased for the intervention's effect when,
without the intervention, both groups would have moved in parallel; the optional pre-trend
check tests the observable part of that assumption.

The regressions are computed directly with numpy (see :mod:`evaluations.stats.fitting`) rather
than through statsmodels' formula interface, because portfolio-wide reports run thousands of
them; the tests check every number against ``statsmodels`` on the same data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from .calibration import (
    RHO_MISMATCH,
    calibration_note,
    rho_bound_note,
    rho_mismatch_note,
    uncalibrated_note,
    underdispersion_note,
)
from .errors import (
    AllZeroCountsError,
    ConstantSeriesError,
    ConvergenceError,
    InvalidInputError,
    MissingGroupError,
    MissingValueError,
    NegativeExposureError,
    SingularDesignError,
    TooFewPeriodsError,
    identical_comparison_error,
)
from .fitting import (
    MIN_AR1_PERIODS,
    ar1_glm_fit,
    ar1_reml_fit,
    area_contrasts,
    cov_classical,
    cov_cluster,
    cov_hc1,
    ols_fit,
    poisson_cov,
    poisson_cov_cluster,
    poisson_fit,
    poisson_from_mu,
    poisson_method,
    se_is_zero,
)
from .results import DiDResult, EstimateResult, wald_result

__all__ = ["difference_in_differences"]

_COV_TYPES = ("ar1", "classical", "HC1", "cluster")
# Cluster-robust errors with fewer clusters than this are refused: with few clusters the
# sandwich is badly biased downwards (with two clusters it can be numerically zero), and
# t(G - 1) does not rescue it (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017).
MIN_CLUSTERS = 10
# ... and at least this many clusters on each side (treated and comparison): with few treated
# clusters the sandwich under-states the treated side's variance. Measured here on placebo
# panels of 12 areas x 48 months, AR(1) rho 0.5, 300 replicates each: a 5% test rejected
# 55% with 1 treated area, 19% with 2, 11% with 3, 9% with 4, 7% with 5 and 4% with 6
# (MacKinnon & Webb 2017 describe the same failure).
MIN_CLUSTERS_EACH_SIDE = 5


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _column(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    if name not in data.columns:
        raise InvalidInputError(
            f"The data have no column named {name!r} (used as the {role}). Available columns: "
            f"{', '.join(map(str, data.columns))}."
        )
    return data[name]


def _numeric(data: pd.DataFrame, name: str, role: str) -> np.ndarray:
    col = _column(data, name, role)
    try:
        raw = col.to_numpy()
        if raw.dtype.kind in "biuf":  # plain numpy column: no missing-value translation needed
            arr = raw.astype(float, copy=False)
        else:
            arr = col.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"The {role} column {name!r} must contain numbers only; some entries could not be "
            f"read as numbers."
        ) from exc
    if np.isnan(arr).any():
        raise MissingValueError(
            f"The {role} column {name!r} has {int(np.isnan(arr).sum())} blank (missing) "
            f"entries. Fill them in or remove those rows."
        )
    return arr


def _indicator(data: pd.DataFrame, name: str, role: str) -> np.ndarray:
    arr = _numeric(data, name, role)
    if not np.all((arr == 0) | (arr == 1)):
        raise InvalidInputError(
            f"The {role} column {name!r} must be 0/1 (or True/False); it contains other values."
        )
    return arr


def _codes(data: pd.DataFrame, name: str, role: str) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(_column(data, name, role))
    if (codes < 0).any():
        raise MissingValueError(
            f"The {role} column {name!r} has blank (missing) entries; every row needs one."
        )
    return codes.astype(np.intp), len(uniques)


def _time_values(col: pd.Series) -> np.ndarray:
    """Numeric time: numbers as given, anything else (dates, periods, labels) as sorted ranks."""
    raw = col.to_numpy()
    if raw.dtype.kind in "iuf" or (
        pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)
    ):
        arr = (
            raw.astype(float, copy=False)
            if raw.dtype.kind in "iuf"
            else col.to_numpy(dtype=float, na_value=np.nan)
        )
        if np.isnan(arr).any():
            raise MissingValueError(
                f"The time column {col.name!r} has blank (missing) entries; every row needs a "
                f"period."
            )
        return arr - arr.min()
    codes, _ = pd.factorize(col, sort=True)
    if (codes < 0).any():
        raise MissingValueError(
            f"The time column {col.name!r} has blank (missing) entries; every row needs a period."
        )
    return codes.astype(float)


def _period_series(
    y: np.ndarray,
    tr: np.ndarray,
    po: np.ndarray,
    time: np.ndarray,
    expo: np.ndarray | None,
    kind: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per period: treated and comparison outcome (means, or summed counts), their exposures and
    the post indicator; only periods both groups have, which must be evenly spaced."""
    times_all, codes = np.unique(time, return_inverse=True)
    size = times_all.size
    e = np.ones(y.size) if expo is None else expo
    rows = {}
    for group in (1.0, 0.0):
        m = tr == group
        counts = np.bincount(codes[m], minlength=size)
        totals = np.bincount(codes[m], weights=y[m], minlength=size)
        rows[group] = (
            counts,
            totals if kind == "count" else totals / np.maximum(counts, 1),
            np.bincount(codes[m], weights=e[m], minlength=size),
        )
    post_max = np.zeros(size)
    np.maximum.at(post_max, codes, po)
    post_min = np.ones(size)
    np.minimum.at(post_min, codes, po)
    if (post_max != post_min).any():
        first = times_all[int(np.flatnonzero(post_max != post_min)[0])]
        raise InvalidInputError(
            f"Period {first:g} has rows marked both pre and post; the serial-correlation "
            f"model needs one intervention date for all units."
        )
    both = (rows[1.0][0] > 0) & (rows[0.0][0] > 0)
    times = times_all[both]
    steps = np.diff(times)
    if times.size < MIN_AR1_PERIODS:
        raise TooFewPeriodsError(
            f"Only {times.size} periods have data for both groups; at least {MIN_AR1_PERIODS} "
            f"are needed to "
            f"allow for autocorrelation (cov='ar1'). Use more periods, or cov='HC1'."
        )
    if steps.size and not np.allclose(steps, steps[0]):
        raise InvalidInputError(
            "The periods that both groups have are not evenly spaced (a group is missing some "
            "periods), so autocorrelation between periods cannot be modelled. Fill the gaps "
            "or drop those periods from the window."
        )
    return (
        rows[1.0][1][both],
        rows[0.0][1][both],
        rows[1.0][2][both],
        rows[0.0][2][both],
        post_max[both],
        times,
    )


def _unit_matrix(
    y: np.ndarray,
    tr: np.ndarray,
    time: np.ndarray,
    units: tuple[np.ndarray, list[str]],
    times: np.ndarray,
) -> np.ndarray:
    """Areas x periods (treated area first) over ``times``; refuses a panel in which an area
    lacks some of those periods or has two rows for one, naming the area and the periods."""
    codes, names = units
    treated_codes = np.unique(codes[tr == 1])
    if treated_codes.size != 1:
        raise InvalidInputError(
            f"The panel model needs exactly one treated area; the treated rows name "
            f"{treated_codes.size} ({', '.join(names[c] for c in treated_codes)}). Analyse one "
            f"treated area at a time, or leave out the unit column to pool them."
        )
    order = [int(treated_codes[0])] + [
        int(c) for c in np.unique(codes[tr == 0]) if c != treated_codes[0]
    ]
    matrix = np.empty((len(order), times.size))
    for row, code in enumerate(order):
        mine = codes == code
        position = {float(t): i for i, t in enumerate(time[mine])}
        if len(position) != int(mine.sum()):
            raise InvalidInputError(
                f"Area {names[code]!r} has more than one row for a period; give one row per "
                f"area and period."
            )
        missing = [float(t) for t in times if float(t) not in position]
        if missing:
            shown = ", ".join(f"{t:g}" for t in missing[:6])
            raise InvalidInputError(
                f"Area {names[code]!r} has no data for period(s) {shown}"
                f"{' ...' if len(missing) > 6 else ''}, which the other areas have. The panel "
                f"needs every area in every period: fill those periods, drop that area, or "
                f"narrow the window."
            )
        values = y[mine]
        matrix[row] = [values[position[float(t)]] for t in times]
        if row and np.array_equal(matrix[row], matrix[0]):
            raise identical_comparison_error(f"area {names[code]!r}")
    return matrix


class _AR1Interaction(NamedTuple):
    """The treated x post term of :func:`_ar1_interaction`."""

    coef: float
    se: float
    df: float
    rho: float
    text: str  # the method sentence's middle
    dispersion: float | None  # counts: sigma^2 / (1 - rho^2), about 1 for events
    caveat: str | None  # panels: the rho-mismatch label (:func:`rho_mismatch_note`)


def _ar1_interaction(
    y: np.ndarray,
    tr: np.ndarray,
    po: np.ndarray,
    time: np.ndarray,
    expo: np.ndarray | None,
    kind: str,
    units: tuple[np.ndarray, list[str]] | None = None,
) -> _AR1Interaction:
    """Treated x post with serially correlated errors (Bertrand, Duflo & Mullainathan 2004).

    Continuous: the per-period treated-minus-comparison difference regressed on a post
    indicator with AR(1) errors by REML (the GLS counterpart of the two-way fixed-effects
    panel estimate, which OLS on the same difference series reproduces). Counts: treated
    events out of each period's treated plus comparison events (binomial logit with a log
    exposure-ratio offset, i.e. a Poisson panel with period fixed effects), by penalised
    quasi-likelihood with AR(1) errors.
    For a panel, ``caveat`` is the approximate label when its common rho falls well below the
    treated-minus-comparison series' own (:func:`rho_mismatch_note`)."""
    ty, cy, te, ce, post, times = _period_series(y, tr, po, time, expo, kind)
    n = ty.size
    caveat: str | None = None
    if units is None and np.array_equal(ty, cy):
        raise identical_comparison_error("group")
    if kind == "continuous":
        x = np.column_stack((np.ones(n), post))
        if units is None:
            fit = ar1_reml_fit(x, ty - cy)
            shape = (
                f"the per-period difference between the treated and comparison means ({n} periods)"
            )
        else:
            panel = area_contrasts(_unit_matrix(y, tr, time, units, times), x)
            fit = ar1_reml_fit(panel.x, panel.y, panel.blocks)
            areas = len(panel.blocks)
            # The panel's one rho is shared by every area: comparison areas with little
            # autocorrelation pull it below the treated area's, and the interval is then
            # too narrow. The treated-minus-comparison series shows the treated side's.
            own = ar1_reml_fit(x, ty - cy).rho
            if own - fit.rho > RHO_MISMATCH:
                caveat = rho_mismatch_note(own, fit.rho)
            shape = (
                f"a panel of the treated area and {areas} comparison "
                f"area{'s' if areas != 1 else ''}, each its own series ({n} periods), with "
                f"area and period fixed effects and a treated x post term"
            )
        coef, se, j = float(fit.beta[1]), math.sqrt(float(fit.cov[1, 1])), 1
        text = (
            f"{shape}, with the errors modelled as AR(1) in every series (common rho, "
            f"estimated {fit.rho:.2f} by REML), generalised least squares; t test and "
            "interval with "
            "Kenward-Roger standard errors (linear form) and "
            "Satterthwaite degrees of freedom"
        )
    else:
        trials = ty + cy
        keep = trials > 0
        x = np.column_stack((np.ones(n), post))[keep]
        fit = ar1_glm_fit(x, ty[keep], np.log(te / ce)[keep], trials=trials[keep])
        coef, se, j = float(fit.beta[1]), math.sqrt(float(fit.cov[1, 1])), 1
        text = (
            f"the treated area's share of each period's events (treated out of treated plus "
            f"comparison, {int(keep.sum())} periods), a logit model with a log exposure-ratio "
            f"offset and a post indicator, which conditions on each period's total exactly as "
            f"period fixed effects do in a Poisson panel; fitted by penalised quasi-likelihood "
            f"with AR(1) working errors (estimated rho = {fit.rho:.2f}, by REML) and a free "
            "dispersion; t test and interval on the log scale with "
            "Kenward-Roger standard errors (linear form) and "
            "Satterthwaite degrees of "
            f"freedom"
        )
    dispersion = fit.marginal_variance if kind == "count" else None
    return _AR1Interaction(
        coef, se, fit.satterthwaite_df(j), float(fit.rho), text, dispersion, caveat
    )


def _pre_trend_ar1(
    kind: str,
    y: np.ndarray,
    tr: np.ndarray,
    time: np.ndarray,
    expo: np.ndarray | None,
    alpha: float,
) -> tuple[EstimateResult | None, str | None]:
    """Pre-period difference in trends with AR(1) errors (the serial-correlation analogue of
    the treated x time check)."""
    zeros = np.zeros(y.size)
    try:
        ty, cy, te, ce, _, times = _period_series(y, tr, zeros, time, expo, kind)
    except (TooFewPeriodsError, InvalidInputError) as exc:
        return None, f"the pre period cannot support it ({exc})"
    n = ty.size
    t = times - times[0]
    try:
        if kind == "continuous":
            fit = ar1_reml_fit(np.column_stack((np.ones(n), t)), ty - cy)
            j, scale = 1, "difference"
        else:
            trials = ty + cy
            keep = trials > 0
            x = np.column_stack((np.ones(n), t))[keep]
            fit = ar1_glm_fit(x, ty[keep], np.log(te / ce)[keep], trials=trials[keep])
            j, scale = 1, "ratio"
    except (ConvergenceError, SingularDesignError):
        # A check on the pre period alone (a trend and the autocorrelation from as few as 6
        # periods) can fail to fit where the estimate itself fits: the analysis goes on
        # without it, and says so. Measured: 6 of 200 Poisson pre periods of 12 months.
        return None, (
            "its model (a trend with autocorrelated errors) could not be fitted to the "
            f"{n} pre-intervention periods"
        )
    method = (
        f"Pre-trend check: difference in per-period trend between the treated and comparison "
        f"series before the intervention ({n} periods), with AR(1) errors (rho = "
        f"{fit.rho:.2f}, REML); t test with "
        "Kenward-Roger standard errors (linear form) and "
        "Satterthwaite degrees of freedom."
    )
    result = wald_result(
        fit.beta[j],
        math.sqrt(float(fit.cov[j, j])),
        df=fit.satterthwaite_df(j),
        alpha=alpha,
        n=int(y.size),
        method=method,
        scale=scale,
    )
    return result, None


def _design(tr: np.ndarray, second: np.ndarray) -> np.ndarray:
    return np.column_stack((np.ones(tr.size), tr, second, tr * second))


def _cov_sentence(cov: str, cluster: str | None, n_clusters: int | None, df: float) -> str:
    if cov == "classical":
        se = "classical OLS standard errors"
    elif cov == "HC1":
        se = "heteroskedasticity-robust (HC1) standard errors"
    else:
        se = (
            f"cluster-robust standard errors by {cluster!r} ({n_clusters} clusters, small-sample "
            f"factor G/(G-1) x (n-1)/(n-k))"
        )
    return f"{se}; t distribution with {df:g} degrees of freedom"


def _ols_coef(
    x: np.ndarray,
    y: np.ndarray,
    cov: str,
    codes: np.ndarray | None,
    n_groups: int | None,
) -> tuple[float, float, float]:
    """Interaction (last column) coefficient, its SE and the inference df, as statsmodels
    ``OLS(y, x).fit(cov_type=..., use_t=True)`` reports them."""
    fit = ols_fit(x, y)
    if cov == "classical":
        v = cov_classical(fit)
        df = float(fit.df_resid)
    elif cov == "HC1":
        v = cov_hc1(x, fit)
        df = float(fit.df_resid)
    else:
        assert codes is not None and n_groups is not None
        v = cov_cluster(fit.xtx_inv, x * fit.resid[:, None], codes, n_groups)
        df = float(n_groups - 1)
    return float(fit.beta[-1]), math.sqrt(max(float(v[-1, -1]), 0.0)), df


def _pre_trend(
    *,
    kind: str,
    y: np.ndarray,
    tr: np.ndarray,
    po: np.ndarray,
    time: np.ndarray,
    expo: np.ndarray | None,
    cov: str,
    codes: np.ndarray | None,
    cluster: str | None,
    alpha: float,
) -> tuple[EstimateResult | None, str | None]:
    """Treated x time interaction on the pre-period rows; ``(result, reason_if_skipped)``."""
    pre = po == 0
    if cov == "ar1":
        return _pre_trend_ar1(
            kind, y[pre], tr[pre], time[pre], expo[pre] if expo is not None else None, alpha
        )
    t_pre, tr_pre, y_pre = time[pre], tr[pre], y[pre]
    for value, label in ((1.0, "treated"), (0.0, "comparison")):
        if np.unique(t_pre[tr_pre == value]).size < 2:
            return None, f"the {label} group has fewer than two pre periods"
    x = _design(tr_pre, t_pre)
    n = int(pre.sum())
    if n - x.shape[1] < 1:
        return None, "there are too few pre-period rows"
    g_codes, g_n = None, None
    if cov == "cluster" and codes is not None:
        g_codes, uniq = pd.factorize(codes[pre])
        g_codes, g_n = g_codes.astype(np.intp), len(uniq)
        if g_n < 2:
            return None, "the pre period has fewer than two clusters"
    if kind == "continuous":
        coef, se, df = _ols_coef(x, y_pre, cov, g_codes, g_n)
        model = "OLS"
        se_text = _cov_sentence(cov, cluster, g_n, df)
        dist_df: float | None = df
        scale = "difference"
    else:
        assert expo is not None
        fit = poisson_fit(x, y_pre, np.log(expo[pre]))
        if cov == "cluster" and g_codes is not None and g_n is not None:
            v = poisson_cov_cluster(x, fit, y_pre, g_codes, g_n)
            se_text = f"cluster-robust standard errors ({g_n} clusters); normal distribution"
        else:
            v, quasi = poisson_cov(fit)
            se_text = poisson_method(quasi, fit.dispersion)
        coef, se = float(fit.beta[-1]), math.sqrt(float(v[-1, -1]))
        model = "Poisson regression with log-exposure offset"
        dist_df = None
        scale = "ratio"
    method = (
        f"Pre-trend check: {model} of the outcome on treated, time and treated x time using "
        f"pre-period rows only; the estimate is the treated-minus-comparison difference in "
        f"per-period trend ({'ratio of growth factors' if scale == 'ratio' else 'slope'}); "
        f"{se_text}."
    )
    result = wald_result(
        coef, se, df=dist_df, alpha=alpha, n=n, method=method, scale=scale, warnings=()
    )
    return result, None


@dataclass(frozen=True)
class _DiDData:
    """Validated inputs of one difference-in-differences."""

    y: np.ndarray
    tr: np.ndarray
    po: np.ndarray
    masks: dict[tuple[str, str], np.ndarray]
    codes: np.ndarray | None
    n_groups: int | None
    time: np.ndarray | None
    expo: np.ndarray | None
    cov: str
    units: tuple[np.ndarray, list[str]] | None = None


@dataclass(frozen=True)
class _DiDFit:
    coef: float
    se: float
    df: float | None
    method: str
    scale: str
    means: dict[str, dict[str, float]]
    dispersion: float | None = None
    rho: float | None = None
    warnings: tuple[str, ...] = ()
    # a fit-specific reason the interval may be too narrow (already in ``warnings``)
    approximate: bool = False


def _validate(
    data: pd.DataFrame,
    *,
    outcome: str,
    treated: str,
    post: str,
    kind: str,
    cov: str | None,
    cluster: str | None,
    exposure: str | None,
    alpha: float,
    time: str | None,
    unit: str | None = None,
) -> _DiDData:
    if not isinstance(data, pd.DataFrame):
        raise InvalidInputError("The data must be a table (pandas DataFrame) of unit-period rows.")
    if kind not in ("continuous", "count"):
        raise InvalidInputError(f"kind must be 'continuous' or 'count', got {kind!r}.")
    if cov is not None and cov not in _COV_TYPES:
        raise InvalidInputError(f"cov must be one of {', '.join(_COV_TYPES)}; got {cov!r}.")
    if not 0 < alpha < 1:
        raise InvalidInputError(f"alpha must be between 0 and 1, got {alpha}.")

    y = _numeric(data, outcome, "outcome")
    tr = _indicator(data, treated, "treated")
    po = _indicator(data, post, "post")
    n = y.size
    masks = {
        ("treated", "pre"): (tr == 1) & (po == 0),
        ("treated", "post"): (tr == 1) & (po == 1),
        ("comparison", "pre"): (tr == 0) & (po == 0),
        ("comparison", "post"): (tr == 0) & (po == 1),
    }
    for (group, period), mask in masks.items():
        if not mask.any():
            raise MissingGroupError(
                f"There are no rows for the {group} group in the {period} period. A "
                f"difference-in-differences needs data for both groups before and after the "
                f"intervention; check the {treated!r} and {post!r} columns."
            )
    time_name = time
    if time_name is None:
        time_name = next((c for c in ("period", "time") if c in data.columns), None)
    time_values = _time_values(_column(data, time_name, "time")) if time_name is not None else None
    if cov is None:
        cov = "ar1" if time_values is not None else "HC1"
    if cov == "ar1" and time_values is None:
        raise InvalidInputError(
            "cov='ar1' models autocorrelation between periods and needs a time column (name it "
            "in `time`, or call it 'period'); without one use cov='HC1'."
        )

    codes, n_groups = None, None
    if cov == "cluster":
        if cluster is None:
            raise InvalidInputError(
                "cov='cluster' needs the name of the cluster column (for example the site or "
                "unit identifier) in `cluster`."
            )
        codes, n_groups = _codes(data, cluster, "cluster")
        if n_groups < MIN_CLUSTERS:
            raise TooFewPeriodsError(
                f"Cluster-robust standard errors need at least {MIN_CLUSTERS} clusters to be "
                f"trusted; {cluster!r} has {n_groups}. With so few clusters they can be far "
                f"too small (with 2 clusters, close to zero). Use the default serial-correlation "
                f"model (cov='ar1') for a few areas observed over many periods."
            )
        treated_flag = _column(data, treated, "treated indicator").to_numpy()
        n_treated = len(np.unique(codes[treated_flag == 1]))
        n_untreated = len(np.unique(codes[treated_flag != 1]))
        if min(n_treated, n_untreated) < MIN_CLUSTERS_EACH_SIDE:
            raise TooFewPeriodsError(
                f"Cluster-robust standard errors need at least {MIN_CLUSTERS_EACH_SIDE} treated "
                f"and {MIN_CLUSTERS_EACH_SIDE} comparison clusters; {cluster!r} has "
                f"{n_treated} treated and {n_untreated} comparison. With one treated area a "
                f"5% test rejects about half the time when nothing happened. Use the default "
                f"serial-correlation model (cov='ar1')."
            )

    expo = None
    if exposure is not None:
        if kind == "continuous":
            raise InvalidInputError(
                "An exposure column only applies to counts; use kind='count' or drop it."
            )
        expo = _numeric(data, exposure, "exposure")
        if (expo <= 0).any():
            raise NegativeExposureError(
                f"Exposure must be greater than zero, but {exposure!r} has "
                f"{int((expo <= 0).sum())} row(s) with zero or negative values. Correct "
                f"or drop those rows."
            )
    if n - 4 < 1:
        raise TooFewPeriodsError(
            f"The data have {n} rows; at least 5 are needed to estimate a "
            f"difference-in-differences with its uncertainty. Add more units or periods."
        )
    if kind == "continuous" and np.ptp(y) == 0:
        raise ConstantSeriesError(
            f"The outcome {outcome!r} has the same value in every row; there is nothing to compare."
        )
    if kind == "count" and (y < 0).any():
        raise InvalidInputError(
            f"Counts cannot be negative, but {outcome!r} contains negative values. Use "
            f"kind='continuous' for outcomes that can be negative."
        )
    units = None
    if unit is not None and kind == "continuous" and cov == "ar1":
        unit_codes, _ = _codes(data, unit, "unit")
        names = [str(v) for v in pd.unique(_column(data, unit, "unit"))]
        units = (unit_codes, names)
    return _DiDData(y, tr, po, masks, codes, n_groups, time_values, expo, cov, units)


def _fit_continuous(d: _DiDData, outcome: str, cluster: str | None) -> _DiDFit:
    means = {
        g: {p: float(d.y[d.masks[(g, p)]].mean()) for p in ("pre", "post")}
        for g in ("treated", "comparison")
    }
    if d.cov == "ar1":
        assert d.time is not None
        term = _ar1_interaction(d.y, d.tr, d.po, d.time, None, "continuous", d.units)
        method = (
            f"Difference-in-differences of {outcome!r} allowing for serial correlation: "
            f"{term.text}. The estimate is the treated-minus-comparison change (difference "
            f"scale)."
        )
        return _DiDFit(
            term.coef,
            term.se,
            term.df,
            method,
            "difference",
            means,
            rho=term.rho,
            warnings=(term.caveat,) if term.caveat else (),
            approximate=term.caveat is not None,
        )
    x = _design(d.tr, d.po)
    coef, se, df = _ols_coef(x, d.y, d.cov, d.codes, d.n_groups)
    method = (
        f"Difference-in-differences: OLS of {outcome!r} on treated, post and treated x "
        f"post; the estimate is the interaction coefficient (difference scale). "
        f"{_upper_first(_cov_sentence(d.cov, cluster, d.n_groups, df))}, as statsmodels "
        f"OLS.fit(cov_type={'nonrobust' if d.cov == 'classical' else d.cov!r}, use_t=True). "
        f"It treats every row as independent."
    )
    return _DiDFit(coef, se, df, method, "difference", means)


def _fit_count(d: _DiDData, outcome: str, cluster: str | None, exposure: str | None) -> _DiDFit:
    expo = d.expo if d.expo is not None else np.ones(d.y.size)
    rates = {}
    for key, mask in d.masks.items():
        total = float(d.y[mask].sum())
        if total == 0:
            raise AllZeroCountsError(
                f"Every count for the {key[0]} group in the {key[1]} period is zero, so "
                f"the ratio of rate ratios is not finite. Combine periods or choose a more "
                f"common outcome."
            )
        rates[key] = total / float(expo[mask].sum())
    means = {
        g: {
            p: rates[(g, p)] if exposure is not None else float(d.y[d.masks[(g, p)]].mean())
            for p in ("pre", "post")
        }
        for g in ("treated", "comparison")
    }
    warnings: list[str] = []
    if not np.all(d.y == np.round(d.y)):
        warnings.append("Some counts are not whole numbers; check that counts were uploaded.")
    if d.cov == "ar1":
        assert d.time is not None
        term = _ar1_interaction(d.y, d.tr, d.po, d.time, expo, "count")
        method = (
            f"Difference-in-differences on the ratio scale of {outcome!r} allowing for serial "
            f"correlation: {term.text}. The estimate is exp(group x post), the ratio of the "
            f"treated and comparison rate ratios."
        )
        return _DiDFit(
            term.coef,
            term.se,
            term.df,
            method,
            "ratio",
            means,
            dispersion=term.dispersion,
            rho=term.rho,
            warnings=tuple(warnings),
        )
    lr = {key: math.log(r) for key, r in rates.items()}
    beta = np.array(
        [
            lr[("comparison", "pre")],
            lr[("treated", "pre")] - lr[("comparison", "pre")],
            lr[("comparison", "post")] - lr[("comparison", "pre")],
            lr[("treated", "post")]
            - lr[("treated", "pre")]
            - lr[("comparison", "post")]
            + lr[("comparison", "pre")],
        ]
    )
    mu = np.empty(d.y.size)
    for key, mask in d.masks.items():
        mu[mask] = expo[mask] * rates[key]
    x = _design(d.tr, d.po)
    fit = poisson_from_mu(x, d.y, beta, mu)
    if d.cov == "cluster":
        assert d.codes is not None and d.n_groups is not None
        v = poisson_cov_cluster(x, fit, d.y, d.codes, d.n_groups)
        se_text = (
            f"cluster-robust standard errors by {cluster!r} ({d.n_groups} clusters, factor "
            f"G/(G-1) x (n-1)/(n-k)); Wald tests and intervals use the normal distribution "
            f"on the log scale"
        )
    else:
        v, quasi = poisson_cov(fit)
        se_text = poisson_method(quasi, fit.dispersion)
    if fit.dispersion > 1.5 and d.cov != "cluster":
        warnings.append(
            f"Counts vary {fit.dispersion:.1f} times more than a Poisson model expects; "
            f"standard errors were widened accordingly (quasi-Poisson)."
        )
    method = (
        f"Difference-in-differences on the ratio scale: Poisson regression of {outcome!r} "
        f"on treated, post and treated x post with a log-exposure offset; the estimate is "
        f"exp(interaction), the ratio of the treated and comparison rate ratios. "
        f"{_upper_first(se_text)}. It treats every row as independent."
    )
    return _DiDFit(
        float(beta[3]),
        math.sqrt(float(v[3, 3])),
        None,
        method,
        "ratio",
        means,
        dispersion=fit.dispersion,
        warnings=tuple(warnings),
    )


def difference_in_differences(
    data: pd.DataFrame,
    *,
    outcome: str = "outcome",
    treated: str = "treated",
    post: str = "post",
    kind: str = "continuous",
    cov: str | None = None,
    cluster: str | None = None,
    exposure: str | None = None,
    alpha: float = 0.05,
    time: str | None = None,
    unit: str | None = None,
) -> DiDResult:
    """Two-group, two-period difference-in-differences on unit-period rows.

    ``data`` has one row per unit and period; ``treated`` and ``post`` name 0/1 (or boolean)
    columns. The estimate is the treated x post interaction.

    ``cov="ar1"`` (the default when there is a time column): aggregate monthly series are
    serially correlated, and treating their rows as independent makes intervals far too narrow
    (Bertrand, Duflo & Mullainathan 2004). The per-period treated-minus-comparison difference
    (means; for counts the treated share of each period's events, a logit model that conditions
    on the period totals) is regressed on a post indicator with AR(1) errors fitted by REML,
    with t inference on Satterthwaite degrees of freedom (see :func:`_ar1_interaction`).
    Periods must be evenly spaced where both groups have data.

    ``unit`` (continuous outcomes with ``cov="ar1"``): the column naming each row's area. Each
    area is then its own series in a panel with area and period fixed effects and AR(1) errors
    in every series (common rho), the treated x post coefficient by GLS at the REML rho (see
    :func:`~evaluations.stats.fitting.area_contrasts`; checked against statsmodels ``GLS`` with
    area and period dummies). With several comparison areas this uses their spread to estimate
    the error variance and rho instead of averaging it away. Every area must have every period
    the groups share, or the analysis refuses naming the area and the periods. Counts always
    use the treated share of each period's events, which is already the conditional
    likelihood of a Poisson panel with area and period fixed effects.

    Without a time column the default is ``"HC1"``. For ``kind="continuous"`` the other
    ``cov`` values fit OLS on the rows and select the standard errors, matching
    ``statsmodels`` ``OLS(...).fit(cov_type=..., use_t=True)`` exactly (which the tests check):
    ``"classical"`` (nonrobust, t with n - 4 df), ``"HC1"`` (White with n/(n-4), t with n - 4
    df) or ``"cluster"`` (by the ``cluster`` column, factor G/(G-1) (n-1)/(n-4), t with G - 1
    df; refused below 10 clusters, and the estimate is refused whenever its standard error is
    numerically zero).

    ``kind="count"``: Poisson regression with offset log(exposure) (exposure column, default
    1); the estimate is exp(interaction), the ratio of the treated and comparison rate ratios.
    The saturated 2x2 model's maximum-likelihood fit is closed form (cell rates). Standard
    errors are model-based, scaled by sqrt(Pearson chi2 / (n - 4)) when that dispersion exceeds
    1 (quasi-Poisson, = statsmodels ``GLM(...).fit(scale="X2")``), or cluster-robust when
    ``cov="cluster"`` (= statsmodels ``GLM(...).fit(cov_type="cluster")``, normal
    distribution); ``cov="classical"``/``"HC1"`` select the model-based quasi-Poisson errors.
    ``se`` and ``log_estimate`` are on the log scale.

    ``means`` gives the 2x2 table of group means (rates when an exposure column is given).

    Pre-trend check: with a time column (``time``, or a column named ``"period"`` or ``"time"``)
    and at least two pre periods in each group, the same model family is fitted on the pre rows
    with treated, time and treated x time; ``pre_trend`` holds that interaction and a warning
    is added when it is significant at ``alpha``. Numeric time values are used as given;
    dates, periods and labels are replaced by their sorted rank (equal spacing assumed).
    """
    d = _validate(
        data,
        outcome=outcome,
        treated=treated,
        post=post,
        kind=kind,
        cov=cov,
        cluster=cluster,
        exposure=exposure,
        alpha=alpha,
        time=time,
        unit=unit,
    )
    fit = (
        _fit_continuous(d, outcome, cluster)
        if kind == "continuous"
        else _fit_count(d, outcome, cluster, exposure)
    )
    spread = float(np.std(d.y)) if kind == "continuous" else 1.0
    if se_is_zero(fit.se, spread):
        raise ConstantSeriesError(
            "The standard error is numerically zero: the data leave no variation to estimate "
            "uncertainty from (for example counts or values that follow the same step in "
            "every period, or one unit per group with a fixed difference). Check that the "
            "right column was uploaded. No finding can be reported."
        )
    warnings = list(fit.warnings)
    coverage, note = (None, None)
    if d.cov == "ar1":
        assert d.time is not None
        n_pre = int(np.unique(d.time[d.po == 0]).size)
        n_post = int(np.unique(d.time[d.po == 1]).size)
        coverage, note = calibration_note("did", kind, n_pre, n_post)
        if note:
            warnings.append(note)
    else:
        note = uncalibrated_note("did", kind, f'cov="{d.cov}"', measured=d.cov == "HC1")
        warnings.append(note)
    under = underdispersion_note(kind, fit.dispersion)
    if under:
        warnings.append(under)
    bound = rho_bound_note(fit.rho) if d.cov == "ar1" else None
    if bound:
        warnings.append(bound)
    if d.cov == "cluster" and d.n_groups is not None and d.n_groups < 30:
        warnings.append(
            f"Only {d.n_groups} clusters: cluster-robust standard errors can be too small with "
            f"fewer than about 30 clusters, so treat the p-value with caution."
        )

    pre_trend = None
    if d.time is not None:
        pre_trend, skipped = _pre_trend(
            kind=kind,
            y=d.y,
            tr=d.tr,
            po=d.po,
            time=d.time,
            expo=d.expo if d.expo is not None else np.ones(d.y.size),
            cov=d.cov,
            codes=d.codes,
            cluster=cluster,
            alpha=alpha,
        )
        if pre_trend is not None and pre_trend.p_value < alpha:
            warnings.append(
                f"Before the intervention the treated group was already trending differently "
                f"from the comparison group (pre-trend p = {pre_trend.p_value:.3g}). The "
                f"difference-in-differences assumes parallel trends, so the estimate may be "
                f"biased."
            )
        elif skipped is not None:
            warnings.append(f"The pre-trend check was not run because {skipped}.")
    else:
        warnings.append(
            "No period column was given, so parallel pre-intervention trends could not be checked."
        )

    return wald_result(
        fit.coef,
        fit.se,
        df=fit.df,
        alpha=alpha,
        n=d.y.size,
        method=fit.method,
        scale=fit.scale,
        warnings=warnings,
        cls=DiDResult,
        kind=kind,
        cov_type=d.cov,
        means=fit.means,
        pre_trend=pre_trend,
        n_clusters=d.n_groups,
        dispersion=fit.dispersion,
        ar1_rho=fit.rho,
        approximate=fit.approximate or note is not None or under is not None or bound is not None,
        calibrated_coverage=coverage,
    )
