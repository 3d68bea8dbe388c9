"""A journey through the synthesis pages in a real browser: from the sites list to an office's
profile, on to an office like it, then the evidence gap map and from one of its cells to the
comparison behind it. No console errors (the CSP blocks nothing) on the way."""

from __future__ import annotations

import pytest

from strategies.models import StrategyType
from tests import factories
from tests.evaluations.analysis_helpers import make_analysis

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GUNSTAT = "gun-violence-crime-analysis-gunstat"


def test_profile_similar_office_and_evidence_map(
    live_server, strategy_index, site_a, site_b, browser_page
):
    gunstat = StrategyType.objects.get(slug=GUNSTAT)
    for site, seed in ((site_a, 1), (site_b, 2)):
        page = factories.strategy_page_for(
            site, parent=strategy_index, title=f"{site.name} GunStat", types=[gunstat]
        )
        make_analysis(
            site=site, design="its_with_comparison", strategy=page, seed=seed,
            title=f"{site.name} shootings",
        )  # fmt: skip
    page = browser_page
    page.goto(live_server.url + "/sites/")
    page.get_by_role("link", name="Site A Prosecutor").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Site A Prosecutor"
    similar = page.locator("section[aria-labelledby=similar-heading]")
    assert "also works on Gun violence crime analysis (GunStat)" in similar.inner_text()
    similar.get_by_role("link", name="Site B Prosecutor").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Site B Prosecutor"
    assert "Site B Prosecutor shootings" in page.locator("#analyses-heading + ul").inner_text()

    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Evidence map"
    ).click()
    table = page.get_by_role("table", name="Published results by strategy type")
    row = table.get_by_role("row").filter(has_text="Gun violence crime analysis (GunStat)")
    row.get_by_role("link", name="2 results").click()
    assert "/compare/" in page.url and f"strategy_type={GUNSTAT}" in page.url
    assert "Pooled estimate of 2 results" in page.content()
    assert page.errors == [], page.errors
