"""Template filters that read strategy terms from their one definition."""

from __future__ import annotations

from django import template

from strategies.choices import Rating

register = template.Library()


@register.filter
def rating_label(code: str) -> str:
    """The evidence rating's label ("Effective", "Not yet rated"...) for its stored code; an
    unknown or empty code reads as not yet rated."""
    try:
        return Rating(code).label
    except ValueError:
        return Rating.NOT_RATED.label
