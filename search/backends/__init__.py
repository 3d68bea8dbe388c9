"""Resolves the configured search engine, like Django's cache framework resolves caches.

``settings.PORTAL_SEARCH_BACKEND`` names a module exposing ``SearchBackend``. When it is not the
database backend, the engine is wrapped in ``FallbackSearchBackend``: writes go to both the
engine and the database (so the database can always answer), and a query the engine cannot
answer is served by the database with ``degraded=True`` instead of failing the request.
"""

from __future__ import annotations

import importlib
import logging
import time
from functools import cache

from django.conf import settings

from search.backends.base import (
    HealthReport,
    SearchBackend,
    SearchDocument,
    SearchQuery,
    SearchResults,
)

logger = logging.getLogger("search")

DATABASE_BACKEND = "search.backends.database"


def load_backend(path: str, **options) -> SearchBackend:
    """Instantiate the ``SearchBackend`` class of module ``path``."""
    module = importlib.import_module(path)
    return module.SearchBackend(**options)


class FallbackSearchBackend(SearchBackend):
    """A primary engine (Elasticsearch) backed by the database engine.

    After a failed query the primary is skipped for ``retry_after`` seconds, so a dead server
    costs one connection attempt per interval, not one per page view.
    """

    def __init__(
        self, primary: SearchBackend, fallback: SearchBackend, *, retry_after: float = 30.0
    ):
        self.primary = primary
        self.fallback = fallback
        self.retry_after = retry_after
        self._down_until = 0.0
        self.name = primary.name

    def _primary_available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _mark_down(self, action: str, exc: Exception) -> None:
        self._down_until = time.monotonic() + self.retry_after
        logger.warning(
            "Search engine %s failed during %s (%s: %s); using the database backend.",
            self.primary.name,
            action,
            type(exc).__name__,
            exc,
        )

    def _write(self, action: str, *args) -> None:
        getattr(self.fallback, action)(*args)
        try:
            getattr(self.primary, action)(*args)
        except Exception as exc:  # noqa: BLE001 - an unreachable engine must not lose writes
            self._mark_down(action, exc)
            raise

    def add_bulk(self, documents: list[SearchDocument]) -> int:
        self._write("add_bulk", documents)
        return len(documents)

    def delete(self, doc_type: str, object_id: str) -> None:
        self._write("delete", doc_type, object_id)

    def reset_index(self) -> None:
        self._write("reset_index")

    def rebuild(self, documents: list[SearchDocument]) -> int:
        self._write("rebuild", documents)
        return len(documents)

    def search(self, query: SearchQuery) -> SearchResults:
        if self._primary_available():
            try:
                return self.primary.search(query)
            except Exception as exc:  # noqa: BLE001 - any engine failure degrades, never 500s
                self._mark_down("search", exc)
        results = self.fallback.search(query)
        results.degraded = True
        return results

    def suggest(self, prefix: str, *, limit: int = 8) -> list[dict[str, str]]:
        if self._primary_available():
            try:
                return self.primary.suggest(prefix, limit=limit)
            except Exception as exc:  # noqa: BLE001
                self._mark_down("suggest", exc)
        return self.fallback.suggest(prefix, limit=limit)

    def indexed_keys(self) -> set[str]:
        return self.primary.indexed_keys()

    def health(self) -> HealthReport:
        try:
            return self.primary.health()
        except Exception as exc:  # noqa: BLE001
            return HealthReport(ok=False, backend=self.primary.name, detail=str(exc))


@cache
def get_search_backend() -> SearchBackend:
    """The configured backend (cached per process; ``get_search_backend.cache_clear()`` in
    tests that change settings)."""
    path = getattr(settings, "PORTAL_SEARCH_BACKEND", DATABASE_BACKEND)
    database = load_backend(DATABASE_BACKEND)
    if path == DATABASE_BACKEND:
        return database
    return FallbackSearchBackend(
        load_backend(path),
        database,
        retry_after=getattr(settings, "ELASTICSEARCH_RETRY_AFTER", 30.0),
    )


def get_database_backend() -> SearchBackend:
    return load_backend(DATABASE_BACKEND)
