"""Writes to the search index: one object, a whole rebuild, and the consistency check.

Called by the tasks in ``search.tasks`` (never from a request) and by the
``search_index`` management command.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from portal.indexing import SearchDocument, all_sources, get_source
from portal.page_cache import public_pages_invalidate
from search.backends import get_search_backend

logger = logging.getLogger("search")


def search_index_object(*, doc_type: str, pk: str) -> str:
    """Bring one object's entry up to date: add it if published, drop it otherwise.

    Returns "indexed" or "removed" (the task's result)."""
    source = get_source(doc_type)
    obj = source.get_published(pk)
    backend = get_search_backend()
    # The worker runs this after the publication's commit, which cleared the page cache: a
    # search in between cached the old results, so a change to the index clears it again.
    public_pages_invalidate()
    if obj is None:
        backend.delete(doc_type, str(pk))
        return "removed"
    backend.add(source.to_document(obj))
    return "indexed"


def search_index_remove(*, doc_type: str, pk: str) -> str:
    get_search_backend().delete(doc_type, str(pk))
    public_pages_invalidate()
    return "removed"


def search_documents_all() -> list[SearchDocument]:
    """Every published document of every registered source."""
    documents: list[SearchDocument] = []
    for source in all_sources():
        documents.extend(source.documents())
    return documents


def search_index_rebuild() -> int:
    """Replace the whole index with what is published now; returns the document count."""
    documents = search_documents_all()
    count = get_search_backend().rebuild(documents)
    public_pages_invalidate()
    logger.info("Search index rebuilt with %d documents", len(documents))
    return count


@dataclass
class IndexCheck:
    """Keys (``doc_type:pk``) published but not indexed, and indexed but not published."""

    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    expected: int = 0
    indexed: int = 0

    @property
    def in_sync(self) -> bool:
        return not self.missing and not self.extra


def search_index_check() -> IndexCheck:
    expected = {d.key for d in search_documents_all()}
    indexed = get_search_backend().indexed_keys()
    return IndexCheck(
        missing=sorted(expected - indexed),
        extra=sorted(indexed - expected),
        expected=len(expected),
        indexed=len(indexed),
    )
