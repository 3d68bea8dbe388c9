"""Template tags shared by every app's templates."""

from __future__ import annotations

from django import template
from django.conf import settings

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
