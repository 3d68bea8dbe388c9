"""The contract every search engine must honour, run on the same eight documents.

Parameterised over backends: the database backend always (SQLite, or PostgreSQL when
DATABASE_URL points there), Elasticsearch when ELASTICSEARCH_URL is set (skipped otherwise).
"""

from __future__ import annotations

import pytest

from search.backends.base import SearchDocument, SearchQuery
from tests.search.conftest import fixture_documents


def keys(results) -> list[str]:
    return [h.document.key for h in results.hits]


def counts(results, facet: str) -> dict[str, int]:
    return {v.value: v.count for v in results.facets[facet]}


def test_everything_is_found_without_text(indexed):
    results = indexed.search(SearchQuery(page_size=50))
    assert results.total == 8
    assert sorted(keys(results)) == sorted(d.key for d in fixture_documents())


def test_title_match_ranks_above_body_match(indexed):
    # "relocation" is in the MOU's title and only in the zone strategy's body.
    results = indexed.search(SearchQuery(text="relocation"))
    assert keys(results) == ["document:200", "strategy:3"]
    assert results.hits[0].score > results.hits[1].score


def test_stemming_matches_other_word_forms(indexed):
    results = indexed.search(SearchQuery(text="shooting", page_size=50))
    assert {"strategy:2", "analysis:10"} <= set(keys(results))


def test_words_are_anded(indexed):
    results = indexed.search(SearchQuery(text="witness intimidation"))
    # Strategy 3 has both words, apart; strategy 2 only "witness".
    assert set(keys(results)) == {"strategy:1", "strategy:3"}


def test_quoted_phrase_needs_adjacent_words(indexed):
    results = indexed.search(SearchQuery(text='"witness intimidation"'))
    assert keys(results) == ["strategy:1"]


def test_excluded_word(indexed):
    results = indexed.search(SearchQuery(text="shots -juvenile"))
    assert "analysis:11" not in keys(results)
    assert indexed.search(SearchQuery(text="shots")).total >= 1


def test_or_inside_a_facet(indexed):
    results = indexed.search(SearchQuery(filters={"state": ("MD", "MO")}, page_size=50))
    assert set(keys(results)) == {
        "strategy:1",
        "strategy:2",
        "analysis:10",
        "site:100",
        "document:200",
    }


def test_and_across_facets(indexed):
    results = indexed.search(
        SearchQuery(filters={"state": ("MD", "MO"), "type": ("analysis",)}, page_size=50)
    )
    assert keys(results) == ["analysis:10"]


def test_multi_valued_facet(indexed):
    results = indexed.search(SearchQuery(filters={"strategy_type": ("gunstat",)}, page_size=50))
    assert set(keys(results)) == {"strategy:2", "strategy:3"}


def test_facet_counts_without_filters(indexed):
    results = indexed.search(SearchQuery())
    assert counts(results, "type") == {"strategy": 3, "analysis": 3, "site": 1, "document": 1}
    assert counts(results, "state") == {"MD": 2, "MO": 3, "VA": 1, "OH": 1, "GA": 1}
    assert counts(results, "strategy_type") == {
        "gunstat": 2,
        "witness-intimidation": 2,
        "zone-prosecution": 1,
    }
    assert counts(results, "direction") == {"improved": 1, "no_clear_change": 1, "worsened": 1}
    assert counts(results, "year")["2021"] == 2


def test_facet_counts_ignore_their_own_filter_only(indexed):
    results = indexed.search(SearchQuery(filters={"state": ("MO",), "type": ("analysis",)}))
    # State counts: analyses in any state (the state filter is the facet's own).
    assert counts(results, "state") == {"MO": 1, "OH": 1, "GA": 1}
    # Type counts: anything in MO.
    assert counts(results, "type") == {"strategy": 1, "analysis": 1, "site": 1}
    # Other facets: under both filters.
    assert counts(results, "design") == {"did": 1}
    assert [v.value for v in results.facets["state"] if v.selected] == ["MO"]


def test_facet_counts_follow_the_text(indexed):
    results = indexed.search(SearchQuery(text="prosecutors"))
    assert counts(results, "type") == {"strategy": 3, "site": 1}


def test_sort_newest(indexed):
    results = indexed.search(SearchQuery(sort="newest", page_size=50))
    order = keys(results)
    assert order[:4] == ["analysis:11", "strategy:3", "analysis:10", "document:200"]
    assert order[-1] == "site:100"  # no publication date: last


def test_sort_effect_size_by_magnitude(indexed):
    results = indexed.search(SearchQuery(sort="effect_size", page_size=50))
    assert keys(results)[:3] == ["analysis:12", "analysis:10", "analysis:11"]


def test_relevance_without_text_falls_back_to_newest(indexed):
    assert keys(indexed.search(SearchQuery(page_size=3))) == keys(
        indexed.search(SearchQuery(sort="newest", page_size=3))
    )


def test_pagination(indexed):
    seen = []
    for page in (1, 2, 3):
        results = indexed.search(SearchQuery(sort="newest", page=page, page_size=3))
        assert results.total == 8
        assert results.page_count == 3
        seen.extend(keys(results))
    assert len(seen) == 8 and len(set(seen)) == 8
    assert indexed.search(SearchQuery(page=4, page_size=3)).hits == []


def test_highlights_mark_matches_and_escape_html(indexed):
    results = indexed.search(SearchQuery(text="median"))
    assert keys(results) == ["analysis:12"]
    highlight = results.hits[0].highlight
    assert "<mark>Median</mark>" in highlight
    assert "<script>" not in highlight


def test_site_narrows_to_one_grantee(indexed):
    results = indexed.search(SearchQuery(site="bayridge", page_size=50))
    assert set(keys(results)) == {"strategy:1", "document:200"}


def test_suggestions_by_prefix(indexed):
    titles = [s["value"] for s in indexed.suggest("witn")]
    assert "Witness intimidation response unit" in titles
    assert all("witn" in t.lower() for t in titles)
    assert indexed.suggest("zzzz") == []


def test_did_you_mean(indexed):
    results = indexed.search(SearchQuery(text="intimidaton"))
    assert results.total == 0
    assert results.did_you_mean == "intimidation"
    assert indexed.search(SearchQuery(text="intimidation")).total > 0


def test_no_did_you_mean_when_results_exist(indexed):
    assert indexed.search(SearchQuery(text="relocation")).did_you_mean == ""


def test_delete(indexed):
    indexed.delete("document", "200")
    results = indexed.search(SearchQuery(text="relocation"))
    assert keys(results) == ["strategy:3"]
    assert "document:200" not in indexed.indexed_keys()


def test_add_replaces_the_same_key(indexed):
    changed = fixture_documents()[0]
    changed.title = "Victim protection unit"
    indexed.add(changed)
    assert indexed.search(SearchQuery(text="victim protection")).total == 1
    assert indexed.search(SearchQuery()).total == 8


def test_rebuild_replaces_everything(indexed):
    only = [
        SearchDocument(doc_type="site", object_id="1", title="Lone site", url="/x/", state="NV")
    ]
    assert indexed.rebuild(only) == 1
    assert indexed.indexed_keys() == {"site:1"}
    assert counts(indexed.search(SearchQuery()), "state") == {"NV": 1}


def test_health(indexed):
    report = indexed.health()
    assert report.ok
    assert report.documents == 8


def test_query_rejects_unknown_facet_and_sort():
    with pytest.raises(ValueError):
        SearchQuery(filters={"colour": ("red",)})
    with pytest.raises(ValueError):
        SearchQuery(sort="random")
