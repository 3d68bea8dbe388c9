"""Analysis services on real imported observations: validation, runs that store exactly what
the statistics library computes, input hashes, failures, stale marking after new uploads,
publishing, and a run through the real database task worker."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from evaluations import stats
from evaluations.analyses.services import (
    AnalysisSpecError,
    analyses_mark_stale,
    analysis_create,
    analysis_enqueue,
    analysis_publish,
    analysis_run,
    analysis_unpublish,
)
from evaluations.models import Analysis, AnalysisResult, OutcomeObservation
from evaluations.services import observations_publish
from tests.evaluations.analyses_backend_helpers import (
    INTERVENTION,
    series_rows,
    upload_rows,
    upload_standard,
)

pytestmark = pytest.mark.django_db


def create(user, site, design="did", **fields) -> Analysis:
    values = {
        "metric": "nonfatal_shootings",
        "treatment_area": "Zone 3",
        "comparison_areas": ["Zone 1", "Zone 2"],
        "intervention_date": INTERVENTION,
    } | fields
    return analysis_create(user=user, site=site, design=design, **values)


def orm_series(site, area, metric="nonfatal_shootings") -> pd.Series:
    """The observations straight from the ORM, independent of the analysis data module."""
    rows = OutcomeObservation.objects.filter(site=site, area=area, metric__code=metric)
    pairs = list(rows.order_by("period_start").values_list("period_start", "value"))
    index = pd.PeriodIndex([p for p, _ in pairs], freq="M")
    return pd.Series([v for _, v in pairs], index=index, dtype=float)


@pytest.fixture
def loaded(site_a):
    upload_standard(site_a)
    return site_a


def test_did_run_stores_the_library_estimate(loaded, bja_user):
    analysis = create(bja_user, loaded)
    result = analysis_run(analysis=analysis)
    assert result.status == "succeeded" and result.is_current
    treated = orm_series(loaded, "Zone 3")
    zone1, zone2 = orm_series(loaded, "Zone 1"), orm_series(loaded, "Zone 2")
    n = len(treated)
    post = (treated.index >= pd.Period(INTERVENTION, "M")).astype(int)
    panel = pd.DataFrame(
        {
            "outcome": np.r_[treated.to_numpy(), zone1.to_numpy(), zone2.to_numpy()],
            "treated": np.r_[np.ones(n), np.zeros(2 * n)],
            "post": np.r_[post, post, post],
            "period": np.tile(np.arange(n), 3).astype(float),
        }
    )
    direct = stats.difference_in_differences(
        panel, kind="count", cov=analysis.options.get("cov") or "ar1", time="period"
    )
    assert result.result["estimate"] == pytest.approx(direct.estimate, rel=1e-12)
    assert result.result["se"] == pytest.approx(direct.se, rel=1e-12)
    assert result.result["pre_trend"]["estimate"] == pytest.approx(direct.pre_trend.estimate)
    assert len(result.data) == 3 * 48
    assert set(result.library_versions) >= {"numpy", "pandas", "scipy", "statsmodels", "portal"}
    assert result.library_versions["portal"] != "unknown"
    assert set(result.timings) == {"load_ms", "fit_ms", "total_ms"}
    analysis.refresh_from_db()
    assert analysis.status == "succeeded"


def test_its_with_comparison_and_pre_post_match_the_library(loaded, research_user):
    its = create(research_user, loaded, design="its_with_comparison", options={})
    stored = analysis_run(analysis=its).result
    treated = orm_series(loaded, "Zone 3")
    comparison = orm_series(loaded, "Zone 1") + orm_series(loaded, "Zone 2")
    direct = stats.interrupted_time_series(
        treated, intervention=INTERVENTION, kind="count", comparison=comparison
    )
    assert stored["estimate"] == pytest.approx(direct.estimate, rel=1e-12)
    assert stored["level_change_difference"]["estimate"] == pytest.approx(
        direct.level_change_difference.estimate, rel=1e-12
    )
    pre_post = create(research_user, loaded, design="pre_post", comparison_areas=[])
    stored = analysis_run(analysis=pre_post).result
    direct = stats.pre_post(
        treated.iloc[:24].to_numpy(),
        treated.iloc[24:].to_numpy(),
        kind="count",
        periods=treated.index,
    )
    assert stored["estimate"] == pytest.approx(direct.estimate, rel=1e-12)
    assert stored["p_value"] == pytest.approx(direct.p_value, rel=1e-9)


def test_continuous_its_with_seasonality(loaded, bja_user):
    analysis = create(
        bja_user,
        loaded,
        design="its",
        metric="days_violation_to_hearing",
        comparison_areas=[],
        options={"seasonality": "month"},
    )
    stored = analysis_run(analysis=analysis).result
    direct = stats.interrupted_time_series(
        orm_series(loaded, "Zone 3", "days_violation_to_hearing"),
        intervention=INTERVENTION,
        seasonality="month",
    )
    assert stored["scale"] == "difference"
    assert stored["estimate"] == pytest.approx(direct.estimate, rel=1e-12)


def test_input_hash_is_stable_and_changes_with_data_or_spec(loaded, bja_user):
    analysis = create(bja_user, loaded)
    first = analysis_run(analysis=analysis).input_hash
    assert len(first) == 64
    assert analysis_run(analysis=analysis).input_hash == first
    assert AnalysisResult.objects.filter(analysis=analysis, is_current=True).count() == 1
    assert AnalysisResult.objects.filter(analysis=analysis).count() == 2
    obs = OutcomeObservation.objects.filter(site=loaded, area="Zone 1").earliest("period_start")
    obs.value += 1
    obs.save()
    changed = analysis_run(analysis=analysis).input_hash
    assert changed != first
    analysis.options = {"cov": "classical"}
    analysis.save()
    assert analysis_run(analysis=analysis).input_hash not in (first, changed)


def test_failure_stores_the_library_message(site_a, bja_user):
    rows = series_rows("days_violation_to_hearing", "Zone 3", "treatment", [30.0] * 24)
    upload_rows(site_a, rows)
    analysis = create(
        bja_user,
        site_a,
        design="its",
        metric="days_violation_to_hearing",
        comparison_areas=[],
        intervention_date=dt.date(2021, 1, 1),
    )
    result = analysis_run(analysis=analysis)
    with pytest.raises(stats.AnalysisError) as expected:
        stats.interrupted_time_series(
            orm_series(site_a, "Zone 3", "days_violation_to_hearing"),
            intervention=dt.date(2021, 1, 1),
        )
    assert result.status == "failed" and result.is_current
    assert result.error == str(expected.value) and result.error
    analysis.refresh_from_db()
    assert analysis.status == "failed"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"treatment_area": "Zone 9"}, "no Non-fatal"),
        ({"comparison_areas": []}, "needs at least one comparison area"),
        ({"comparison_areas": ["Zone 3"]}, "cannot also be a comparison"),
        ({"intervention_date": dt.date(2019, 1, 1)}, "must fall after the first month"),
        ({"intervention_date": dt.date(2020, 2, 1)}, "at least 2 periods before"),
        ({"metric": "homicides"}, "has no data for"),
        ({"options": {"cov": "robust"}}, "Option cov must be one of"),
        ({"design": "synthetic_control"}, "Unknown design"),
    ],
)
def test_create_rejects_what_the_data_cannot_support(loaded, bja_user, fields, message):
    design = fields.pop("design", "did")
    with pytest.raises(AnalysisSpecError, match=message):
        create(bja_user, loaded, design=design, **fields)
    assert not Analysis.objects.exists()


def test_create_requires_permission(loaded, contributor_b):
    with pytest.raises(PermissionDenied):
        create(contributor_b, loaded)


def test_new_upload_marks_stale_and_reruns(loaded, bja_user, django_capture_on_commit_callbacks):
    analysis = create(bja_user, loaded)
    untouched = create(
        bja_user, loaded, design="its", metric="days_violation_to_hearing", comparison_areas=[]
    )
    first = analysis_run(analysis=analysis)
    other = analysis_run(analysis=untouched)
    rows = series_rows("nonfatal_shootings", "Zone 1", "comparison", [99.0])
    with django_capture_on_commit_callbacks(execute=True):
        upload_rows(loaded, rows, name="correction.csv")
    first.refresh_from_db()
    assert first.status == "stale" and not first.is_current
    current = analysis.current_result
    assert current.pk != first.pk and current.status == "succeeded"
    assert current.input_hash != first.input_hash
    assert untouched.current_result.pk == other.pk  # another metric: not re-run
    analysis.refresh_from_db()
    assert analysis.status == "succeeded"


def test_unchanged_data_leaves_the_result_current(loaded, bja_user):
    """Publishing, or re-uploading the same values, must not send results back to the queue."""
    analysis = create(bja_user, loaded)
    first = analysis_run(analysis=analysis)
    assert (
        analyses_mark_stale(site=analysis.site, metric_codes=[analysis.metric.code], areas=None)
        == []
    )
    first.refresh_from_db()
    assert first.status == "succeeded" and first.is_current
    # A changed value in an area the analysis uses does make it stale.
    OutcomeObservation.objects.filter(
        site=analysis.site, metric=analysis.metric, area=analysis.treatment_area
    ).update(value=0)
    affected = analyses_mark_stale(
        site=analysis.site, metric_codes=[analysis.metric.code], areas=[analysis.treatment_area]
    )
    assert [a.pk for a in affected] == [analysis.pk]


def test_enqueue_runs_with_the_immediate_backend(
    loaded, bja_user, django_capture_on_commit_callbacks
):
    analysis = create(bja_user, loaded)
    with django_capture_on_commit_callbacks(execute=True):
        queued = analysis_enqueue(analysis=analysis)
    queued.refresh_from_db()
    assert queued.status == "succeeded" and queued.is_current


def test_publish_needs_bja_and_a_succeeded_run(loaded, bja_user, research_user):
    analysis = create(research_user, loaded)
    with pytest.raises(AnalysisSpecError):
        analysis_publish(user=bja_user, analysis=analysis)
    analysis_run(analysis=analysis)
    with pytest.raises(PermissionDenied):
        analysis_publish(user=research_user, analysis=analysis)
    # the site has not published the data the run used: a public analysis would rest on it
    with pytest.raises(AnalysisSpecError, match="not published"):
        analysis_publish(user=bja_user, analysis=analysis)
    observations_publish(site=loaded, user=bja_user)
    analysis_publish(user=bja_user, analysis=analysis)
    analysis.refresh_from_db()
    assert analysis.is_published and analysis.published_at
    analysis_unpublish(user=bja_user, analysis=analysis)
    analysis.refresh_from_db()
    assert not analysis.is_published


@pytest.mark.django_db(transaction=True)
def test_queued_analysis_runs_in_the_database_worker(settings):
    from tests import factories

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    site = factories.GranteeSiteFactory(slug="worker-site")
    upload_standard(site)
    user = factories.UserFactory(username="worker_admin", is_superuser=True)
    analysis = create(user, site)
    queued = analysis_enqueue(analysis=analysis)  # autocommit: enqueued at once
    queued.refresh_from_db()
    assert queued.status == "queued"
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")
    queued.refresh_from_db()
    assert queued.status == "succeeded" and queued.is_current
    assert queued.result["estimate"] > 0


def test_a_run_records_the_months_before_and_after_the_start(loaded, bja_user):
    """upload_standard: 48 months from January 2020, the strategy began January 2022."""
    result = analysis_run(analysis=create(bja_user, loaded, design="did"))
    assert (result.months_before, result.months_after) == (24, 24)
