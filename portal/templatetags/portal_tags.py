"""Template tags shared by every app's templates."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from portal import numbers

register = template.Library()


@register.simple_tag
def small_count_threshold() -> int:
    return settings.PORTAL_SMALL_COUNT_THRESHOLD


@register.simple_tag
def small_count_threshold_max() -> int:
    return settings.PORTAL_SMALL_COUNT_THRESHOLD - 1


@register.simple_tag
def suppressed_marker() -> str:
    """The neutral marker of a figure hidden to protect a small count."""
    from portal.disclosure import disclosure_policy

    return disclosure_policy().suppressed_marker


@register.filter
def get_item(mapping: dict, key: str):
    """Dictionary lookup in templates: ``{{ counts|get_item:code }}``."""
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def measure(value: Any) -> str:
    """A rate or mean to three significant figures: ``{{ 59.1333|measure }}`` -> "59.1"."""
    return numbers.format_measure(value)


@register.filter
def reader_number(value: Any) -> str:
    """Any table cell (see ``portal.numbers``): whole numbers as counts (``20.0`` -> "20"),
    other numbers as measures (``59.1333`` -> "59.1"), text such as "<10" unchanged."""
    return numbers.format_count(value)


@register.filter
def ratio(value: Any) -> str:
    """A ratio to two decimals: ``{{ 1.0653|ratio }}`` -> "1.07"."""
    return numbers.format_ratio(value)


@register.filter
def ratio_change(value: Any) -> str:
    """The change a ratio means: ``{{ 1.0653|ratio_change }}`` -> "a 6.5% rise"."""
    return numbers.ratio_change(value)
