"""The shape of a search document and the registry of *sources* that produce them.

This lives in the base app so every domain app can describe what it publishes to search
without importing the ``search`` app, which sits above them all. Each app defines a
``SearchSource`` for its own kind of published thing and registers it from its
``AppConfig.ready()``; the ``search`` app reads the registry to build and query its index, and
plugs in the scheduler that turns "this changed" into an indexing task.

A source knows its ``doc_type``, which objects are published (``queryset``), how one becomes a
``SearchDocument`` (``to_document``) and which signals mean "this changed" (``connect``).
Signal handlers never index: they call ``schedule_update`` / ``schedule_delete``, which hand
the key to the registered scheduler after the transaction commits. ``register_source`` calls
``connect()`` once; ``get_published(pk)`` (default: ``queryset`` filtered by pk) decides
whether an update adds or drops the document.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

_SPACES = re.compile(r"\s+")


@dataclass
class SearchDocument:
    """One flattened, published thing as the index holds it.

    ``doc_type`` + ``object_id`` identify it; facet fields hold codes. ``effect_size`` is the
    analysis estimate on a comparable scale (sorting orders by its absolute value);
    ``direction`` is the effect relative to the metric's desired direction
    (see ``evaluations.directions.effect_direction``).
    """

    doc_type: str
    object_id: str
    title: str
    url: str
    summary: str = ""
    body: str = ""
    strategy_types: list[str] = field(default_factory=list)
    state: str = ""
    region: str = ""
    jurisdiction: str = ""
    jurisdiction_kind: str = ""
    evidence_ratings: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    design: str = ""
    direction: str = ""
    effect_size: float | None = None
    year: int | None = None
    site: str = ""
    site_name: str = ""
    finding: str = ""
    published_at: dt.datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.doc_type}:{self.object_id}"

    def facet_values(self) -> dict[str, list[str]]:
        """The document's value(s) per facet, as strings (empty facets are left out)."""
        values = {
            "type": [self.doc_type],
            "strategy_type": list(self.strategy_types),
            "state": [self.state],
            "region": [self.region],
            "jurisdiction_kind": [self.jurisdiction_kind],
            "evidence_rating": list(self.evidence_ratings),
            "metric": list(self.metrics),
            "design": [self.design],
            "direction": [self.direction],
            "year": [str(self.year)] if self.year else [],
        }
        return {name: sorted({v for v in vals if v}) for name, vals in values.items()}


class SearchSource:
    """Base class for a kind of indexed thing. Subclasses set ``doc_type`` and ``label`` and
    implement ``queryset`` and ``to_document``; ``connect`` wires their change signals."""

    doc_type: str = ""
    label: str = ""

    def queryset(self) -> QuerySet:
        """Every published object of this kind (what ``search_index --rebuild`` indexes)."""
        raise NotImplementedError

    def to_document(self, obj: Any) -> SearchDocument | None:
        raise NotImplementedError

    def get_published(self, pk: str) -> Any | None:
        """The published object with ``pk``, or None (then the index drops it)."""
        return self.queryset().filter(pk=pk).first()

    def documents(self) -> Iterator[SearchDocument]:
        for obj in self.queryset().iterator(chunk_size=500):
            document = self.to_document(obj)
            if document is not None:
                yield document

    def connect(self) -> None:
        """Connect the signals that should reindex objects of this kind (none by default)."""


_REGISTRY: dict[str, SearchSource] = {}


def register_source(source: SearchSource) -> SearchSource:
    """Add ``source`` to the index (idempotent per ``doc_type``) and connect its signals."""
    if not source.doc_type:
        raise ValueError("A search source needs a doc_type")
    if source.doc_type in _REGISTRY:
        return _REGISTRY[source.doc_type]
    _REGISTRY[source.doc_type] = source
    source.connect()
    return source


def is_registered(doc_type: str) -> bool:
    return doc_type in _REGISTRY


def get_source(doc_type: str) -> SearchSource:
    try:
        return _REGISTRY[doc_type]
    except KeyError:
        raise LookupError(f"No search source for doc_type {doc_type!r}") from None


def all_sources() -> list[SearchSource]:
    return list(_REGISTRY.values())


def doc_type_labels() -> dict[str, str]:
    return {s.doc_type: s.label for s in _REGISTRY.values()}


# --- Scheduling: the only thing signal handlers do --------------------------------------

Schedule = Callable[[str, str], None]
_SCHEDULERS: dict[str, Schedule] = {}


def set_index_scheduler(*, update: Schedule, delete: Schedule) -> None:
    """Called once by the search app: how an update or a delete of ``(doc_type, pk)`` reaches
    the index. Without a scheduler (search not installed) changes are simply not indexed."""
    _SCHEDULERS["update"] = update
    _SCHEDULERS["delete"] = delete


def _schedule(kind: str, doc_type: str, pk: Any) -> None:
    scheduler = _SCHEDULERS.get(kind)
    if scheduler is None:
        return
    key = str(pk)
    # ``robust``: a failure to enqueue (or, with the immediate backend, to index) is logged
    # and never breaks the request that changed the content; ``search_index --check`` finds it.
    transaction.on_commit(lambda: scheduler(doc_type, key), robust=True)


def schedule_update(doc_type: str, pk: Any) -> None:
    """Reindex (or drop, if no longer published) after the current transaction commits."""
    _schedule("update", doc_type, pk)


def schedule_delete(doc_type: str, pk: Any) -> None:
    """Drop from the index after the current transaction commits."""
    _schedule("delete", doc_type, pk)


# --- Text helpers shared by every source ------------------------------------------------


def clean_text(text: str) -> str:
    return _SPACES.sub(" ", text or "").strip()


def jurisdiction_fields(site) -> dict[str, Any]:
    """The facet fields every document of a grantee site shares."""
    if site is None:
        return {}
    jurisdiction = site.jurisdiction
    return {
        "state": jurisdiction.state,
        "region": jurisdiction.region,
        "jurisdiction": f"{jurisdiction.name}, {jurisdiction.state}",
        "jurisdiction_kind": jurisdiction.kind,
        "site": site.slug,
        "site_name": site.name,
    }
