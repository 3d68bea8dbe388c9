"""Public routes outside the page tree (mounted before Wagtail's catch-all)."""

from django.urls import path

from strategies import views
from strategies.feeds import StrategyFeed

urlpatterns = [
    path("strategies/feed/", StrategyFeed(), name="strategies_feed"),
    path(
        "strategies/tables/<id:page_id>/<uuid:block_id>.csv",
        views.strategy_table_csv,
        name="strategies_table_csv",
    ),
    path("evidence-ratings/", views.evidence_ratings_page, name="evidence_ratings"),
]
