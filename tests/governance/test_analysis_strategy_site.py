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


# Research partners analyse every site's data but read no drafts: they link analyses to a
# site's published strategies only, and a draft linked by the site's own contributor is not
# named to them, nor to the public (result page, /compare/).

METRIC = "shots_fired_calls"


def _spec(site, **extra) -> dict:
    return {
        "site": site.slug,
        "design": "did",
        "metric": METRIC,
        "treatment_area": "Zone 3",
        "comparison_areas": ["Zone 1", "Zone 2"],
        "intervention_date": "2022-01-01",
        **extra,
    }


@pytest.fixture
def site_b_data(site_b):
    from tests.evaluations.analysis_helpers import make_analysis

    return make_analysis(site=site_b, metric_code=METRIC, title="Bravo public result")


def test_a_research_partner_links_only_published_strategies(
    client, research_user, site_b, site_b_data, strategy_b, strategy_index
):
    live = factories.strategy_page_for(site_b, parent=strategy_index, title="Bravo live plan")
    client.force_login(research_user)
    ids = (strategy_b.pk, strategy_b.pk + 9999)
    answers = [
        client.post("/api/v1/analyses/", _spec(site_b, strategy_id=i), "application/json")
        for i in ids
    ]
    assert [a.status_code for a in answers] == [400, 400]
    details = [a.json()["detail"].replace(str(i), "N") for a, i in zip(answers, ids, strict=True)]
    assert details[0] == details[1]  # a draft's id answers as an unknown one
    assert "published strategy" in details[0] and "Bravo" not in details[0]
    assert not Analysis.objects.filter(strategy=strategy_b).exists()

    created = client.post(
        "/api/v1/analyses/", _spec(site_b, strategy_id=live.pk), "application/json"
    )
    assert created.status_code == 201
    assert Analysis.objects.get(pk=created.json()["id"]).strategy_id == live.pk

    form = client.get(f"/admin/analyses/new/?source={site_b.pk}:{site_b_data.metric_id}")
    assert form.status_code == 200
    html = form.content.decode()
    assert "Bravo live plan" in html and "Bravo unpublished plan" not in html


def test_the_sites_contributor_may_still_link_its_draft(
    client, contributor_b, site_b, site_b_data, strategy_b
):
    client.force_login(contributor_b)
    form = client.get(f"/admin/analyses/new/?source={site_b.pk}:{site_b_data.metric_id}")
    assert "Bravo unpublished plan" in form.content.decode()
    created = client.post(
        "/api/v1/analyses/", _spec(site_b, strategy_id=strategy_b.pk), "application/json"
    )
    assert created.status_code == 201


def test_a_draft_linked_by_its_site_is_named_to_no_one_else(
    client, research_user, contributor_b, bja_user, site_b, site_b_data, strategy_b
):
    from evaluations.analyses.services import analysis_publish

    analysis = site_b_data
    Analysis.objects.filter(pk=analysis.pk).update(strategy=strategy_b)
    analysis.refresh_from_db()
    analysis_publish(user=bja_user, analysis=analysis)

    client.force_login(contributor_b)
    assert (
        "Bravo unpublished plan" in client.get(f"/admin/analyses/{analysis.pk}/").content.decode()
    )
    client.force_login(research_user)
    admin = client.get(f"/admin/analyses/{analysis.pk}/").content.decode()
    assert "Bravo unpublished plan" not in admin and "not yet published" in admin
    client.logout()
    for url in (
        f"/evaluations/analyses/{analysis.pk}/",
        f"/compare/?metric={METRIC}",
        f"/compare/?metric={METRIC}&format=csv",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Bravo unpublished plan" not in response.content.decode(), url

    # Once the strategy is published, the public sees its (live) title.
    strategy_b.save_revision().publish()
    response = client.get(f"/compare/?metric={METRIC}&format=csv")
    assert "Bravo unpublished plan" in response.content.decode()
