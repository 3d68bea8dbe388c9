"""Writes to outcome data: validating and importing uploads, rolling batches back, publishing.

Every import follows the same path whichever way the file came in (admin, API, command):
read → validate everything with pandas → compare with what is stored → write in ONE
transaction (bulk inserts of new rows, bulk updates of changed rows, history of the old
values). A file with any error writes nothing; a failure part-way through the write rolls the
whole import back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from evaluations.batches import (
    BatchStateError,
    ProgressRecorder,
    batch_fail,
    batch_is_stalled,
    batch_opened,
    batch_transition,
)
from evaluations.models import (
    ObservationHistory,
    OutcomeMetric,
    OutcomeObservation,
    UploadBatch,
    observation_key,
)
from evaluations.permissions import (
    user_can_publish,
    user_can_rollback,
    user_can_upload_for,
)
from evaluations.selectors import protected_versions
from evaluations.signals import observations_changed
from evaluations.uploads.reader import (
    UnreadableFile,
    UploadLimits,
    file_format_detect,
    sha256_of,
    upload_read,
)
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
from portal.page_cache import public_pages_invalidate

WRITE_CHUNK_ROWS = 5000
SAMPLE_CHANGES = 20
Progress = Callable[[int, str], None]


class RollbackRefused(BatchStateError):
    """The batch cannot be rolled back as asked (wrong status or later changes on top)."""


class UploadConflict(Exception):
    """Another upload or a rollback changed the same rows while this one was being written."""


CONFLICT_MESSAGE = (
    "Another upload or a rollback changed some of the same rows of {site} at the same "
    "moment; nothing from this file was written."
)
CONFLICT_FIX = (
    "Open the list of upload batches to see what was imported, then upload the file again; "
    "the new check will show what it would change now."
)


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
    return Catalogue(
        metrics=metrics,
        site_slug=site.slug,
        site_id=site.pk,
        all_site_slugs=slugs,
        date_min=settings.PORTAL_UPLOAD_EARLIEST_DATE,
        date_max=settings.PORTAL_UPLOAD_LATEST_DATE,
        value_max=settings.PORTAL_UPLOAD_MAX_VALUE,
        cell_max_chars=settings.PORTAL_UPLOAD_MAX_CELL_CHARS,
    )


def upload_limits() -> UploadLimits:
    """The size limits of the settings, checked by the reader before it reads everything."""
    return UploadLimits(
        max_bytes=settings.PORTAL_UPLOAD_MAX_BYTES,
        max_columns=settings.PORTAL_UPLOAD_MAX_COLUMNS,
        max_header_chars=settings.PORTAL_UPLOAD_MAX_HEADER_CHARS,
        max_cell_chars=settings.PORTAL_UPLOAD_MAX_CELL_CHARS,
        max_rows=settings.PORTAL_UPLOAD_MAX_ROWS,
        xlsx_max_uncompressed_bytes=settings.PORTAL_UPLOAD_XLSX_MAX_UNCOMPRESSED_BYTES,
        json_max_depth=settings.PORTAL_UPLOAD_JSON_MAX_DEPTH,
    )


def unreadable_result(exc: UnreadableFile) -> ValidationResult:
    """A file the reader refused, as a validation result with one error."""
    return ValidationResult(
        frame=pd.DataFrame(columns=["row", *KEY_COLUMNS, "value", "denominator", "notes"]),
        errors=[Problem(exc.row, exc.column, "", exc.message, exc.fix)],
    )


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
        raw = upload_read(stream, file_name=file_name, limits=upload_limits())
        result = upload_validate(raw, catalogue)
    except UnreadableFile as exc:
        result = unreadable_result(exc)
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
        observation_key=observation_key(obs),
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


def _plan_fingerprint(new: pd.DataFrame, updated: pd.DataFrame, unchanged: int):
    rows = frozenset(int(r) for r in new["row"])
    changes = frozenset(
        zip(
            updated["row"].astype(int).tolist(),
            updated["id"].astype(int).tolist(),
            pd.to_numeric(updated["old_value"]).tolist(),
            strict=True,
        )
    ) if len(updated) else frozenset()  # fmt: skip
    return rows, changes, unchanged


def _plan_still_holds(plan: UploadPlan) -> bool:
    """Whether the stored rows are still as they were when the plan was made."""
    now = _plan_fingerprint(*_diff(plan.site, plan.result.frame))
    return now == _plan_fingerprint(plan.new, plan.updated, plan.unchanged)


def _conflict_report(plan: UploadPlan, message: str) -> dict[str, Any]:
    problem = Problem(0, "", "", message, CONFLICT_FIX)
    return plan.report | {
        "ok": False,
        "conflict": True,
        "errors": [problem.to_dict()],
        "errors_total": 1,
    }


def _batch_write(batch: UploadBatch, plan: UploadPlan, user, progress: Progress) -> UploadBatch:
    """Write a valid plan in one transaction, holding the site's lock so imports and
    rollbacks of one site never interleave; refuse if the stored rows changed since the plan
    was made (another upload or a rollback got there first)."""
    try:
        with transaction.atomic():
            GranteeSite.objects.select_for_update().filter(pk=plan.site.pk).first()
            if not _plan_still_holds(plan):
                raise UploadConflict(CONFLICT_MESSAGE.format(site=plan.site.slug))
            phase = progress.writing() if isinstance(progress, ProgressRecorder) else nullcontext()
            with phase:
                _plan_write(plan, batch, user, progress)
            batch_transition(
                batch,
                UploadBatch.Status.IMPORTED,
                actor=user,
                message="Imported",
                progress_percent=100,
                rows_new=len(plan.new),
                rows_updated=len(plan.updated),
                imported_at=timezone.now(),
            )
            codes, areas = _changed_scope(plan)
            _signal_on_commit(plan.site, codes, areas, batch, "imported")
            if len(plan.updated):  # a corrected published row leaves public view
                public_pages_invalidate()
    except IntegrityError as exc:
        # Without row locks (SQLite) the loser of a race hits the natural-key constraint.
        raise UploadConflict(CONFLICT_MESSAGE.format(site=plan.site.slug)) from exc
    return batch


def _batch_apply_plan(
    batch: UploadBatch, plan: UploadPlan, user, progress: Progress | None
) -> UploadBatch:
    """Store the plan's report on the batch and, when valid and new, write it atomically.

    The batch ends imported, validated (identical file imported before) or failed with its
    reason; a conflict or an unexpected error is raised after the batch is marked failed.
    """
    report_progress = progress or (lambda percent, message: None)
    report = plan.report | {"batch_id": batch.pk}
    counts = {
        "report": report,
        "rows_total": plan.result.rows_total,
        "rows_rejected": plan.result.rows_rejected,
        "rows_unchanged": plan.unchanged,
    }
    UploadBatch.objects.filter(pk=batch.pk).update(**counts)
    # On the instance too: the audit entry of the next status move reads its counts from it.
    for name, value in counts.items():
        setattr(batch, name, value)
    if not plan.ok:
        return batch_transition(
            batch,
            UploadBatch.Status.FAILED,
            actor=user,
            message="The file has errors",
            failure_reason="The file has errors; nothing was written.",
            progress_percent=100,
            rows_new=len(plan.new),
            rows_updated=len(plan.updated),
        )
    if plan.previous:
        return batch_transition(
            batch,
            UploadBatch.Status.VALIDATED,
            actor=user,
            message="Imported before; nothing changed",
            progress_percent=100,
        )
    try:
        return _batch_write(batch, plan, user, report_progress)
    except UploadConflict as exc:
        batch.report = _conflict_report(plan, str(exc)) | {"batch_id": batch.pk}
        batch_fail(batch, str(exc))
        UploadBatch.objects.filter(pk=batch.pk).update(report=batch.report)
        raise
    except Exception as exc:
        batch_fail(
            batch,
            f"The import failed ({type(exc).__name__}) and was rolled back; nothing was "
            "changed. Try again; if it fails again, send the file to the portal team.",
        )
        raise


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
    failed batch so every attempt is traceable; a dry run records nothing. A conflicting
    concurrent write returns a report with ``conflict`` set and changes nothing.
    """
    if user is not None:
        _require_upload_permission(user, site)
    plan = upload_plan(site=site, stream=stream, file_name=file_name, progress=progress)
    if dry_run:
        return UploadOutcome(plan.report, None, False)
    if plan.previous and plan.ok:
        return UploadOutcome(plan.report, plan.previous, False)
    batch = UploadBatch.objects.create(
        site=site,
        uploaded_by=user,
        file_name=file_name[:255],
        sha256=plan.sha256,
        file_format=plan.file_format,
        source=source,
        validated_at=timezone.now(),
        status=UploadBatch.Status.IMPORTING,
        heartbeat_at=timezone.now(),
    )
    batch_opened(batch, actor=user)
    try:
        batch = _batch_apply_plan(batch, plan, user, progress)
    except UploadConflict:
        return UploadOutcome(batch.report, batch, False)
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
        heartbeat_at=timezone.now(),
    )
    batch.stored_file.save(file_name.rsplit("/", 1)[-1][:100], upload, save=False)
    batch.save()
    return batch_opened(batch, actor=user)


