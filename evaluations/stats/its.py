"""Interrupted time series: segmented regression of a regular (usually monthly) series.

The model (Wagner et al. 2002, "Segmented regression analysis of interrupted time series
studies in medication use research") is

    outcome_t = b0 + b1 time_t + b2 post_t + b3 time_after_t  [+ month-of-year terms]

with ``time`` = 0..n-1, ``post`` = 1 from the intervention period on and ``time_after`` =
t - t0 from the intervention period on (0 before). ``b2`` is the level change (the immediate
step) and ``b3`` the slope change. Continuous outcomes use OLS with Newey-West standard errors,
because monthly administrative series are usually autocorrelated; counts use a Poisson /
quasi-Poisson model with a log-exposure offset.

With a comparison series the comparative ITS stacks both series and interacts every term with
a treatment-group indicator; the group x post and group x time_after terms are the differences
between the two series' level and slope changes.
"""

from __future__ import annotations

import math
import warnings as _warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import (
    AllZeroCountsError,
    ConstantSeriesError,
    InvalidInputError,
    IrregularTimeIndexError,
    MismatchedLengthsError,
    MissingValueError,
    NegativeExposureError,
    TooFewPeriodsError,
)
from .results import (
    EstimateResult,
    ITSResult,
    copy_estimate_fields,
    cov_hac,
    cov_hac_panel,
    durbin_watson,
    ols_fit,
    poisson_cov,
    poisson_fit,
    poisson_method,
    wald_result,
)

__all__ = ["default_hac_lags", "interrupted_time_series"]

MIN_SEGMENT = 3
RECOMMENDED_SEGMENT = 8
MIN_SEASONAL_PERIODS = 24


def default_hac_lags(n: int) -> int:
    """Newey-West (1994) rule of thumb: floor(4 (n / 100)^(2/9))."""
    return int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


# --------------------------------------------------------------------------------------------
# Time index handling
# --------------------------------------------------------------------------------------------


def _first_gap(ords: np.ndarray, pidx: pd.PeriodIndex, step: int) -> str:
    pos = int(np.flatnonzero(np.diff(ords) != step)[0])
    return f"between {pidx[pos]} and {pidx[pos + 1]}"


def _infer_periods(index: pd.DatetimeIndex) -> pd.PeriodIndex:
    """Periods for a DatetimeIndex without a stored frequency (e.g. parsed from an upload)."""
    monthly = index.to_period("M")
    ords = monthly.asi8
    if monthly.is_unique and (np.diff(ords) == 1).all():
        return monthly
    freq = None
    if len(index) >= 3:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            try:
                freq = pd.infer_freq(index)
            except (TypeError, ValueError):
                freq = None
    if freq is not None:
        return pd.DatetimeIndex(index, freq=freq).to_period()
    if monthly.is_unique:
        raise IrregularTimeIndexError(
            f"The series is missing at least one month ({_first_gap(ords, monthly, 1)}). "
            f"Interrupted time series needs one value for every period; fill in the missing "
            f"months (use 0 for months with no events if that is what happened)."
        )
    raise IrregularTimeIndexError(
        "The dates are not evenly spaced (more than one value in some month, or irregular "
        "gaps). Aggregate the data to one value per month before running the analysis."
    )


def _period_index(index: pd.Index) -> pd.PeriodIndex:
    if isinstance(index, pd.PeriodIndex):
        pidx = index
    elif isinstance(index, pd.DatetimeIndex):
        if index.hasnans:
            raise MissingValueError("Some dates in the series are blank; every value needs a date.")
        pidx = index.to_period() if index.freq is not None else _infer_periods(index)
    else:
        raise IrregularTimeIndexError(
            "The series must be indexed by dates (a DatetimeIndex) or periods (a PeriodIndex), "
            "one per month; it has a plain index."
        )
    if pidx.hasnans:
        raise MissingValueError("Some periods in the series are blank; every value needs a date.")
    ords = pidx.asi8
    step = int(getattr(pidx.freq, "n", 1))
    if ords.size > 1 and not (np.diff(ords) == step).all():
        if (np.diff(ords) == 0).any():
            raise IrregularTimeIndexError(
                "The series has more than one value for the same period. Aggregate to one "
                "value per period first."
            )
        raise IrregularTimeIndexError(
            f"The series has a gap {_first_gap(ords, pidx, step)}. Interrupted time series "
            f"needs one value for every period; fill in the missing periods."
        )
    return pidx


