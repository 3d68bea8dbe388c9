"""A strategy page: the write-up, the site card, evidence badges, documents, tables as CSV,
related strategies and the hook for linked evaluation results."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from strategies.models import PartnerAgency, RelatedStrategy, StrategyType
from strategies.selectors import linked_results_for, related_strategies, strategy_documents
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(media_tmp):
    doc = get_document_model()(title="Data-sharing MOU")
    doc.file.save("mou.txt", ContentFile(b"Memorandum of understanding"), save=False)
    doc.save()
    return doc


@pytest.fixture
def image(media_tmp):
    buffer = io.BytesIO()
    PILImage.new("RGB", (20, 10), "navy").save(buffer, "PNG")
    return get_image_model().objects.create(
        title="Shootings chart", file=ImageFile(buffer, name="chart.png")
    )


TABLE = {
    "caption": "Cases by outcome",
    "source": "Case-management system",
    "table": {
        "data": [["Outcome", "2020", "2023"], ["Dismissed", "14%", "8%"], ["Pleaded", None, "5"]],
        "first_row_is_table_header": True,
        "first_col_is_header": True,
        "table_header_choice": "both",
    },
}


@pytest.fixture
def full_page(strategy_index, site_a, document, image):
    body = [
        {"type": "problem", "value": "<p>Shootings doubled.</p>"},
        {"type": "what_we_did", "value": "<p>Weekly reviews.</p>"},
        {
            "type": "implementation",
            "value": {
                "steps": "<ol><li>Signed MOU</li></ol>",
                "staffing": "<p>One analyst.</p>",
                "cost": "<p>$90,000 a year.</p>",
                "data_and_technology": "<p>Spreadsheets.</p>",
            },
        },
        {"type": "quote", "value": {"quote": "It works.", "attribution": "A chief", "role": ""}},
        {
            "type": "figure",
            "value": {
                "image": image.pk,
                "alt_text": "Line chart of monthly shootings falling",
                "caption": "Monthly shootings",
            },
        },
        {"type": "table", "value": TABLE},
        {"type": "document", "value": {"document": document.pk, "description": "Signed MOU"}},
        {"type": "document", "value": {"document": document.pk, "description": "Again"}},
        {"type": "lessons", "value": "<p>Start small.</p>"},
    ]
    page = factories.strategy_page_for(
        site_a,
        parent=strategy_index,
        title="Alpha GunStat",
        body=body,
        tags=["shootings"],
        ratings=[("Case time", "no_effects"), ("Non-fatal shootings", "effective")],
    )
    PartnerAgency.objects.create(page=page, name="Alpha Police", kind="police", contribution="Data")
    return page


def test_page_shows_write_up_card_badges_and_documents(client, full_page, site_a, document):
    response = client.get(full_page.url)
    assert response.status_code == 200
    html = response.content.decode()
    for heading in ("The problem", "What we did", "Implementation", "Lessons learned"):
        assert f"<h2>{heading}</h2>" in html
    for sub in ("Steps", "Staffing", "Cost", "Data and technology used"):
        assert f"<h3>{sub}</h3>" in html
    assert site_a.name in html
    assert site_a.jurisdiction.name in html
    assert "Missouri" in html
    assert 'alt="Line chart of monthly shootings falling"' in html
    assert "<caption>Cases by outcome</caption>" in html
    assert '<th scope="col">2020</th>' in html
    assert '<th scope="row">Dismissed</th>' in html
    # Badges carry their text, best evidence first, and the overall badge is the best one.
    effective = '<span class="portal-badge portal-badge--effective">Effective</span>'
    no_effects = '<span class="portal-badge portal-badge--no_effects">No effects</span>'
    assert html.index(effective) < html.index(no_effects)
    assert full_page.overall_rating == "effective"
    assert "Alpha Police" in html
    # Twice in the body (two blocks) and once under "Documents".
    assert html.count(f'href="{document.url}"') == 3
    assert "{% block linked_results %}" not in html


def test_documents_listed_once(full_page, document):
    docs = strategy_documents(full_page)
    assert [d["document"] for d in docs] == [document]
    assert docs[0]["description"] == "Signed MOU"


def test_table_downloads_as_csv(client, full_page):
    block = next(b for b in full_page.body if b.block_type == "table")
    url = f"/strategies/tables/{full_page.pk}/{block.id}.csv"
    assert url in client.get(full_page.url).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [["Outcome", "2020", "2023"], ["Dismissed", "14%", "8%"], ["Pleaded", "", "5"]]


def test_table_csv_of_unknown_block_or_draft_is_404(client, full_page, strategy_index, site_a):
    assert (
        client.get(
            f"/strategies/tables/{full_page.pk}/00000000-0000-0000-0000-000000000000.csv"
        ).status_code
        == 404
    )
    draft = factories.strategy_page_for(
        site_a,
        parent=strategy_index,
        title="Draft",
        publish=False,
        body=[{"type": "table", "value": TABLE, "id": "11111111-1111-1111-1111-111111111111"}],
    )
    assert (
        client.get(
            f"/strategies/tables/{draft.pk}/11111111-1111-1111-1111-111111111111.csv"
        ).status_code
        == 404
    )


def test_unrated_strategy_says_not_yet_rated(client, strategy_index, site_a):
    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Unrated")
    assert page.overall_rating == "not_rated"
    assert "Not yet rated" in client.get(page.url).content.decode()


def test_related_strategies_manual_first_then_shared_type_and_tags(strategy_index, site_a, site_b):
    gunstat = StrategyType.objects.get(slug="gun-violence-crime-analysis-gunstat")
    zone = StrategyType.objects.get(slug="zone-geographic-prosecution")
    cyber = StrategyType.objects.get(slug="cybercrime")
    make = factories.strategy_page_for
    page = make(
        site_a, parent=strategy_index, title="Main", types=[gunstat, zone], tags=["shootings"]
    )
    both = make(
        site_b,
        parent=strategy_index,
        title="Shares type and tag",
        types=[gunstat],
        tags=["shootings"],
    )
    one = make(site_b, parent=strategy_index, title="Shares a type", types=[zone])
    unrelated = make(site_b, parent=strategy_index, title="Unrelated", types=[cyber])
    make(site_b, parent=strategy_index, title="Draft sibling", types=[gunstat], publish=False)

    assert related_strategies(page) == [both, one]
    RelatedStrategy.objects.create(page=page, related=unrelated)
    assert related_strategies(page) == [unrelated, both, one]
    assert related_strategies(page, limit=2) == [unrelated, both]


def test_related_strategies_shown_on_page(client, strategy_index, site_a, site_b):
    gunstat = StrategyType.objects.get(slug="gun-violence-crime-analysis-gunstat")
    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Main", types=[gunstat])
    factories.strategy_page_for(
        site_b, parent=strategy_index, title="Sibling GunStat", types=[gunstat]
    )
    html = client.get(page.url).content.decode()
    assert "Related strategies" in html
    assert "Sibling GunStat" in html


def test_linked_results_empty_without_published_analyses(full_page):
    assert linked_results_for(full_page) == []


def test_demo_badge_only_for_demo_sites(client, strategy_index, site_a):
    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Real")
    assert "Demo data" not in client.get(page.url).content.decode()
    site_a.is_demo = True
    site_a.save()
    assert "Demo data" in client.get(page.url).content.decode()
