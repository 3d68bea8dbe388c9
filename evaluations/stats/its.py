"""Interrupted time series: segmented regression of a regular (usually monthly) series.

The model (Wagner et al. 2002, "Segmented regression analysis of interrupted time series
studies in medication use research") is

    outcome_t = b0 + b1 time_t + b2 post_t + b3 time_after_t  [+ month-of-year terms]

with ``time`` = 0..n-1, ``post`` = 1 from the intervention period on and ``time_after`` =
t - t0 from the intervention period on (0 before). ``b2`` is the level change (the immediate
step) and ``b3`` the slope change. Monthly administrative series are usually autocorrelated,
and in series of a few dozen periods Newey-West standard errors are far too small (the
calibration benchmark measured 40-87% coverage for nominal 95% intervals), so by default the
errors are modelled as an AR(1) process fitted by REML with t inference; counts use the same
error model on a log-linear model with a log-exposure offset.

The work is split into validation (:func:`_validate`), the design matrix (:func:`_design`) and
one fit per kind (:func:`_fit_continuous`, :func:`_fit_count`, :func:`_fit_comparison`).
"""

from __future__ import annotations

import math
import warnings as _warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .calibration import calibration_note, uncalibrated_note, underdispersion_note
from .errors import (
    AllZeroCountsError,
    ConstantSeriesError,
    InvalidInputError,
    IrregularTimeIndexError,
    MismatchedLengthsError,
    MissingValueError,
    NegativeExposureError,
    SingularDesignError,
    TooFewPeriodsError,
    identical_comparison_error,
)
from .fitting import (
    AR1Fit,
    ar1_glm_fit,
    ar1_poisson_fit,
    ar1_reml_fit,
    area_contrasts,
    cov_hac,
    cov_hac_panel,
    durbin_watson,
    ols_fit,
    poisson_cov,
    poisson_fit,
    poisson_method,
    se_is_zero,
)
from .results import EstimateResult, ITSResult, copy_estimate_fields, wald_result
from .results import events_phrase as _events
from .seasons import SEASON_LENGTH, SEASONALITIES, seasonal_terms

__all__ = ["check_seasonal_design", "default_hac_lags", "interrupted_time_series"]

MIN_SEGMENT = 3
RECOMMENDED_SEGMENT = 8
# Below this many events in a segment, count results carry a small-count caveat (as pre/post).
SMALL_COUNT = 10
IMPACT_MODELS = ("level_and_slope", "level", "slope")
ERROR_MODELS = ("ar1", "independent")
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def default_hac_lags(n: int) -> int:
    """Newey-West (1994) rule of thumb: floor(4 (n / 100)^(2/9))."""
    return int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


# --------------------------------------------------------------------------------------------
# Time index handling
# --------------------------------------------------------------------------------------------


def _first_gap(ords: np.ndarray, pidx: pd.PeriodIndex, step: int) -> str:
    pos = int(np.flatnonzero(np.diff(ords) != step)[0])
    return f"between {pidx[pos]} and {pidx[pos + 1]}"


def _week_periods(index: pd.DatetimeIndex) -> pd.PeriodIndex:
    """A weekly series is dated by the first day of each week, so each week ends the day
    before the next date (pandas anchors weeks on their last day)."""
    end_day = _WEEKDAYS[(int(index[0].day_of_week) + 6) % 7]
    return pd.DatetimeIndex(index, freq=None).to_period(f"W-{end_day}")


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
    if freq is not None and freq.startswith("W-"):
        return _week_periods(index)
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
        freqstr = index.freqstr if index.freq is not None else ""
        if freqstr.startswith("W-"):
            pidx = _week_periods(index)
        elif index.freq is not None:
            pidx = index.to_period()
        else:
            pidx = _infer_periods(index)
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
    if np.isinf(y).any():
        first = pidx[int(np.flatnonzero(np.isinf(y))[0])]
        raise InvalidInputError(
            f"The {label} has {int(np.isinf(y).sum())} infinite value(s), the first in "
            f"{first}. Replace them with the real figures."
        )
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
# Validation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ITSData:
    """Validated inputs: the treatment series, its periods and the intervention position."""

    series: pd.Series
    pidx: pd.PeriodIndex
    y: np.ndarray
    t0: int
    start: pd.Period
    comparison: np.ndarray | None  # periods x comparison units
    comparison_names: tuple[str, ...]

    @property
    def n(self) -> int:
        return self.y.size