def _batch_stream(batch: UploadBatch) -> BinaryIO:
    batch.stored_file.open("rb")
    return batch.stored_file.file


def outcome_upload_validate(*, batch: UploadBatch) -> UploadBatch:
    """Check a received batch's file and store the preview report (writes no observations).

    Status becomes ``validated`` or ``failed`` (with the reason), whatever happens.
    """
    batch_transition(batch, UploadBatch.Status.VALIDATING, progress_percent=0, message="Starting")
    recorder = ProgressRecorder(batch)
    try:
        stream = _batch_stream(batch)
        try:
            plan = upload_plan(
                site=batch.site, stream=stream, file_name=batch.file_name, progress=recorder
            )
        finally:
            batch.stored_file.close()
    except Exception as exc:
        batch_fail(
            batch,
            f"The check stopped unexpectedly ({type(exc).__name__}); nothing was written. "
            "Retry; if it fails again, send the file to the portal team.",
        )
        raise
    report = plan.report | {"batch_id": batch.pk}
    fields = {
        "report": report,
        "rows_total": plan.result.rows_total,
        "rows_new": len(plan.new),
        "rows_updated": len(plan.updated),
        "rows_unchanged": plan.unchanged,
        "rows_rejected": plan.result.rows_rejected,
        "validated_at": timezone.now(),
        "progress_percent": 100,
    }
    if plan.ok:
        return batch_transition(
            batch, UploadBatch.Status.VALIDATED, message="Checked; ready to import", **fields
        )
    return batch_transition(
        batch,
        UploadBatch.Status.FAILED,
        message="The file has errors",
        failure_reason="The file has errors; nothing was written.",
        **fields,
    )


