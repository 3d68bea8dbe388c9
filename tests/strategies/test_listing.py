"""/strategies/: every filter alone and combined, sorting, pagination, type landing pages,
and bad query strings (a 400 with the reason, never a 500)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import Jurisdiction
from strategies.models import StrategyType
from strategies.views import PAGE_SIZE
from tests import factories

pytestmark = pytest.mark.django_db

GUNSTAT = "gun-violence-crime-analysis-gunstat"
ZONE = "zone-geographic-prosecution"
WITNESS = "witness-intimidation"


def types(*slugs):
    return list(StrategyType.objects.filter(slug__in=slugs))


@pytest.fixture
def catalogue(strategy_index):
    """Four published strategies that differ on every filtered field, and one draft."""
    mo_county = factories.GranteeSiteFactory(
        slug="mo-county",
        name="Osage Bend County Prosecutor",
        jurisdiction=factories.JurisdictionFactory(name="Osage Bend County", state="MO"),
    )
    va_city = factories.GranteeSiteFactory(
        slug="va-city",
        name="Laurel City Attorney",
        jurisdiction=factories.JurisdictionFactory(
            name="Laurel City", state="VA", kind=Jurisdiction.Kind.CITY
        ),
    )
    ok_tribe = factories.GranteeSiteFactory(
        slug="ok-tribe",
        name="Willow Creek Tribal Prosecutor",
        jurisdiction=factories.JurisdictionFactory(
            name="Willow Creek Nation", state="OK", kind=Jurisdiction.Kind.TRIBAL
        ),
    )
    make = factories.strategy_page_for
    pages = {
        "gun_mo": make(
            mo_county,
            parent=strategy_index,
            title="Bend GunStat",
            types=types(GUNSTAT),
            start_year=2019,
            status="sustained",
            tags=["shootings"],
            ratings=[("Non-fatal shootings", "effective"), ("Case time", "no_effects")],
        ),
        "gun_va": make(
            va_city,
            parent=strategy_index,
            title="Laurel shooting review",
            types=types(GUNSTAT),
            start_year=2021,
            status="active",
            ratings=[("Shootings", "inconclusive")],
        ),
        "zone_va": make(
            va_city,
            parent=strategy_index,
            title="Anchor zones",
            types=types(ZONE, GUNSTAT),
            start_year=2022,
            status="planning",
            summary="Prosecutors assigned to precincts.",
            ratings=[("Violent felonies", "promising")],
        ),
        "witness_ok": make(
            ok_tribe,
            parent=strategy_index,
            title="Circle witness safety",
            types=types(WITNESS),
            start_year=2023,
            status="ended",
            tags=["intimidation"],
        ),
    }
    make(
        mo_county, parent=strategy_index, title="Secret draft", types=types(GUNSTAT), publish=False
    )
    return pages


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    soup = BeautifulSoup(response.content, "html.parser")
    return [h.get_text(strip=True) for h in soup.select(".usa-collection__heading")]


ALL = {"Bend GunStat", "Laurel shooting review", "Anchor zones", "Circle witness safety"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ALL),
        (f"type={GUNSTAT}", {"Bend GunStat", "Laurel shooting review", "Anchor zones"}),
        (f"type={ZONE}&type={WITNESS}", {"Anchor zones", "Circle witness safety"}),
        ("state=MO", {"Bend GunStat"}),
        ("state=VA&state=OK", {"Laurel shooting review", "Anchor zones", "Circle witness safety"}),
        ("state=TX", set()),
        ("kind=tribal", {"Circle witness safety"}),
        ("kind=city", {"Laurel shooting review", "Anchor zones"}),
        ("kind=state", set()),
        ("rating=effective", {"Bend GunStat"}),
        ("rating=not_rated", {"Circle witness safety"}),
        ("rating=promising&rating=inconclusive", {"Laurel shooting review", "Anchor zones"}),
        ("rating=no_effects", set()),  # Bend's best rating is Effective
        ("status=planning", {"Anchor zones"}),
        ("status=sustained&status=ended", {"Bend GunStat", "Circle witness safety"}),
        ("year_from=2021", {"Laurel shooting review", "Anchor zones", "Circle witness safety"}),
        ("year_to=2021", {"Bend GunStat", "Laurel shooting review"}),
        ("year_from=2021&year_to=2022", {"Laurel shooting review", "Anchor zones"}),
        ("q=precincts", {"Anchor zones"}),
        ("q=laurel", {"Laurel shooting review", "Anchor zones"}),  # by site name
        ("q=intimidation", {"Circle witness safety"}),  # by tag
        ("q=gunstat", {"Bend GunStat"}),
        ("q=nothing+matches+this", set()),
        (f"type={GUNSTAT}&state=VA", {"Laurel shooting review", "Anchor zones"}),
        (f"type={GUNSTAT}&state=VA&rating=promising", {"Anchor zones"}),
        ("kind=city&status=active&year_to=2021", {"Laurel shooting review"}),
        (f"q=shooting&type={GUNSTAT}&kind=city", {"Laurel shooting review"}),
        ("utm_source=newsletter", ALL),  # unknown parameters are ignored
    ],
)
def test_filters(client, catalogue, query, expected):
    assert set(titles(client.get(f"/strategies/?{query}"))) == expected


def test_drafts_never_listed(client, catalogue):
    assert "Secret draft" not in titles(client.get("/strategies/?q=secret"))


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("az", ["Anchor zones", "Bend GunStat", "Circle witness safety", "Laurel shooting review"]),
        (
            "rating",
            ["Bend GunStat", "Anchor zones", "Laurel shooting review", "Circle witness safety"],
        ),
    ],
)
def test_sorting(client, catalogue, sort, expected):
    assert titles(client.get(f"/strategies/?sort={sort}")) == expected


def test_newest_first_by_default(client, catalogue):
    from django.utils import timezone

    for days, key in enumerate(["witness_ok", "gun_mo", "zone_va", "gun_va"]):
        page = catalogue[key]
        type(page).objects.filter(pk=page.pk).update(
            first_published_at=timezone.now() - timezone.timedelta(days=days)
        )
    assert titles(client.get("/strategies/")) == [
        "Circle witness safety",
        "Bend GunStat",
        "Anchor zones",
        "Laurel shooting review",
    ]


def test_pagination_keeps_filters(client, strategy_index, site_a):
    for n in range(PAGE_SIZE + 3):
        factories.strategy_page_for(
            site_a, parent=strategy_index, title=f"Strategy {n:02d}", types=types(GUNSTAT)
        )
    first = client.get(f"/strategies/?type={GUNSTAT}&sort=az")
    assert len(titles(first)) == PAGE_SIZE
    assert f"?type={GUNSTAT}&amp;sort=az&amp;page=2" in first.content.decode()
    second = titles(client.get(f"/strategies/?type={GUNSTAT}&sort=az&page=2"))
    assert second == [f"Strategy {n:02d}" for n in range(PAGE_SIZE, PAGE_SIZE + 3)]
    # Out-of-range and malformed page numbers fall back to a real page.
    assert titles(client.get("/strategies/?sort=az&page=999")) == second
    assert len(titles(client.get("/strategies/?sort=az&page=abc"))) == PAGE_SIZE


def test_form_reflects_the_query(client, catalogue):
    html = client.get(f"/strategies/?type={GUNSTAT}&state=VA&kind=city&sort=az").content.decode()
    assert f'value="{GUNSTAT}" checked' in html
    assert 'value="VA" selected' in html
    assert 'value="city" checked' in html
    assert 'value="az" selected' in html


BAD_QUERIES = [
    "type=no-such-type",
    "state=ZZ",
    "state=mo",
    "kind=planet",
    "rating=excellent",
    "status=dormant",
    "sort=random",
    "year_from=soon",
    "year_from=1800",
    "year_to=99999999999999999999999",
    "year_from=2023&year_to=2020",
    "year_from=2.5",
    "q=" + "x" * 300,
    "q=%00",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_values_give_400_with_reason(client, catalogue, query):
    response = client.get(f"/strategies/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Some filters were not understood" in html
    assert titles_or_empty(html) == []


def titles_or_empty(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [h.get_text(strip=True) for h in soup.select(".usa-collection__heading")]


FIELDS = ["q", "type", "state", "kind", "rating", "status", "year_from", "year_to", "sort", "page"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(FIELDS), st.text(max_size=40)),
        max_size=6,
    )
)
def test_any_query_string_gives_200_or_400(client, catalogue, params):
    response = client.get("/strategies/", params)
    assert response.status_code in (200, 400)


def test_type_landing_page(client, catalogue):
    gunstat = StrategyType.objects.get(slug=GUNSTAT)
    response = client.get(f"/strategies/type/{GUNSTAT}/")
    assert set(titles(response)) == {"Bend GunStat", "Laurel shooting review", "Anchor zones"}
    html = response.content.decode()
    assert f"<h1>{gunstat.name}</h1>" in html
    assert gunstat.description[:60] in html
    # Filters still apply on a type's page.
    assert titles(client.get(f"/strategies/type/{GUNSTAT}/?state=MO")) == ["Bend GunStat"]
    assert gunstat.get_absolute_url() == f"/strategies/type/{GUNSTAT}/"


def test_unknown_type_landing_page_is_404(client, catalogue):
    assert client.get("/strategies/type/no-such-type/").status_code == 404


def test_index_links_each_type_with_its_count(client, catalogue):
    html = client.get("/strategies/").content.decode()
    assert f'href="/strategies/type/{GUNSTAT}/">' in html
    soup = BeautifulSoup(html, "html.parser")
    link = soup.find("a", href=f"/strategies/type/{GUNSTAT}/")
    assert "(3)" in link.parent.get_text()


def test_listing_card_shows_badge_text_not_colour_alone(client, catalogue):
    html = client.get("/strategies/?state=MO").content.decode()
    assert '<span class="portal-badge portal-badge--effective">Effective</span>' in html


def test_the_form_as_a_browser_submits_it(client, catalogue):
    """Untouched fields arrive as empty strings (the state select's "Any state" too)."""
    from wagtail.test.utils.form_data import querydict_from_html

    html = client.get("/strategies/").content.decode()
    data = querydict_from_html(html, form_id="strategy-filters")
    assert data["state"] == ""
    assert set(titles(client.get("/strategies/", data))) == ALL
    data.setlist("type", [GUNSTAT])
    data["kind"] = "city"
    assert set(titles(client.get("/strategies/", data))) == {
        "Laurel shooting review",
        "Anchor zones",
    }


def test_state_filter_offers_only_states_with_strategies(client, catalogue):
    """The catalogue's published strategies are in MO, VA and OK; a bookmarked state with none
    still filters (to nothing) and stays selected."""

    def offered(url: str) -> list[str]:
        soup = BeautifulSoup(client.get(url).content, "html.parser")
        return [o["value"] for o in soup.select("select#id_state option") if o["value"]]

    assert offered("/strategies/") == ["MO", "OK", "VA"]
    assert offered("/strategies/?state=TX") == ["MO", "OK", "TX", "VA"]