def _comparison_matrix(
    comparison: pd.Series | pd.DataFrame, series: pd.Series, pidx: pd.PeriodIndex, y: np.ndarray
) -> tuple[np.ndarray, tuple[str, ...]]:
    if isinstance(comparison, pd.Series):
        comparison = comparison.to_frame(name=comparison.name or "comparison")
    if not isinstance(comparison, pd.DataFrame):
        raise InvalidInputError(
            "The comparison must be a pandas Series (one comparison unit) or DataFrame (one "
            "column per comparison unit) on the same dates as the series."
        )
    if not comparison.index.is_monotonic_increasing:
        comparison = comparison.sort_index()
    if len(comparison) != len(series) or not comparison.index.equals(series.index):
        raise MismatchedLengthsError(
            f"The comparison series must cover exactly the same periods as the treatment "
            f"series ({pidx[0]} to {pidx[-1]}, {len(series)} periods); it has "
            f"{len(comparison)}."
        )
    if comparison.shape[1] == 0:
        raise InvalidInputError("The comparison has no columns; give at least one series.")
    columns = [_values(comparison[c], f"comparison series {c!r}", pidx) for c in comparison.columns]
    for name, column in zip(comparison.columns, columns, strict=True):
        if np.array_equal(column, y):
            raise identical_comparison_error(f"series {str(name)!r}")
    return np.column_stack(columns), tuple(str(c) for c in comparison.columns)


def _validate(
    series: pd.Series,
    intervention: Any,
    comparison: pd.Series | pd.DataFrame | None,
    options: dict[str, Any],
) -> _ITSData:
    if not isinstance(series, pd.Series):
        raise InvalidInputError("The series must be a pandas Series indexed by period.")
    choices = {
        "kind": ("continuous", "count"),
        "seasonality": SEASONALITIES,
        "impact": IMPACT_MODELS,
        "errors": ERROR_MODELS,
    }
    for name, allowed in choices.items():
        if options[name] not in allowed:
            shown = ", ".join(repr(a) for a in allowed)
            raise InvalidInputError(f"{name} must be one of {shown}; got {options[name]!r}.")
    if not 0 < options["alpha"] < 1:
        raise InvalidInputError(f"alpha must be between 0 and 1, got {options['alpha']}.")
    if not series.index.is_monotonic_increasing:
        series = series.sort_index()
    pidx = _period_index(series.index)
    y = _values(series, "series", pidx)
    t0, start = _intervention_position(intervention, pidx)
    n = y.size
    if t0 <= 0 or t0 >= n:
        where = "before the first" if t0 <= 0 else "after the last"
        raise TooFewPeriodsError(
            f"The intervention ({start}) is {where} period of the series ({pidx[0]} to "
            f"{pidx[-1]}); the series needs periods both before and after it."
        )
    for count, name in ((t0, "pre-intervention"), (n - t0, "post-intervention")):
        if count < MIN_SEGMENT:
            raise TooFewPeriodsError(
                f"The {name} segment has {count} period{'s' if count != 1 else ''}; at least "
                f"{MIN_SEGMENT} are needed to estimate its level and trend. Upload more periods "
                f"or move the intervention date."
            )
    comp, names = (None, ())
    if comparison is not None:
        comp, names = _comparison_matrix(comparison, series, pidx, y)
    return _ITSData(series, pidx, y, t0, start, comp, names)


# --------------------------------------------------------------------------------------------
# Design
# --------------------------------------------------------------------------------------------


def _design(
    n: int, t0: int, impact: str, seasonal: np.ndarray | None
) -> tuple[np.ndarray, int | None, int | None]:
    """Columns const, time, [post], [time_after], [season]; returns the positions of the level
    and slope change terms (``None`` when the impact model leaves one out)."""
    time = np.arange(n, dtype=float)
    post = (time >= t0).astype(float)
    cols = [np.ones(n), time]
    level = slope = None
    if impact in ("level", "level_and_slope"):
        level = len(cols)
        cols.append(post)
    if impact in ("slope", "level_and_slope"):
        slope = len(cols)
        cols.append((time - t0) * post)
    x = np.column_stack(cols)
    if seasonal is not None:
        x = np.hstack((x, seasonal))
    return x, level, slope


def _comparative_design(x: np.ndarray, core: int) -> np.ndarray:
    """Stack [treatment; comparison] rows with group x (the first ``core`` columns); the
    season columns are shared."""
    head, seasonal = x[:, :core], x[:, core:]
    top = np.hstack((head, head, seasonal))
    bottom = np.hstack((head, np.zeros_like(head), seasonal))
    return np.vstack((top, bottom))


# --------------------------------------------------------------------------------------------
# Fits
# --------------------------------------------------------------------------------------------


