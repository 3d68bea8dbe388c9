"""/api/v1/search/ and /search/: shapes, validation (400 with a message), facets as URLs."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from search.backends import get_database_backend
from tests.search.conftest import fixture_documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed_db(db):
    get_database_backend().rebuild(fixture_documents())


def test_api_shape(indexed_db, client):
    response = client.get("/api/v1/search/", {"q": "shootings", "sort": "relevance"})
    assert response.status_code == 200
    data = response.json()
    assert data["total"] == len(data["results"]) == 2
    first = data["results"][0]
    for key in ("type", "id", "title", "url", "summary", "highlight"):
        assert key in first
    assert {r["type"] for r in data["results"]} == {"strategy", "analysis"}
    analysis = next(r for r in data["results"] if r["type"] == "analysis")
    assert analysis["finding"].startswith("Non-fatal shootings fell")
    assert analysis["direction"] == "improved" and analysis["design"] == "did"
    assert "<mark>" in analysis["highlight"]
    assert set(data["facets"]) >= {
        "type",
        "state",
        "strategy_type",
        "jurisdiction_kind",
        "evidence_rating",
        "metric",
        "design",
        "direction",
        "year",
    }
    assert {"value": "MO", "label": "Missouri", "count": 2} in data["facets"]["state"]
    assert data["degraded"] is False


def test_api_filters_or_and(indexed_db, client):
    data = client.get(
        "/api/v1/search/?state=MO&state=GA&type=analysis&jurisdiction_kind=county"
    ).json()
    assert sorted(r["id"] for r in data["results"]) == ["10", "12"]
    data = client.get("/api/v1/search/?design=did&direction=improved&metric=nonfatal_shootings")
    assert [r["id"] for r in data.json()["results"]] == ["10"]


def test_api_sort_and_page(indexed_db, client):
    data = client.get("/api/v1/search/", {"sort": "effect_size", "page_size": "2"}).json()
    assert [r["id"] for r in data["results"]] == ["12", "10"]
    assert data["page_count"] == 4
    data = client.get("/api/v1/search/", {"sort": "effect_size", "page_size": 2, "page": 2}).json()
    assert data["results"][0]["id"] == "11"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"colour": "red"}, "Unknown parameter(s): colour"),
        ({"state": "ZZ"}, "state: unknown value(s) 'ZZ'"),
        ({"type": "recipe"}, "type: unknown value(s) 'recipe'"),
        ({"direction": "sideways"}, "direction: unknown value(s) 'sideways'"),
        ({"design": "rct"}, "design: unknown value(s) 'rct'"),
        ({"evidence_rating": "great"}, "evidence_rating: unknown value(s) 'great'"),
        ({"jurisdiction_kind": "village"}, "jurisdiction_kind: unknown value(s)"),
        ({"strategy_type": "no-such-type"}, "strategy_type: unknown value(s)"),
        ({"strategy_type": "Bad Slug!"}, "strategy_type: Bad Slug! is not a valid code"),
        ({"metric": "no_such_metric"}, "metric: unknown value(s)"),
        ({"year": "20x1"}, "year: 20x1 is not a year"),
        ({"sort": "random"}, "sort: must be one of relevance, newest, effect_size"),
        ({"page": "0"}, "page: must be a whole number"),
        ({"page": "abc"}, "page: must be a whole number"),
        ({"page_size": "1000"}, "page_size: must be a whole number from 1 to 100"),
        ({"q": "x" * 201}, "q: at most 200 characters"),
    ],
)
def test_api_rejects_bad_parameters(db, client, params, message):
    response = client.get("/api/v1/search/", params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_api_accepts_known_codes(db, client):
    assert (
        client.get(
            "/api/v1/search/", {"strategy_type": "gun-violence-crime-analysis-gunstat"}
        ).status_code
        == 200
    )
    assert client.get("/api/v1/search/", {"metric": "nonfatal_shootings"}).status_code == 200


def test_api_suggest(indexed_db, client):
    data = client.get("/api/v1/search/suggest/", {"q": "gunst"}).json()
    assert data["suggestions"][0] == {
        "value": "GunStat weekly shooting review",
        "url": "/strategies/gunstat/",
        "type": "strategy",
        "type_label": "Strategy",
    }


def test_api_did_you_mean(indexed_db, client):
    data = client.get("/api/v1/search/", {"q": "relocaton"}).json()
    assert data["total"] == 0 and data["did_you_mean"] == "relocation"


def test_openapi_lists_search(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/search/" in paths and "/api/v1/search/suggest/" in paths


# --- The page -------------------------------------------------------------------------------


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def test_page_lists_results_and_facets(indexed_db, client):
    response = client.get("/search/", {"q": "shootings"})
    assert response.status_code == 200
    page = soup(response)
    assert page.find("h2", id="results-heading").get_text(strip=True).startswith("2 results")
    cards = page.select(".portal-search-results > li")
    assert len(cards) == 2
    strategy = next(c for c in cards if "GunStat weekly" in c.get_text())
    assert strategy.select_one(".portal-badge--effective").get_text(strip=True) == "Effective"
    result = next(c for c in cards if "Analysis result" in c.get_text())
    assert "fell 28%" in result.get_text()
    assert "Improved" in result.get_text()
    box = page.find("input", id="facet-state-mo")
    assert box["name"] == "state" and box["value"] == "MO"
    assert "Missouri" in box.find_next("label").get_text()
    assert "(2" in box.find_next("label").get_text()


def test_page_active_filters_are_removable_links(indexed_db, client):
    response = client.get("/search/?q=prosecutors&state=MO&type=strategy")
    page = soup(response)
    tags = page.select(".portal-active-filters a.usa-tag")
    assert [t.get_text(" ", strip=True).split(" ✕")[0] for t in tags] == [
        "Type: Strategy",
        "State: Missouri",
    ]
    remove_state = tags[1]["href"]
    assert "state=MO" not in remove_state and "type=strategy" in remove_state
    assert "q=prosecutors" in remove_state
    assert page.find("input", id="facet-state-mo").has_attr("checked")
    follow = client.get("/search/" + remove_state)
    assert follow.status_code == 200


def test_page_without_results_offers_did_you_mean(indexed_db, client):
    page = soup(client.get("/search/", {"q": "intimidaton", "state": "MD"}))
    link = page.find("a", string="intimidation")
    assert link is not None
    assert "q=intimidation" in link["href"] and "state=MD" in link["href"]


def test_page_pagination_links(indexed_db, client):
    page = soup(client.get("/search/", {"page_size": 3, "sort": "newest", "page": 2}))
    nav = page.find("nav", attrs={"aria-label": "Pagination"})
    assert "Page 2 of 3" in nav.get_text()
    hrefs = [a["href"] for a in nav.find_all("a")]
    assert any(h.endswith("page=1") for h in hrefs) and any(h.endswith("page=3") for h in hrefs)


def test_page_bad_parameters_are_a_400_not_a_500(db, client):
    response = client.get("/search/", {"state": "ZZ"})
    assert response.status_code == 400
    assert "state: unknown value(s)" in response.content.decode()


def test_page_needs_no_inline_script(indexed_db, client):
    page = soup(client.get("/search/", {"q": "gunstat"}))
    assert all(tag.get("src") for tag in page.find_all("script"))
    assert not page.select("[style]")
    assert page.find("script", src=lambda s: s and s.endswith("search/js/search.js"))


def test_suggest_endpoint(indexed_db, client):
    data = client.get("/search/suggest/", {"q": "zone"}).json()
    assert [s["value"] for s in data["suggestions"]] == ["Zone prosecution downtown"]
    assert client.get("/search/suggest/", {"q": "z"}).json() == {"suggestions": []}


def test_page_direction_tags_use_the_shared_direction_styles(indexed_db, client):
    """The result card styles a direction like every other page (``portal-direction--<code>``)
    instead of its own copy of the direction codes and colours."""
    page = soup(client.get("/search/"))
    tags = page.select(".portal-direction")
    assert {t["class"][-1] for t in tags} >= {
        "portal-direction--improved",
        "portal-direction--worsened",
        "portal-direction--no_clear_change",
    }
    assert not page.select(".usa-tag.bg-green, .usa-tag.bg-secondary-dark")
