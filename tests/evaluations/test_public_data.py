"""The public outcome-data page: published only, suppressed, filters, downloads."""

from __future__ import annotations

import csv
import io

import pytest

from evaluations.selectors import observations_visible_to
from evaluations.services import observations_publish, observations_unpublish
from tests.evaluations.helpers import csv_bytes, month_rows, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(site_a, site_b, bja_user):
    upload(site_a, csv_bytes(*month_rows("homicides", "Zone 3", "treatment", [3, 14, 0])), bja_user)
    upload(site_b, csv_bytes(*month_rows("homicides", "Secret area", "treatment", [22])), bja_user)
    observations_publish(site=site_a, user=bja_user)


def test_public_page_shows_published_only_with_suppression(client, published):
    page = client.get("/evaluations/data/").content.decode()
    assert "Zone 3" in page and "Secret area" not in page
    assert "&lt;10" in page and ">14<" in page
    assert ">3<" not in page


def test_public_filters_and_downloads(client, published):
    page = client.get("/evaluations/data/?site=site-a&date_from=2023-02-01&date_to=2023-02-28")
    assert page.status_code == 200
    text = page.content.decode()
    assert "2023-02-01" in text and "2023-01-01" not in text
    response = client.get("/evaluations/data/export.csv?site=site-a")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["value"] for r in rows] == ["<10", "14", "0"]
    xlsx = client.get("/evaluations/data/export.xlsx")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]
    assert client.get("/evaluations/data/export.pdf").status_code == 404


def test_unpublish_hides_again(client, published, site_a, bja_user):
    observations_unpublish(site=site_a, user=bja_user)
    assert "Zone 3" not in client.get("/evaluations/data/").content.decode()


def test_updated_value_needs_republishing(client, published, site_a, bja_user):
    upload(site_a, csv_bytes(*month_rows("homicides", "Zone 3", "treatment", [3, 15, 0])), bja_user)
    response = client.get("/evaluations/data/export.csv?site=site-a")
    assert [r["value"] for r in csv.DictReader(io.StringIO(response.content.decode()))] == [
        "<10",
        "0",
    ]


def test_visibility_rules(published, site_a, site_b, contributor_a, research_user):
    from django.contrib.auth.models import AnonymousUser

    assert {o.site.slug for o in observations_visible_to(AnonymousUser())} == {"site-a"}
    assert observations_visible_to(research_user).count() == 4
    mine = observations_visible_to(contributor_a)
    assert {o.site.slug for o in mine} == {"site-a"}


def test_public_page_has_no_inline_script(client, published):
    page = client.get("/evaluations/data/").content.decode()
    assert "<script>" not in page and " onclick=" not in page and 'style="' not in page


def test_public_page_names_sites_metrics_and_groups(client, published):
    """Readers see names, not the slugs and codes the upload files use."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(client.get("/evaluations/data/").content, "html.parser")
    cells = [td.get_text() for td in soup.select("table tbody tr")[0].find_all("td")]
    assert cells[:4] == ["Site A Prosecutor", "Homicides", "Zone 3", "Treatment"]