@dataclass
class _Fit:
    """A fitted segmented regression in a common shape for the result builder."""

    beta: np.ndarray
    cov: np.ndarray
    df: float | None
    fitted: np.ndarray
    counterfactual: np.ndarray
    se_text: str
    rho: float | None = None
    dispersion: float | None = None
    durbin_watson: float | None = None
    lags: int | None = None
    term_df: dict[int, float] | None = None


def _satterthwaite(ar: AR1Fit, terms: Sequence[int | None]) -> dict[int, float]:
    return {j: ar.satterthwaite_df(j) for j in terms if j is not None}


def _df_words(term_df: dict[int, float]) -> str:
    shown = " and ".join(f"{v:.1f}" for v in term_df.values())
    return (
        "Kenward-Roger standard errors (linear form) and "
        f"Satterthwaite degrees of freedom ({shown})"
    )


def _post_part(x: np.ndarray, beta: np.ndarray, terms: Sequence[int | None]) -> np.ndarray:
    return sum((x[:, j] * beta[j] for j in terms if j is not None), np.zeros(x.shape[0]))


def _ar1_text(rho: float, term_df: dict[int, float]) -> str:
    return (
        f"regression errors modelled as a first-order autoregressive process (AR(1), "
        f"estimated rho = {rho:.2f}) fitted by REML, generalised least squares coefficients; "
        f"t tests and intervals with {_df_words(term_df)}"
    )


def _fit_continuous(
    x: np.ndarray,
    y: np.ndarray,
    terms: Sequence[int | None],
    errors: str,
    hac_lags: int | None,
    blocks: Sequence[int] | None = None,
) -> _Fit:
    """Segmented regression with AR(1) errors (``blocks``: independent series stacked in
    ``y``, sharing rho) or, with ``errors="independent"``, OLS with Newey-West errors."""
    n, k = x.shape
    if np.ptp(y) == 0:
        raise ConstantSeriesError(
            "The series has the same value in every period, so there is no change to "
            "analyse. Check that the right column was uploaded."
        )
    if n - k < 1:
        raise TooFewPeriodsError(f"The series has {n} periods, too few for {k} model terms.")
    if errors == "ar1":
        ar = ar1_reml_fit(x, y, blocks)
        beta, cov = ar.beta, ar.cov
        if ar.sigma2 <= 1e-24 * max(float(y @ y) / n, 1e-300):
            raise ConstantSeriesError(
                "The series lies exactly on straight lines before and after the intervention, "
                "so no standard error can be estimated. Check that real data were uploaded."
            )
        fitted = x @ beta
        term_df = _satterthwaite(ar, terms)
        return _Fit(
            beta,
            cov,
            float(ar.df),
            fitted,
            fitted - _post_part(x, beta, terms),
            _ar1_text(ar.rho, term_df),
            rho=ar.rho,
            durbin_watson=durbin_watson(ar.resid),
            term_df=term_df,
        )
    lags = default_hac_lags(n) if hac_lags is None else int(hac_lags)
    if lags < 0 or lags >= n:
        raise InvalidInputError(f"hac_lags must be between 0 and {n - 1}, got {hac_lags}.")
    fit = ols_fit(x, y)
    if float(fit.resid @ fit.resid) <= 1e-24 * max(float(y @ y), 1e-300):
        raise ConstantSeriesError(
            "The series lies exactly on straight lines before and after the intervention, "
            "so no standard error can be estimated. Check that real data were uploaded."
        )
    fitted = x @ fit.beta
    rule = (
        f"{lags} lag{'s' if lags != 1 else ''}, chosen as floor(4 (n/100)^(2/9)) with n = {n}"
        if hac_lags is None
        else f"{lags} lag{'s' if lags != 1 else ''} (user-specified)"
    )
    return _Fit(
        fit.beta,
        cov_hac(x, fit, lags),
        None,
        fitted,
        fitted - _post_part(x, fit.beta, terms),
        f"OLS coefficients with Newey-West (HAC, Bartlett kernel, {rule}, no small-sample "
        f"correction) standard errors; Wald tests and intervals use the normal distribution",
        durbin_watson=durbin_watson(fit.resid),
        lags=lags,
    )


