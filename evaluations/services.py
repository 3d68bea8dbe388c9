"""Writes to outcome data: validating and importing uploads, rolling batches back, publishing.

Every import follows the same path whichever way the file came in (admin, API, command):
read → validate everything with pandas → compare with what is stored → write in ONE
transaction (bulk inserts of new rows, bulk updates of changed rows, history of the old
values). A file with any error writes nothing; a failure part-way through the write rolls the
whole import back.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from evaluations.models import ObservationHistory, OutcomeMetric, OutcomeObservation, UploadBatch
from evaluations.permissions import (
    user_can_publish,
    user_can_rollback,
    user_can_upload_for,
)
from evaluations.signals import observations_changed
from evaluations.uploads.reader import UnreadableFile, file_format_detect, sha256_of, upload_read
from evaluations.uploads.report import report_build
from evaluations.uploads.validation import (
    KEY_COLUMNS,
    Catalogue,
    MetricInfo,
    Problem,
    ValidationResult,
    upload_validate,
)
from portal.audit import audit_record
from portal.models import GranteeSite

WRITE_CHUNK_ROWS = 5000
SAMPLE_CHANGES = 20
Progress = Callable[[int, str], None]


class RollbackRefused(ValueError):
    """The batch cannot be rolled back as asked (wrong status or later changes on top)."""


@dataclass
class UploadPlan:
    """What an import would do: the validated rows split into new / updated / unchanged."""

    site: GranteeSite
    result: ValidationResult
    file_name: str
    file_format: str
    sha256: str
    new: pd.DataFrame
    updated: pd.DataFrame
    unchanged: int
    previous: UploadBatch | None = None
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.result.ok


@dataclass
class UploadOutcome:
    """What ``outcome_upload`` did: the report, and the batch unless it was a dry run."""

    report: dict[str, Any]
    batch: UploadBatch | None
    written: bool


# --- Planning ------------------------------------------------------------------------------


def catalogue_for(site: GranteeSite) -> Catalogue:
    """The metric catalogue and site slugs validation checks against."""
    metrics = {
        m.code: MetricInfo(m.id, m.code, m.unit_kind, m.aggregation)
        for m in OutcomeMetric.objects.only("id", "code", "unit_kind", "aggregation")
    }
    slugs = tuple(GranteeSite.objects.values_list("slug", flat=True))
    return Catalogue(metrics=metrics, site_slug=site.slug, site_id=site.pk, all_site_slugs=slugs)


def _existing_frame(site: GranteeSite, frame: pd.DataFrame) -> pd.DataFrame:
    """Stored rows that could share a natural key with the file's rows."""
    columns = ["id", *KEY_COLUMNS, "value", "denominator", "notes"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    queryset = OutcomeObservation.objects.filter(
        site=site,
        metric_id__in=[int(m) for m in frame["metric_id"].dropna().unique()],
        period_start__gte=frame["period_start"].min().date(),
        period_end__lte=frame["period_end"].max().date(),
    ).values_list(*columns)
    existing = pd.DataFrame.from_records(list(queryset.iterator(chunk_size=20000)), columns=columns)
    if existing.empty:
        return existing
    existing["period_start"] = pd.to_datetime(existing["period_start"])
    existing["period_end"] = pd.to_datetime(existing["period_end"])
    return existing


def _diff(site: GranteeSite, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    existing = _existing_frame(site, frame)
    if existing.empty:
        return frame, frame.iloc[0:0].assign(id=pd.Series(dtype="int64")), 0
    keys = list(KEY_COLUMNS)
    left = frame.copy()
    for column in ("area", "group", "dimension", "category"):
        left[column] = left[column].astype(object)
    left["metric_id"] = left["metric_id"].astype("int64")
    existing = existing.rename(
        columns={"value": "old_value", "denominator": "old_denominator", "notes": "old_notes"}
    )
    existing["metric_id"] = existing["metric_id"].astype("int64")
    merged = left.merge(existing, on=keys, how="left", validate="one_to_one")
    is_new = merged["id"].isna()
    old_den = pd.to_numeric(merged["old_denominator"], errors="coerce")
    same_value = np.isclose(merged["value"], pd.to_numeric(merged["old_value"]), rtol=1e-12)
    same_den = (merged["denominator"].isna() & old_den.isna()) | np.isclose(
        merged["denominator"].fillna(-1), old_den.fillna(-1), rtol=1e-12
    )
    same_notes = merged["notes"].astype(object).fillna("") == merged["old_notes"].fillna("")
    unchanged = ~is_new & same_value & same_den & same_notes
    new = merged.loc[is_new, frame.columns]
    updated = merged.loc[~is_new & ~unchanged].copy()
    updated["id"] = updated["id"].astype("int64")
    return new, updated, int(unchanged.sum())


def _previous_import(site: GranteeSite, sha256: str) -> UploadBatch | None:
    return (
        UploadBatch.objects.filter(site=site, sha256=sha256, status=UploadBatch.Status.IMPORTED)
        .select_related("uploaded_by")
        .order_by("-imported_at")
        .first()
    )


def _sample_changes(plan_new: pd.DataFrame, plan_updated: pd.DataFrame, metrics: dict[int, str]):
    sample: list[dict[str, Any]] = []
    for kind, frame in (("updated", plan_updated), ("new", plan_new)):
        for rec in frame.head(SAMPLE_CHANGES - len(sample)).itertuples(index=False):
            sample.append(
                {
                    "change": kind,
                    "row": int(rec.row),
                    "metric": metrics.get(int(rec.metric_id), ""),
                    "area": str(rec.area),
                    "group": str(rec.group),
                    "period_start": rec.period_start.date().isoformat(),
                    "period_end": rec.period_end.date().isoformat(),
                    "dimension": str(rec.dimension),
                    "category": str(rec.category),
                    "old_value": float(rec.old_value) if kind == "updated" else None,
                    "value": float(rec.value),
                }
            )
    return sample


def upload_plan(
    *,
    site: GranteeSite,
    stream: BinaryIO,
    file_name: str,
    progress: Progress | None = None,
) -> UploadPlan:
    """Read and validate a file for ``site`` and work out what importing it would change.

    Reads nothing but the file and the rows it could touch; writes nothing.
    """
    report_progress = progress or (lambda percent, message: None)
    sha256 = sha256_of(stream)
    head = stream.read(65536)
    stream.seek(0)
    file_format = file_format_detect(file_name, head)
    catalogue = catalogue_for(site)
    report_progress(5, "Reading and checking the file")
    try:
        result = upload_validate(upload_read(stream, file_name=file_name), catalogue)
    except UnreadableFile as exc:
        result = ValidationResult(
            frame=pd.DataFrame(columns=["row", *KEY_COLUMNS, "value", "denominator", "notes"]),
            errors=[
                Problem(1, "", "", str(exc), "Save the file as CSV (UTF-8) or XLSX and retry.")
            ],
        )
    report_progress(40, "Comparing with stored data")
    new, updated, unchanged = _diff(site, result.frame)
    previous = _previous_import(site, sha256)
    metric_codes = {m.id: m.code for m in catalogue.metrics.values()}
    plan = UploadPlan(
        site, result, file_name, file_format, sha256, new, updated, unchanged, previous
    )
    plan.report = report_build(
        result=result,
        site_slug=site.slug,
        file_name=file_name,
        sha256=sha256,
        file_format=file_format,
        counts={"new": len(new), "updated": len(updated), "unchanged": unchanged},
        sample_changes=_sample_changes(new, updated, metric_codes),
        previous_import=(
            {
                "batch_id": previous.pk,
                "imported_at": timezone.localtime(previous.imported_at).isoformat(
                    timespec="minutes"
                ),
                "uploaded_by": str(previous.uploaded_by or "unknown"),
            }
            if previous
            else None
        ),
    )
    return plan


# --- Writing -------------------------------------------------------------------------------


def _chunks(frame: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def _nan_to_none(values: list[float]) -> list[float | None]:
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in values]


def _new_observations(chunk: pd.DataFrame, site_id: int, batch_id: int | None):
    columns = zip(
        chunk["metric_id"].astype("int64").tolist(),
        chunk["area"].astype(object).tolist(),
        chunk["group"].astype(object).tolist(),
        chunk["period_start"].dt.date.tolist(),
        chunk["period_end"].dt.date.tolist(),
        chunk["dimension"].astype(object).tolist(),
        chunk["category"].astype(object).tolist(),
        chunk["value"].tolist(),
        _nan_to_none(chunk["denominator"].tolist()),
        chunk["notes"].astype(object).fillna("").tolist(),
        strict=True,
    )
    return [
        OutcomeObservation(
            site_id=site_id,
            metric_id=metric_id,
            area=area,
            group=group,
            period_start=start,
            period_end=end,
            dimension=dimension,
            category=category,
            value=value,
            denominator=denominator,
            notes=notes,
            batch_id=batch_id,
            created_batch_id=batch_id,
        )
        for (
            metric_id,
            area,
            group,
            start,
            end,
            dimension,
            category,
            value,
            denominator,
            notes,
        ) in columns
    ]


def _history_snapshot(
    obs: OutcomeObservation, *, batch: UploadBatch, action: str, new_value: float, user
) -> ObservationHistory:
    """The observation as it stands before ``batch`` changes it, so the change can be undone.

    Updates by an import and restores by a rollback both record one.
    """
    return ObservationHistory(
        observation=obs,
        batch=batch,
        action=action,
        old_value=obs.value,
        old_denominator=obs.denominator,
        old_notes=obs.notes,
        old_batch_id=obs.batch_id,
        old_is_published=obs.is_published,
        new_value=new_value,
        changed_by=user,
    )


def _plan_write(plan: UploadPlan, batch: UploadBatch, user, progress: Progress) -> None:
    """Insert, update and record history for a valid plan. Must run inside a transaction."""
    total = max(len(plan.new) + len(plan.updated), 1)
    done = 0
    for chunk in _chunks(plan.new, WRITE_CHUNK_ROWS):
        OutcomeObservation.objects.bulk_create(
            _new_observations(chunk, plan.site.pk, batch.pk), batch_size=WRITE_CHUNK_ROWS
        )
        done += len(chunk)
        progress(50 + int(45 * done / total), f"Writing rows ({done:,} of {total:,})")
    for chunk in _chunks(plan.updated, WRITE_CHUNK_ROWS):
        ids = chunk["id"].tolist()
        current = OutcomeObservation.objects.in_bulk(ids)
        history = []
        changed = []
        for obs_id, value, denominator, notes in zip(
            ids,
            chunk["value"].tolist(),
            _nan_to_none(chunk["denominator"].tolist()),
            chunk["notes"].astype(object).fillna("").tolist(),
            strict=True,
        ):
            obs = current[obs_id]
            history.append(
                _history_snapshot(
                    obs,
                    batch=batch,
                    action=ObservationHistory.Action.UPDATED,
                    new_value=value,
                    user=user,
                )
            )
            obs.value, obs.denominator, obs.notes = value, denominator, notes
            # A corrected value is not public until someone publishes it again.
            obs.batch_id, obs.is_published, obs.published_at = batch.pk, False, None
            changed.append(obs)
        ObservationHistory.objects.bulk_create(history)
        OutcomeObservation.objects.bulk_update(
            changed,
            ["value", "denominator", "notes", "batch", "is_published", "published_at"],
            batch_size=1000,
        )
        done += len(chunk)
        progress(50 + int(45 * done / total), f"Writing rows ({done:,} of {total:,})")


def _changed_scope(plan: UploadPlan) -> tuple[set[str], set[str]]:
    touched = pd.concat([plan.new[["metric_id", "area"]], plan.updated[["metric_id", "area"]]])
    ids = {int(m) for m in touched["metric_id"].unique()}
    codes = set(OutcomeMetric.objects.filter(pk__in=ids).values_list("code", flat=True))
    return codes, {str(a) for a in touched["area"].astype(object).unique()}


def _signal_on_commit(site, codes, areas, batch, action) -> None:
    if not codes:
        return
    transaction.on_commit(
        lambda: observations_changed.send(
            sender=OutcomeObservation,
            site=site,
            metric_codes=codes,
            areas=areas,
            batch=batch,
            action=action,
        )
    )


def _batch_apply_plan(
    batch: UploadBatch, plan: UploadPlan, user, progress: Progress | None
) -> UploadBatch:
    """Store the plan's report on the batch and, when valid and new, write it atomically."""
    report_progress = progress or (lambda percent, message: None)
    batch.report = plan.report
    batch.rows_total = plan.result.rows_total
    batch.rows_rejected = plan.result.rows_rejected
    batch.rows_new, batch.rows_updated, batch.rows_unchanged = 0, 0, plan.unchanged
    previous_status = batch.status
    if not plan.ok:
        batch.status = UploadBatch.Status.FAILED
        batch.rows_new, batch.rows_updated = len(plan.new), len(plan.updated)
        batch.progress_percent, batch.progress_message = 100, "The file has errors"
        batch.save()
        _audit_batch(batch, "ips.upload.import_failed", user, previous_status)
        return batch
    if plan.previous:
        batch.status = UploadBatch.Status.VALIDATED
        batch.progress_percent, batch.progress_message = 100, "Imported before; nothing changed"
        batch.save()
        return batch
    with transaction.atomic():
        _plan_write(plan, batch, user, report_progress)
        batch.rows_new, batch.rows_updated = len(plan.new), len(plan.updated)
        batch.status = UploadBatch.Status.IMPORTED
        batch.imported_at = timezone.now()
        batch.progress_percent, batch.progress_message = 100, "Imported"
        batch.save()
        _audit_batch(batch, "ips.upload.import", user, previous_status)
        codes, areas = _changed_scope(plan)
        _signal_on_commit(plan.site, codes, areas, batch, "imported")
    return batch


def _audit_batch(
    batch: UploadBatch, action: str, user, previous_status: str, extra: dict | None = None
) -> None:
    """One audit entry per status change of a batch, with its counts at that moment."""
    audit_record(
        instance=batch,
        action=action,
        user=user,
        changes={
            "site": batch.site.slug,
            "file_name": batch.file_name,
            "sha256": batch.sha256,
            "status": [previous_status, batch.status],
            "rows": {
                "total": batch.rows_total,
                "new": batch.rows_new,
                "updated": batch.rows_updated,
                "unchanged": batch.rows_unchanged,
                "rejected": batch.rows_rejected,
            },
            **(extra or {}),
        },
    )


def _require_upload_permission(user, site: GranteeSite) -> None:
    if not user_can_upload_for(user, site):
        raise PermissionDenied(f"You may not upload outcome data for {site.slug}.")


def outcome_upload(
    *,
    site: GranteeSite,
    user: AbstractBaseUser | None,
    stream: BinaryIO,
    file_name: str,
    source: str = UploadBatch.Source.COMMAND,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> UploadOutcome:
    """Validate and (unless ``dry_run`` or the file has errors) import in one call.

    Used by the API and the command. ``user`` None means the command runs without --user,
    as the operator; permission checks then do not apply. A failed file is recorded as a
    failed batch so every attempt is traceable; a dry run records nothing.
    """
    if user is not None:
        _require_upload_permission(user, site)
    plan = upload_plan(site=site, stream=stream, file_name=file_name, progress=progress)
    if dry_run:
        return UploadOutcome(plan.report, None, False)
    if plan.previous and plan.ok:
        return UploadOutcome(plan.report, plan.previous, False)
    batch = UploadBatch(
        site=site,
        uploaded_by=user,
        file_name=file_name[:255],
        sha256=plan.sha256,
        file_format=plan.file_format,
        source=source,
        validated_at=timezone.now(),
    )
    batch.save()
    batch = _batch_apply_plan(batch, plan, user, progress)
    batch.report["batch_id"] = batch.pk
    UploadBatch.objects.filter(pk=batch.pk).update(report=batch.report)
    return UploadOutcome(batch.report, batch, batch.status == UploadBatch.Status.IMPORTED)


def outcome_upload_receive(
    *,
    site: GranteeSite,
    user: AbstractBaseUser,
    upload: File,
    file_name: str,
    source: str = UploadBatch.Source.ADMIN,
) -> UploadBatch:
    """Keep an uploaded file as a queued batch so it can be validated, previewed and
    confirmed across requests (or by a background task)."""
    _require_upload_permission(user, site)
    upload.seek(0)
    head = upload.read(65536)
    upload.seek(0)
    batch = UploadBatch(
        site=site,
        uploaded_by=user,
        file_name=file_name[:255],
        sha256=sha256_of(upload),
        file_format=file_format_detect(file_name, head),
        source=source,
        status=UploadBatch.Status.QUEUED,
        progress_message="Waiting to be checked",
    )
    batch.stored_file.save(file_name.rsplit("/", 1)[-1][:100], upload, save=False)
    batch.save()
    return batch


def _batch_progress(batch: UploadBatch) -> Progress:
    def update(percent: int, message: str) -> None:
        UploadBatch.objects.filter(pk=batch.pk).update(
            progress_percent=percent, progress_message=message[:200]
        )

    return update


def _batch_stream(batch: UploadBatch) -> BinaryIO:
    batch.stored_file.open("rb")
    return batch.stored_file.file


def outcome_upload_validate(*, batch: UploadBatch) -> UploadBatch:
    """Check a received batch's file and store the preview report (writes no observations).

    Status becomes ``validated`` or ``failed``.
    """
    UploadBatch.objects.filter(pk=batch.pk).update(status=UploadBatch.Status.VALIDATING)
    stream = _batch_stream(batch)
    try:
        plan = upload_plan(
            site=batch.site, stream=stream, file_name=batch.file_name,
            progress=_batch_progress(batch),
        )  # fmt: skip
    finally:
        batch.stored_file.close()
    batch.refresh_from_db()
    batch.report = plan.report | {"batch_id": batch.pk}
    batch.rows_total = plan.result.rows_total
    batch.rows_new, batch.rows_updated = len(plan.new), len(plan.updated)
    batch.rows_unchanged, batch.rows_rejected = plan.unchanged, plan.result.rows_rejected
    batch.status = UploadBatch.Status.VALIDATED if plan.ok else UploadBatch.Status.FAILED
    batch.validated_at = timezone.now()
    batch.progress_percent = 100
    batch.progress_message = "Checked; ready to import" if plan.ok else "The file has errors"
    batch.save()
    _audit_batch(batch, "ips.upload.validate", batch.uploaded_by, UploadBatch.Status.VALIDATING)
    return batch


def outcome_upload_import(
    *, batch: UploadBatch, user: AbstractBaseUser, progress: Progress | None = None
) -> UploadBatch:
    """Import a validated batch. The file is checked again against the data as it is now
    (someone may have imported in between), then written in one transaction."""
    _require_upload_permission(user, batch.site)
    if batch.status not in (UploadBatch.Status.VALIDATED, UploadBatch.Status.IMPORTING):
        raise ValueError(f"Batch {batch.pk} is {batch.get_status_display()}, not validated.")
    UploadBatch.objects.filter(pk=batch.pk).update(status=UploadBatch.Status.IMPORTING)
    report_progress = progress or _batch_progress(batch)
    stream = _batch_stream(batch)
    try:
        plan = upload_plan(
            site=batch.site, stream=stream, file_name=batch.file_name, progress=report_progress
        )
    finally:
        batch.stored_file.close()
    batch.refresh_from_db()
    try:
        batch = _batch_apply_plan(batch, plan, user, report_progress)
    except Exception:
        UploadBatch.objects.filter(pk=batch.pk).update(
            status=UploadBatch.Status.FAILED,
            progress_message="The import failed and was rolled back; nothing was changed.",
        )
        batch.refresh_from_db()
        _audit_batch(batch, "ips.upload.import_failed", user, UploadBatch.Status.IMPORTING)
        raise
    batch.report["batch_id"] = batch.pk
    UploadBatch.objects.filter(pk=batch.pk).update(report=batch.report)
    return batch


def outcome_rows_stream(rows: list[dict[str, Any]]) -> io.BytesIO:
    """JSON rows as a stream the reader accepts, so API JSON takes the same path as files."""
    import json

    return io.BytesIO(json.dumps(rows, default=str).encode())


# --- Rollback and publication --------------------------------------------------------------


def upload_batch_rollback(
    *, batch: UploadBatch, user: AbstractBaseUser | AnonymousUser
) -> UploadBatch:
    """Undo an imported batch: restore the values it replaced, delete the rows it created.

    Refused when a later, still-imported batch changed the same rows (roll that back first),
    so a rollback never silently discards someone else's later correction.
    """
    if not user_can_rollback(user, batch):
        raise PermissionDenied("Only BJA staff or the site's own contributors may roll back.")
    with transaction.atomic():
        batch = UploadBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != UploadBatch.Status.IMPORTED:
            raise RollbackRefused(f"Batch {batch.pk} is {batch.get_status_display()}.")
        history = list(
            ObservationHistory.objects.filter(batch=batch, action=ObservationHistory.Action.UPDATED)
            .select_related("observation")
            .order_by("pk")
        )
        touched_ids = {h.observation_id for h in history}
        created = OutcomeObservation.objects.filter(created_batch=batch)
        later = (OutcomeObservation.objects.filter(pk__in=touched_ids) | created).exclude(
            batch=batch
        )
        if later.exists():
            raise RollbackRefused(
                "A later upload changed some of the same rows; roll that batch back first."
            )
        scope = pd.DataFrame.from_records(
            list(
                (OutcomeObservation.objects.filter(pk__in=touched_ids) | created)
                .values_list("metric__code", "area")
                .distinct()
            ),
            columns=["metric", "area"],
        )
        restored = []
        undo = []
        for entry in history:
            obs = entry.observation
            undo.append(
                _history_snapshot(
                    obs,
                    batch=batch,
                    action=ObservationHistory.Action.ROLLED_BACK,
                    new_value=entry.old_value,
                    user=user,
                )
            )
            obs.value, obs.denominator, obs.notes = (
                entry.old_value,
                entry.old_denominator,
                entry.old_notes,
            )
            obs.batch_id, obs.is_published = entry.old_batch_id, entry.old_is_published
            obs.published_at = timezone.now() if entry.old_is_published else None
            restored.append(obs)
        OutcomeObservation.objects.bulk_update(
            restored,
            ["value", "denominator", "notes", "batch", "is_published", "published_at"],
            batch_size=1000,
        )
        ObservationHistory.objects.bulk_create(undo)
        # Rows the batch created go, with their history; the audit entry below keeps the
        # record of how many, so the rollback itself stays traceable.
        deleted_rows = created.count()
        ObservationHistory.objects.filter(observation__created_batch=batch).delete()
        created.delete()
        batch.status = UploadBatch.Status.ROLLED_BACK
        batch.rolled_back_at = timezone.now()
        batch.rolled_back_by = user if user.is_authenticated else None
        batch.save()
        _audit_batch(
            batch,
            "ips.upload.rollback",
            user,
            UploadBatch.Status.IMPORTED,
            extra={"rows_restored": len(restored), "rows_deleted": deleted_rows},
        )
        _signal_on_commit(
            batch.site, set(scope["metric"]), set(scope["area"]), batch, "rolled_back"
        )
    return batch


def observations_publish(
    *,
    site: GranteeSite,
    user: AbstractBaseUser | AnonymousUser,
    metric: OutcomeMetric | None = None,
) -> int:
    """Make a site's unpublished observations public (optionally one metric); returns how many.

    Public views still suppress small counts; publishing only decides whether the site's
    figures are shown at all.
    """
    if not user_can_publish(user, site):
        raise PermissionDenied(f"You may not publish data for {site.slug}.")
    queryset = OutcomeObservation.objects.filter(site=site, is_published=False)
    if metric is not None:
        queryset = queryset.filter(metric=metric)
    scope = list(queryset.values_list("metric__code", "area").distinct())
    count = queryset.update(is_published=True, published_at=timezone.now())
    audit_record(
        instance=site,
        action="ips.data.publish",
        user=user,
        changes={"metric": metric.code if metric else None, "observations": count},
    )
    _signal_on_commit(site, {m for m, _ in scope}, {a for _, a in scope}, None, "published")
    return count


def observations_unpublish(
    *,
    site: GranteeSite,
    user: AbstractBaseUser | AnonymousUser,
    metric: OutcomeMetric | None = None,
) -> int:
    """Withdraw a site's observations from public view (e.g. after finding an error)."""
    if not user_can_publish(user, site):
        raise PermissionDenied(f"You may not unpublish data for {site.slug}.")
    queryset = OutcomeObservation.objects.filter(site=site, is_published=True)
    if metric is not None:
        queryset = queryset.filter(metric=metric)
    count = queryset.update(is_published=False, published_at=None)
    audit_record(
        instance=site,
        action="ips.data.withdraw",
        user=user,
        changes={"metric": metric.code if metric else None, "observations": count},
    )
    return count
