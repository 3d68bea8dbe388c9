"""Importing: new/updated/unchanged, history, idempotent re-upload, all-or-nothing, signals."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection

from evaluations import services
from evaluations.models import ObservationHistory, OutcomeObservation, UploadBatch
from evaluations.signals import observations_changed
from tests.evaluations.helpers import FIXTURES, csv_bytes, month_rows, upload

pytestmark = pytest.mark.django_db


def snapshot():
    return sorted(
        OutcomeObservation.objects.values_list("metric__code", "area", "period_start", "value")
    )


def test_import_then_identical_reupload_changes_nothing(site_a, contributor_a):
    data = (FIXTURES / "outcomes_clean.csv").read_bytes()
    first = upload(site_a, data, user=contributor_a)
    assert first.written and first.report["counts"]["new"] == 28
    assert first.batch.status == UploadBatch.Status.IMPORTED
    before = snapshot()
    again = upload(site_a, data, user=contributor_a)
    assert not again.written
    assert again.report["previous_import"]["batch_id"] == first.batch.pk
    assert snapshot() == before
    assert UploadBatch.objects.count() == 1


def test_update_keeps_old_value_in_history(site_a, contributor_a):
    upload(site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1, 2, 3])), contributor_a)
    second = upload(
        site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1, 5, 3, 4])), contributor_a
    )
    counts = second.report["counts"]
    assert (counts["new"], counts["updated"], counts["unchanged"]) == (1, 1, 2)
    changed = OutcomeObservation.objects.get(period_start="2023-02-01")
    assert changed.value == 5
    entry = ObservationHistory.objects.get(observation=changed)
    assert (entry.old_value, entry.new_value, entry.batch_id) == (2, 5, second.batch.pk)
    assert second.report["sample_changes"][0]["old_value"] == 2


def test_file_with_errors_writes_nothing_and_is_recorded(site_a, contributor_a):
    rows = month_rows("homicides", "A", "treatment", [1, 2]) + [
        "homicides,A,treatment,2023-03-01,2023-03-31,-1,,,,"
    ]
    outcome = upload(site_a, csv_bytes(*rows), contributor_a)
    assert not outcome.written and not outcome.report["ok"]
    assert OutcomeObservation.objects.count() == 0
    assert outcome.batch.status == UploadBatch.Status.FAILED
    assert outcome.report["counts"]["rejected"] == 1


def test_dry_run_writes_nothing(site_a, contributor_a):
    outcome = upload(
        site_a, (FIXTURES / "outcomes_clean.csv").read_bytes(), contributor_a, dry_run=True
    )
    assert outcome.report["ok"] and outcome.report["counts"]["new"] == 28
    assert OutcomeObservation.objects.count() == 0 and UploadBatch.objects.count() == 0


def test_database_failure_on_last_chunk_leaves_data_unchanged(site_a, contributor_a, monkeypatch):
    upload(site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1, 2, 3])), contributor_a)
    before = snapshot()
    history_before = ObservationHistory.objects.count()
    monkeypatch.setattr(services, "WRITE_CHUNK_ROWS", 5)
    rows = month_rows("homicides", "A", "treatment", [9] * 12) + month_rows(
        "gun_recoveries", "A", "treatment", [4] * 12
    )
    inserts = []

    def fail_last_insert(execute, sql, params, many, context):
        # Django's documented instrumentation hook: the database refuses the last INSERT
        # exactly as a dropped connection would, after earlier chunks were written.
        if sql.startswith("INSERT") and "evaluations_outcomeobservation" in sql:
            inserts.append(sql)
            if len(inserts) == 5:  # 21 new rows in chunks of 5 → the 5th chunk is the last
                raise DatabaseError("connection lost")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_last_insert), pytest.raises(DatabaseError):
        upload(site_a, csv_bytes(*rows), contributor_a)
    assert len(inserts) == 5
    assert snapshot() == before
    assert ObservationHistory.objects.count() == history_before


def test_worker_killed_midway_leaves_data_unchanged(site_a, contributor_a):
    before = snapshot()

    def killed(percent, message):
        if message.startswith("Writing rows"):
            raise KeyboardInterrupt("worker killed")

    from io import BytesIO

    with pytest.raises(KeyboardInterrupt):
        services.outcome_upload(
            site=site_a,
            user=contributor_a,
            stream=BytesIO((FIXTURES / "outcomes_clean.csv").read_bytes()),
            file_name="clean.csv",
            progress=killed,
        )
    assert snapshot() == before


def test_contributor_cannot_upload_for_another_site(site_a, site_b, contributor_a, research_user):
    data = (FIXTURES / "outcomes_clean.csv").read_bytes()
    with pytest.raises(PermissionDenied):
        upload(site_b, data, contributor_a)
    with pytest.raises(PermissionDenied):
        upload(site_a, data, research_user)
    assert OutcomeObservation.objects.count() == 0


def test_bja_staff_can_upload_for_any_site(site_b, bja_user):
    outcome = upload(site_b, (FIXTURES / "outcomes_clean.csv").read_bytes(), bja_user)
    assert outcome.written


def test_signal_sent_after_commit(site_a, contributor_a, django_capture_on_commit_callbacks):
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    observations_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            upload(site_a, (FIXTURES / "outcomes_clean.csv").read_bytes(), contributor_a)
        assert received == []  # nothing is announced before the transaction commits
        for callback in callbacks:
            callback()
    finally:
        observations_changed.disconnect(listener)
    assert received[0]["action"] == "imported"
    assert "nonfatal_shootings" in received[0]["metric_codes"]
    assert "Zone 3" in received[0]["areas"]
