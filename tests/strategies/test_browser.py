"""/strategies/ in a real Chromium: tick filters, submit, open a strategy; no CSP errors."""

from __future__ import annotations

import pytest

from strategies.models import StrategyType
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_filter_and_open_a_strategy(live_server, strategy_index, site_a, site_b, browser_page):
    gunstat = StrategyType.objects.get(slug="gun-violence-crime-analysis-gunstat")
    witness = StrategyType.objects.get(slug="witness-intimidation")
    factories.strategy_page_for(
        site_a,
        parent=strategy_index,
        title="Weekly shooting review",
        types=[gunstat],
        ratings=[("Non-fatal shootings", "effective")],
    )
    factories.strategy_page_for(
        site_b, parent=strategy_index, title="Witness safety unit", types=[witness]
    )
    page = browser_page
    page.goto(live_server.url + "/strategies/")
    assert page.locator(".usa-collection__heading").count() == 2
    # USWDS hides the real checkbox; its label is what a person clicks.
    page.click(f"label[for='type-{gunstat.slug}']")
    page.select_option("#id_sort", "rating")
    page.click("button:has-text('Apply filters')")
    page.wait_for_load_state()
    assert f"type={gunstat.slug}" in page.url
    headings = page.locator(".usa-collection__heading")
    assert headings.all_inner_texts() == ["Weekly shooting review"]
    headings.first.locator("a").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Weekly shooting review"
    assert page.locator(".portal-badge--effective").first.inner_text() == "Effective"
    assert page.errors == [], page.errors
