"""Confirming and rolling back a batch check the user and the batch's state before anything is
queued, on the background path for large files too."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.log_actions import registry as log_registry

from evaluations.models import OutcomeObservation, UploadBatch
from tests.evaluations.helpers import csv_bytes, month_rows
from tests.evaluations.test_upload_admin import post_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def large_batch(client, site_a, contributor_a, media_tmp, settings):
    """A checked batch over the background-import size."""
    settings.PORTAL_UPLOAD_BACKGROUND_ROWS = 5
    client.force_login(contributor_a)
    post_file(client, site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1] * 12)))
    batch = UploadBatch.objects.get()
    assert batch.status == UploadBatch.Status.VALIDATED
    return batch


def _confirm(client, batch):
    return client.post(reverse("evaluations_admin:batch_confirm", args=[batch.pk]))


def test_a_research_partner_cannot_queue_a_large_import(client, large_batch, research_user):
    client.force_login(research_user)
    _confirm(client, large_batch)
    large_batch.refresh_from_db()
    assert large_batch.status == UploadBatch.Status.VALIDATED
    assert large_batch.progress_message != "Queued"
    assert OutcomeObservation.objects.count() == 0


def test_a_rolled_back_batch_cannot_be_imported_again(client, large_batch, contributor_a):
    _confirm(client, large_batch)
    large_batch.refresh_from_db()
    assert large_batch.status == UploadBatch.Status.IMPORTED
    client.post(reverse("evaluations_admin:batch_rollback", args=[large_batch.pk]))
    large_batch.refresh_from_db()
    assert large_batch.status == UploadBatch.Status.ROLLED_BACK
    response = _confirm(client, large_batch)
    large_batch.refresh_from_db()
    assert large_batch.status == UploadBatch.Status.ROLLED_BACK
    assert OutcomeObservation.objects.count() == 0
    assert response.status_code == 302
    # The batch's whole life is on the audit log, not only in its overwritten fields.
    actions = list(
        log_registry.get_logs_for_instance(large_batch)
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )
    named = [a for a in actions if a != "ips.upload.status"]
    assert named == ["ips.upload.validate", "ips.upload.import", "ips.upload.rollback"]
    # and its first status (queued), queued → checking, validated → importing in between
    assert len(actions) == 6


def test_another_sites_contributor_cannot_confirm_or_roll_back(client, large_batch, contributor_b):
    client.force_login(contributor_b)
    assert _confirm(client, large_batch).status_code == 404
    rollback = reverse("evaluations_admin:batch_rollback", args=[large_batch.pk])
    assert client.post(rollback).status_code == 404
    large_batch.refresh_from_db()
    assert large_batch.status == UploadBatch.Status.VALIDATED
