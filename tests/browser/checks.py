"""What every browser journey checks on each page it visits: axe-core finds no serious or
critical accessibility violation, and the page does not scroll sideways. Also where journeys
leave their screenshots."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
WIDTHS = (375, 1280)

_AXE_RUN = """async (exclude) => {
  const context = exclude.length
    ? {include: [document], exclude: exclude.map((s) => [s])}
    : document;
  const result = await axe.run(context, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
    }));
}"""


def axe_enable(context) -> None:
    """Load axe-core (from npm, only in tests) into every page the context opens. An init
    script runs before the page's own scripts and is not subject to its CSP."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make install) to get axe-core.")
    context.add_init_script(path=str(AXE))


# Before axe runs, wait (at most 3 s, polled from Playwright, which enforces the timeout) for
# the page's finite CSS animations and transitions to end: a message still fading in has a
# colour contrast no reader sees once it has arrived (Wagtail's admin messages fade in over
# 0.5 s), and axe would report that passing state. Endless animations (spinners) are ignored.
_AT_REST = """() => document.getAnimations().every(
  (a) => a.playState !== "running" || !a.effect
    || a.effect.getComputedTiming().endTime === Infinity
)"""


def axe_violations(page, exclude: tuple[str, ...] = ()) -> list[dict]:
    """Serious and critical axe-core violations on the page once its animations have ended,
    leaving out the elements matching the CSS selectors in ``exclude``."""
    # still animating after 3 s: check it as it is
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(_AT_REST, polling=100, timeout=3000)
    return page.evaluate(_AXE_RUN, list(exclude))


def sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


def page_checks(page, label: str, exclude: tuple[str, ...] = ()) -> None:
    """axe-core and no sideways scrolling at both widths, then back to desktop width."""
    violations = axe_violations(page, exclude)
    assert violations == [], f"{label}: {violations}"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        overflow = sideways_overflow(page)
        assert overflow == 0, f"{label} at {width} px is {overflow} px too wide"
    page.set_viewport_size({"width": 1280, "height": 900})


def screenshot(page, name: str) -> Path:
    """A full-page screenshot of a journey's last step, in the git-ignored artifacts folder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
