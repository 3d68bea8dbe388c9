"""Demo step for search: index everything the other apps' demo steps published.

Runs last (portal → strategies → evaluations → search) and rebuilds rather than relying on the
queued tasks, so the demo is searchable even before a worker has run. Idempotent.
"""

from __future__ import annotations

from typing import TextIO

from search.services import search_index_rebuild


def load(*, stdout: TextIO, verbosity: int = 1) -> None:
    count = search_index_rebuild()
    if verbosity:
        stdout.write(f"Search: indexed {count} documents.\n")