def outcome_upload_confirm(*, batch: UploadBatch, user: AbstractBaseUser) -> UploadBatch:
    """Claim a validated batch for import (who may, then whether it may), so a second click,
    a rolled-back batch or a batch already importing is refused before any work starts."""
    _require_upload_permission(user, batch.site)
    batch.refresh_from_db()
    if batch.status == UploadBatch.Status.VALIDATED and (batch.report or {}).get("previous_import"):
        raise BatchStateError("This identical file was imported before; there is nothing to do.")
    return batch_transition(
        batch,
        UploadBatch.Status.IMPORTING,
        actor=user,
        progress_percent=0,
        message="Waiting to import",
    )


def outcome_upload_import(
    *, batch: UploadBatch, user: AbstractBaseUser, progress: Progress | None = None
) -> UploadBatch:
    """Import a batch claimed by ``outcome_upload_confirm`` (a validated batch is claimed
    here). The file is checked again against the data as it is now, then written in one
    transaction. A conflict leaves the batch failed with its reason and is raised."""
    _require_upload_permission(user, batch.site)
    batch.refresh_from_db()
    if batch.status != UploadBatch.Status.IMPORTING:
        batch = outcome_upload_confirm(batch=batch, user=user)
    report_progress = progress or ProgressRecorder(batch)
    try:
        stream = _batch_stream(batch)
        try:
            plan = upload_plan(
                site=batch.site, stream=stream, file_name=batch.file_name, progress=report_progress
            )
        finally:
            batch.stored_file.close()
    except Exception as exc:
        batch_fail(batch, f"The file could not be read again ({type(exc).__name__}).")
        raise
    return _batch_apply_plan(batch, plan, user, report_progress)


