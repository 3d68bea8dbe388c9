"""The task worker as staff and pages see it: its heartbeat and the state of the queue.

Everything slower than a page view runs as a ``django-tasks`` task that ``manage.py
db_worker`` picks up from the database queue. When no worker runs, that work silently waits,
so the worker records a heartbeat (``WorkerHeartbeat``) and the admin dashboard and the pages
that wait on background work read ``worker_status()`` to say so.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.utils import DatabaseError
from django.utils import timezone

from portal.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# How often a running worker records that it is alive, in seconds.
HEARTBEAT_INTERVAL_SECONDS = 10


def worker_missing_after() -> dt.timedelta:
    """How long without a heartbeat before staff are told no worker is running
    (``PORTAL_WORKER_MISSING_SECONDS``, default three minutes)."""
    return dt.timedelta(seconds=settings.PORTAL_WORKER_MISSING_SECONDS)


def worker_heartbeat_record(*, worker_id: str, started_at: dt.datetime) -> WorkerHeartbeat:
    """Create or refresh this worker's heartbeat row with the current time."""
    now = timezone.now()
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "last_seen_at": now,
        },
    )
    return heartbeat


def worker_heartbeats_prune(*, older_than: dt.timedelta = dt.timedelta(days=7)) -> int:
    """Forget workers not seen for ``older_than`` (each restart gets a new id); returns how
    many rows were deleted."""
    cutoff = timezone.now() - older_than
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen_at__lt=cutoff).delete()
    return deleted


class HeartbeatThread(threading.Thread):
    """Records ``worker_id``'s heartbeat every ``interval`` seconds until ``stop()``.

    A thread rather than a step of the worker's loop, so a worker busy with a long analysis or
    import still reads as alive. A failed write (the database briefly unavailable) is logged
    and retried on the next beat; it never stops the worker."""

    def __init__(self, *, worker_id: str, interval: float = HEARTBEAT_INTERVAL_SECONDS) -> None:
        super().__init__(name=f"heartbeat-{worker_id[:8]}", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self.started_at = timezone.now()
        self._stopped = threading.Event()

    def beat(self) -> None:
        try:
            worker_heartbeat_record(worker_id=self.worker_id, started_at=self.started_at)
        except DatabaseError:
            logger.warning("Could not record the worker heartbeat", exc_info=True)
        finally:
            # This thread's own connection: never keep it open between beats.
            connection.close()

    def run(self) -> None:
        close_old_connections()
        worker_heartbeats_prune()
        while True:
            self.beat()
            if self._stopped.wait(self.interval):
                return

    def stop(self) -> None:
        """Stop beating and wait (briefly) for a beat in progress to finish."""
        self._stopped.set()
        if self.is_alive():
            self.join(timeout=5)


@dataclass(frozen=True)
class WorkerStatus:
    """The queue and the newest heartbeat, for the admin dashboard and waiting pages.

    ``queued`` counts tasks ready to run, ``running`` those a worker has claimed, ``failed``
    those that failed in the last day; ``oldest_queued_at`` is when the longest-waiting ready
    task was enqueued. ``last_seen_at`` is the newest heartbeat (None: no worker has ever
    run); ``alive`` is whether it is recent enough (``worker_missing_after()``)."""

    queued: int
    running: int
    failed: int
    oldest_queued_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    alive: bool

    @property
    def warning(self) -> str:
        """A sentence for staff when work is waiting for a worker that is not running."""
        if self.alive:
            return ""
        seen = (
            f"the last one was seen {timezone.localtime(self.last_seen_at):%d %b %Y %H:%M}"
            if self.last_seen_at
            else "none has ever run"
        )
        return (
            f"No task worker is running ({seen}). Search indexing, analysis runs and large "
            f"imports wait in the queue until one starts: run `make run` (web server and "
            f"worker) or `.venv/bin/python manage.py db_worker`."
        )


def worker_status() -> WorkerStatus:
    """Read the database task queue and the newest worker heartbeat."""
    from django.db.models import Min
    from django_tasks_db.models import DBTaskResult

    results = DBTaskResult.objects.all()
    ready = results.ready()
    day_ago = timezone.now() - dt.timedelta(days=1)
    newest = WorkerHeartbeat.objects.order_by("-last_seen_at").first()
    last_seen = newest.last_seen_at if newest is not None else None
    return WorkerStatus(
        queued=ready.count(),
        running=results.running().count(),
        failed=results.failed().filter(finished_at__gte=day_ago).count(),
        oldest_queued_at=ready.aggregate(oldest=Min("enqueued_at"))["oldest"],
        last_seen_at=last_seen,
        alive=last_seen is not None and timezone.now() - last_seen < worker_missing_after(),
    )


@contextmanager
def tasks_run_inline() -> Iterator[None]:
    """Within the block, tasks enqueued on the default backend run at once in this process
    (django-tasks' ``ImmediateBackend``) instead of waiting in the queue for a worker.

    For commands that do a large batch of work themselves, such as ``load_demo_data``: they
    finish with everything done, and leave no backlog for the worker."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks.backends.immediate import ImmediateBackend

    previous = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    task_backends[DEFAULT_TASK_BACKEND_ALIAS] = ImmediateBackend(DEFAULT_TASK_BACKEND_ALIAS, {})
    try:
        yield
    finally:
        task_backends[DEFAULT_TASK_BACKEND_ALIAS] = previous