def _intervention_position(intervention: Any, pidx: pd.PeriodIndex) -> tuple[int, pd.Period]:
    freqstr = pidx.freqstr
    try:
        if isinstance(intervention, pd.Period):
            start = (
                intervention
                if intervention.freqstr == freqstr
                else intervention.asfreq(freqstr, how="start")
            )
        else:
            start = pd.Period(intervention, freq=freqstr)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"Could not read the intervention date {intervention!r}; give it as a date such as "
            f"'2022-01-01' or a period such as '2022-01'."
        ) from exc
    step = int(getattr(pidx.freq, "n", 1))
    offset = start.ordinal - int(pidx.asi8[0])
    if offset % step:
        raise InvalidInputError(
            f"The intervention {start} does not fall on one of the series' periods."
        )
    return offset // step, start


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def _values(series: pd.Series, label: str, pidx: pd.PeriodIndex) -> np.ndarray:
    try:
        y = series.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"The {label} must contain numbers only; some values could not be read as numbers."
        ) from exc
    if np.isnan(y).any():
        first = pidx[int(np.flatnonzero(np.isnan(y))[0])]
        raise MissingValueError(
            f"The {label} has {int(np.isnan(y).sum())} blank (missing) value(s), the first in "
            f"{first}. Fill them in (0 if there were no events) or shorten the series."
        )
    return y


def _exposure(exposure: Any, series: pd.Series, label: str) -> np.ndarray:
    if exposure is None:
        return np.ones(len(series))
    if isinstance(exposure, pd.Series):
        if not exposure.index.is_monotonic_increasing:
            exposure = exposure.sort_index()
        if len(exposure) != len(series) or not exposure.index.equals(series.index):
            raise MismatchedLengthsError(
                f"The {label} exposure must cover exactly the same periods as the series "
                f"({len(series)} periods); it has {len(exposure)}."
            )
        arr = exposure.to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.asarray(exposure, dtype=float).ravel()
        if arr.size == 1:
            arr = np.full(len(series), float(arr[0]))
        if arr.size != len(series):
            raise MismatchedLengthsError(
                f"The {label} exposure has {arr.size} values but the series has "
                f"{len(series)} periods; give one exposure per period."
            )
    if np.isnan(arr).any():
        raise MissingValueError(f"The {label} exposure has blank (missing) values.")
    if (arr <= 0).any():
        raise NegativeExposureError(
            f"Exposure must be greater than zero, but the {label} exposure has "
            f"{int((arr <= 0).sum())} period(s) with zero or negative values."
        )
    return arr


def _check_counts(y: np.ndarray, t0: int, label: str) -> None:
    if (y < 0).any():
        raise InvalidInputError(
            f"Counts cannot be negative, but the {label} contains negative values. Use "
            f"kind='continuous' for outcomes that can be negative."
        )
    for segment, name in ((y[:t0], "pre-intervention"), (y[t0:], "post-intervention")):
        if segment.sum() == 0:
            raise AllZeroCountsError(
                f"Every count in the {name} segment of the {label} is zero, so the rate "
                f"ratios are not finite. Choose a more common outcome or a longer segment."
            )


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


def _design(n: int, t0: int, months: np.ndarray | None) -> np.ndarray:
    time = np.arange(n, dtype=float)
    post = (time >= t0).astype(float)
    cols = [np.ones(n), time, post, (time - t0) * post]
    x = np.column_stack(cols)
    if months is not None:
        x = np.hstack((x, (months[:, None] == np.arange(2, 13)[None, :]).astype(float)))
    return x


def _comparative_design(x: np.ndarray) -> np.ndarray:
    """Stack [treatment; comparison] rows with group and group x (time, post, time_after).

    Columns: const, time, post, time_after, group, group x time, group x post,
    group x time_after, then the shared month indicators.
    """
    core, seasonal = x[:, :4], x[:, 4:]
    top = np.hstack((core, core, seasonal))
    bottom = np.hstack((core, np.zeros_like(core), seasonal))
    return np.vstack((top, bottom))


