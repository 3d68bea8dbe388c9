"""Who may see, create, run and publish analyses."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from evaluations.analyses.permissions import (
    analyses_visible_to,
    user_can_create_analysis_for,
    user_can_publish_analysis,
)
from evaluations.analyses.services import analysis_create, analysis_publish, analysis_run
from evaluations.services import observations_publish
from tests.evaluations.analyses_backend_helpers import INTERVENTION, upload_standard

pytestmark = pytest.mark.django_db


def create(user, site):
    return analysis_create(
        user=user,
        site=site,
        design="did",
        metric="nonfatal_shootings",
        treatment_area="Zone 3",
        comparison_areas=["Zone 1"],
        intervention_date=INTERVENTION,
    )


@pytest.fixture
def two_sites(site_a, site_b):
    upload_standard(site_a)
    upload_standard(site_b, seed=5)
    return site_a, site_b


def test_contributor_creates_for_own_site_only(two_sites, contributor_a):
    site_a, site_b = two_sites
    assert user_can_create_analysis_for(contributor_a, site_a)
    assert not user_can_create_analysis_for(contributor_a, site_b)
    assert create(contributor_a, site_a).created_by == contributor_a
    with pytest.raises(PermissionDenied):
        create(contributor_a, site_b)


def test_research_partner_creates_anywhere_but_cannot_publish(two_sites, research_user):
    _, site_b = two_sites
    analysis = create(research_user, site_b)
    analysis_run(analysis=analysis)
    assert not user_can_publish_analysis(research_user)
    with pytest.raises(PermissionDenied):
        analysis_publish(user=research_user, analysis=analysis)


def test_visibility(two_sites, contributor_a, contributor_b, bja_user, research_user):
    site_a, site_b = two_sites
    draft_a = create(bja_user, site_a)
    published_b = create(bja_user, site_b)
    analysis_run(analysis=published_b)
    observations_publish(site=site_b, user=bja_user)
    analysis_publish(user=bja_user, analysis=published_b)
    draft_b = create(bja_user, site_b)
    assert set(analyses_visible_to(AnonymousUser())) == {published_b}
    assert set(analyses_visible_to(contributor_a)) == {draft_a, published_b}
    assert set(analyses_visible_to(contributor_b)) == {published_b, draft_b}
    assert set(analyses_visible_to(research_user)) == {draft_a, published_b, draft_b}
    assert set(analyses_visible_to(bja_user)) == {draft_a, published_b, draft_b}
    assert not user_can_create_analysis_for(AnonymousUser(), site_a)