def _fit_count(
    x: np.ndarray, y: np.ndarray, expo: np.ndarray, terms: Sequence[int | None], errors: str
) -> _Fit:
    n, k = x.shape
    if n - k < 1:
        raise TooFewPeriodsError(f"The series has {n} periods, too few for {k} model terms.")
    offset = np.log(expo)
    if errors == "ar1":
        ar = ar1_poisson_fit(x, y, offset)
        mu = np.exp(x @ ar.beta + offset)
        dispersion = ar.marginal_variance
        term_df = _satterthwaite(ar, terms)
        return _Fit(
            ar.beta,
            ar.cov,
            float(ar.df),
            mu,
            mu * np.exp(-_post_part(x, ar.beta, terms)),
            f"log-linear count model with a log-exposure offset, fitted by penalised "
            f"quasi-likelihood with the working errors modelled as AR(1) (estimated rho = "
            f"{ar.rho:.2f}, by REML) and a free dispersion ({dispersion:.3g}); t tests and "
            f"intervals on the log scale with {_df_words(term_df)}",
            rho=ar.rho,
            dispersion=dispersion,
            durbin_watson=durbin_watson(ar.resid / np.sqrt(mu)),
            term_df=term_df,
        )
    fit = poisson_fit(x, y, offset)
    cov, quasi = poisson_cov(fit)
    return _Fit(
        fit.beta,
        cov,
        None,
        fit.mu,
        fit.mu * np.exp(-_post_part(x, fit.beta, terms)),
        "Poisson regression with a log-exposure offset; " + poisson_method(quasi, fit.dispersion),
        dispersion=fit.dispersion,
        durbin_watson=durbin_watson((y - fit.mu) / np.sqrt(fit.mu)),
    )


# A standard error this small (on the log scale for counts, relative to the outcome's spread
# for continuous outcomes) is a numerical zero, not a precise estimate.
def _zero_se(fit: _Fit, terms: Sequence[int | None], scale: float = 1.0) -> bool:
    """Whether any of the effect ``terms`` of ``fit`` has a numerically zero standard error."""
    return any(
        se_is_zero(math.sqrt(max(float(fit.cov[j, j]), 0.0)), scale) for j in terms if j is not None
    )


def _check_count_se_not_zero(fit: _Fit, terms: Sequence[int | None]) -> None:
    """Refuse a count fit whose level or slope change has a numerically zero standard error
    on the log scale: counts that follow the model exactly in every period (a constant
    count before the start and another after) leave a free dispersion of zero, which would
    read as "rose 100% (95% CI 100% to 100%)"."""
    if _zero_se(fit, terms):
        raise ConstantSeriesError(
            "The counts follow the model exactly in every period (for example the same "
            "count every month before the start and another the same every month after), "
            "so there is no period-to-period variation to estimate uncertainty from: the "
            "standard error is numerically zero. Real counts vary from period to period; "
            "check that the right column was uploaded. For totals before and after, a "
            "pre/post comparison with errors 'exact' gives an exact interval."
        )


def _check_se_not_zero(fit: _Fit, terms: Sequence[int | None], kind: str, y: np.ndarray) -> None:
    """Refuse a comparison fit whose effect has a numerically zero standard error (for example
    comparison counts in a fixed proportion to the treatment's, so the treatment's share of
    every period's events is the same) rather than report an interval of zero width."""
    scale = 1.0 if kind == "count" else max(float(np.std(y)), float(np.max(np.abs(y))), 1.0)
    if _zero_se(fit, terms, scale):
        raise ConstantSeriesError(
            "The standard error of the treatment-minus-comparison change is numerically "
            "zero: the treatment series is an exact multiple (counts) or an exact shift "
            "(continuous) of the comparison in every period, so there is no variation to "
            "estimate uncertainty from. Check that each area's own data were uploaded."
        )


def _season_makes_singular(x: np.ndarray, core: int) -> bool:
    """Whether ``x`` is rank-deficient with its season columns but full rank without them."""
    full = np.linalg.matrix_rank(x) == x.shape[1]
    return not full and np.linalg.matrix_rank(x[:, :core]) == core


