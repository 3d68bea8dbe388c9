"""A rating whose stated reason rests on a finding that changed is flagged where BJA works:
on the strategy's editor and on BJA's dashboard, never for the public or contributors."""

from __future__ import annotations

import pytest

from strategies.models import EvidenceRating
from strategies.services import evidence_rating_flag, evidence_rating_set
from tests import factories

pytestmark = pytest.mark.django_db

NOTE = "The finding on non-fatal shootings changed: a 30% fall became a 12% rise (version 2)."


@pytest.fixture
def flagged(strategy_index, site_a, contributor_a):
    page = factories.strategy_page_for(
        site_a,
        parent=strategy_index,
        title="Alpha zone plan",
        owner=contributor_a,
        ratings=[("Non-fatal shootings", "effective")],
    )
    rating = EvidenceRating.objects.get(page=page)
    evidence_rating_flag(rating=rating, note=NOTE)
    return page, rating


def _body(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_bja_sees_the_flag_on_the_strategy_editor_and_the_dashboard(client, flagged, bja_user):
    page, _rating = flagged
    client.force_login(bja_user)
    editor = _body(client, f"/admin/pages/{page.pk}/edit/")
    assert "data-ratings-to-check" in editor and NOTE in editor
    assert f"/admin/strategy-ratings/{page.pk}/" in editor
    dashboard = _body(client, "/admin/")
    assert NOTE in dashboard and page.title in dashboard


def test_contributors_and_the_public_do_not_see_it(client, flagged, contributor_a):
    page, _rating = flagged
    assert NOTE not in _body(client, page.url)
    client.force_login(contributor_a)
    for url in (f"/admin/pages/{page.pk}/edit/", "/admin/", page.url):
        html = _body(client, url)
        assert NOTE not in html and "data-ratings-to-check" not in html, url


def test_rating_again_clears_the_flag_everywhere(client, flagged, bja_user):
    page, rating = flagged
    evidence_rating_set(
        user=bja_user,
        page=page,
        outcome=rating.outcome,
        rating="no_effects",
        reason="Version 2 shows no fall.",
        metric_code="nonfatal_shootings",
        rating_id=rating.pk,
    )
    client.force_login(bja_user)
    for url in (f"/admin/pages/{page.pk}/edit/", "/admin/"):
        assert "data-ratings-to-check" not in _body(client, url), url
