"""The Elasticsearch index: its analyzers, its mapping (elasticsearch-dsl ``Document``) and
how a ``SearchDocument`` becomes an index body.

Only this module and ``search.backends.elasticsearch`` import the Elasticsearch libraries.
Text fields use an English analyzer with ASCII folding (so "Peña" matches "pena" and
"shootings" matches "shooting"); each facet keeps its exact value in a ``keyword`` sub-field
for aggregations and filters; ``title.suggest`` is edge-n-grammed for type-ahead; ``spell``
(title + summary, unstemmed) feeds the "did you mean" term suggester.
"""

from __future__ import annotations

from elasticsearch_dsl import (
    Date,
    Document,
    Float,
    Index,
    Integer,
    Keyword,
    Object,
    Text,
    analyzer,
    token_filter,
)

from evaluations.directions import effect_direction
from search.backends.base import SearchDocument

__all__ = [
    "FACET_FIELDS",
    "IndexedDocument",
    "build_index",
    "document_body",
    "effect_direction",
]

english_possessive = token_filter(
    "portal_english_possessive", "stemmer", language="possessive_english"
)
english_stop = token_filter("portal_english_stop", "stop", stopwords="_english_")
english_stemmer = token_filter("portal_english_stemmer", "stemmer", language="english")
edge_ngram = token_filter("portal_edge_ngram", "edge_ngram", min_gram=2, max_gram=20)

portal_text = analyzer(
    "portal_text",
    tokenizer="standard",
    filter=[english_possessive, "lowercase", "asciifolding", english_stop, english_stemmer],
)
portal_plain = analyzer("portal_plain", tokenizer="standard", filter=["lowercase", "asciifolding"])
portal_autocomplete = analyzer(
    "portal_autocomplete",
    tokenizer="standard",
    filter=["lowercase", "asciifolding", edge_ngram],
)


def facet_field(**kwargs) -> Text:
    """A facet: searchable as words, its exact code in ``.keyword`` for filters and counts."""
    return Text(analyzer=portal_plain, fields={"keyword": Keyword()}, **kwargs)


class IndexedDocument(Document):
    """One ``SearchDocument`` in Elasticsearch; ``_id`` is ``"<doc_type>:<object_id>"``."""

    type = facet_field()
    object_id = Keyword()
    title = Text(
        analyzer=portal_text,
        copy_to="spell",
        fields={
            "keyword": Keyword(),
            "suggest": Text(analyzer=portal_autocomplete, search_analyzer=portal_plain),
        },
    )
    summary = Text(analyzer=portal_text, copy_to="spell")
    body = Text(analyzer=portal_text)
    finding = Text(analyzer=portal_text)
    spell = Text(analyzer=portal_plain)
    url = Keyword(index=False)
    strategy_type = facet_field(multi=True)
    state = facet_field()
    region = facet_field()
    jurisdiction = Text(analyzer=portal_text, fields={"keyword": Keyword()})
    jurisdiction_kind = facet_field()
    evidence_rating = facet_field(multi=True)
    metric = facet_field(multi=True)
    design = facet_field()
    direction = facet_field()
    year = Integer(fields={"keyword": Keyword()})
    effect_size = Float()
    effect_magnitude = Float()
    site = Keyword()
    site_name = Text(analyzer=portal_text, fields={"keyword": Keyword()})
    published_at = Date()
    extra = Object(enabled=False)


# Facet → the field its filters and aggregations use.
FACET_FIELDS: dict[str, str] = {
    "type": "type.keyword",
    "strategy_type": "strategy_type.keyword",
    "state": "state.keyword",
    "region": "region.keyword",
    "jurisdiction_kind": "jurisdiction_kind.keyword",
    "evidence_rating": "evidence_rating.keyword",
    "metric": "metric.keyword",
    "design": "design.keyword",
    "direction": "direction.keyword",
    "year": "year.keyword",
}

INDEX_SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0, "max_ngram_diff": 18}


def build_index(name: str) -> Index:
    """The index definition (settings, analyzers, mapping) under a concrete ``name``."""
    index = Index(name)
    index.settings(**INDEX_SETTINGS)
    index.document(IndexedDocument)
    return index


def document_body(document: SearchDocument) -> dict:
    """The ``_source`` Elasticsearch stores for ``document``."""
    facets = document.facet_values()
    return {
        "type": document.doc_type,
        "object_id": str(document.object_id),
        "title": document.title,
        "summary": document.summary,
        "body": document.body,
        "finding": document.finding,
        "url": document.url,
        "strategy_type": facets["strategy_type"],
        "state": document.state or None,
        "region": document.region or None,
        "jurisdiction": document.jurisdiction or None,
        "jurisdiction_kind": document.jurisdiction_kind or None,
        "evidence_rating": facets["evidence_rating"],
        "metric": facets["metric"],
        "design": document.design or None,
        "direction": document.direction or None,
        "year": document.year,
        "effect_size": document.effect_size,
        "effect_magnitude": abs(document.effect_size) if document.effect_size is not None else None,
        "site": document.site or None,
        "site_name": document.site_name or None,
        "published_at": document.published_at.isoformat() if document.published_at else None,
        "extra": document.extra,
    }