def _fit_continuous(
    x: np.ndarray, y: np.ndarray, lags: int, blocks: Sequence[slice] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    fit = ols_fit(x, y)
    v = cov_hac(x, fit, lags) if blocks is None else cov_hac_panel(x, fit, lags, blocks)
    return fit.beta, v, fit.resid


def _coef_result(
    beta: np.ndarray, v: np.ndarray, j: int, *, scale: str, alpha: float, n: int, method: str
) -> EstimateResult:
    return wald_result(
        beta[j],
        math.sqrt(max(float(v[j, j]), 0.0)),
        df=None,
        alpha=alpha,
        n=n,
        method=method,
        scale=scale,
    )


def interrupted_time_series(
    series: pd.Series,
    *,
    intervention: Any,
    kind: str = "continuous",
    seasonality: str | None = None,
    exposure: pd.Series | Sequence[float] | None = None,
    hac_lags: int | None = None,
    comparison: pd.Series | None = None,
    alpha: float = 0.05,
    comparison_exposure: pd.Series | Sequence[float] | None = None,
) -> ITSResult:
    """Segmented regression of one series around an intervention, optionally vs a comparison.

    ``series`` is indexed by a regular DatetimeIndex (a stored or inferable frequency, or one
    date per consecutive month) or a PeriodIndex; ``intervention`` is the first post period
    (date, Timestamp, Period or string). Each segment needs at least 3 periods (a warning is
    added below 8).

    Design: ``time`` = 0..n-1, ``post`` = 1 from the intervention period on, ``time_after`` =
    t - t0 from then on; ``seasonality="month"`` adds 11 month-of-year indicators (January is
    the reference; needs at least 24 monthly values).

    ``kind="continuous"``: OLS with Newey-West (HAC, Bartlett kernel) standard errors with
    ``hac_lags`` lags, by default floor(4 (n/100)^(2/9)); no small-sample correction and normal
    reference distribution, exactly as statsmodels
    ``OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": L})`` (tests compare them).

    ``kind="count"``: Poisson regression with offset log(exposure) (``exposure``: a Series on
    the same index or one value per period; default 1); covariance scaled by the Pearson
    dispersion when it exceeds 1 (quasi-Poisson, statsmodels ``GLM(...).fit(scale="X2")``),
    normal Wald tests on the log scale. Level and slope changes are then ratios (exp of the
    coefficients); their ``se`` and ``log_estimate`` are on the log scale.

    The top-level estimate (and se, interval, p-value) of the returned :class:`ITSResult` is the
    level change. ``fitted`` and ``counterfactual`` (post terms set to 0, seasonality and
    exposure kept) are Series on the input index; ``relative_effect_last`` is
    fitted / counterfactual - 1 at the last period. ``durbin_watson`` is computed on the OLS
    residuals (Pearson residuals for counts).

    ``comparison``: a second series on the same index (``comparison_exposure`` for its
    exposure). Both series are stacked with the same terms plus group, group x time, group x
    post and group x time_after (month terms shared); ``level_change_difference`` and
    ``slope_change_difference`` are the group x post and group x time_after coefficients
    (treatment minus comparison; ratios for counts). Continuous: Newey-West within each series,
    summed, with factor n/(n-k) = statsmodels ``cov_type="hac-panel"`` defaults (as Stata's
    ``newey`` on a panel, used by Linden's ``itsa``). Counts: stacked quasi-Poisson. The
    treatment series' own ``level_change``/``slope_change``/``fitted`` come from the
    single-series model.
    """
    if not isinstance(series, pd.Series):
        raise InvalidInputError("The series must be a pandas Series indexed by month.")
    if kind not in ("continuous", "count"):
        raise InvalidInputError(f"kind must be 'continuous' or 'count', got {kind!r}.")
    if seasonality not in (None, "month"):
        raise InvalidInputError(f"seasonality must be None or 'month', got {seasonality!r}.")
    if not 0 < alpha < 1:
        raise InvalidInputError(f"alpha must be between 0 and 1, got {alpha}.")

    if not series.index.is_monotonic_increasing:
        series = series.sort_index()
    pidx = _period_index(series.index)
    y = _values(series, "series", pidx)
    n = y.size
    t0, start = _intervention_position(intervention, pidx)
    if t0 <= 0 or t0 >= n:
        where = "before the first" if t0 <= 0 else "after the last"
        raise TooFewPeriodsError(
            f"The intervention ({start}) is {where} period of the series ({pidx[0]} to "
            f"{pidx[-1]}); the series needs periods both before and after it."
        )
    n_pre, n_post = t0, n - t0
    for count, name in ((n_pre, "pre-intervention"), (n_post, "post-intervention")):
        if count < MIN_SEGMENT:
            raise TooFewPeriodsError(
                f"The {name} segment has {count} period{'s' if count != 1 else ''}; at least "
                f"{MIN_SEGMENT} are needed to estimate its level and trend. Upload more periods "
                f"or move the intervention date."
            )

    months = None
    if seasonality == "month":
        if pidx.freqstr != "M":
            raise InvalidInputError(
                f"Month-of-year adjustment needs a monthly series; this series is {pidx.freqstr!r}."
            )
        if n < MIN_SEASONAL_PERIODS:
            raise TooFewPeriodsError(
                f"Seasonal adjustment needs at least {MIN_SEASONAL_PERIODS} monthly values (two "
                f"of each calendar month); the series has {n}. Drop seasonality or upload more "
                f"months."
            )
        months = np.asarray(pidx.month)

    x = _design(n, t0, months)
    k = x.shape[1]

    comp_y = None
    if comparison is not None:
        if not isinstance(comparison, pd.Series):
            raise InvalidInputError("The comparison must be a pandas Series on the same dates.")
        if not comparison.index.is_monotonic_increasing:
            comparison = comparison.sort_index()
        if len(comparison) != n or not comparison.index.equals(series.index):
            raise MismatchedLengthsError(
                f"The comparison series must cover exactly the same periods as the treatment "
                f"series ({pidx[0]} to {pidx[-1]}, {n} periods); it has {len(comparison)}."
            )
        comp_y = _values(comparison, "comparison series", pidx)

    warnings: list[str] = []
    for count, name in ((n_pre, "pre-intervention"), (n_post, "post-intervention")):
        if count < RECOMMENDED_SEGMENT:
            warnings.append(
                f"The {name} segment has only {count} periods (8 or more are recommended); "
                f"trend and level estimates are fragile."
            )

    seasonal_text = " plus 11 month-of-year indicators" if months is not None else ""
    lags = None
    dispersion = None
    if kind == "continuous":
        if exposure is not None or comparison_exposure is not None:
            raise InvalidInputError(
                "Exposures only apply to counts; use kind='count' or leave the exposure out."
            )
        if np.ptp(y) == 0:
            raise ConstantSeriesError(
                "The series has the same value in every period, so there is no change to "
                "analyse. Check that the right column was uploaded."
            )
        if n - k < 1:
            raise TooFewPeriodsError(f"The series has {n} periods, too few for {k} model terms.")
        lags = default_hac_lags(n) if hac_lags is None else int(hac_lags)
        if lags < 0 or lags >= n:
            raise InvalidInputError(f"hac_lags must be between 0 and {n - 1}, got {hac_lags}.")
        beta, v, resid = _fit_continuous(x, y, lags, None)
        if float(resid @ resid) == 0.0:
            raise ConstantSeriesError(
                "The series lies exactly on straight lines before and after the intervention, "
                "so no standard error can be estimated. Check that real data were uploaded."
            )
        fitted = x @ beta
        cf = fitted - x[:, 2] * beta[2] - x[:, 3] * beta[3]
        dw = durbin_watson(resid)
        scale = "difference"
        lag_rule = (
            f"{lags} lag{'s' if lags != 1 else ''}, chosen as floor(4 (n/100)^(2/9)) with n = {n}"
            if hac_lags is None
            else f"{lags} lag{'s' if lags != 1 else ''} (user-specified)"
        )
        se_text = (
            f"Newey-West (HAC, Bartlett kernel, {lag_rule}, no small-sample correction) "
            f"standard errors; Wald tests and intervals use the normal distribution"
        )
        model_text = "OLS segmented regression"
    else:
        _check_counts(y, t0, "series")
        expo = _exposure(exposure, series, "series")
        if hac_lags is not None:
            warnings.append("hac_lags applies to continuous outcomes only and was ignored.")
        if n - k < 1:
            raise TooFewPeriodsError(f"The series has {n} periods, too few for {k} model terms.")
        offset = np.log(expo)
        fit = poisson_fit(x, y, offset)
        v, quasi = poisson_cov(fit)
        beta = fit.beta
        dispersion = fit.dispersion
        fitted = fit.mu
        cf = fitted * np.exp(-(x[:, 2] * beta[2] + x[:, 3] * beta[3]))
        dw = durbin_watson((y - fitted) / np.sqrt(fitted))
        scale = "ratio"
        se_text = poisson_method(quasi, dispersion)
        model_text = "Poisson segmented regression with a log-exposure offset"
        if dispersion > 1.5:
            warnings.append(
                f"Counts vary {dispersion:.1f} times more than a Poisson model expects; "
                f"standard errors were widened accordingly (quasi-Poisson)."
            )

    if dw < 1.5 or dw > 2.5:
        note = (
            "the Newey-West standard errors allow for this"
            if kind == "continuous"
            else "the quasi-Poisson standard errors do not fully allow for it, so intervals "
            "may be too narrow"
        )
        warnings.append(
            f"The residuals are autocorrelated (Durbin-Watson {dw:.2f}, 2 means none); {note}."
        )

    method = (
        f"Interrupted time series: {model_text} of the outcome on time, post and time since "
        f"the intervention{seasonal_text}; the top-level estimate is the level change (post "
        f"coefficient{', exponentiated' if scale == 'ratio' else ''}). {se_text[0].upper()}"
        f"{se_text[1:]}."
    )
    if kind == "continuous":
        method += f" Matches statsmodels OLS.fit(cov_type='HAC', cov_kwds={{'maxlags': {lags}}})."
    level = _coef_result(beta, v, 2, scale=scale, alpha=alpha, n=n, method=method)
    slope = _coef_result(
        beta,
        v,
        3,
        scale=scale,
        alpha=alpha,
        n=n,
        method=method.replace("level change (post", "slope change (time-after", 1),
    )

    level_diff = slope_diff = None
    if comp_y is not None:
        xs = _comparative_design(x)
        ys = np.concatenate((y, comp_y))
        if kind == "continuous":
            assert lags is not None
            bs, vs, _ = _fit_continuous(xs, ys, lags, (slice(0, n), slice(n, 2 * n)))
            c_text = (
                f"OLS on both series stacked with group interactions; Newey-West within each "
                f"series ({lags} lags, Bartlett), summed, times n/(n-k) (statsmodels "
                f"'hac-panel'); normal distribution"
            )
        else:
            _check_counts(comp_y, t0, "comparison series")
            c_expo = _exposure(comparison_exposure, series, "comparison")
            s_fit = poisson_fit(xs, ys, np.log(np.concatenate((expo, c_expo))))
            vs, c_quasi = poisson_cov(s_fit)
            bs = s_fit.beta
            c_text = "Poisson on both series stacked with group interactions; " + poisson_method(
                c_quasi, s_fit.dispersion
            )
        c_method = (
            f"Comparative interrupted time series: {c_text}. The estimate is the "
            f"treatment-minus-comparison difference in level change"
            f"{' (ratio of rate ratios)' if scale == 'ratio' else ''}."
        )
        level_diff = _coef_result(bs, vs, 6, scale=scale, alpha=alpha, n=2 * n, method=c_method)
        slope_diff = _coef_result(
            bs,
            vs,
            7,
            scale=scale,
            alpha=alpha,
            n=2 * n,
            method=c_method.replace("in level change", "in slope change", 1),
        )

    relative = None
    if kind == "count" or cf[-1] > 0:
        relative = float(fitted[-1] / cf[-1] - 1.0)
    else:
        warnings.append(
            "The relative effect at the last period is not reported because the projected "
            "counterfactual is not positive."
        )

    base = copy_estimate_fields(level)
    base["warnings"] = tuple(warnings)
    return ITSResult(
        **base,
        kind=kind,
        level_change=level,
        slope_change=slope,
        fitted=pd.Series(fitted, index=series.index, name="fitted"),
        counterfactual=pd.Series(cf, index=series.index, name="counterfactual"),
        relative_effect_last=relative,
        durbin_watson=dw,
        hac_lags=lags,
        n_pre=n_pre,
        n_post=n_post,
        intervention=str(start),
        dispersion=dispersion,
        level_change_difference=level_diff,
        slope_change_difference=slope_diff,
    )
