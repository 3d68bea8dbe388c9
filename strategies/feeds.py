"""Atom feed of newly published strategies at /strategies/feed/."""

from __future__ import annotations

import datetime

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed

from strategies.models import StrategyPage
from strategies.selectors import strategies_for_feed


class StrategyFeed(Feed):
    feed_type = Atom1Feed
    title = "New strategies | Smart Prosecution (IPS)"
    link = "/strategies/"
    subtitle = "Strategies prosecutors' offices developed with IPS funding, as BJA publishes them."

    def items(self):
        return strategies_for_feed()

    def item_title(self, item: StrategyPage) -> str:
        return item.title

    def item_description(self, item: StrategyPage) -> str:
        return item.summary

    def item_link(self, item: StrategyPage) -> str:
        return item.url

    def item_pubdate(self, item: StrategyPage) -> datetime.datetime | None:
        return item.first_published_at

    def item_updateddate(self, item: StrategyPage) -> datetime.datetime | None:
        return item.last_published_at

    def item_author_name(self, item: StrategyPage) -> str:
        return item.grantee_site.name

    def item_categories(self, item: StrategyPage) -> list[str]:
        return [t.name for t in item.strategy_types.all()]
