"""The upload batch's life: transitions checked in one place, conflicts between concurrent
writers, failures with a reason, stalled batches and their retry, write-phase progress."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from evaluations import services
from evaluations.batches import (
    BatchStateError,
    ProgressRecorder,
    batch_is_stalled,
    batch_transition,
)
from evaluations.models import OutcomeObservation, UploadBatch
from portal.api_auth import api_token_create
from tests.evaluations.helpers import csv_bytes, month_rows, upload

pytestmark = pytest.mark.django_db
Status = UploadBatch.Status


def three_months(values=(1, 2, 3)) -> bytes:
    return csv_bytes(*month_rows("homicides", "A", "treatment", list(values)))


def received(site, user, data: bytes) -> UploadBatch:
    batch = services.outcome_upload_receive(
        site=site, user=user, upload=SimpleUploadedFile("f.csv", data), file_name="f.csv"
    )
    return services.outcome_upload_validate(batch=batch)


def test_transition_refuses_a_status_the_table_does_not_allow(site_a, contributor_a, media_tmp):
    batch = received(site_a, contributor_a, three_months())
    assert batch.status == Status.VALIDATED
    with pytest.raises(BatchStateError, match="validated; it cannot become rolled back"):
        batch_transition(batch, Status.ROLLED_BACK)
    batch.refresh_from_db()
    assert batch.status == Status.VALIDATED


def test_confirm_twice_imports_once(site_a, contributor_a, media_tmp):
    batch = received(site_a, contributor_a, three_months())
    services.outcome_upload_import(batch=batch, user=contributor_a)
    with pytest.raises(BatchStateError, match="imported already"):
        services.outcome_upload_confirm(batch=batch, user=contributor_a)
    assert OutcomeObservation.objects.count() == 3


def test_rolled_back_batch_cannot_be_confirmed_again(client, site_a, contributor_a, media_tmp):
    batch = received(site_a, contributor_a, three_months())
    services.outcome_upload_import(batch=batch, user=contributor_a)
    services.upload_batch_rollback(batch=batch, user=contributor_a)
    client.force_login(contributor_a)
    response = client.post(reverse("evaluations_admin:batch_confirm", args=[batch.pk]), follow=True)
    assert "A rolled-back batch is closed" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == Status.ROLLED_BACK
    assert OutcomeObservation.objects.count() == 0


def test_confirm_checks_the_user_before_the_status(site_a, contributor_b, contributor_a, media_tmp):
    batch = received(site_a, contributor_a, three_months())
    UploadBatch.objects.filter(pk=batch.pk).update(status=Status.ROLLED_BACK)
    with pytest.raises(PermissionDenied):
        services.outcome_upload_confirm(batch=batch, user=contributor_b)
    with pytest.raises(PermissionDenied):
        services.upload_batch_retry(batch=batch, user=contributor_b)


def test_failed_file_keeps_its_reason(site_a, contributor_a, media_tmp):
    batch = received(site_a, contributor_a, csv_bytes("homicides,A,treatment,x,y,1,,,,"))
    assert batch.status == Status.FAILED
    assert "The file has errors" in batch.failure_reason


def _race(monkeypatch, action):
    """Run ``action`` (a real write by someone else) just after the plan is made, before
    this upload writes: what a second request does when it is a moment faster."""
    real = services._previous_import
    done = []

    def then_someone_else(site, sha256):
        if not done:
            done.append(True)
            action()
        return real(site, sha256)

    monkeypatch.setattr(services, "_previous_import", then_someone_else)


def test_same_new_keys_at_the_same_moment_loser_gets_a_conflict(
    site_a, contributor_a, bja_user, monkeypatch
):
    _race(monkeypatch, lambda: upload(site_a, three_months((4, 5, 6)), bja_user))
    outcome = upload(site_a, three_months(), contributor_a)
    assert not outcome.written and outcome.report["conflict"]
    assert "at the same moment" in outcome.report["errors"][0]["message"]
    assert outcome.batch.status == Status.FAILED
    assert "at the same moment" in outcome.batch.failure_reason
    assert sorted(OutcomeObservation.objects.values_list("value", flat=True)) == [4, 5, 6]


def test_upload_racing_a_rollback_gets_a_conflict(site_a, contributor_a, bja_user, monkeypatch):
    first = upload(site_a, three_months(), bja_user)
    _race(monkeypatch, lambda: services.upload_batch_rollback(batch=first.batch, user=bja_user))
    outcome = upload(site_a, three_months((7, 8, 9)), contributor_a)
    assert outcome.report["conflict"] and not outcome.written
    assert OutcomeObservation.objects.count() == 0  # the rollback won; nothing half-written


def test_api_answers_409_on_conflict(client, site_a, contributor_a, bja_user, monkeypatch):
    _race(monkeypatch, lambda: upload(site_a, three_months((4, 5, 6)), bja_user))
    _, token = api_token_create(user=contributor_a, name="t")
    response = client.post(
        "/api/v1/sites/site-a/outcomes/",
        data=three_months(),
        content_type="text/csv",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["message"].startswith("Another upload or a rollback")


def test_database_failure_ends_the_batch_failed_with_a_reason(site_a, contributor_a):
    from django.db import DatabaseError

    def refuse_inserts(execute, sql, params, many, context):
        if sql.startswith("INSERT") and "evaluations_outcomeobservation" in sql:
            raise DatabaseError("connection lost")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_inserts), pytest.raises(DatabaseError):
        upload(site_a, three_months(), contributor_a)
    batch = UploadBatch.objects.get()
    assert batch.status == Status.FAILED
    assert "rolled back; nothing was changed" in batch.failure_reason


def test_stalled_import_is_detected_and_retried(client, site_a, contributor_a, media_tmp, settings):
    batch = received(site_a, contributor_a, three_months())
    services.outcome_upload_confirm(batch=batch, user=contributor_a)
    # The worker died at 40 %: nothing has moved for longer than the limit.
    UploadBatch.objects.filter(pk=batch.pk).update(
        progress_percent=40,
        progress_message="Writing rows",
        heartbeat_at=timezone.now()
        - dt.timedelta(seconds=settings.PORTAL_UPLOAD_STALLED_SECONDS + 5),
    )
    client.force_login(contributor_a)
    url = reverse("evaluations_admin:batch", args=[batch.pk])
    page = client.get(url).content.decode()
    assert "The work on this batch stopped" in page and "Check the file again" in page
    progress = client.get(reverse("evaluations_admin:batch_progress", args=[batch.pk])).json()
    assert progress["stalled"] is True and progress["running"] is False
    client.post(reverse("evaluations_admin:batch_retry", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == Status.VALIDATED
    client.post(reverse("evaluations_admin:batch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == Status.IMPORTED and OutcomeObservation.objects.count() == 3


def test_a_check_that_never_started_can_be_retried(site_a, contributor_a, media_tmp, settings):
    """A batch left queued (its background check was never picked up) is offered a retry;
    the retry must work from there too, not only from checking or importing."""
    batch = services.outcome_upload_receive(
        site=site_a,
        user=contributor_a,
        upload=SimpleUploadedFile("f.csv", three_months()),
        file_name="f.csv",
    )
    stale = timezone.now() - dt.timedelta(seconds=settings.PORTAL_UPLOAD_STALLED_SECONDS + 5)
    UploadBatch.objects.filter(pk=batch.pk).update(heartbeat_at=stale)
    batch.refresh_from_db()
    assert batch.status == Status.QUEUED
    batch = services.upload_batch_retry(batch=batch, user=contributor_a)
    assert batch.status == Status.QUEUED and not batch_is_stalled(batch)


def test_running_batch_that_is_not_stalled_cannot_be_retried(site_a, contributor_a, media_tmp):
    batch = received(site_a, contributor_a, three_months())
    services.outcome_upload_confirm(batch=batch, user=contributor_a)
    with pytest.raises(BatchStateError, match="not stalled"):
        services.upload_batch_retry(batch=batch, user=contributor_a)


@pytest.mark.skipif(
    "postgresql" not in django_settings.DATABASES["default"]["ENGINE"],
    reason="SQLite has one writer at a time; progress shows at the commit there",
)
@pytest.mark.django_db(transaction=True)
def test_write_phase_progress_is_visible_outside_the_transaction(media_tmp):
    from django.db import connections

    from tests import factories

    site = factories.GranteeSiteFactory(slug="progress-site")
    user = factories.UserFactory(username="progress_admin", is_superuser=True)
    seen = []

    class Watching(ProgressRecorder):
        def __call__(self, percent, message):
            super().__call__(percent, message)
            if message.startswith("Writing rows"):
                other = connections.create_connection("default")
                with other.cursor() as cursor:
                    cursor.execute(
                        "SELECT progress_message FROM evaluations_uploadbatch WHERE id = %s",
                        [self.batch_id],
                    )
                    seen.append(cursor.fetchone()[0])
                other.close()

    batch = received(site, user, three_months())
    services.outcome_upload_confirm(batch=batch, user=user)
    services.outcome_upload_import(batch=batch, user=user, progress=Watching(batch))
    assert seen and seen[-1].startswith("Writing rows")
