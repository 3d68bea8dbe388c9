"""Seasonal terms shared by the time-series designs: month or quarter indicators, Fourier
pairs of the year, and the ``"auto"`` default that picks one from the series' length."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .errors import InvalidInputError, TooFewPeriodsError

__all__ = ["SEASONALITIES", "auto_seasonality", "seasonal_terms"]

SEASONALITIES = ("auto", None, "month", "quarter", "fourier")
MIN_SEASONAL_PERIODS = 24
SEASON_LENGTH = {"M": 12, "Q": 4, "W": 52}
_FREQUENCY_WORDS = {"M": "monthly", "Q": "quarterly", "W": "weekly", "Y": "yearly", "A": "yearly"}


def _frequency_words(freq: str) -> str:
    """A pandas frequency ("M", "W-SUN", "Q-DEC") in plain words ("monthly")."""
    return _FREQUENCY_WORDS.get(freq[:1], "not monthly, weekly or quarterly")


def auto_seasonality(pidx: pd.PeriodIndex) -> str | None:
    """Fourier pairs for monthly or weekly series spanning two years or more, quarter
    indicators for quarterly series of two years or more, otherwise none."""
    freq = pidx.freqstr[:1]
    length = SEASON_LENGTH.get(freq)
    if length is None or len(pidx) < 2 * length:
        return None
    return "quarter" if freq == "Q" else "fourier"


def seasonal_terms(
    pidx: pd.PeriodIndex, seasonality: str | None, harmonics: int
) -> tuple[np.ndarray | None, str]:
    """Season columns and the words for the method sentence."""
    if seasonality is None:
        return None, ""
    n = len(pidx)
    freq = pidx.freqstr
    if seasonality == "auto":
        seasonality = auto_seasonality(pidx)
        if seasonality is None:
            return None, ""
    if seasonality == "month":
        if not freq.startswith("M"):
            raise InvalidInputError(
                f"Month-of-year adjustment (seasonality 'month') needs a monthly series; this "
                f"series is {_frequency_words(freq)}. Use seasonality 'quarter' for quarterly "
                f"data, 'fourier' for weekly data, or 'auto' to let the portal choose."
            )
        if n < MIN_SEASONAL_PERIODS:
            raise TooFewPeriodsError(
                f"Month-of-year adjustment needs at least {MIN_SEASONAL_PERIODS} monthly values "
                f"(two of each calendar month); the series has {n}. Drop seasonality, use "
                f"seasonality='fourier', or upload more months."
            )
        months = np.asarray(pidx.month)
        return (months[:, None] == np.arange(2, 13)[None, :]).astype(float), (
            " plus 11 month-of-year indicators"
        )
    if seasonality == "quarter":
        if not freq.startswith("Q"):
            raise InvalidInputError(
                f"Quarter-of-year adjustment (seasonality 'quarter') needs a quarterly series; "
                f"this series is {_frequency_words(freq)}. Use seasonality 'month' or "
                f"'fourier' for monthly data, 'fourier' for weekly data, or 'auto' to let the "
                f"portal choose."
            )
        if n < 8:
            raise TooFewPeriodsError(
                f"Quarter-of-year adjustment needs at least 8 quarterly values; the series has "
                f"{n}. Drop seasonality or upload more quarters."
            )
        quarters = np.asarray(pidx.quarter)
        return (quarters[:, None] == np.arange(2, 5)[None, :]).astype(float), (
            " plus 3 quarter-of-year indicators"
        )
    period = SEASON_LENGTH.get(freq[:1])
    if period is None:
        raise InvalidInputError(
            f"Fourier seasonality needs a weekly, monthly or quarterly series; this series is "
            f"{_frequency_words(freq)}. Use seasonality 'none'."
        )
    if not 1 <= harmonics <= period // 2:
        raise InvalidInputError(
            f"harmonics must be between 1 and {period // 2} for this series; got {harmonics}."
        )
    if n < period + 2 * harmonics:
        raise TooFewPeriodsError(
            f"Fourier seasonality with {harmonics} harmonic pair(s) needs at least one full "
            f"year plus {2 * harmonics} periods ({period + 2 * harmonics}); the series has {n}."
        )
    position = np.asarray(season_position(pidx), dtype=float)
    cols = []
    for j in range(1, harmonics + 1):
        angle = 2.0 * math.pi * j * position / period
        cols += [np.sin(angle), np.cos(angle)]
    if 2 * harmonics == period:
        # The last pair of an even period: its sine, sin(pi * position), is zero at every
        # period, so drop it and keep the cosine (+1, -1 alternating), which the full basis
        # (equal to the season indicators) needs.
        del cols[-2]
    return np.column_stack(cols), (
        f" plus {harmonics} Fourier harmonic pair(s) of the {period}-period year"
    )


def season_position(pidx: pd.PeriodIndex) -> np.ndarray:
    freq = pidx.freqstr[:1]
    if freq == "M":
        return np.asarray(pidx.month) - 1
    if freq == "Q":
        return np.asarray(pidx.quarter) - 1
    return np.asarray(pidx.start_time.isocalendar().week, dtype=int) - 1
