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


def test_rollback_keeps_the_history_of_the_rows_it_removes(site_a, contributor_a, bja_user):
    """The rows a batch created go, their record stays: a "removed" entry per row with its
    key, last value, who and which batch, and earlier entries keep the row's key."""
    from evaluations.models import ObservationHistory

    first = upload(
        site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1, 2, 3])), contributor_a
    ).batch
    second = upload(
        site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1, 2, 8])), contributor_a
    ).batch
    upload_batch_rollback(batch=second, user=contributor_a)
    march = OutcomeObservation.objects.get(period_start="2023-03-01")
    earlier = list(ObservationHistory.objects.filter(observation=march).order_by("pk"))
    assert [h.action for h in earlier] == ["updated", "rolled_back"]

    upload_batch_rollback(batch=first, user=bja_user)

    assert OutcomeObservation.objects.count() == 0
    removed = ObservationHistory.objects.filter(batch=first, action="removed").order_by("old_value")
    assert [h.old_value for h in removed] == [1.0, 2.0, 3.0]
    assert {h.changed_by_id for h in removed} == {bja_user.pk}
    assert all(h.observation_id is None and h.new_value is None for h in removed)
    key = removed[2].observation_key
    assert key == {
        "site": site_a.pk,
        "metric": march.metric_id,
        "area": "A",
        "group": "treatment",
        "period_start": "2023-03-01",
        "period_end": "2023-03-31",
        "dimension": "",
        "category": "",
    }
    for entry in earlier:
        entry.refresh_from_db()
        assert entry.observation_id is None and entry.observation_key == key
    assert ObservationHistory.objects.count() == len(earlier) + 3
