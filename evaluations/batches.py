"""The life of an upload batch, in one place: which status may follow which.

    queued → validating → validated → importing → imported → rolled_back
                 ↘            ↘           ↘ (nothing to do) validated
                  failed ←─────┴───────────┘
    queued / validating / importing, stalled (the worker died) → queued (retry)

Every change of status goes through ``batch_transition``, which moves the batch only if its
current status allows it, in one conditional UPDATE, so two requests racing to confirm (or to
confirm and roll back) cannot both win. Views and tasks call the services, which call this;
nobody assigns ``batch.status`` directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from evaluations.models import UploadBatch
from portal.audit import audit_record

Status = UploadBatch.Status

TRANSITIONS: dict[str, frozenset[str]] = {
    # queued → queued: a retry of a batch whose check was queued but never started.
    Status.QUEUED: frozenset({Status.VALIDATING, Status.FAILED, Status.QUEUED}),
    Status.VALIDATING: frozenset({Status.VALIDATED, Status.FAILED, Status.QUEUED}),
    Status.VALIDATED: frozenset({Status.IMPORTING, Status.FAILED}),
    Status.IMPORTING: frozenset({Status.IMPORTED, Status.VALIDATED, Status.FAILED, Status.QUEUED}),
    Status.IMPORTED: frozenset({Status.ROLLED_BACK}),
    Status.FAILED: frozenset(),
    Status.ROLLED_BACK: frozenset(),
}
RUNNING = frozenset({Status.QUEUED, Status.VALIDATING, Status.IMPORTING})


class BatchStateError(ValueError):
    """The batch is not in a status that allows what was asked; the message says why."""


def _label(status: str | None) -> str:
    return Status(status).label.lower() if status in Status.values else "gone"


def batch_transition(
    batch: UploadBatch,
    to: str,
    *,
    message: str = "",
    actor=None,
    audit: dict | None = None,
    **fields,
) -> UploadBatch:
    """Move ``batch`` to status ``to`` if its stored status allows it; else BatchStateError.

    ``fields`` are saved in the same UPDATE; ``batch`` is refreshed from it. Every move is
    appended to the audit log (``actor``, else the admin request's user, else the system;
    ``audit`` adds to the entry's JSON), so a batch's history survives later cycles.
    """
    previous = batch.status
    allowed_from = [status for status, targets in TRANSITIONS.items() if to in targets]
    now = timezone.now()
    values = {"status": to, "heartbeat_at": now, **fields}
    if message:
        values["progress_message"] = message[:200]
    moved = UploadBatch.objects.filter(pk=batch.pk, status__in=allowed_from).update(**values)
    if not moved:
        current = UploadBatch.objects.filter(pk=batch.pk).values_list("status", flat=True).first()
        raise BatchStateError(
            f"Batch {batch.pk} is {_label(current)}; it cannot become {_label(to)}."
            + (_hint(current, to) or "")
        )
    for name, value in values.items():
        setattr(batch, name, value)
    _audit_move(batch, previous, to, actor, audit or {})
    return batch


AUDIT_ACTIONS = {
    Status.VALIDATED: "ips.upload.validate",
    Status.IMPORTED: "ips.upload.import",
    Status.FAILED: "ips.upload.fail",
    Status.ROLLED_BACK: "ips.upload.rollback",
}


def batch_opened(batch: UploadBatch, *, actor=None) -> UploadBatch:
    """Log a new batch's first status: it is created in that status rather than moved to it,
    so without this entry its history would start one step late."""
    _audit_move(batch, None, batch.status, actor, {})
    return batch


def _audit_move(batch: UploadBatch, previous: str | None, to: str, actor, extra: dict) -> None:
    audit_record(
        instance=batch,
        action=AUDIT_ACTIONS.get(to, "ips.upload.status"),
        user=actor,
        changes={
            "site_id": batch.site_id,
            "file_name": batch.file_name,
            "sha256": batch.sha256,
            "status": [previous, to],
            "message": batch.progress_message,
            "rows": {
                name: getattr(batch, f"rows_{name}")
                for name in ("total", "new", "updated", "unchanged", "rejected")
            },
            **extra,
        },
    )


def _hint(current: str | None, to: str) -> str | None:
    if current == Status.ROLLED_BACK:
        return " A rolled-back batch is closed; upload the file again to import it anew."
    if current == Status.IMPORTED and to == Status.IMPORTING:
        return " It was imported already."
    if current in RUNNING:
        return " It is still being processed; wait for it to finish."
    if current == Status.FAILED:
        return " Correct the file and upload it again."
    return None


def batch_fail(batch: UploadBatch, reason: str) -> UploadBatch:
    """End a batch as failed with the reason shown on its page (from any open status)."""
    return batch_transition(
        batch,
        Status.FAILED,
        message=reason,
        failure_reason=reason,
        progress_percent=100,
    )


def batch_is_stalled(batch: UploadBatch, now: dt.datetime | None = None) -> bool:
    """A running batch whose progress has not moved for PORTAL_UPLOAD_STALLED_SECONDS: its
    worker died (or was never started). Its import, one transaction, wrote nothing."""
    if batch.status not in RUNNING:
        return False
    last = batch.heartbeat_at or batch.created_at
    limit = dt.timedelta(seconds=settings.PORTAL_UPLOAD_STALLED_SECONDS)
    return last is not None and (now or timezone.now()) - last > limit


class ProgressRecorder:
    """A ``progress(percent, message)`` callback that stores progress and a heartbeat.

    While the import writes inside its transaction, an update on the same connection stays
    invisible to the page polling it until the commit. During that write phase
    (``writing()``), on PostgreSQL, the recorder therefore writes through a second,
    autocommitting connection, so the page shows the write phase too. It never waits for a
    lock there: progress is skipped rather than risk blocking the import. SQLite allows one
    writer at a time, so there the page sees the write phase only at the commit.
    """

    def __init__(self, batch: UploadBatch) -> None:
        self.batch_id = batch.pk
        self.side = None
        self.in_write_phase = False

    def __call__(self, percent: int, message: str) -> None:
        now = timezone.now()
        if self.in_write_phase and transaction.get_connection().vendor == "postgresql":
            self._side_write(percent, message, now)
            return
        UploadBatch.objects.filter(pk=self.batch_id).update(
            progress_percent=percent, progress_message=message[:200], heartbeat_at=now
        )

    def _side_write(self, percent: int, message: str, now: dt.datetime) -> None:
        table = UploadBatch._meta.db_table
        try:
            if self.side is None:
                self.side = connections.create_connection("default")
                with self.side.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '200ms'")
            with self.side.cursor() as cursor:
                cursor.execute(
                    f'UPDATE "{table}" SET progress_percent = %s, progress_message = %s, '
                    "heartbeat_at = %s WHERE id = %s",
                    [percent, message[:200], now, self.batch_id],
                )
        except DatabaseError:
            pass  # progress is a courtesy; the import itself must not fail for it

    @contextmanager
    def writing(self) -> Iterator[None]:
        self.in_write_phase = True
        try:
            yield
        finally:
            self.in_write_phase = False
            if self.side is not None:
                self.side.close()
                self.side = None
