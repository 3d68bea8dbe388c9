"""The Elasticsearch engine (elasticsearch-dsl), chosen when ``ELASTICSEARCH_URL`` is set.

Searches read an alias (``<prefix>-search``); rebuilds fill a new versioned index and swap the
alias in one ``update_aliases`` call, so a search never sees a half-built index. Facet counts
use one filtered aggregation per facet (every filter except the facet's own) with the
filters themselves in ``post_filter``: OR inside a facet, AND across, counts that match.
Query building (``build_search``) and the swap (``alias_swap_plan``) are pure functions so
they are tested without a server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from elasticsearch import Elasticsearch, NotFoundError, helpers
from elasticsearch_dsl import A, Q, Search

from search.backends.base import (
    FacetValue,
    HealthReport,
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResults,
)
from search.backends.base import (
    SearchBackend as BaseSearchBackend,
)
from search.backends.database import MARK_END, MARK_START, snippet_html
from search.documents import FACET_FIELDS, build_index, document_body
from search.query_text import parse_text, words_of

TEXT_FIELDS = ["title^3", "summary^2", "finding^2", "body", "jurisdiction", "site_name"]
FACET_SIZE = 100


def _facet_filters(filters: dict[str, tuple[str, ...]]) -> list[Q]:
    return [Q("terms", **{FACET_FIELDS[facet]: list(values)}) for facet, values in filters.items()]


def _text_query(text: str) -> Q:
    """Words match with typo tolerance across weighted fields; quoted phrases match exactly."""
    parsed = parse_text(text)
    if parsed.is_empty:
        return Q("match_all")

    def clause(words: tuple[str, ...]) -> Q:
        if len(words) > 1:
            return Q("multi_match", query=" ".join(words), type="phrase", fields=TEXT_FIELDS)
        return Q(
            "multi_match",
            query=words[0],
            fields=TEXT_FIELDS,
            fuzziness="AUTO",
            prefix_length=1,
        )

    must = []
    for group in parsed.groups:
        clauses = [clause(c) for c in group]
        must.append(
            clauses[0] if len(clauses) == 1 else Q("bool", should=clauses, minimum_should_match=1)
        )
    must_not = [clause(c) for c in parsed.excluded]
    return Q("bool", must=must, must_not=must_not)


SORT_ORDERS: dict[str, list] = {
    "relevance": ["_score", {"published_at": {"order": "desc", "missing": "_last"}}],
    "newest": [{"published_at": {"order": "desc", "missing": "_last"}}, "_score"],
    "effect_size": [
        {"effect_magnitude": {"order": "desc", "missing": "_last"}},
        {"published_at": {"order": "desc", "missing": "_last"}},
    ],
}


def build_search(query: SearchQuery, *, index: str, client: Elasticsearch | None = None) -> Search:
    """The request for ``query``: text in ``query``, facet filters in ``post_filter`` (so
    aggregations see every document the text matched), one filtered terms aggregation per
    facet, highlights, sort, page and a term suggester for "did you mean"."""
    search = Search(using=client, index=index)
    base = _text_query(query.text)
    if query.site:
        base = Q("bool", must=[base], filter=[Q("term", site=query.site)])
    search = search.query(base)
    if query.filters:
        search = search.post_filter(Q("bool", filter=_facet_filters(query.filters)))
    for facet in query.facets:
        others = _facet_filters(query.filters_without(facet))
        scope = Q("bool", filter=others) if others else Q("match_all")
        agg = A("filter", scope)
        agg.bucket("values", "terms", field=FACET_FIELDS[facet], size=FACET_SIZE)
        search.aggs.bucket(facet, agg)
    sort = SORT_ORDERS[query.sort]
    if query.sort == "relevance" and parse_text(query.text).is_empty:
        sort = SORT_ORDERS["newest"]
    search = search.sort(*sort)
    search = search.highlight_options(
        pre_tags=[MARK_START],
        post_tags=[MARK_END],
        fragment_size=160,
        number_of_fragments=2,
        encoder="default",
    ).highlight("summary", "body", "finding")
    search = search.source(excludes=["body"])
    search = search.extra(track_total_hits=True)
    if query.text.strip():
        search = search.suggest("did_you_mean", query.text, term={"field": "spell"})
    return search[query.offset : query.offset + query.page_size]


def build_suggest(
    prefix: str, *, index: str, limit: int, client: Elasticsearch | None = None
) -> Search:
    """Type-ahead: titles whose words start with what was typed (``title.suggest``)."""
    search = Search(using=client, index=index).query(
        "match", **{"title.suggest": {"query": prefix, "operator": "and"}}
    )
    return search.source(["title", "url", "type"])[:limit]


@dataclass
class AliasSwapPlan:
    """What a rebuild does once the new index is filled: the atomic alias actions, then the
    old indices to drop."""

    actions: list[dict] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)


def alias_swap_plan(alias: str, new_index: str, current: list[str]) -> AliasSwapPlan:
    """Point ``alias`` at ``new_index`` only. ``current`` are the indices the alias names now;
    a concrete index squatting on the alias's name is removed in the same atomic call."""
    actions: list[dict] = []
    for name in sorted(current):
        if name == alias:
            actions.append({"remove_index": {"index": name}})
        else:
            actions.append({"remove": {"index": name, "alias": alias}})
    actions.append({"add": {"index": new_index, "alias": alias}})
    return AliasSwapPlan(actions=actions, delete=sorted(n for n in current if n != alias))


