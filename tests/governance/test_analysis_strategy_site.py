"""An analysis can only be tied to a strategy of its own site, through the API or the service."""

from __future__ import annotations

import datetime as dt

import pytest

from evaluations.analyses.services import AnalysisSpecError, analysis_create
from evaluations.models import Analysis
from portal.api_auth import api_token_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def strategy_b(strategy_index, site_b):
    return factories.strategy_page_for(
        site_b, parent=strategy_index, title="Bravo unpublished plan", publish=False
    )


def test_the_api_refuses_another_sites_strategy(client, site_a, contributor_a, strategy_b):
    _token, plaintext = api_token_create(user=contributor_a, name="script")
    response = client.post(
        "/api/v1/analyses/",
        {
            "site": site_a.slug,
            "design": "did",
            "metric": "nonfatal_shootings",
            "treatment_area": "Zone 3",
            "comparison_areas": ["Zone 1"],
            "intervention_date": "2023-01-01",
            "strategy_id": strategy_b.pk,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {plaintext}",
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "own site" in detail and "Bravo" not in detail
    assert not Analysis.objects.exists()


def test_the_service_refuses_another_sites_strategy(site_a, contributor_a, strategy_b):
    with pytest.raises(AnalysisSpecError, match="own site"):
        analysis_create(
            user=contributor_a,
            site=site_a,
            design="did",
            metric="nonfatal_shootings",
            treatment_area="Zone 3",
            comparison_areas=["Zone 1"],
            intervention_date=dt.date(2023, 1, 1),
            strategy=strategy_b,
        )
    assert not Analysis.objects.exists()


def test_another_sites_strategy_ids_answer_alike_whether_they_exist(
    client, contributor_a, site_b, strategy_b
):
    """Naming site B itself: its draft's id and an unknown id get the same 403, no oracle."""
    _token, plaintext = api_token_create(user=contributor_a, name="script")
    answers = []
    for strategy_id in (strategy_b.pk, strategy_b.pk + 9999):
        response = client.post(
            "/api/v1/analyses/",
            {
                "site": site_b.slug,
                "design": "did",
                "metric": "nonfatal_shootings",
                "treatment_area": "Zone 3",
                "comparison_areas": ["Zone 1"],
                "intervention_date": "2023-01-01",
                "strategy_id": strategy_id,
            },
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {plaintext}",
        )
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 403
    assert not Analysis.objects.exists()
