"""Unknown or malformed filter and paging values: 400 with the allowed values on the pages,
the exports and the API; never a silent widening to all data, never a 500."""

from __future__ import annotations

import pytest

from evaluations.services import observations_publish
from portal.api_auth import api_token_create
from tests.evaluations.helpers import csv_bytes, month_rows, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(site_a, bja_user):
    upload(site_a, csv_bytes(*month_rows("homicides", "Zone 3", "treatment", [3, 14])), bja_user)
    observations_publish(site=site_a, user=bja_user)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("site=nowhere", ['"nowhere" is not a known site', "Allowed: site-a"]),
        ("metric=homicidez", ['"homicidez" is not a known metric', "homicides"]),
        ("group=control", ['"control" is not a known group', "treatment, comparison"]),
        ("date_from=2024-13-01", ["YYYY-MM-DD"]),
        # The API's names for the dates, or a typo, must not be ignored (all data exported).
        ("from=2030-01-01", ["Unknown parameter 'from'", "date_from"]),
        ("metrc=homicides", ["Unknown parameter 'metrc'", "metric"]),
    ],
)
def test_public_export_refuses_unknown_filters_instead_of_exporting_everything(
    client, published, query, words
):
    response = client.get(f"/evaluations/data/export.csv?{query}")
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was exported" in text and "Zone 3" not in text
    for word in words:
        assert word in text
    page = client.get(f"/evaluations/data/?{query}")
    assert page.status_code == 400 and "Zone 3" not in page.content.decode()


def test_public_page_refuses_a_malformed_page_number(client, published):
    response = client.get("/evaluations/data/?page=%C2%B2")  # "²"
    assert response.status_code == 400
    assert "page: a whole number from 1." in response.content.decode()


def test_admin_export_refuses_unknown_filters(client, published, bja_user):
    client.force_login(bja_user)
    response = client.get("/admin/outcome-data/export/?format=csv&metric=nope")
    assert response.status_code == 400
    assert "is not a known metric" in response.content.decode()


def test_outcomes_api_filters_and_paging(client, published, contributor_a):
    _, token = api_token_create(user=contributor_a, name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    ok = client.get("/api/v1/outcomes/?site=site-a&metric=homicides", **auth)
    assert ok.status_code == 200 and ok.json()["count"] == 2
    for query, words in (
        ("site=site-b", "Allowed: site-a"),
        ("metric=homicidez", "not a metric code"),
        ("group=control", "treatment, comparison"),
        (f"offset={10**20}", "offset"),
        ("offset=%C2%B2", "offset"),
        ("limit=0", "limit"),
    ):
        response = client.get(f"/api/v1/outcomes/?{query}", **auth)
        assert response.status_code == 400, (query, response.content)
        assert words in response.content.decode(), (query, response.content)


@pytest.mark.parametrize("name", ["page", "page_size", "year"])
def test_search_refuses_non_ascii_digits(client, db, name):
    for url in ("/search/", "/api/v1/search/"):
        response = client.get(url, {name: "²"})
        assert response.status_code == 400, (url, name)
        huge = client.get(url, {name: "9" * 5000})
        assert huge.status_code == 400, (url, name)


def test_huge_ids_in_urls_are_404(client, db):
    big = "9" * 30
    for url in (
        f"/strategies/tables/{big}/0b6b6d2e-8a1c-4f0e-9d8f-1a2b3c4d5e6f.csv",
        f"/strategies/tables/{2**63}/0b6b6d2e-8a1c-4f0e-9d8f-1a2b3c4d5e6f.csv",
        f"/evaluations/analyses/{big}/",
        f"/evaluations/analyses/{big}/data.csv",
    ):
        assert client.get(url).status_code == 404, url


def test_unknown_parameter_names_are_refused_but_paging_and_format_are_not(
    client, published, bja_user
):
    assert client.get("/evaluations/data/?page=1&metric=homicides").status_code == 200
    page = client.get("/evaluations/data/?to=2000-01-01")
    assert page.status_code == 400 and "Unknown parameter" in page.content.decode()
    client.force_login(bja_user)
    assert client.get("/admin/outcome-data/export/?format=csv").status_code == 200
    response = client.get("/admin/outcome-data/export/?format=csv&to=2000-01-01")
    assert response.status_code == 400
    assert "Unknown parameter" in response.content.decode()
