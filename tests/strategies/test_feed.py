"""The Atom feed of newly published strategies."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from strategies.models import StrategyPage
from tests import factories

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def test_feed_lists_published_strategies_newest_first(client, strategy_index, site_a):
    old = factories.strategy_page_for(site_a, parent=strategy_index, title="Older strategy")
    new = factories.strategy_page_for(site_a, parent=strategy_index, title="Newer strategy")
    factories.strategy_page_for(site_a, parent=strategy_index, title="Unpublished", publish=False)
    StrategyPage.objects.filter(pk=old.pk).update(
        first_published_at=timezone.now() - timezone.timedelta(days=30)
    )

    response = client.get("/strategies/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Newer strategy", "Older strategy"]
    first = entries[0]
    assert first.find(f"{ATOM}link").get("href") == f"http://testserver{new.url}"
    assert first.find(f"{ATOM}summary").text == new.summary
    assert first.find(f"{ATOM}author/{ATOM}name").text == site_a.name
    assert first.find(f"{ATOM}category").get("term") == new.strategy_types.first().name


def test_feed_is_linked_from_every_page(client, strategy_index):
    html = client.get("/strategies/").content.decode()
    assert 'type="application/atom+xml"' in html
    assert 'href="/strategies/feed/"' in html


def test_empty_feed_is_valid(client, strategy_index):
    feed = ET.fromstring(client.get("/strategies/feed/").content)
    assert feed.findall(f"{ATOM}entry") == []