def check_seasonal_design(
    pidx: pd.PeriodIndex,
    t0: int,
    seasonality: str | None,
    harmonics: int = 2,
    impact: str = "level_and_slope",
) -> None:
    """Raise before any fitting when the seasonal terms cannot be used on this series.

    ``pidx`` is the analysed series' PeriodIndex and ``t0`` the number of periods before the
    intervention. Raises :class:`InvalidInputError` or :class:`TooFewPeriodsError` (from
    :func:`seasonal_terms`: wrong frequency, too few periods) and
    :class:`SingularDesignError` when the season columns make the segmented regression
    rank-deficient. The classic case: month-of-year indicators with exactly one year before
    and one year after the start. The time trend is then exactly the month's position in its
    year plus 12 times the post indicator, so no data can tell the pre-intervention trend
    apart from the seasonal pattern and the level change."""
    seasonal, seasonal_text = seasonal_terms(pidx, seasonality, int(harmonics))
    if seasonal is None:
        return
    x, _, _ = _design(len(pidx), t0, impact, seasonal)
    core = x.shape[1] - seasonal.shape[1]
    if not _season_makes_singular(x, core):
        return
    terms = seasonal_text.strip().removeprefix("plus ")
    n_post = len(pidx) - t0
    # A full set of Fourier pairs spans the season indicators; fewer pairs do not.
    pairs = SEASON_LENGTH[pidx.freqstr[:1]] // 2
    raise SingularDesignError(
        f"The seasonal terms ({terms}) cannot be estimated together with the trend and the "
        f"impact model on this window of {t0} periods before and {n_post} after the start: "
        f"with each season appearing exactly once on each side, the time trend is an exact "
        f"combination of the season indicators and the level change, so the data cannot "
        f"tell the pre-intervention trend apart from the seasonal pattern. Widen the window "
        f"by at least one period on either side, or use seasonality 'fourier' with fewer than "
        f"{pairs} harmonic pairs, or 'none'."
    )


@contextmanager
def _name_the_season(seasonal_text: str, x: np.ndarray, core: int) -> Iterator[None]:
    """A singular design with seasonal terms is usually the seasonality's doing (for example
    month indicators over exactly two years with the start at a year boundary: the time trend
    is then a combination of the months and the post indicator), so say so and how to fix it."""
    try:
        yield
    except SingularDesignError as exc:
        # Only when the season columns are what makes the design rank-deficient (not, say,
        # a count segment whose events all fall in one period).
        if not seasonal_text or not _season_makes_singular(x, core):
            raise
        raise SingularDesignError(
            f"{exc} The seasonal terms ({seasonal_text.strip().removeprefix('plus ')}) are "
            f"part of the problem with this few periods: choose fewer Fourier pairs, "
            f"seasonality 'none', or a longer window."
        ) from exc


def _fit_comparison(
    data: _ITSData,
    x: np.ndarray,
    core: int,
    terms: Sequence[int | None],
    kind: str,
    errors: str,
    lags: int | None,
    expo: np.ndarray,
    comparison_exposure: Any,
) -> tuple[_Fit, str]:
    """The treatment-minus-comparison model; returns the fit (coefficients of the group x
    level/slope terms at positions ``terms``) and its method sentence."""
    assert data.comparison is not None
    n, units = data.comparison.shape
    pooled = "the mean of the comparison units" if units > 1 else "the comparison series"
    if kind == "continuous":
        if errors == "ar1":
            panel = area_contrasts(np.vstack((data.y, data.comparison.T)), x)
            fit = _fit_continuous(panel.x, panel.y, terms, "ar1", None, panel.blocks)
            text = (
                f"a panel of the treatment series and {units} comparison "
                f"series{'' if units == 1 else ', each its own series,'} with area and period "
                f"fixed effects and the treatment area's own level, trend"
                f"{' and season' if x.shape[1] > core else ''} and their changes at the "
                f"intervention, AR(1) errors in every series with a common rho; "
                f"{fit.se_text}"
            )
            return fit, text
        comp = data.comparison.mean(axis=1)
        xs = _comparative_design(x, core)
        ys = np.concatenate((data.y, comp))
        ols = ols_fit(xs, ys)
        assert lags is not None
        cov = cov_hac_panel(xs, ols, lags, (slice(0, n), slice(n, 2 * n)))
        shifted = [None if t is None else t + core for t in terms]
        fit = _Fit(ols.beta, cov, None, xs @ ols.beta, xs @ ols.beta, "", lags=lags)
        text = (
            f"OLS on the treatment series and {pooled} stacked with group interactions; "
            f"Newey-West within each series ({lags} lags, Bartlett), summed, times n/(n-k) "
            f"(statsmodels 'hac-panel'); normal distribution"
        )
        return _shift(fit, shifted, terms), text
    comp = data.comparison.sum(axis=1)
    _check_counts(comp, data.t0, "comparison series")
    c_expo = _exposure(comparison_exposure, data.series, "comparison")
    if errors == "ar1":
        trials = data.y + comp
        keep = trials > 0
        ar = ar1_glm_fit(x[keep], data.y[keep], np.log(expo / c_expo)[keep], trials=trials[keep])
        term_df = _satterthwaite(ar, terms)
        fit = _Fit(
            ar.beta,
            ar.cov,
            float(ar.df),
            data.y,
            data.y,
            "",
            rho=ar.rho,
            term_df=term_df,
            dispersion=ar.marginal_variance,
        )
        text = (
            f"segmented logit regression of the treatment series' share of each period's events "
            f"(treatment out of treatment plus {pooled}, summed; equivalent to a Poisson panel "
            f"with period fixed effects), fitted by penalised quasi-likelihood with AR(1) "
            f"working errors (rho = {ar.rho:.2f}, REML) and a free dispersion; t tests on the "
            f"log scale with {_df_words(term_df)}"
        )
        return fit, text
    xs = _comparative_design(x, core)
    ys = np.concatenate((data.y, comp))
    offset = np.log(np.concatenate((expo, c_expo)))
    shifted = [None if t is None else t + core for t in terms]
    pf = poisson_fit(xs, ys, offset)
    cov, quasi = poisson_cov(pf)
    fit = _Fit(pf.beta, cov, None, ys, ys, "")
    text = (
        f"Poisson regression of the treatment series and {pooled} (summed) stacked with "
        f"group interactions; " + poisson_method(quasi, pf.dispersion)
    )
    return _shift(fit, shifted, terms), text


