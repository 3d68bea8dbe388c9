"""Numbers as readers see them, in one place: pages, finding sentences and CSV downloads.

Pure functions (no Django): the template filters in ``portal_tags`` (``reader_number``,
``measure``, ``ratio``, ``ratio_change``) and Python callers use the same rules.

- Counts read as whole numbers with thousands separators ("1,204", never "20.0").
- Rates, means and other measured values keep three significant figures, with at most one
  decimal from 100 up and none from 1,000 up ("59.1", "0.640", "412.5", "1,235").
- A rate ratio also reads as a percentage change ("1.07 ... a 7% rise").
- CSV cells keep full precision without binary floating-point noise: ten significant
  digits, so 0.1 + 0.2 is written 0.3 and 0.639922633128505 as 0.6399226331.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

CSV_SIGNIFICANT_DIGITS = 10


def is_number(value: Any) -> bool:
    """True for a finite real number (not a bool, not a string, not NaN or infinite)."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _as_text(value: Any) -> str:
    """What a formatter shows for something that is not a finite number: text unchanged,
    nothing for None, NaN or an infinity (a missing estimate)."""
    if value is None or isinstance(value, Real):
        return ""
    return str(value)


def format_count(value: Any) -> str:
    """A count as a whole number with thousands separators: 20.0 -> "20", 1204 -> "1,204".

    A value that is not a number (a "<10" label, an empty cell) is returned as text
    unchanged; a count with a fraction (an average of counts) keeps its measure format."""
    if not is_number(value):
        return _as_text(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return format_measure(value)


def format_measure(value: Any) -> str:
    """A rate, mean or other measured value to three significant figures, with at most one
    decimal from 100 up and none from 1,000 up: 59.1333 -> "59.1", 0.63992 -> "0.640",
    412.49 -> "412.5", 1234.6 -> "1,235", -2.5 -> "−2.50" (a true minus sign).

    Whole numbers are written without decimals ("20"). Non-numbers pass through as text."""
    if not is_number(value):
        return _as_text(value)
    number = float(value)
    magnitude = abs(number)
    sign = "−" if number < 0 and magnitude >= 5e-13 else ""
    if number.is_integer():
        return f"{sign}{int(magnitude):,}"
    if magnitude >= 1000:
        return f"{sign}{magnitude:,.0f}"
    if magnitude >= 100:
        return f"{sign}{magnitude:,.1f}"
    if magnitude < 5e-13:
        return "0"
    # the decimals of the value rounded to three figures, so 9.996 reads "10.0", not "10.00"
    rounded = float(f"{magnitude:.3g}")
    if rounded >= 100:
        return f"{sign}{magnitude:,.1f}"
    decimals = max(0, 2 - math.floor(math.log10(rounded)))
    return f"{sign}{magnitude:.{decimals}f}"


def format_percent(value: float) -> str:
    """A percentage magnitude: whole numbers from 10% up, one decimal below ("7.4%", "31%")."""
    magnitude = abs(value)
    return f"{magnitude:.0f}%" if magnitude >= 9.95 else f"{magnitude:.1f}%"


def ratio_change(ratio: Any) -> str:
    """A ratio as the change it means: 1.0653 -> "a 6.5% rise", 0.69 -> "a 31% fall",
    1.0 -> "no change". Empty for a non-number."""
    if not is_number(ratio):
        return ""
    pct = (float(ratio) - 1.0) * 100.0
    magnitude = format_percent(pct)
    if magnitude in ("0.0%", "0%"):
        return "no change"
    return f"{indefinite_article(magnitude)} {magnitude} {'rise' if pct > 0 else 'fall'}"


def indefinite_article(spoken_number: str) -> str:
    """ "an" before a number read aloud with a vowel sound ("an 8% fall", "an 11% rise",
    "an 18% rise"), "a" otherwise."""
    return "an" if spoken_number.startswith(("8", "11", "18")) else "a"


def format_ratio(value: Any) -> str:
    """A ratio to two decimals ("1.07", "0.41"), three below 0.1 ("0.085")."""
    if not is_number(value):
        return _as_text(value)
    number = float(value)
    return f"{number:.3f}" if abs(number) < 0.1 else f"{number:.2f}"


def format_ratio_with_interval(
    *, label: str, estimate: float, ci_low: float, ci_high: float, confidence: str
) -> str:
    """ "Rate ratio 1.07 (95% CI 0.41 to 2.76), a 7% rise": a ratio estimate, its interval and
    the percentage change it means."""
    return (
        f"{label} {format_ratio(estimate)} ({confidence} CI {format_ratio(ci_low)} to "
        f"{format_ratio(ci_high)}), {ratio_change(estimate)}"
    )


def csv_number(value: Any) -> Any:
    """A number for a CSV cell: full precision without float noise (ten significant digits;
    integral values as integers). Anything else is returned unchanged."""
    if not is_number(value):
        return value
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return int(number)
    rounded = float(f"{number:.{CSV_SIGNIFICANT_DIGITS}g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 1e15 else rounded
