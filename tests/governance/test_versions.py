"""Versioned findings: a re-run of a published analysis waits for BJA's review, the public
keeps the approved version, ratings resting on a changed finding are flagged, and identical
inputs never queue a second run."""

from __future__ import annotations

import datetime as dt

import pytest
from wagtail.log_actions import registry as log_registry

from evaluations.analyses import selectors
from evaluations.analyses.services import (
    VersionReviewRefused,
    analyses_mark_stale,
    analysis_create,
    analysis_publish,
    analysis_run,
    analysis_version_review,
)
from evaluations.analyses.versions import version_comparison, version_summary
from evaluations.models import AnalysisResult
from evaluations.selectors import public_cells_as_approved
from evaluations.services import observations_publish, observations_unpublish
from strategies.services import evidence_rating_set
from tests import factories
from tests.evaluations.helpers import csv_bytes, month_rows, upload

pytestmark = pytest.mark.django_db

METRIC = "nonfatal_shootings"


TREATMENT_2022 = [20, 22, 19, 21, 20, 23, 22, 20, 21, 19, 22, 21]
COMPARISON_2022 = [18, 19, 20, 18, 21, 19, 20, 18, 19, 20, 21, 19]
COMPARISON_2023 = [19, 18, 20, 19, 18, 20, 19, 21, 18, 19, 20, 18]


def _series(treatment_2023: list[int]) -> bytes:
    rows = [
        *month_rows(METRIC, "Zone 3", "treatment", TREATMENT_2022, 2022),
        *month_rows(METRIC, "Zone 3", "treatment", treatment_2023, 2023),
        *month_rows(METRIC, "Zone 1", "comparison", COMPARISON_2022, 2022),
        *month_rows(METRIC, "Zone 1", "comparison", COMPARISON_2023, 2023),
    ]
    return csv_bytes(*rows)


FIRST = [13, 14, 12, 15, 13, 14, 12, 13, 14, 13, 12, 14]  # about a third fewer
CORRECTED = [19, 21, 20, 22, 19, 20, 21, 20, 14, 13, 12, 14]  # eight months corrected


@pytest.fixture
def published(strategy_index, site_a, contributor_a, bja_user, django_capture_on_commit_callbacks):
    """A published DiD on real uploaded data, linked to a strategy BJA rated on its metric."""
    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Zone 3 plan")
    with django_capture_on_commit_callbacks(execute=True):
        upload(site_a, _series(FIRST), user=contributor_a)
        observations_publish(site=site_a, user=bja_user)
    analysis = analysis_create(
        user=contributor_a,
        site=site_a,
        design="did",
        metric=METRIC,
        treatment_area="Zone 3",
        comparison_areas=["Zone 1"],
        intervention_date=dt.date(2023, 1, 1),
        strategy=page,
    )
    analysis_run(analysis=analysis)
    analysis_publish(user=bja_user, analysis=analysis)
    rating = evidence_rating_set(
        user=bja_user,
        page=page,
        outcome="Non-fatal shootings",
        metric_code=METRIC,
        rating="effective",
        reason="About 30 percent fewer shootings than the comparison zone.",
    )
    return analysis, rating


