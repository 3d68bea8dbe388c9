"""The analysis admin: the create form offers only what the data supports; run; publish."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import Analysis, OutcomeMetric
from evaluations.services import observations_publish
from tests.evaluations.analyses_backend_helpers import series_rows, upload_rows, upload_standard

pytestmark = pytest.mark.django_db


def source(site, code="nonfatal_shootings") -> str:
    return f"{site.pk}:{OutcomeMetric.objects.get(code=code).pk}"


def test_step_one_lists_only_own_sites_with_data(client, site_a, site_b, contributor_a):
    upload_standard(site_a)
    upload_standard(site_b, seed=3)
    client.force_login(contributor_a)
    page = client.get(reverse("analyses_admin:create")).content.decode()
    assert f'value="{source(site_a)}"' in page
    assert f'value="{source(site_a, "days_violation_to_hearing")}"' in page
    assert f'value="{source(site_b)}"' not in page
    assert 'value="' + source(site_a, "homicides") + '"' not in page  # no data for it
    # A forged choice for another site's data is rejected, not rendered as step 2.
    response = client.get(reverse("analyses_admin:create"), {"source": source(site_b)})
    assert response.status_code == 400 and b"Step 1 of 2" in response.content


def test_step_two_offers_only_supported_choices(client, site_a, bja_user):
    upload_standard(site_a)
    client.force_login(bja_user)
    page = client.get(reverse("analyses_admin:create"), {"source": source(site_a)}).content.decode()
    for area in ("Zone 1", "Zone 2", "Zone 3"):
        assert f'value="{area}"' in page
    assert 'value="2022-01-01"' in page and 'value="2019-12-01"' not in page
    assert "disabled" not in page.split('name="design"')[1][:200]
    assert "Interrupted time series with comparison" in page
    for label in ("Difference-in-differences", "Interrupted time series with comparison"):
        assert page.count(label) == 1, f"{label!r} is repeated in the design choices"


def test_designs_needing_comparison_are_disabled_without_comparison_data(
    client, site_a, contributor_a
):
    rows = series_rows("homicides", "Countywide", "treatment", [3.0, 4.0, 2.0, 5.0] * 6)
    upload_rows(site_a, rows)
    client.force_login(contributor_a)
    page = client.get(
        reverse("analyses_admin:create"), {"source": source(site_a, "homicides")}
    ).content.decode()
    did = page.split('value="did"')[1].split(">")[0]
    its = page.split('value="its"')[1].split(">")[0]
    assert "disabled" in did and "disabled" not in its
    assert "no comparison-area data" in page


def test_create_run_and_publish(client, site_a, contributor_a, bja_user, research_user):
    upload_standard(site_a)
    client.force_login(contributor_a)
    url = reverse("analyses_admin:create") + f"?source={source(site_a)}"
    form = {
        "design": "did",
        "treatment_area": "Zone 3",
        "comparison_areas": ["Zone 1", "Zone 2"],
        "intervention_date": "2022-01-01",
        "cov": "HC1",
        "run_now": "on",
    }
    bad = client.post(url, form | {"design": "did", "comparison_areas": []})
    assert bad.status_code == 400 and b"needs at least one comparison area" in bad.content
    response = client.post(url, form)
    analysis = Analysis.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("analyses_admin:detail", args=[analysis.pk])
    # on_commit does not fire inside the test transaction: the run button queues it again
    # and the test runs the queued work the way the immediate backend would.
    from evaluations.analyses.services import analysis_run

    analysis_run(analysis=analysis)
    page = client.get(response.url).content.decode()
    publish_url = reverse("analyses_admin:publish", args=[analysis.pk])
    assert "Re-run" in page and publish_url not in page  # contributors do not publish
    assert str(round(analysis.current_result.result["estimate"], 3)) in page
    refused = client.post(publish_url, {"action": "publish"})
    assert refused.status_code in (302, 403)  # Wagtail redirects a PermissionDenied
    analysis.refresh_from_db()
    assert not analysis.is_published

    client.force_login(bja_user)
    assert publish_url in client.get(response.url).content.decode()
    # the run used unpublished data: publishing the analysis waits for the data
    client.post(reverse("analyses_admin:publish", args=[analysis.pk]), {"action": "publish"})
    analysis.refresh_from_db()
    assert not analysis.is_published
    observations_publish(site=site_a, user=bja_user)
    client.post(reverse("analyses_admin:publish", args=[analysis.pk]), {"action": "publish"})
    analysis.refresh_from_db()
    assert analysis.is_published
    client.post(reverse("analyses_admin:publish", args=[analysis.pk]), {"action": "unpublish"})
    analysis.refresh_from_db()
    assert not analysis.is_published

    client.force_login(research_user)
    index = client.get(reverse("analyses_admin:index")).content.decode()
    assert analysis.title in index


def test_run_button_queues_and_runs(
    client, site_a, contributor_a, django_capture_on_commit_callbacks
):
    upload_standard(site_a)
    from evaluations.analyses.services import analysis_create
    from tests.evaluations.analyses_backend_helpers import INTERVENTION

    analysis = analysis_create(
        user=contributor_a,
        site=site_a,
        design="its",
        metric="nonfatal_shootings",
        treatment_area="Zone 3",
        comparison_areas=[],
        intervention_date=INTERVENTION,
    )
    client.force_login(contributor_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("analyses_admin:run", args=[analysis.pk]))
    analysis.refresh_from_db()
    assert analysis.status == "succeeded"


def test_failed_run_shows_the_message(client, site_a, bja_user):
    rows = series_rows("days_violation_to_hearing", "Zone 3", "treatment", [30.0] * 24)
    upload_rows(site_a, rows)
    from evaluations.analyses.services import analysis_create, analysis_run

    analysis = analysis_create(
        user=bja_user,
        site=site_a,
        design="its",
        metric="days_violation_to_hearing",
        treatment_area="Zone 3",
        comparison_areas=[],
        intervention_date=__import__("datetime").date(2021, 1, 1),
    )
    result = analysis_run(analysis=analysis)
    client.force_login(bja_user)
    page = client.get(reverse("analyses_admin:detail", args=[analysis.pk])).content.decode()
    assert "The run failed" in page and result.error.split(";")[0][:40] in page


def test_intervention_choices_follow_weekly_and_quarterly_period_starts(site_a, bja_user):
    """Weekly series offer their week starts (here Mondays) and quarterly series their
    quarter starts; a date that is not a period start gets a clear error."""
    import datetime as dt

    from evaluations.analyses.forms import AnalysisForm

    monday = dt.date(2024, 1, 1)
    weekly = [
        f"nonfatal_shootings,Weekly zone,treatment,{monday + dt.timedelta(weeks=i)},"
        f"{monday + dt.timedelta(weeks=i, days=6)},{10 + i % 3},,,,"
        for i in range(30)
    ]
    quarters = [dt.date(2019 + i // 4, 1 + 3 * (i % 4), 1) for i in range(16)]
    quarterly = [
        f"homicides,Quarterly zone,treatment,{q},"
        f"{(q.replace(day=28) + dt.timedelta(days=70)).replace(day=1) - dt.timedelta(days=1)},"
        f"{5 + i % 4},,,,"
        for i, q in enumerate(quarters)
    ]
    upload_rows(site_a, weekly, name="weekly.csv")
    upload_rows(site_a, quarterly, name="quarterly.csv")

    def form(code, start):
        metric = OutcomeMetric.objects.get(code=code)
        return AnalysisForm(
            data={"design": "its", "intervention_date": start}, site=site_a, metric=metric
        )

    week = form("nonfatal_shootings", "2024-03-04")
    offered = dict(week.fields["intervention_date"].choices)
    assert offered["2024-03-04"] == "Week of 4 March 2024"
    assert "2024-03-01" not in offered and "2024-03-06" not in offered
    quarter = form("homicides", "2021-04-01")
    offered = dict(quarter.fields["intervention_date"].choices)
    assert offered["2021-04-01"] == "Q2 2021 (from 1 April 2021)"
    assert "2021-05-01" not in offered
    wrong = form("homicides", "2021-05-01")
    assert not wrong.is_valid()
    assert "2021-05-01 is not the first day of a period" in str(wrong.errors["intervention_date"])
