"""Charts drawn on the server: the SVG every page shows before (or without) JavaScript, and the
SVG and PNG downloads beside each chart's CSV.

``vl-convert-python`` compiles the same Vega-Lite spec the browser draws and renders it with its
bundled Vega, Vega-Lite and fonts: no browser, no network. A spec holds every number it draws,
so its hash is a safe cache key: two viewers share a rendering only when they would see the
same figures (a public chart's spec carries the labels of hidden counts, never the counts).

Rendering takes tens of milliseconds once warm (``bench/chart_render_bench.py`` measures it), so
each rendering is cached by spec hash in Django's default cache.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from typing import Any, Literal
from xml.sax.saxutils import escape

import vl_convert
from django.conf import settings
from django.core.cache import cache

from evaluations.analyses.charts import ChartTable

# The width of the drawing area when no page container gives one ("container" is the page's).
STATIC_WIDTH = 640
PNG_SCALE = 2
ChartFormat = Literal["svg", "png"]
CONTENT_TYPES: dict[str, str] = {"svg": "image/svg+xml", "png": "image/png"}


def static_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The browser's spec made self-contained for a still image: a fixed width instead of the
    page container's, a white background, and no vega-embed options."""
    out = copy.deepcopy(spec)
    if out.get("width") == "container":
        out["width"] = STATIC_WIDTH
    out.pop("usermeta", None)
    out.setdefault("background", "white")
    return out


def _cache_key(spec: dict[str, Any], fmt: ChartFormat) -> str:
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"portal:chart:{vl_convert.__version__}:{fmt}:{digest}"


def _render(spec: dict[str, Any], fmt: ChartFormat) -> str | bytes:
    if fmt == "svg":
        return accessible_svg(
            vl_convert.vegalite_to_svg(spec),
            title=str(spec.get("title") or ""),
            description=str(spec.get("description") or ""),
        )
    return vl_convert.vegalite_to_png(spec, scale=PNG_SCALE)


_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def accessible_svg(svg: str, *, title: str, description: str) -> str:
    """``svg`` with an accessible name and description: ``<title>`` and ``<desc>`` first in
    the root, which names it with ``role="img"`` and ``aria-labelledby`` (the pattern screen
    readers support for a standalone SVG file; Vega's string output carries neither)."""
    match = _SVG_OPEN.search(svg)
    if match is None:
        raise ValueError("vl-convert returned no <svg> element.")
    opening = match.group(0)
    named = opening[:-1] + ' role="img" aria-labelledby="chart-title chart-desc">'
    inserted = (
        f'<title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(description)}</desc>'
    )
    return svg[: match.start()] + named + inserted + svg[match.end() :]


def chart_render(chart: ChartTable, fmt: ChartFormat) -> str | bytes:
    """``chart`` drawn as SVG text or PNG bytes (``fmt``), from the cache when the same spec
    was drawn before.

    Raises ``ValueError`` for an unknown format and vl-convert's ``ValueError`` when the spec
    is not valid Vega-Lite.
    """
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"Unknown chart format {fmt!r}: use one of {', '.join(CONTENT_TYPES)}.")
    spec = static_spec(chart.spec)
    key = _cache_key(spec, fmt)
    drawn = cache.get(key)
    if drawn is None:
        drawn = _render(spec, fmt)
        cache.set(key, drawn, timeout=getattr(settings, "PORTAL_CHART_CACHE_SECONDS", 86400))
    return drawn
