"""``manage.py db_worker``: django-tasks-db's database worker, plus a heartbeat.

Same options and behaviour as the command it extends; while it runs, a background thread
records the worker's heartbeat (``portal.worker``) so the admin can tell staff whether any
worker is running. ``portal`` is listed before ``django_tasks_db`` in ``INSTALLED_APPS``, so
this command is the one ``manage.py`` finds.
"""

from __future__ import annotations

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from portal.worker import HeartbeatThread


class Command(db_worker.Command):
    help = "Run the database task worker and record its heartbeat for the admin."

    def handle(self, *args, worker_id: str, reload: bool, batch: bool, **options) -> None:
        # With --reload the first process only watches files and restarts the real worker;
        # only the process that runs tasks may say it is alive.
        watcher_only = reload and not batch and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        heartbeat = None if watcher_only else HeartbeatThread(worker_id=worker_id)
        if heartbeat is not None:
            heartbeat.start()
        try:
            super().handle(*args, worker_id=worker_id, reload=reload, batch=batch, **options)
        finally:
            if heartbeat is not None:
                heartbeat.stop()
