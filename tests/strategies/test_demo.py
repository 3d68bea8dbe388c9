"""The demo strategies load, are idempotent, cover every type and site, and render."""

from __future__ import annotations

import io
import re

import pytest
from django.utils.html import escape, strip_tags

import portal.demo
import strategies.demo
from portal.demo import DEMO_SITES
from strategies.demo_content import DEMO_STRATEGIES
from strategies.models import EvidenceRating, StrategyPage, StrategyType

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(roles, media_tmp):
    out = io.StringIO()
    portal.demo.load(stdout=out, verbosity=0)
    strategies.demo.load(stdout=out, verbosity=1)
    return out.getvalue()


def test_demo_strategies_cover_every_type_and_site(demo):
    pages = StrategyPage.objects.live()
    assert pages.count() == len(DEMO_STRATEGIES) >= 12
    used_types = set(pages.values_list("strategy_types__slug", flat=True))
    assert used_types == set(StrategyType.objects.values_list("slug", flat=True))
    assert set(pages.values_list("grantee_site__slug", flat=True)) == {s.slug for s in DEMO_SITES}
    n = len(DEMO_STRATEGIES)
    assert f"{n} new of {n} demo strategies" in demo


def test_demo_write_ups_are_full_length(demo):
    for page in StrategyPage.objects.live():
        words = len(re.findall(r"\w+", strip_tags(str(page.body))))
        assert words >= 330, f"{page.slug} has only {words} words"
        assert {b.block_type for b in page.body} >= {
            "problem",
            "what_we_did",
            "implementation",
            "partners",
            "results",
            "lessons",
        }


def test_most_demo_strategies_are_rated(demo):
    rated = StrategyPage.objects.filter(evidence_ratings__isnull=False).distinct().count()
    assert rated > StrategyPage.objects.count() / 2


@pytest.mark.parametrize(
    ("site", "metric_code", "ratings"),
    [
        ("harlow-county-mo", "nonfatal_shootings", {"effective"}),
        ("port-meridian-va", "nonfatal_shootings", {"inconclusive"}),
        ("ashford-county-ga", "violent_felony_incidents", {"no_effects", "inconclusive"}),
        ("bayridge-county-md", "dismissals_witness_nonappearance", {"promising"}),
        ("lakemont-oh", "days_violation_to_hearing", {"promising"}),
    ],
)
def test_demo_ratings_match_planned_evaluation_findings(demo, site, metric_code, ratings):
    rating = EvidenceRating.objects.get(page__grantee_site__slug=site, metric_code=metric_code)
    assert rating.rating in ratings
    if site == "ashford-county-ga":
        assert "pre-existing" in rating.reason


def test_demo_documents_attached(demo):
    with_documents = [
        p for p in StrategyPage.objects.live() if any(b.block_type == "document" for b in p.body)
    ]
    assert len(with_documents) >= 2
    for page in with_documents:
        document = next(b.value["document"] for b in page.body if b.block_type == "document")
        assert document.file.size > 0


def test_demo_load_twice_changes_nothing(demo):
    def snapshot():
        return (
            list(StrategyPage.objects.order_by("pk").values_list("pk", "title", "live")),
            EvidenceRating.objects.count(),
            StrategyType.objects.count(),
        )

    before = snapshot()
    out = io.StringIO()
    strategies.demo.load(stdout=out, verbosity=1)
    assert snapshot() == before
    assert "0 new of" in out.getvalue()


def test_every_demo_strategy_renders(client, demo):
    for page in StrategyPage.objects.live():
        response = client.get(page.url)
        assert response.status_code == 200, page.slug
        assert escape(page.title) in response.content.decode()
    assert client.get("/strategies/").status_code == 200
    for slug in StrategyType.objects.values_list("slug", flat=True):
        assert client.get(f"/strategies/type/{slug}/").status_code == 200


def test_done_when_gunstat_in_missouri(client, demo):
    """The issue's first step: filter to GunStat in one state and open the strategy."""
    html = client.get(
        "/strategies/?type=gun-violence-crime-analysis-gunstat&state=MO"
    ).content.decode()
    assert "Harlow County GunStat" in html
    assert "A statewide gun crime intelligence partnership" not in html