def versioned_index_name(alias: str, now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return f"{alias}-{now:%Y%m%d%H%M%S%f}"


def _did_you_mean(text: str, suggest: dict) -> str:
    replacements = {}
    for entry in suggest.get("did_you_mean", []):
        options = entry.get("options") or []
        if options:
            replacements[entry["text"]] = options[0]["text"]
    if not replacements:
        return ""
    return " ".join(replacements.get(word, word) for word in words_of(text))


class SearchBackend(BaseSearchBackend):
    name = "elasticsearch"

    def __init__(
        self,
        *,
        url: str | None = None,
        prefix: str | None = None,
        timeout: float | None = None,
        refresh: bool | str | None = None,
    ) -> None:
        self.url = url or settings.ELASTICSEARCH_URL
        self.alias = f"{prefix or settings.ELASTICSEARCH_INDEX_PREFIX}-search"
        self.refresh = (
            refresh if refresh is not None else getattr(settings, "ELASTICSEARCH_REFRESH", False)
        )
        self._alias_ready = False
        self.client = Elasticsearch(
            self.url,
            request_timeout=timeout or getattr(settings, "ELASTICSEARCH_TIMEOUT", 5.0),
            max_retries=getattr(settings, "ELASTICSEARCH_MAX_RETRIES", 1),
            retry_on_timeout=False,
        )

    # --- Indices ---------------------------------------------------------------------------

    def _current_indices(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias).keys())
        except NotFoundError:
            return []

    def _create_index(self) -> str:
        name = versioned_index_name(self.alias)
        build_index(name).create(using=self.client)
        return name

    def ensure_index(self) -> None:
        """Create the first versioned index behind the alias if there is none (checked once
        per process, not per query)."""
        if self._alias_ready:
            return
        if not self._current_indices():
            new_index = self._create_index()
            plan = alias_swap_plan(self.alias, new_index, [])
            self.client.indices.update_aliases(actions=plan.actions)
        self._alias_ready = True

    def _swap_to(self, new_index: str) -> None:
        plan = alias_swap_plan(self.alias, new_index, self._current_indices())
        self.client.indices.update_aliases(actions=plan.actions)
        for name in plan.delete:
            self.client.indices.delete(index=name, ignore_unavailable=True)

    # --- Writing ---------------------------------------------------------------------------

    def _bulk(self, index: str, documents: list[SearchDocument], refresh) -> int:
        actions = (
            {"_op_type": "index", "_index": index, "_id": d.key, "_source": document_body(d)}
            for d in documents
        )
        ok, _errors = helpers.bulk(self.client, actions, chunk_size=1000, refresh=refresh)
        return ok

    def add_bulk(self, documents: list[SearchDocument]) -> int:
        if not documents:
            return 0
        self.ensure_index()
        return self._bulk(self.alias, documents, self.refresh)

    def delete(self, doc_type: str, object_id: str) -> None:
        self.ensure_index()
        with contextlib.suppress(NotFoundError):
            self.client.delete(index=self.alias, id=f"{doc_type}:{object_id}", refresh=self.refresh)

    def reset_index(self) -> None:
        self._swap_to(self._create_index())

    def rebuild(self, documents: list[SearchDocument]) -> int:
        new_index = self._create_index()
        try:
            count = self._bulk(new_index, documents, False)
            self.client.indices.refresh(index=new_index)
        except Exception:
            self.client.indices.delete(index=new_index, ignore_unavailable=True)
            raise
        self._swap_to(new_index)
        return count

    def indexed_keys(self) -> set[str]:
        self.ensure_index()
        return {
            hit["_id"]
            for hit in helpers.scan(self.client, index=self.alias, query={"_source": False})
        }

    def health(self) -> HealthReport:
        health = self.client.cluster.health()
        self.ensure_index()
        count = self.client.count(index=self.alias)["count"]
        return HealthReport(
            ok=health["status"] in {"green", "yellow"},
            backend=self.name,
            documents=count,
            detail=f"cluster={health['status']} alias={self.alias} "
            f"indices={','.join(self._current_indices())}",
        )

    # --- Reading ---------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResults:
        self.ensure_index()
        response = build_search(query, index=self.alias, client=self.client).execute()
        return parse_response(query, response.to_dict())

    def suggest(self, prefix: str, *, limit: int = 8) -> list[dict[str, str]]:
        prefix = prefix.strip()
        if len(prefix) < 2:
            return []
        self.ensure_index()
        response = build_suggest(
            prefix, index=self.alias, limit=limit, client=self.client
        ).execute()
        return [
            {
                "value": h["_source"]["title"],
                "url": h["_source"].get("url", ""),
                "type": h["_source"]["type"],
            }
            for h in response.to_dict()["hits"]["hits"]
        ]


