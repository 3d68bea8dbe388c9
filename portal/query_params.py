"""Reading numbers from URLs and query strings without trusting them.

``str.isdigit`` is true for "²" and "٣", which ``int`` then refuses or reads as a number the
visitor never meant; and a 30-digit id overflows every database integer. These helpers accept
ASCII digits only, within a bound, so a bad value is a clear 400 or 404 instead of a 500.
"""

from __future__ import annotations

import re

from django.urls import register_converter

ASCII_DIGITS = re.compile(r"[0-9]{1,18}")
DATABASE_ID_MAX = 2**63 - 1


def ascii_int(raw: str | None, *, minimum: int = 0, maximum: int = DATABASE_ID_MAX) -> int | None:
    """The whole number ``raw`` spells in ASCII digits within [minimum, maximum]; else None."""
    if raw is None or not ASCII_DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


class DatabaseIdConverter:
    """``<id:pk>`` in URLs: like ``<int:pk>`` but only ids a database can hold, so a huge
    number is a 404 instead of an overflow."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        number = ascii_int(value, minimum=0)
        if number is None:
            raise ValueError(value)  # Django then tries the next pattern, ending in a 404
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(DatabaseIdConverter, "id")  # imported once by PortalConfig.ready()
