"""Template filters that read evaluation terms from their one definition."""

from __future__ import annotations

from django import template

from evaluations.directions import EffectDirection

register = template.Library()


@register.filter
def direction_label(code: str) -> str:
    """ "Improved" / "Worsened" / "No clear change" for a stored direction code ("" if none)."""
    try:
        return EffectDirection(code).label
    except ValueError:
        return ""
