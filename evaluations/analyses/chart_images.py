"""Charts as image files (SVG, PNG), rendered on the server from the same Vega-Lite spec the
page draws with vega-embed, so a downloaded picture shows exactly what the page and its table
show. Rendering uses ``vl-convert-python`` (Vega's own renderer compiled into a wheel; no
browser, no network)."""

from __future__ import annotations

import copy
from typing import Any

try:
    import vl_convert
except ImportError:  # pragma: no cover - an install without the optional renderer
    vl_convert = None

IMAGE_FORMATS: dict[str, str] = {"svg": "image/svg+xml", "png": "image/png"}
# A page chart stretches to its container; a file needs a fixed width in pixels.
IMAGE_WIDTH = 720
PNG_SCALE = 2
VEGA_LITE_VERSION = "6"


class ChartRendererMissing(RuntimeError):
    """The server has no chart renderer installed (``pip install vl-convert-python``)."""


def _static_spec(spec: dict[str, Any]) -> dict[str, Any]:
    fixed = copy.deepcopy(spec)
    if fixed.get("width") == "container":
        fixed["width"] = IMAGE_WIDTH
    fixed.pop("usermeta", None)
    return fixed


def chart_image(spec: dict[str, Any], file_format: str) -> bytes:
    """The chart of ``spec`` as SVG (UTF-8 bytes) or PNG (twice the pixel density).

    Raises ``ValueError`` for another format and ``ChartRendererMissing`` when the renderer
    is not installed."""
    if file_format not in IMAGE_FORMATS:
        raise ValueError(f"Charts download as {' or '.join(IMAGE_FORMATS)}, not {file_format!r}.")
    if vl_convert is None:
        raise ChartRendererMissing(
            "This server cannot draw charts as files: install vl-convert-python."
        )
    static = _static_spec(spec)
    version = _version_key()
    if file_format == "svg":
        return vl_convert.vegalite_to_svg(static, vl_version=version).encode("utf-8")
    return vl_convert.vegalite_to_png(static, vl_version=version, scale=PNG_SCALE)


def _version_key() -> str:
    """The renderer's name for the newest Vega-Lite 6 it bundles (e.g. "6.1")."""
    names = [v for v in vl_convert.get_vegalite_versions() if v.startswith(VEGA_LITE_VERSION)]
    return names[-1] if names else vl_convert.get_vegalite_versions()[-1]
