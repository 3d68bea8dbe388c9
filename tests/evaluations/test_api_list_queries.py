"""Lists of analyses (the API's and the public pages') read in a number of queries that does
not grow with the number of analyses."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.evaluations.analysis_helpers import make_analysis

pytestmark = pytest.mark.django_db


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize("who", ["anonymous", "contributor_a", "bja_user"])
def test_list_queries_do_not_grow_with_the_rows(client, site_a, who, request):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    make_analysis(site=site_a, design="pre_post", title="one")
    client.get("/api/v1/analyses/")  # the session's first request saves it: not measured
    few, body = _queries(client, "/api/v1/analyses/")
    assert body["count"] == 1
    for k in range(4):
        make_analysis(site=site_a, design="pre_post", title=f"more {k}")
    many, body = _queries(client, "/api/v1/analyses/")
    assert body["count"] == 5
    assert many == few


def test_list_withdraws_for_the_public_only(client, site_a, contributor_a):
    from evaluations.models import OutcomeObservation

    kept = make_analysis(site=site_a, design="pre_post", title="kept")
    OutcomeObservation.objects.filter(site=site_a).update(is_published=False)
    ids = [item["id"] for item in client.get("/api/v1/analyses/").json()["items"]]
    assert kept.pk not in ids
    client.force_login(contributor_a)
    ids = [item["id"] for item in client.get("/api/v1/analyses/").json()["items"]]
    assert kept.pk in ids


@pytest.mark.parametrize(
    "url", ["/evaluations/", "/evaluations/?format=csv", "/compare/?metric=nonfatal_shootings"]
)
def test_public_list_queries_do_not_grow_with_the_rows(client, site_a, settings, url):
    settings.PORTAL_PAGE_CACHE_SECONDS = 0  # measure the page itself, not the page cache
    counts = []
    for k in range(3):
        make_analysis(site=site_a, design="pre_post", title=f"result {k}")
        client.get(url)  # the first read of a new result stores its public version
        counts.append(_count(client, url))
    assert counts[0] == counts[1] == counts[2]


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_a_corrected_analysis_leaves_the_public_list_as_it_leaves_its_page(client, site_a):
    """A published value corrected in place makes the approved result stale: the detail
    answers 410 to the public, and the list must not name the analysis either."""
    from evaluations.analyses.services import analyses_mark_stale
    from evaluations.models import OutcomeObservation

    analysis = make_analysis(site=site_a, design="pre_post", title="corrected")
    first = OutcomeObservation.objects.filter(site=site_a, area="Zone 3").earliest("period_start")
    OutcomeObservation.objects.filter(pk=first.pk).update(value=first.value + 7)
    analyses_mark_stale(site=site_a, metric_codes=[analysis.metric.code], areas=None)
    assert analysis.results.get(is_current=True).status == "stale"
    assert client.get(f"/api/v1/analyses/{analysis.pk}/").status_code == 410
    ids = [item["id"] for item in client.get("/api/v1/analyses/").json()["items"]]
    assert analysis.pk not in ids