def _correct(site, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(site, _series(CORRECTED), user=user, name="corrected.csv")


def test_a_rerun_waits_for_review_and_the_public_keeps_the_approved_version(
    client, published, site_a, contributor_a, bja_user, django_capture_on_commit_callbacks
):
    analysis, rating = published
    (v1,) = analysis.results.all()
    assert (v1.version, v1.review_status, v1.reviewed_by) == (1, "approved", bja_user)
    v1_finding = version_summary(analysis, v1).finding

    _correct(site_a, contributor_a, django_capture_on_commit_callbacks)

    # Exactly one new run, however many signals the upload sent; it waits for review.
    assert analysis.results.count() == 2
    v2 = analysis.results.get(version=2)
    assert (v2.status, v2.review_status, v2.is_current) == ("succeeded", "pending", True)
    v2_finding = version_summary(analysis, v2).finding
    assert v1_finding != v2_finding

    # The page, the API and the data CSV still show version 1.
    html = client.get(f"/evaluations/analyses/{analysis.pk}/").content.decode()
    assert v1_finding in html and v2_finding not in html
    api = client.get(f"/api/v1/analyses/{analysis.pk}/").json()
    assert api["input_hash"] == v1.input_hash
    assert selectors.current_result(analysis).pk == v1.pk

    # BJA compares the versions side by side; version 2 rests on corrected figures that
    # are not public yet, so it is approved only once the site's data is published again.
    client.force_login(bja_user)
    review_url = f"/admin/analyses/{analysis.pk}/versions/{v2.pk}/review/"
    review = client.get(review_url).content.decode()
    assert v1_finding in review and v2_finding in review and "95% CI" in review
    with pytest.raises(VersionReviewRefused, match="not published"):
        analysis_version_review(user=bja_user, result=v2, approve=True)
    with django_capture_on_commit_callbacks(execute=True):
        observations_publish(site=site_a, user=bja_user)
    assert analysis.results.count() == 2  # the same inputs: no further run
    assert client.post(review_url, {"decision": "approve"}).status_code == 302
    client.logout()
    html = client.get(f"/evaluations/analyses/{analysis.pk}/").content.decode()
    assert v2_finding in html and v1_finding not in html
    assert "Versions of this finding" in html  # past versions listed with dates

    # The rating's reason rested on the old finding: flagged for BJA, not changed.
    rating.refresh_from_db()
    assert rating.needs_review and rating.rating == "effective"
    assert v2_finding in rating.review_note
    entry = log_registry.get_logs_for_instance(analysis).get(action="ips.analysis.version_approve")
    assert entry.user_id == bja_user.pk and entry.data["version"] == 2


def test_rejecting_keeps_the_approved_version_and_needs_a_reason(
    published, site_a, contributor_a, bja_user, django_capture_on_commit_callbacks
):
    analysis, rating = published
    _correct(site_a, contributor_a, django_capture_on_commit_callbacks)
    v2 = analysis.results.get(version=2)
    with pytest.raises(VersionReviewRefused, match="Say why"):
        analysis_version_review(user=bja_user, result=v2, approve=False)
    analysis_version_review(user=bja_user, result=v2, approve=False, note="Correction disputed.")
    assert selectors.current_result(analysis).version == 1
    rating.refresh_from_db()
    assert not rating.needs_review
    with pytest.raises(VersionReviewRefused):
        analysis_version_review(user=bja_user, result=v2, approve=True)


def test_only_bja_staff_review_versions(
    client, published, site_a, contributor_a, django_capture_on_commit_callbacks
):
    from django.core.exceptions import PermissionDenied

    analysis, _rating = published
    _correct(site_a, contributor_a, django_capture_on_commit_callbacks)
    v2 = analysis.results.get(version=2)
    with pytest.raises(PermissionDenied):
        analysis_version_review(user=contributor_a, result=v2, approve=True)
    client.force_login(contributor_a)
    client.post(f"/admin/analyses/{analysis.pk}/versions/{v2.pk}/review/", {"decision": "approve"})
    v2.refresh_from_db()
    assert v2.review_status == "pending"


def test_identical_inputs_never_queue_a_second_run(
    published, site_a, contributor_a, django_capture_on_commit_callbacks
):
    analysis, _rating = published
    # The same file again, and three stale checks for the same change: no new run.
    with django_capture_on_commit_callbacks(execute=True):
        upload(site_a, _series(FIRST), user=contributor_a, name="again.csv")
    for _ in range(3):
        assert analyses_mark_stale(site=site_a, metric_codes={METRIC}, areas={"Zone 3"}) == []
    assert analysis.results.count() == 1
    # A real change queued three times in one go makes one queued run, not three.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(site_a, _series(CORRECTED), user=contributor_a, name="corrected.csv")
        for _ in range(3):
            analyses_mark_stale(site=site_a, metric_codes={METRIC}, areas={"Zone 3"})
    queued = analysis.results.filter(status="queued")
    assert queued.count() == 1
    assert AnalysisResult.objects.filter(analysis=analysis).count() == 2
    assert len(callbacks) >= 1


def test_side_by_side_comparison_has_estimate_ci_finding_and_caveats(
    published, site_a, contributor_a, django_capture_on_commit_callbacks
):
    analysis, _rating = published
    _correct(site_a, contributor_a, django_capture_on_commit_callbacks)
    comparison = version_comparison(analysis, analysis.results.get(version=2))
    assert comparison.old.version == 1 and comparison.new.version == 2
    for side in (comparison.old, comparison.new):
        assert side.estimate is not None and side.ci_low < side.ci_high
        assert side.finding and side.caveats and side.data_as_of == "2023-12"
    assert comparison.finding_changed


def test_a_withdrawal_takes_the_published_analysis_down(
    client, published, site_a, contributor_a, bja_user, django_capture_on_commit_callbacks
):
    analysis, _rating = published
    _correct(site_a, contributor_a, django_capture_on_commit_callbacks)
    assert client.get(f"/evaluations/analyses/{analysis.pk}/").status_code == 200
    assert public_cells_as_approved(site_a.pk, analysis.metric_id) is not None
    with django_capture_on_commit_callbacks(execute=True):
        observations_unpublish(site=site_a, user=bja_user)
    # Even the corrected cells no longer stand in at their earlier published values.
    assert public_cells_as_approved(site_a.pk, analysis.metric_id) is None
    assert client.get(f"/evaluations/analyses/{analysis.pk}/").status_code == 410
    assert client.get(f"/api/v1/analyses/{analysis.pk}/").status_code == 410


def test_another_sites_admin_pages_do_not_show_a_version_awaiting_review(
    client,
    published,
    site_a,
    contributor_a,
    contributor_b,
    research_user,
    django_capture_on_commit_callbacks,
):
    """A published analysis is public, but its admin page shows every run: site B's
    contributor must not read site A's version awaiting review there (it rests on figures
    site A has not published), nor re-run or list it."""
    analysis, _ = published
    _correct(site_a, contributor_a, django_capture_on_commit_callbacks)
    v2 = analysis.results.get(version=2)
    assert v2.review_status == "pending"

    client.force_login(contributor_b)
    assert client.get(f"/admin/analyses/{analysis.pk}/").status_code == 404
    assert client.post(f"/admin/analyses/{analysis.pk}/run/").status_code == 404
    index = client.get("/admin/analyses/").content.decode()
    assert f"/admin/analyses/{analysis.pk}/" not in index
    assert analysis.results.count() == 2
    # The public page is still there for them, with the approved version only.
    assert client.get(f"/evaluations/analyses/{analysis.pk}/").status_code == 200

    # The site's own contributor and research partners still work on it in the admin.
    for user in (contributor_a, research_user):
        client.force_login(user)
        detail = client.get(f"/admin/analyses/{analysis.pk}/").content.decode()
        assert v2.input_hash in detail


def _restore_entries(analysis) -> list:
    from wagtail.models import ModelLogEntry

    return list(
        ModelLogEntry.objects.filter(
            action="ips.analysis.version_restore", object_id=str(analysis.pk)
        ).order_by("pk")
    )


def _versions(analysis) -> list[tuple]:
    rows = analysis.results.order_by("version")
    return [(r.version, r.status, r.review_status, r.is_current) for r in rows]


def test_rolling_a_correction_back_to_the_approved_inputs_queues_no_new_version(
    client, published, site_a, contributor_a, django_capture_on_commit_callbacks
):
    """Upload a correction (a version waits for review), roll it back: the data are again
    exactly what the approved version used, so it is current again, the waiting version is
    dropped and no further run is queued, however often the stale check runs."""
    from evaluations.analyses.services import analysis_input_hash
    from evaluations.services import upload_batch_rollback

    analysis, _rating = published
    v1 = analysis.results.get(version=1)
    approved_finding = version_summary(analysis, v1).finding
    with django_capture_on_commit_callbacks(execute=True):
        correction = upload(site_a, _series(CORRECTED), user=contributor_a, name="corrected.csv")
    assert _versions(analysis)[-1] == (2, "succeeded", "pending", True)

    with django_capture_on_commit_callbacks(execute=True):
        upload_batch_rollback(batch=correction.batch, user=contributor_a)
    # The same data hash the same, whichever run computed them.
    assert analysis_input_hash(analysis) == v1.input_hash
    for _ in range(3):
        assert analyses_mark_stale(site=site_a, metric_codes={METRIC}, areas={"Zone 3"}) == []
    assert _versions(analysis) == [
        (1, "succeeded", "approved", True),
        (2, "succeeded", "superseded", False),
    ]
    v2 = analysis.results.get(version=2)
    assert v2.review_note == "Data restored to the approved inputs of version 1."
    # The restore is on the audit log, once (the later stale checks changed nothing).
    restores = _restore_entries(analysis)
    assert [entry.data for entry in restores] == [
        {
            "current_version": [2, 1],
            "superseded_versions": [2],
            "input_hash": v1.input_hash,
            "note": "Data restored to the approved inputs of version 1.",
        }
    ]
    assert restores[0].user is None  # the data change did it, not a person
    analysis.refresh_from_db()
    assert analysis.status == "succeeded"
    html = client.get(f"/evaluations/analyses/{analysis.pk}/").content.decode()
    assert approved_finding in html


def test_a_run_queued_before_the_rollback_does_not_wait_for_review(
    published, site_a, contributor_a, django_capture_on_commit_callbacks
):
    """The re-run was still queued when the correction was rolled back: it reads the
    restored data, finds the approved version's inputs and leaves nothing to review."""
    from evaluations.services import upload_batch_rollback

    analysis, _rating = published
    with django_capture_on_commit_callbacks(execute=False):
        correction = upload(site_a, _series(CORRECTED), user=contributor_a, name="corrected.csv")
        analyses_mark_stale(site=site_a, metric_codes={METRIC}, areas={"Zone 3"})
    assert analysis.results.filter(status="queued").count() == 1
    with django_capture_on_commit_callbacks(execute=False):
        upload_batch_rollback(batch=correction.batch, user=contributor_a)
    analysis_run(analysis=analysis)
    assert _versions(analysis) == [
        (1, "succeeded", "approved", True),
        (2, "succeeded", "superseded", False),
    ]
    assert not analysis.results.filter(review_status="pending").exists()
    # The queued run found the approved inputs: the restore is logged with that run dropped.
    [entry] = _restore_entries(analysis)
    assert entry.data["current_version"] == [1, 1]
    assert entry.data["superseded_versions"] == [2]


def test_running_an_unchanged_published_analysis_again_logs_no_restore(published):
    """Pressing "Run" on a published analysis whose data did not change: the run finds the
    approved version's inputs, and nothing was restored, so the audit log has no entry."""
    analysis, _rating = published
    analysis_run(analysis=analysis)
    assert _versions(analysis) == [
        (1, "succeeded", "approved", True),
        (2, "succeeded", "superseded", False),
    ]
    assert _restore_entries(analysis) == []
