from django.apps import AppConfig


class SearchConfig(AppConfig):
    """The cross-jurisdiction search index (database or Elasticsearch backend).

    Each app registers its own search sources (``portal.indexing``); this app plugs in the
    scheduler that turns their change signals into indexing tasks."""

    name = "search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from portal.indexing import set_index_scheduler

        set_index_scheduler(update=_enqueue_update, delete=_enqueue_delete)


def _enqueue_update(doc_type: str, pk: str) -> None:
    from search.tasks import search_index_update

    search_index_update.enqueue(doc_type, pk)


def _enqueue_delete(doc_type: str, pk: str) -> None:
    from search.tasks import search_index_delete

    search_index_delete.enqueue(doc_type, pk)
