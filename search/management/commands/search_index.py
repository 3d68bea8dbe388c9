"""``python manage.py search_index``: rebuild the search index, or check it against what is
published.

    search_index --rebuild   index every published document again (alias swap on ES)
    search_index --check     list documents missing from / extra in the index; exit 1 if any
    search_index --health    report the backend's state
"""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from search.backends import get_search_backend
from search.services import search_index_check, search_index_rebuild

MAX_LISTED = 50


class Command(BaseCommand):
    help = "Rebuild or check the portal's search index."

    def add_arguments(self, parser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--rebuild", action="store_true", help="Reindex everything.")
        group.add_argument(
            "--check", action="store_true", help="Compare the index with published content."
        )
        group.add_argument("--health", action="store_true", help="Show the backend's health.")

    def handle(self, *args, rebuild: bool, check: bool, health: bool, **options) -> None:
        if rebuild:
            started = time.perf_counter()
            count = search_index_rebuild()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Indexed {count} documents in {time.perf_counter() - started:.1f} s "
                    f"({get_search_backend().name} backend)."
                )
            )
            return
        if health:
            report = get_search_backend().health()
            self.stdout.write(
                f"backend={report.backend} ok={report.ok} documents={report.documents} "
                f"{report.detail}"
            )
            if not report.ok:
                raise CommandError("The search backend is not healthy.")
            return
        result = search_index_check()
        self.stdout.write(f"Published documents: {result.expected}; indexed: {result.indexed}.")
        for label, keys in (
            ("Missing from the index", result.missing),
            ("Extra in the index", result.extra),
        ):
            if keys:
                self.stdout.write(f"{label} ({len(keys)}):")
                for key in keys[:MAX_LISTED]:
                    self.stdout.write(f"  {key}")
                if len(keys) > MAX_LISTED:
                    self.stdout.write(f"  … and {len(keys) - MAX_LISTED} more")
        if result.in_sync:
            self.stdout.write(self.style.SUCCESS("The index is in sync."))
            return
        self.stderr.write("The index is out of sync: run search_index --rebuild.")
        sys.exit(1)
