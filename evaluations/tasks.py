"""Background work for large uploads (django-tasks): the request only enqueues; progress is
written to the UploadBatch, which the batch page polls."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tasks import task

from evaluations.models import UploadBatch
from evaluations.services import (
    outcome_upload_import,
    outcome_upload_validate,
    protected_tables_refresh,
)
from portal.models import GranteeSite


@task()
def outcome_upload_validate_task(batch_id: int) -> str:
    """Check a received batch's file and store its preview report."""
    batch = UploadBatch.objects.select_related("site").get(pk=batch_id)
    return outcome_upload_validate(batch=batch).status


@task()
def outcome_upload_import_task(batch_id: int, user_id: int) -> str:
    """Import a validated batch in one transaction; a killed worker leaves data unchanged."""
    batch = UploadBatch.objects.select_related("site").get(pk=batch_id)
    user = get_user_model().objects.get(pk=user_id)
    return outcome_upload_import(batch=batch, user=user).status


@task()
def protected_tables_refresh_task(site_id: int, metric_codes: list[str]) -> int:
    """Store the public suppression pattern of the site's changed metrics ahead of visitors."""
    site = GranteeSite.objects.get(pk=site_id)
    return protected_tables_refresh(site=site, metric_codes=metric_codes)
