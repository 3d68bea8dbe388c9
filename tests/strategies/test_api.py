"""The read-only strategies API follows the public listing's filters."""

from __future__ import annotations

import pytest

from strategies.models import StrategyType
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_strategies(strategy_index, site_a, site_b):
    gunstat = StrategyType.objects.get(slug="gun-violence-crime-analysis-gunstat")
    cyber = StrategyType.objects.get(slug="cybercrime")
    rated = factories.strategy_page_for(
        site_a,
        parent=strategy_index,
        title="Rated GunStat",
        types=[gunstat],
        ratings=[("Non-fatal shootings", "effective")],
    )
    factories.strategy_page_for(site_b, parent=strategy_index, title="Cyber unit", types=[cyber])
    factories.strategy_page_for(site_a, parent=strategy_index, title="Draft", publish=False)
    return rated


def test_lists_published_strategies_with_ratings(client, two_strategies, site_a):
    body = client.get("/api/v1/strategies/?sort=az").json()
    assert body["count"] == 2
    assert [s["title"] for s in body["results"]] == ["Cyber unit", "Rated GunStat"]
    rated = body["results"][1]
    assert rated["site"] == site_a.slug
    assert rated["url"] == two_strategies.url
    assert rated["overall_rating"] == "effective"
    assert rated["evidence_ratings"][0]["rating_label"] == "Effective"
    assert rated["strategy_types"] == ["gun-violence-crime-analysis-gunstat"]


def test_filters_and_paging(client, two_strategies):
    body = client.get("/api/v1/strategies/?rating=effective").json()
    assert [s["title"] for s in body["results"]] == ["Rated GunStat"]
    body = client.get("/api/v1/strategies/?sort=az&limit=1&offset=1").json()
    assert body["count"] == 2
    assert [s["title"] for s in body["results"]] == ["Rated GunStat"]


def test_bad_filters_are_400_with_reasons(client, two_strategies):
    response = client.get("/api/v1/strategies/?state=ZZ&sort=random")
    assert response.status_code == 400
    assert len(response.json()["detail"]) == 2
