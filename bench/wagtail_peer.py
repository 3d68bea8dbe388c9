"""The search bench's peer: the same documents and queries through Wagtail's own database
search backend (django-modelsearch: PostgreSQL ``tsvector`` or SQLite FTS5 index entries).

The documents are the rows our backend already stored in ``search_searchentry``; a proxy model
over that table declares Wagtail ``search_fields`` (title, summary and body with the same
weights as ours, the facet columns as ``FilterField``), so Wagtail indexes exactly the same
text. Each query does what a Wagtail site would: filter the queryset by the facets, ``search``
it, count, take a page, and ask ``.facet(field)`` for every facet under the other facets'
filters (the same "OR inside a facet, AND across" counts our backend returns). Wagtail has no
highlighting, so its timings do not include snippets and ours do.

Multi-valued facets (strategy types, ratings, metrics) are JSON lists in the table: Wagtail
filters them with a text ``icontains`` on the list, but its ``facet()`` cannot count them (it
groups by the whole column, and a list is not a value), so Wagtail counts the seven
single-valued facets and our backend all ten: a difference in Wagtail's favour.
"""

from __future__ import annotations

import time

from search.backends.base import FACETS, SearchQuery

# Facet name -> column on the table (the multi-valued ones hold JSON lists).
SINGLE = {
    "type": "doc_type",
    "state": "state",
    "region": "region",
    "jurisdiction_kind": "jurisdiction_kind",
    "design": "design",
    "direction": "direction",
    "year": "year",
}
MULTI = {
    "strategy_type": "strategy_types",
    "evidence_rating": "evidence_ratings",
    "metric": "metrics",
}
BATCH = 1000

_model = None


def wagtail_model():
    """A proxy of ``SearchEntry`` that Wagtail can index (defined once per process, at run
    time, so the portal's own models and migrations are untouched)."""
    global _model
    if _model is not None:
        return _model
    from modelsearch import index
    from modelsearch.abstract_models import TextIDGenericRelation
    from modelsearch.conf import get_app_config

    from search.models import SearchEntry

    class WagtailBenchEntry(index.Indexed, SearchEntry):
        search_fields = [
            index.SearchField("title", boost=10),
            index.SearchField("summary", boost=4),
            index.SearchField("body"),
            *(index.FilterField(column) for column in [*SINGLE.values(), *MULTI.values()]),
            index.FilterField("published_at"),
            index.FilterField("effect_magnitude"),
        ]

        class Meta:
            proxy = True
            app_label = "search"

    index_entry = get_app_config().get_model("IndexEntry")
    TextIDGenericRelation(index_entry).contribute_to_class(WagtailBenchEntry, "index_entries")
    _model = WagtailBenchEntry
    return _model


def wagtail_index(model=None) -> float:
    """Index every row with Wagtail's backend in batches, as ``update_index`` does; seconds."""
    from wagtail.search.backends import get_search_backend

    model = model or wagtail_model()
    backend = get_search_backend()
    started = time.perf_counter()
    index = backend.get_index_for_model(model)
    index.reset()
    pks = list(model.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        index.add_items(model, list(model.objects.filter(pk__in=pks[start : start + BATCH])))
    return time.perf_counter() - started


def _filtered(model, filters: dict[str, tuple[str, ...]]):
    from django.db.models import Q

    queryset = model.objects.all()
    for facet, values in filters.items():
        if facet in SINGLE:
            column = SINGLE[facet]
            values = [int(v) for v in values] if facet == "year" else list(values)
            queryset = queryset.filter(**{f"{column}__in": values})
        else:
            any_value = Q()
            for value in values:
                any_value |= Q(**{f"{MULTI[facet]}__icontains": f'"{value}"'})
            queryset = queryset.filter(any_value)
    return queryset


def wagtail_search(query: SearchQuery) -> tuple[int, list[int], dict[str, dict]]:
    """Total, the page's ids and per-facet counts for ``query``, the Wagtail way."""
    from wagtail.search.backends import get_search_backend

    model = wagtail_model()
    backend = get_search_backend()
    text = query.text.replace('"', "")
    phrase = query.text.startswith('"')

    from modelsearch.query import Phrase

    # Words must all match, as in our backend (Wagtail's default for the database is "or").
    terms = {"query": Phrase(text)} if phrase else {"query": text, "operator": "and"}

    def run(queryset):
        if query.sort == "relevance":
            return backend.search(model_or_queryset=queryset, **terms)
        column = "-published_at" if query.sort == "newest" else "-effect_magnitude"
        return backend.search(
            model_or_queryset=queryset.order_by(column), order_by_relevance=False, **terms
        )

    results = run(_filtered(model, query.filters))
    total = results.count()
    ids = [entry.pk for entry in results[query.offset : query.offset + query.page_size]]
    facets = {}
    for facet in FACETS:
        column = SINGLE.get(facet)
        if column is None:  # a JSON list: Wagtail's facet() cannot count it (see above)
            continue
        facets[facet] = run(_filtered(model, query.filters_without(facet))).facet(column)
    return total, ids, facets
