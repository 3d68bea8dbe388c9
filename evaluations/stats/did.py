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

import numpy as np
import pandas as pd

from .errors import (
    AllZeroCountsError,
    ConstantSeriesError,
    InvalidInputError,
    MissingGroupError,
    MissingValueError,
    NegativeExposureError,
    TooFewPeriodsError,
)
from .fitting import (
    cov_classical,
    cov_cluster,
    cov_hc1,
    ols_fit,
    poisson_cov,
    poisson_cov_cluster,
    poisson_fit,
    poisson_from_mu,
    poisson_method,
)
from .results import DiDResult, EstimateResult, wald_result

__all__ = ["difference_in_differences"]

_COV_TYPES = ("classical", "HC1", "cluster")


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


def difference_in_differences(
    data: pd.DataFrame,
    *,
    outcome: str = "outcome",
    treated: str = "treated",
    post: str = "post",
    kind: str = "continuous",
    cov: str = "HC1",
    cluster: str | None = None,
    exposure: str | None = None,
    alpha: float = 0.05,
    time: str | None = None,
) -> DiDResult:
    """Two-group, two-period difference-in-differences on unit-period rows.

    ``data`` has one row per unit and period; ``treated`` and ``post`` name 0/1 (or boolean)
    columns. The model always contains an intercept, treated, post and treated x post, and
    the estimate is the interaction coefficient.

    ``kind="continuous"``: OLS. ``cov`` selects the standard errors, matching
    ``statsmodels`` ``OLS(...).fit(cov_type=..., use_t=True)`` exactly (which the tests check):
    ``"classical"`` (nonrobust, t with n - 4 df), ``"HC1"`` (White with n/(n-4), t with n - 4
    df) or ``"cluster"`` (by the ``cluster`` column, factor G/(G-1) (n-1)/(n-4), t with G - 1
    df).

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
    if not isinstance(data, pd.DataFrame):
        raise InvalidInputError("The data must be a table (pandas DataFrame) of unit-period rows.")
    if kind not in ("continuous", "count"):
        raise InvalidInputError(f"kind must be 'continuous' or 'count', got {kind!r}.")
    if cov not in _COV_TYPES:
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

    codes, n_groups = None, None
    if cov == "cluster":
        if cluster is None:
            raise InvalidInputError(
                "cov='cluster' needs the name of the cluster column (for example the site or "
                "unit identifier) in `cluster`."
            )
        codes, n_groups = _codes(data, cluster, "cluster")
        if n_groups < 2:
            raise TooFewPeriodsError(
                f"Cluster-robust standard errors need at least 2 clusters; {cluster!r} has "
                f"{n_groups}. Use cov='HC1' instead."
            )

    time_name = time
    if time_name is None:
        time_name = next((c for c in ("period", "time") if c in data.columns), None)
    time_values = _time_values(_column(data, time_name, "time")) if time_name is not None else None

    warnings: list[str] = []
    x = _design(tr, po)

    if kind == "continuous":
        if exposure is not None:
            raise InvalidInputError(
                "An exposure column only applies to counts; use kind='count' or drop it."
            )
        if n - 4 < 1:
            raise TooFewPeriodsError(
                f"The data have {n} rows; at least 5 are needed to estimate a "
                f"difference-in-differences with its uncertainty. Add more units or periods."
            )
        if np.ptp(y) == 0:
            raise ConstantSeriesError(
                f"The outcome {outcome!r} has the same value in every row; there is nothing "
                f"to compare."
            )
        coef, se, df = _ols_coef(x, y, cov, codes, n_groups)
        if se == 0:
            raise ConstantSeriesError(
                "The outcome does not vary within any group and period, so no standard error "
                "can be estimated. Check that the right column was uploaded."
            )
        means = {
            g: {p: float(y[masks[(g, p)]].mean()) for p in ("pre", "post")}
            for g in ("treated", "comparison")
        }
        method = (
            f"Difference-in-differences: OLS of {outcome!r} on treated, post and treated x "
            f"post; the estimate is the interaction coefficient (difference scale). "
            f"{_upper_first(_cov_sentence(cov, cluster, n_groups, df))}, as statsmodels "
            f"OLS.fit(cov_type={'nonrobust' if cov == 'classical' else cov!r}, use_t=True)."
        )
        dist_df: float | None = df
        scale = "difference"
        dispersion = None
        expo = None
    else:
        if (y < 0).any():
            raise InvalidInputError(
                f"Counts cannot be negative, but {outcome!r} contains negative values. Use "
                f"kind='continuous' for outcomes that can be negative."
            )
        if exposure is not None:
            expo = _numeric(data, exposure, "exposure")
            if (expo <= 0).any():
                raise NegativeExposureError(
                    f"Exposure must be greater than zero, but {exposure!r} has "
                    f"{int((expo <= 0).sum())} row(s) with zero or negative values. Correct "
                    f"or drop those rows."
                )
        else:
            expo = np.ones(n)
        if n - 4 < 1:
            raise TooFewPeriodsError(
                f"The data have {n} rows; at least 5 are needed to estimate a "
                f"difference-in-differences with its uncertainty. Add more units or periods."
            )
        rates = {}
        for key, mask in masks.items():
            total = float(y[mask].sum())
            if total == 0:
                raise AllZeroCountsError(
                    f"Every count for the {key[0]} group in the {key[1]} period is zero, so "
                    f"the ratio of rate ratios is not finite. Combine periods or choose a more "
                    f"common outcome."
                )
            rates[key] = total / float(expo[mask].sum())
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
        mu = np.empty(n)
        for key, mask in masks.items():
            mu[mask] = expo[mask] * rates[key]
        fit = poisson_from_mu(x, y, beta, mu)
        dispersion = fit.dispersion
        if cov == "cluster":
            assert codes is not None and n_groups is not None
            v = poisson_cov_cluster(x, fit, y, codes, n_groups)
            se_text = (
                f"cluster-robust standard errors by {cluster!r} ({n_groups} clusters, factor "
                f"G/(G-1) x (n-1)/(n-k)); Wald tests and intervals use the normal distribution "
                f"on the log scale"
            )
        else:
            v, quasi = poisson_cov(fit)
            se_text = poisson_method(quasi, dispersion)
            if dispersion > 1.5:
                warnings.append(
                    f"Counts vary {dispersion:.1f} times more than a Poisson model expects; "
                    f"standard errors were widened accordingly (quasi-Poisson)."
                )
        coef, se = float(beta[3]), math.sqrt(float(v[3, 3]))
        means = {
            g: {
                p: rates[(g, p)] if exposure is not None else float(y[masks[(g, p)]].mean())
                for p in ("pre", "post")
            }
            for g in ("treated", "comparison")
        }
        method = (
            f"Difference-in-differences on the ratio scale: Poisson regression of {outcome!r} "
            f"on treated, post and treated x post with a log-exposure offset; the estimate is "
            f"exp(interaction), the ratio of the treated and comparison rate ratios. "
            f"{_upper_first(se_text)}."
        )
        dist_df = None
        scale = "ratio"
        if not np.all(y == np.round(y)):
            warnings.append("Some counts are not whole numbers; check that counts were uploaded.")

    if cov == "cluster" and n_groups is not None and n_groups < 20:
        warnings.append(
            f"Only {n_groups} clusters: cluster-robust standard errors can be too small with "
            f"fewer than about 20-30 clusters, so treat the p-value with caution."
        )

    pre_trend = None
    if time_values is not None:
        pre_trend, skipped = _pre_trend(
            kind=kind,
            y=y,
            tr=tr,
            po=po,
            time=time_values,
            expo=expo,
            cov=cov,
            codes=codes,
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
        coef,
        se,
        df=dist_df,
        alpha=alpha,
        n=n,
        method=method,
        scale=scale,
        warnings=warnings,
        cls=DiDResult,
        kind=kind,
        cov_type=cov,
        means=means,
        pre_trend=pre_trend,
        n_clusters=n_groups,
        dispersion=dispersion,
    )
