"""The Elasticsearch backend without a server: the index it creates, the requests it sends,
its alias swap, and what happens when the configured server does not answer."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from search.backends import FallbackSearchBackend, get_search_backend
from search.backends.base import SearchQuery
from search.backends.elasticsearch import (
    alias_swap_plan,
    build_search,
    build_suggest,
    versioned_index_name,
)
from search.documents import build_index, document_body
from tests.search.conftest import fixture_documents

FIELDS = ["title^3", "summary^2", "finding^2", "body", "jurisdiction", "site_name"]


def test_analyzers():
    analysis = build_index("ips-search-1").to_dict()["settings"]["analysis"]
    assert analysis["analyzer"]["portal_text"] == {
        "type": "custom",
        "tokenizer": "standard",
        "filter": [
            "portal_english_possessive",
            "lowercase",
            "asciifolding",
            "portal_english_stop",
            "portal_english_stemmer",
        ],
    }
    assert analysis["analyzer"]["portal_autocomplete"] == {
        "type": "custom",
        "tokenizer": "standard",
        "filter": ["lowercase", "asciifolding", "portal_edge_ngram"],
    }
    assert analysis["filter"]["portal_edge_ngram"] == {
        "type": "edge_ngram",
        "min_gram": 2,
        "max_gram": 20,
    }
    assert analysis["filter"]["portal_english_stemmer"] == {
        "type": "stemmer",
        "language": "english",
    }


def test_mapping():
    index = build_index("ips-search-1").to_dict()
    assert index["settings"]["max_ngram_diff"] == 18
    properties = index["mappings"]["properties"]
    assert properties["title"] == {
        "type": "text",
        "analyzer": "portal_text",
        "copy_to": "spell",
        "fields": {
            "keyword": {"type": "keyword"},
            "suggest": {
                "type": "text",
                "analyzer": "portal_autocomplete",
                "search_analyzer": "portal_plain",
            },
        },
    }
    for facet in (
        "type",
        "strategy_type",
        "state",
        "region",
        "jurisdiction_kind",
        "evidence_rating",
        "metric",
        "design",
        "direction",
    ):
        assert properties[facet] == {
            "type": "text",
            "analyzer": "portal_plain",
            "fields": {"keyword": {"type": "keyword"}},
        }, facet
    assert properties["year"] == {"type": "integer", "fields": {"keyword": {"type": "keyword"}}}
    assert properties["body"] == {"type": "text", "analyzer": "portal_text"}
    assert properties["published_at"] == {"type": "date"}
    assert properties["effect_magnitude"] == {"type": "float"}
    assert properties["url"] == {"type": "keyword", "index": False}
    assert properties["extra"] == {"type": "object", "enabled": False}


def test_document_body():
    body = document_body(fixture_documents()[3])
    assert body["type"] == "analysis"
    assert body["metric"] == ["nonfatal_shootings"]
    assert body["effect_size"] == -0.28 and body["effect_magnitude"] == 0.28
    assert body["published_at"] == "2023-09-15T12:00:00+00:00"
    assert body["state"] == "MO" and body["design"] == "did"


def test_query_with_text_phrase_exclusion_filters_and_facets():
    query = SearchQuery(
        text='witness "gun violence" -juvenile',
        filters={"state": ("MO", "MD"), "type": ("strategy",)},
        facets=("type", "state", "design"),
        sort="newest",
        page=2,
        page_size=10,
    )
    body = build_search(query, index="ips-search").to_dict()
    fuzzy = {"fields": FIELDS, "fuzziness": "AUTO", "prefix_length": 1}
    assert body["query"] == {
        "bool": {
            "must": [
                {"multi_match": {"query": "witness", **fuzzy}},
                {"multi_match": {"query": "gun violence", "fields": FIELDS, "type": "phrase"}},
            ],
            "must_not": [{"multi_match": {"query": "juvenile", **fuzzy}}],
        }
    }
    states = {"terms": {"state.keyword": ["MO", "MD"]}}
    types = {"terms": {"type.keyword": ["strategy"]}}
    assert body["post_filter"] == {"bool": {"filter": [states, types]}}

    def agg(field, filters):
        return {
            "filter": {"bool": {"filter": filters}},
            "aggs": {"values": {"terms": {"field": field, "size": 100}}},
        }

    assert body["aggs"] == {
        "type": agg("type.keyword", [states]),
        "state": agg("state.keyword", [types]),
        "design": agg("design.keyword", [states, types]),
    }
    assert body["sort"] == [{"published_at": {"order": "desc", "missing": "_last"}}, "_score"]
    assert (body["from"], body["size"]) == (10, 10)
    assert body["track_total_hits"] is True
    assert body["highlight"]["fields"] == {"summary": {}, "body": {}, "finding": {}}
    assert body["suggest"]["did_you_mean"]["term"] == {"field": "spell"}


def test_query_without_text_or_filters():
    body = build_search(SearchQuery(facets=("year",)), index="ips-search").to_dict()
    assert body["query"] == {"match_all": {}}
    assert "post_filter" not in body
    assert body["aggs"] == {
        "year": {
            "filter": {"match_all": {}},
            "aggs": {"values": {"terms": {"field": "year.keyword", "size": 100}}},
        }
    }
    # Relevance without words means newest first.
    assert body["sort"][0] == {"published_at": {"order": "desc", "missing": "_last"}}
    assert "suggest" not in body


def test_or_words_and_site():
    query = SearchQuery(text="gunstat or compstat", site="harlow", sort="effect_size")
    body = build_search(query, index="ips-search").to_dict()
    assert body["query"]["bool"]["filter"] == [{"term": {"site": "harlow"}}]
    inner = body["query"]["bool"]["must"][0]["bool"]["must"][0]
    assert [c["multi_match"]["query"] for c in inner["bool"]["should"]] == ["gunstat", "compstat"]
    assert body["sort"][0] == {"effect_magnitude": {"order": "desc", "missing": "_last"}}


def test_suggest_query():
    body = build_suggest("witn", index="ips-search", limit=8).to_dict()
    assert body == {
        "query": {"match": {"title.suggest": {"query": "witn", "operator": "and"}}},
        "size": 8,
        "_source": ["title", "url", "type"],
    }


def test_alias_swap_plan():
    plan = alias_swap_plan("ips-search", "ips-search-2", ["ips-search-1"])
    assert plan.actions == [
        {"remove": {"index": "ips-search-1", "alias": "ips-search"}},
        {"add": {"index": "ips-search-2", "alias": "ips-search"}},
    ]
    assert plan.delete == ["ips-search-1"]


def test_alias_swap_plan_first_build_and_squatting_index():
    assert alias_swap_plan("a", "a-1", []).actions == [{"add": {"index": "a-1", "alias": "a"}}]
    plan = alias_swap_plan("a", "a-2", ["a"])
    assert plan.actions[0] == {"remove_index": {"index": "a"}}
    assert plan.delete == []


def test_versioned_index_names_sort_by_time():
    first = versioned_index_name("ips-search", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    assert first == "ips-search-20260102030405000000"
    assert versioned_index_name("ips-search") > first


# --- Fallback: a real failed connection (nothing listens on port 9 here) -------------------


@pytest.fixture
def dead_elasticsearch(settings, fresh_backend_cache, db):
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"
    settings.PORTAL_SEARCH_BACKEND = "search.backends.elasticsearch"
    settings.ELASTICSEARCH_TIMEOUT = 1.0
    settings.ELASTICSEARCH_MAX_RETRIES = 0
    backend = get_search_backend()
    assert isinstance(backend, FallbackSearchBackend)
    backend.fallback.rebuild(fixture_documents())
    return backend


def test_search_falls_back_to_the_database(dead_elasticsearch, caplog):
    with caplog.at_level(logging.WARNING, logger="search"):
        results = dead_elasticsearch.search(SearchQuery(text="relocation"))
    assert results.degraded is True
    assert [h.document.key for h in results.hits] == ["document:200", "strategy:3"]
    assert "using the database backend" in caplog.text


def test_writes_reach_the_database_even_when_elasticsearch_is_down(dead_elasticsearch):
    doc = fixture_documents()[0]
    doc.title = "Renamed unit"
    with pytest.raises(Exception):  # noqa: B017 - the transport error type is the client's
        dead_elasticsearch.add(doc)
    results = dead_elasticsearch.search(SearchQuery(text="renamed"))
    assert results.degraded and results.total == 1


def test_page_says_results_may_be_incomplete(dead_elasticsearch, client):
    response = client.get("/search/", {"q": "relocation"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "may be incomplete" in html
    assert "Relocation MOU with the housing authority" in html


def test_api_reports_degraded(dead_elasticsearch, client):
    response = client.get("/api/v1/search/", {"q": "relocation"})
    assert response.status_code == 200
    data = response.json()
    assert data["degraded"] is True
    assert [r["id"] for r in data["results"]] == ["200", "3"]


def test_suggest_falls_back(dead_elasticsearch, client):
    response = client.get("/search/suggest/", {"q": "reloc"})
    assert response.status_code == 200
    assert response.json()["suggestions"][0]["value"].startswith("Relocation")


def test_parse_response():
    """An answer shaped like Elasticsearch 8's becomes the contract's results."""
    from search.backends.elasticsearch import parse_response

    query = SearchQuery(text="relocaton", filters={"state": ("MD", "VA")}, facets=("state",))
    doc = fixture_documents()[7]
    raw = {
        "hits": {
            "total": {"value": 0, "relation": "eq"},
            "hits": [
                {
                    "_id": doc.key,
                    "_score": 2.5,
                    "_source": document_body(doc),
                    "highlight": {"body": ["emergency \ue000moves\ue001 <b>"]},
                }
            ],
        },
        "aggregations": {
            "state": {"doc_count": 3, "values": {"buckets": [{"key": "MD", "doc_count": 2}]}}
        },
        "suggest": {
            "did_you_mean": [
                {"text": "relocaton", "options": [{"text": "relocation", "score": 0.9}]}
            ]
        },
    }
    results = parse_response(query, raw)
    hit = results.hits[0]
    assert hit.document.key == "document:200" and hit.score == 2.5
    assert hit.document.published_at == doc.published_at
    assert hit.highlight == "emergency <mark>moves</mark> &lt;b&gt;"
    assert [(v.value, v.count, v.selected) for v in results.facets["state"]] == [
        ("MD", 2, True),
        ("VA", 0, True),
    ]
    assert results.did_you_mean == "relocation"
