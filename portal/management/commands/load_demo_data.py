"""``python manage.py load_demo_data``: fictional demo content for every app, idempotently.

Each portal app contributes a ``demo`` module with ``load(*, stdout, verbosity)``; this command
runs them in dependency order (portal, strategies, evaluations, search), each in one
transaction so a failure leaves the previous parts intact and the next run can finish.

The tasks the demo's own changes enqueue (search indexing, analysis re-runs) run inline as
they are enqueued, so the command ends with everything done and no backlog for the worker.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from portal.page_cache import public_pages_invalidate
from portal.registry import portal_app_modules
from portal.worker import tasks_run_inline


class Command(BaseCommand):
    help = "Create demo jurisdictions, sites, users, strategies and outcome data (idempotent)."

    def handle(self, *args, verbosity: int = 1, **options) -> None:
        with tasks_run_inline():
            for module in portal_app_modules("demo"):
                with transaction.atomic():
                    module.load(stdout=self.stdout, verbosity=verbosity)
        # The loaders update snippets and data in place, outside the services and admin
        # hooks that clear cached public pages; a second run must not leave old pages.
        public_pages_invalidate()
        if verbosity:
            self.stdout.write(self.style.SUCCESS("Demo data is loaded."))
