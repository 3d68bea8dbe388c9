"""The base layout in a real browser: USWDS loads from our static files, the banner works,
the skip link is the first thing a keyboard user reaches, and the CSP blocks nothing."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_in_chromium(live_server, home_page, browser_page):
    page = browser_page
    page.goto(live_server.url + "/")
    # Keyboard users reach the skip link first, and it moves focus to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "usa-skipnav"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"
    assert (
        page.locator(".usa-banner__header-text")
        .first.inner_text()
        .startswith("An official website of the United States government")
    )
    # USWDS's stylesheet is applied (the banner gets its grey background from it).
    background = page.eval_on_selector(".usa-banner", "el => getComputedStyle(el).backgroundColor")
    assert background != "rgba(0, 0, 0, 0)"
    # The USWDS script is loaded and wired: the banner accordion opens.
    button = page.locator(".usa-banner__button")
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    page.screenshot(path="/tmp/ips-home.png", full_page=True)
    assert page.errors == [], page.errors
