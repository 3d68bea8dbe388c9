"""Index maintenance as django-tasks tasks: requests and signal handlers only enqueue these
(after commit), so indexing never slows or breaks a page view."""

from __future__ import annotations

from django_tasks import task

from search import services


@task()
def search_index_update(doc_type: str, pk: str) -> str:
    """Index one object, or drop it when it is no longer published."""
    return services.search_index_object(doc_type=doc_type, pk=pk)


@task()
def search_index_delete(doc_type: str, pk: str) -> str:
    """Drop one object (it was deleted)."""
    return services.search_index_remove(doc_type=doc_type, pk=pk)


@task()
def search_index_rebuild() -> int:
    """Rebuild everything (``search_index --rebuild`` runs the same service inline)."""
    return services.search_index_rebuild()