def _highlight(hit: dict) -> str:
    fragments = [
        fragment
        for name in ("summary", "finding", "body")
        for fragment in hit.get("highlight", {}).get(name, [])
    ]
    if fragments:
        return snippet_html(" … ".join(fragments[:2]))
    return snippet_html(hit["_source"].get("summary", "")[:300])


def _document(source: dict) -> SearchDocument:
    published = source.get("published_at")
    return SearchDocument(
        doc_type=source["type"],
        object_id=source["object_id"],
        title=source["title"],
        url=source.get("url", ""),
        summary=source.get("summary", ""),
        strategy_types=list(source.get("strategy_type") or []),
        state=source.get("state") or "",
        region=source.get("region") or "",
        jurisdiction=source.get("jurisdiction") or "",
        jurisdiction_kind=source.get("jurisdiction_kind") or "",
        evidence_ratings=list(source.get("evidence_rating") or []),
        metrics=list(source.get("metric") or []),
        design=source.get("design") or "",
        direction=source.get("direction") or "",
        effect_size=source.get("effect_size"),
        year=source.get("year"),
        site=source.get("site") or "",
        site_name=source.get("site_name") or "",
        finding=source.get("finding", ""),
        published_at=dt.datetime.fromisoformat(published) if published else None,
        extra=source.get("extra") or {},
    )


def parse_response(query: SearchQuery, raw: dict) -> SearchResults:
    """Turn Elasticsearch's JSON answer into the contract's ``SearchResults``."""
    hits = [
        SearchHit(
            document=_document(hit["_source"]),
            score=float(hit.get("_score") or 0.0),
            highlight=_highlight(hit),
        )
        for hit in raw["hits"]["hits"]
    ]
    facets = {}
    aggregations = raw.get("aggregations", {})
    for facet in query.facets:
        selected = set(query.filters.get(facet, ()))
        buckets = aggregations.get(facet, {}).get("values", {}).get("buckets", [])
        values = [
            FacetValue(
                value=str(b["key"]),
                count=b["doc_count"],
                label=str(b["key"]),
                selected=str(b["key"]) in selected,
            )
            for b in buckets
        ]
        present = {v.value for v in values}
        values.extend(
            FacetValue(value=v, count=0, label=v, selected=True) for v in selected - present
        )
        values.sort(key=lambda fv: (-fv.count, fv.value))
        facets[facet] = values
    total = raw["hits"]["total"]["value"]
    did_you_mean = ""
    if not total and query.text.strip():
        did_you_mean = _did_you_mean(query.text, raw.get("suggest", {}))
    return SearchResults(
        total=total,
        hits=hits,
        facets=facets,
        query=query,
        did_you_mean=did_you_mean,
        backend="elasticsearch",
    )
