"""What length of period a row covers: the one definition the upload checks and the analyses
share. The portal analyses 7-day weeks and whole calendar months, quarters and years (years
may be fiscal: 12 months from the 1st of any month); any other period (a day, a fortnight, a
28-day CompStat period, a month from the 15th) is none of them, however close its number of
days is to a month's."""

from __future__ import annotations

import pandas as pd

__all__ = ["CALENDAR_LENGTHS", "LENGTH_ADJECTIVES", "calendar_lengths", "length_class"]

# Length code -> months a period of that length spans (weeks: none).
CALENDAR_LENGTHS = {"W": 0, "M": 1, "Q": 3, "Y": 12}
LENGTH_ADJECTIVES = {"W": "weekly", "M": "monthly", "Q": "quarterly", "Y": "yearly"}


def length_class(days: int) -> str:
    """The nearest period length ("W", "M", "Q", "Y") to a period of ``days`` days, or to a
    series whose periods start ``days`` apart: at most 7 days a week, 31 a month, 92 a
    quarter, longer a year. Whether a period is exactly one is :func:`calendar_lengths`."""
    if days <= 7:
        return "W"
    if days <= 31:
        return "M"
    return "Q" if days <= 92 else "Y"


def calendar_lengths(starts: pd.Series, ends: pd.Series) -> pd.Series:
    """For each row, "W" (any 7 days), "M" (a calendar month, 1st to last day), "Q" (a
    calendar quarter starting in January, April, July or October), "Y" (12 months from the
    1st of a month: calendar or fiscal years), else ``None``. ``starts`` and ``ends`` are
    datetime Series on the same index, both days inclusive.

    A month from the 15th to the 14th is not a calendar month: the analyses key each period
    by its calendar month, so such a period would straddle a start date on the 1st."""
    out = pd.Series([None] * len(starts), index=starts.index, dtype=object)
    days = (ends - starts).dt.days + 1
    out[days == 7] = "W"
    first_day = starts.dt.day == 1
    quarter_month = starts.dt.month.isin([1, 4, 7, 10])
    for code, months in CALENDAR_LENGTHS.items():
        if months == 0:
            continue
        stop = starts + pd.DateOffset(months=months) - pd.Timedelta(days=1)
        aligned = first_day & (quarter_month if code == "Q" else True)
        out[(ends == stop) & aligned & out.isna()] = code
    return out
