"""Rolling a batch back restores the values it replaced and deletes the rows it created."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from evaluations.models import OutcomeObservation, UploadBatch
from evaluations.services import RollbackRefused, upload_batch_rollback
from tests.evaluations.helpers import csv_bytes, month_rows, upload

pytestmark = pytest.mark.django_db


def values():
    return dict(OutcomeObservation.objects.values_list("period_start", "value"))


def test_rollback_restores_previous_values_and_deletes_created(site_a, contributor_a):
    first = upload(
        site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1, 2, 3])), contributor_a
    )
    before = values()
    second = upload(
        site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [7, 2, 3, 4])), contributor_a
    )
    assert len(values()) == 4
    upload_batch_rollback(batch=second.batch, user=contributor_a)
    assert values() == before
    second.batch.refresh_from_db()
    assert second.batch.status == UploadBatch.Status.ROLLED_BACK
    assert OutcomeObservation.objects.filter(batch=first.batch).count() == 3
    # the first batch can then be rolled back too, leaving nothing
    upload_batch_rollback(batch=first.batch, user=contributor_a)
    assert OutcomeObservation.objects.count() == 0


def test_rollback_refused_when_a_later_batch_changed_the_rows(site_a, bja_user):
    first = upload(site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1, 2])), bja_user)
    upload(site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [5, 2])), bja_user)
    with pytest.raises(RollbackRefused):
        upload_batch_rollback(batch=first.batch, user=bja_user)


def test_rollback_permissions(site_a, contributor_a, contributor_b, research_user, bja_user):
    outcome = upload(
        site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1])), contributor_a
    )
    for outsider in (contributor_b, research_user):
        with pytest.raises(PermissionDenied):
            upload_batch_rollback(batch=outcome.batch, user=outsider)
    upload_batch_rollback(batch=outcome.batch, user=bja_user)
    assert OutcomeObservation.objects.count() == 0
    with pytest.raises(RollbackRefused):
        upload_batch_rollback(batch=outcome.batch, user=bja_user)


def test_reupload_after_rollback_imports_again(site_a, contributor_a):
    data = csv_bytes(*month_rows("homicides", "A", "treatment", [1, 2]))
    outcome = upload(site_a, data, contributor_a)
    upload_batch_rollback(batch=outcome.batch, user=contributor_a)
    again = upload(site_a, data, contributor_a)
    assert again.written and again.report["previous_import"] is None