def upload_batch_retry(*, batch: UploadBatch, user: AbstractBaseUser) -> UploadBatch:
    """Queue a stalled batch (its worker died) to be checked again. Its import, one
    transaction, wrote nothing, so checking again and confirming is safe."""
    _require_upload_permission(user, batch.site)
    batch.refresh_from_db()
    if not batch_is_stalled(batch):
        raise BatchStateError(
            f"Batch {batch.pk} is {batch.get_status_display().lower()} and not stalled; "
            "there is nothing to retry."
        )
    return batch_transition(
        batch,
        UploadBatch.Status.QUEUED,
        actor=user,
        progress_percent=0,
        message="Queued again after the work stopped",
    )


# --- Rollback and publication --------------------------------------------------------------


def _rows_created_remove(created, *, batch: UploadBatch, user) -> int:
    """Delete the rows ``batch`` created, keeping their record: each gets a "removed by
    rollback" history row with its key and last value, and its earlier history rows stay
    (their link to the row is cleared; each keeps the row's natural key). Returns how many."""
    removals = [
        ObservationHistory(
            observation=None,
            observation_key=observation_key(obs),
            batch=batch,
            action=ObservationHistory.Action.REMOVED,
            old_value=obs.value,
            old_denominator=obs.denominator,
            old_notes=obs.notes,
            old_batch_id=obs.batch_id,
            old_is_published=obs.is_published,
            new_value=None,
            changed_by=user if user.is_authenticated else None,
        )
        for obs in created.iterator(chunk_size=2000)
    ]
    ObservationHistory.objects.bulk_create(removals, batch_size=2000)
    ObservationHistory.objects.filter(observation__created_batch=batch).update(observation=None)
    created.delete()
    return len(removals)


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
        # The site's lock first, as imports take it: a rollback never interleaves with one.
        GranteeSite.objects.select_for_update().filter(pk=batch.site_id).first()
        batch = UploadBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status != UploadBatch.Status.IMPORTED:
            raise RollbackRefused(
                f"Batch {batch.pk} is {batch.get_status_display().lower()}; only an imported "
                "batch can be rolled back."
            )
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
        deleted_rows = _rows_created_remove(created, batch=batch, user=user)
        batch_transition(
            batch,
            UploadBatch.Status.ROLLED_BACK,
            actor=user,
            audit={"rows_restored": len(restored), "rows_deleted": deleted_rows},
            message="Rolled back",
            rolled_back_at=timezone.now(),
            rolled_back_by=user if user.is_authenticated else None,
        )
        _signal_on_commit(
            batch.site, set(scope["metric"]), set(scope["area"]), batch, "rolled_back"
        )
        # Restored values may be public again and deleted rows may have been published.
        public_pages_invalidate()
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
    public_pages_invalidate()
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
    scope = list(queryset.values_list("metric__code", "area").distinct())
    count = queryset.update(is_published=False, published_at=None)
    audit_record(
        instance=site,
        action="ips.data.withdraw",
        user=user,
        changes={"metric": metric.code if metric else None, "observations": count},
    )
    public_pages_invalidate()
    # Published analyses of this data are re-run on what is still published.
    _signal_on_commit(site, {m for m, _ in scope}, {a for _, a in scope}, None, "unpublished")
    return count


# --- Disclosure control ----------------------------------------------------------------------


def protected_tables_refresh(*, site: GranteeSite, metric_codes: Iterable[str]) -> int:
    """Work out and store the public suppression pattern (``ProtectedTable``) of each named
    metric of ``site`` that suppresses small counts, so that no public view has to; returns
    how many tables were protected. Called by a task after data are published, withdrawn,
    imported or rolled back."""
    metrics = OutcomeMetric.objects.filter(code__in=list(metric_codes), suppress_small_counts=True)
    done = 0
    for metric_id in metrics.order_by("code").values_list("pk", flat=True):
        protected_versions(site.pk, metric_id)
        done += 1
    return done


def on_observations_changed_protect(sender, *, site, metric_codes, **kwargs) -> None:
    """Receiver of ``observations_changed``: enqueues ``protected_tables_refresh``."""
    from evaluations.tasks import protected_tables_refresh_task

    protected_tables_refresh_task.enqueue(site_id=site.pk, metric_codes=sorted(metric_codes))
