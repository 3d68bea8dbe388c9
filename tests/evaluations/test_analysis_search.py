"""Published analyses are searchable; unpublished ones are not, and unpublishing drops them."""

from __future__ import annotations

import pytest

from evaluations.models import Analysis
from tests.evaluations.analysis_helpers import make_analysis, publish_rows

pytestmark = pytest.mark.django_db


def search(client, **params):
    response = client.get("/api/v1/search/", {"type": "analysis", **params})
    assert response.status_code == 200
    return response.json()["results"]


def test_published_found_unpublished_not(
    client, site_a, site_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        shown = make_analysis(site=site_a, metric_code="homicides", title="Homicides published")
        hidden = make_analysis(
            site=site_b, metric_code="homicides", published=False, title="Homicides draft"
        )
    results = search(client, metric="homicides")
    assert [r["id"] for r in results] == [str(shown.pk)]
    assert results[0]["url"] == shown.get_absolute_url()
    assert results[0]["finding"].startswith("Homicides in Zone 3")
    assert results[0]["design"] == "did"

    # a public analysis rests on published data only: the site publishes it first
    publish_rows(site_b, hidden.metric, hidden.current_result.data)
    with django_capture_on_commit_callbacks(execute=True):
        # Publishing approves the version it makes public (as ``analysis_publish`` does).
        hidden.results.update(review_status="approved")
        hidden.is_published = True
        hidden.save()
        shown.is_published = False
        shown.save()
    assert [r["id"] for r in search(client, metric="homicides")] == [str(hidden.pk)]


def test_new_result_reindexes(client, site_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        analysis = make_analysis(site=site_a, status="queued")
    assert search(client, metric="nonfatal_shootings") == []
    from tests.evaluations.analysis_helpers import compute, make_rows

    rows = make_rows(design="did", kind="count")
    with django_capture_on_commit_callbacks(execute=True):
        analysis.results.create(
            status="succeeded",
            is_current=True,
            result=compute("did", "count", rows),
            data=rows,
            review_status="approved",
        )
        Analysis.objects.filter(pk=analysis.pk).update(status="succeeded")
    assert [r["id"] for r in search(client, metric="nonfatal_shootings")] == [str(analysis.pk)]