def _shift(fit: _Fit, source: Sequence[int | None], target: Sequence[int | None]) -> _Fit:
    """Move the group-interaction coefficients to the positions the result builder reads."""
    beta = fit.beta.copy()
    cov = fit.cov.copy()
    term_df = {}
    for s, t in zip(source, target, strict=True):
        if s is not None and t is not None:
            beta[t] = fit.beta[s]
            cov[t, t] = fit.cov[s, s]
            if fit.term_df is not None:
                term_df[t] = fit.term_df[s]
    fit.beta, fit.cov = beta, cov
    fit.term_df = term_df or None
    return fit


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


def _coef_result(
    fit: _Fit, j: int | None, *, scale: str, alpha: float, n: int, method: str
) -> EstimateResult | None:
    if j is None:
        return None
    df = fit.df if fit.term_df is None else fit.term_df.get(j, fit.df)
    return wald_result(
        fit.beta[j],
        math.sqrt(max(float(fit.cov[j, j]), 0.0)),
        df=df,
        alpha=alpha,
        n=n,
        method=method,
        scale=scale,
    )


# Below this many degrees of freedom a t interval is more than twice as wide as a normal one
# (t 0.975 on 2 df is 4.30): honest, but too wide to say much.
FEW_DF = 2.0


def _few_df_note(estimates: dict[str, EstimateResult | None]) -> str | None:
    """A caveat naming each reported effect (``{label: estimate}``: the level and slope
    changes, and with comparison areas their treatment-minus-comparison differences) whose
    interval rests on fewer than :data:`FEW_DF` degrees of freedom: in a short series the
    autocorrelation is itself uncertain, and the t interval widens to allow for it."""
    few = {
        label: est.df
        for label, est in estimates.items()
        if est is not None and est.df is not None and est.df < FEW_DF
    }
    if not few:
        return None
    subject = "The " + " and ".join(f"{label}'s" for label in few)
    # rounded down, so a df just under 2 never reads as "2.0"
    dfs = " and ".join(f"{math.floor(df * 10) / 10:.1f}" for df in few.values())
    intervals = "intervals rest" if len(few) > 1 else "interval rests"
    return (
        f"{subject} {intervals} on about {dfs} degrees of freedom (fewer than "
        f"{FEW_DF:.0f}): with so few periods the autocorrelation is itself uncertain, so the "
        f"interval is very wide and says little either way. A longer series, or a pre/post "
        f"comparison, would say more."
    )


def _small_count_warning(y: np.ndarray, t0: int) -> str | None:
    smallest = min(float(y[:t0].sum()), float(y[t0:].sum()))
    if smallest >= SMALL_COUNT:
        return None
    return (
        f"One segment has only {_events(smallest)} in total; with so few events the rate "
        f"ratios are imprecise and the approximations behind their intervals are rough. "
        f"Consider a pre/post comparison of totals (exact interval) or a longer window."
    )


