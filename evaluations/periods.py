"""What length of period a row covers: the one definition the upload checks and the analyses
share. The portal analyses 7-day weeks and whole calendar months, quarters and years; any
other length (a day, a fortnight, a 28-day CompStat period) is none of them, however close
its number of days is to a month's."""

from __future__ import annotations

import pandas as pd

__all__ = ["CALENDAR_LENGTHS", "calendar_lengths"]

# Length code -> months a period of that length spans (weeks: none).
CALENDAR_LENGTHS = {"W": 0, "M": 1, "Q": 3, "Y": 12}


def calendar_lengths(starts: pd.Series, ends: pd.Series) -> pd.Series:
    """For each row, "W" (7 days), "M", "Q" or "Y" (from its first day to the day before the
    same day-of-month 1, 3 or 12 months later), else ``None``. ``starts`` and ``ends`` are
    datetime Series on the same index, both days inclusive."""
    out = pd.Series([None] * len(starts), index=starts.index, dtype=object)
    days = (ends - starts).dt.days + 1
    out[days == 7] = "W"
    for code, months in CALENDAR_LENGTHS.items():
        if months == 0:
            continue
        stop = starts + pd.DateOffset(months=months) - pd.Timedelta(days=1)
        out[(ends == stop) & out.isna()] = code
    return out