def interrupted_time_series(
    series: pd.Series,
    *,
    intervention: Any,
    kind: str = "continuous",
    seasonality: str | None = "auto",
    harmonics: int = 2,
    impact: str = "level_and_slope",
    errors: str = "ar1",
    exposure: pd.Series | Sequence[float] | None = None,
    hac_lags: int | None = None,
    comparison: pd.Series | pd.DataFrame | None = None,
    alpha: float = 0.05,
    comparison_exposure: pd.Series | Sequence[float] | None = None,
) -> ITSResult:
    """Segmented regression of one series around an intervention, optionally vs comparisons.

    ``series`` is indexed by a regular DatetimeIndex (a stored or inferable frequency; weekly
    dates are read as the first day of their week) or a PeriodIndex; ``intervention`` is the
    first post period. Each segment needs at least 3 periods (a warning is added below 8).

    Design: ``time`` = 0..n-1, then by ``impact``: ``post`` (1 from the intervention on, the
    level change) and/or ``time_after`` (t - t0 from then on, the slope change); default
    ``"level_and_slope"``. ``seasonality``: ``"month"`` (11 month-of-year indicators, monthly
    data, at least 24 values), ``"quarter"`` (3 quarter indicators, quarterly data, at least 8),
    ``"fourier"`` (``harmonics`` sine/cosine pairs of the year), ``None``, or ``"auto"`` (the
    default: ``harmonics`` Fourier pairs when the series spans at least two years, quarter
    indicators for quarterly series of two years or more, otherwise none; unmodelled
    seasonality biased the level change in the calibration benchmark).

    ``errors="ar1"`` (default): the errors are a stationary AR(1) process; rho is estimated by
    REML and the coefficients by GLS at that rho (= statsmodels ``GLS(y, X, sigma=Omega(rho))``),
    with t inference on n - k - 1 degrees of freedom. Counts use the same error model on the
    working response of a log-linear model with a log-exposure offset (penalised
    quasi-likelihood, free dispersion). The calibration benchmark
    (``bench/calibration_bench.py``) measures its coverage.

    ``errors="independent"`` (the former default): continuous outcomes by OLS with Newey-West
    standard errors with ``hac_lags`` lags (default floor(4 (n/100)^(2/9))) and the normal
    distribution, = statsmodels ``OLS.fit(cov_type="HAC", cov_kwds={"maxlags": L})``; counts by
    Poisson regression with quasi-Poisson scaling (= statsmodels ``GLM(...).fit(scale="X2")``).
    It under-covers on short autocorrelated series and is kept for comparison.

    The top-level estimate is the level change (the slope change when ``impact="slope"``).
    For counts the changes are ratios; ``se`` and ``log_estimate`` are on the log scale.
    ``fitted`` and ``counterfactual`` (post terms switched off) are Series on the input index.

    ``comparison``: a Series or a DataFrame with one column per comparison unit, on the same
    index. With ``errors="ar1"`` a continuous outcome is modelled as the treatment series minus
    the mean of the comparison units (the GLS counterpart of a panel with unit and period
    fixed effects); counts model the treatment series' share of each period's treatment plus
    comparison events (a logit that conditions on the period totals, as period fixed effects
    do). With ``errors="independent"`` both series are stacked with group interactions.
    ``level_change_difference`` and ``slope_change_difference`` are the
    treatment-minus-comparison differences (ratios for counts).
    """
    options = {
        "kind": kind,
        "seasonality": seasonality,
        "impact": impact,
        "errors": errors,
        "alpha": alpha,
    }
    data = _validate(series, intervention, comparison, options)
    check_seasonal_design(data.pidx, data.t0, seasonality, int(harmonics), impact)
    seasonal, seasonal_text = seasonal_terms(data.pidx, seasonality, int(harmonics))
    x, level_j, slope_j = _design(data.n, data.t0, impact, seasonal)
    terms = (level_j, slope_j)
    core = x.shape[1] - (0 if seasonal is None else seasonal.shape[1])
    n, t0, y = data.n, data.t0, data.y

    warnings: list[str] = []
    for count, name in ((t0, "pre-intervention"), (n - t0, "post-intervention")):
        if count < RECOMMENDED_SEGMENT:
            warnings.append(
                f"The {name} segment has only {count} periods ({RECOMMENDED_SEGMENT} or more "
                f"are recommended); trend and level estimates are fragile."
            )
    expo = np.ones(n)
    if kind == "continuous":
        if exposure is not None or comparison_exposure is not None:
            raise InvalidInputError(
                "Exposures only apply to counts; use kind='count' or leave the exposure out."
            )
        with _name_the_season(seasonal_text, x, core):
            fit = _fit_continuous(x, y, terms, errors, hac_lags)
        scale, model_text = "difference", "segmented regression"
    else:
        _check_counts(y, t0, "series")
        expo = _exposure(exposure, data.series, "series")
        if hac_lags is not None:
            warnings.append("hac_lags applies to continuous outcomes only and was ignored.")
        small = _small_count_warning(y, t0)
        if small:
            warnings.append(small)
        with _name_the_season(seasonal_text, x, core):
            fit = _fit_count(x, y, expo, terms, errors)
        _check_count_se_not_zero(fit, terms)
        scale, model_text = "ratio", "segmented regression of counts"
        if fit.dispersion is not None and fit.dispersion > 1.5:
            warnings.append(
                f"Counts vary {fit.dispersion:.1f} times more than a Poisson model expects; "
                f"standard errors were widened accordingly."
            )
    if errors == "independent" and fit.durbin_watson is not None:
        dw = fit.durbin_watson
        if dw < 1.5 or dw > 2.5:
            warnings.append(
                f"The residuals are autocorrelated (Durbin-Watson {dw:.2f}, 2 means none); "
                f"these standard errors assume little or no autocorrelation and intervals may "
                f"be too narrow. The default AR(1) error model allows for it."
            )

    impact_words = {
        "level": "post (the level change)",
        "slope": "time since the intervention (the slope change)",
        "level_and_slope": "post and time since the intervention (level and slope changes)",
    }[impact]
    method = (
        f"Interrupted time series: {model_text} of the outcome on time and "
        f"{impact_words}{seasonal_text}; {fit.se_text}."
    )
    level = _coef_result(fit, level_j, scale=scale, alpha=alpha, n=n, method=method)
    slope = _coef_result(fit, slope_j, scale=scale, alpha=alpha, n=n, method=method)

    level_diff = slope_diff = None
    c_fit: _Fit | None = None
    if data.comparison is not None:
        with _name_the_season(seasonal_text, x, core):
            c_fit, c_text = _fit_comparison(
                data, x, core, terms, kind, errors, fit.lags, expo, comparison_exposure
            )
        _check_se_not_zero(c_fit, terms, kind, data.y)
        c_method = (
            f"Comparative interrupted time series: {c_text}. The estimates are the "
            f"treatment-minus-comparison differences in level and slope change"
            f"{' (ratios of rate ratios)' if scale == 'ratio' else ''}."
        )
        n_all = n * (1 + len(data.comparison_names))
        level_diff = _coef_result(
            c_fit, level_j, scale=scale, alpha=alpha, n=n_all, method=c_method
        )
        slope_diff = _coef_result(
            c_fit, slope_j, scale=scale, alpha=alpha, n=n_all, method=c_method
        )

    relative = None
    if kind == "count" or fit.counterfactual[-1] > 0:
        relative = float(fit.fitted[-1] / fit.counterfactual[-1] - 1.0)
    else:
        warnings.append(
            "The relative effect at the last period is not reported because the projected "
            "counterfactual is not positive."
        )

    coverage, note = (None, None)
    if errors == "ar1":
        design = "its" if data.comparison is None else "its_with_comparison"
        coverage, note = calibration_note(design, kind, t0, n - t0)
        if note:
            warnings.append(note)
    else:
        design = "its" if data.comparison is None else "its_with_comparison"
        note = uncalibrated_note(design, kind, f'errors="{errors}"', measured=True)
        warnings.append(note)
    under = underdispersion_note(kind, fit.dispersion)
    if under is None and c_fit is not None:
        # the comparison model (the treated share of each period's events) can vary far
        # less than events do even where the treatment series alone does not
        under = underdispersion_note(kind, c_fit.dispersion)
    if under:
        warnings.append(under)
    few_df = _few_df_note(
        {
            "level change": level,
            "slope change": slope,
            "level change (treatment minus comparison)": level_diff,
            "slope change (treatment minus comparison)": slope_diff,
        }
    )
    if few_df:
        warnings.append(few_df)
    head = level if level is not None else slope
    assert head is not None
    base = copy_estimate_fields(head)
    base["warnings"] = tuple(warnings)
    return ITSResult(
        **base,
        kind=kind,
        level_change=level,
        slope_change=slope,
        fitted=pd.Series(fit.fitted, index=data.series.index, name="fitted"),
        counterfactual=pd.Series(
            fit.counterfactual, index=data.series.index, name="counterfactual"
        ),
        relative_effect_last=relative,
        durbin_watson=fit.durbin_watson,
        hac_lags=fit.lags,
        n_pre=t0,
        n_post=n - t0,
        intervention=str(data.start),
        dispersion=fit.dispersion,
        level_change_difference=level_diff,
        slope_change_difference=slope_diff,
        errors=errors,
        impact=impact,
        ar1_rho=fit.rho,
        comparison_units=len(data.comparison_names),
        approximate=note is not None or under is not None,
        calibrated_coverage=coverage,
    )
