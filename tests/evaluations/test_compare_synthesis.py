"""/compare/ narrowed by strategy type, jurisdiction kind, region and population, with
subgroups, leave-one-out, the plain reading, the downloads and ``GET /api/v1/compare/``.

Every number is checked against ``evaluations.stats`` called on the same inputs (the public
version of each result, as /compare/ pools), never against /compare/ itself."""

from __future__ import annotations

import csv
import importlib.util
import io
import math
import re
from html import unescape

import pytest
from openpyxl import load_workbook

from evaluations import stats
from evaluations.analyses.compare import CompareFilters, compare_metric
from evaluations.analyses.disclosure import public_analysis
from evaluations.analyses.findings import headline
from strategies.models import StrategyType
from tests import factories
from tests.evaluations.analysis_helpers import make_analysis

pytestmark = pytest.mark.django_db

GUNSTAT = "gun-violence-crime-analysis-gunstat"
ZONE = "zone-geographic-prosecution"


def _site(slug: str, kind: str, state: str, population: int):
    jurisdiction = factories.JurisdictionFactory(
        name=f"{slug} place", kind=kind, state=state, population=population
    )
    return factories.GranteeSiteFactory(slug=slug, name=f"{slug} office", jurisdiction=jurisdiction)


@pytest.fixture
def world(strategy_index):
    """Four county and city offices in three regions, three GunStat and one zone strategy."""
    types = {t.slug: t for t in StrategyType.objects.filter(slug__in=[GUNSTAT, ZONE])}
    plan = [
        ("mo-county", "county", "MO", 400_000, [GUNSTAT], -0.3, 1),
        ("il-county", "county", "IL", 360_000, [GUNSTAT], -0.2, 2),
        ("tx-county", "county", "TX", 545_000, [GUNSTAT, ZONE], -0.05, 3),
        ("va-city", "city", "VA", 238_000, [ZONE], 0.05, 4),
    ]
    analyses = {}
    for slug, kind, state, population, type_slugs, effect, seed in plan:
        site = _site(slug, kind, state, population)
        page = factories.strategy_page_for(
            site, parent=strategy_index, title=f"{slug} strategy",
            types=[types[t] for t in type_slugs],
        )  # fmt: skip
        analyses[slug] = make_analysis(
            site=site, design="its_with_comparison", seed=seed, effect=effect,
            strategy=page, title=f"{slug} ITS",
        )  # fmt: skip
    return analyses


def _effects(analyses):
    # /compare/ pools each result's headline estimate (for an ITS with comparison, the
    # treatment-minus-comparison level change) from its public version
    public = [headline(public_analysis(a, a.current_result).result) for a in analyses]
    pairs = [stats.effect_size_from_result(r) for r in public]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def test_filters_narrow_and_pool_equals_random_effects(world):
    filters = CompareFilters(
        metric="nonfatal_shootings", strategy_type=GUNSTAT, jurisdiction_kind="county"
    )
    comparison = compare_metric("nonfatal_shootings", filters=filters)
    sites = [r["site"] for r in comparison.table_rows if not r["pooled"]]
    assert sites == ["il-county office", "mo-county office", "tx-county office"]
    chosen = [world["il-county"], world["mo-county"], world["tx-county"]]
    y, v = _effects(chosen)
    expected = stats.random_effects(y, v, method="REML")
    assert comparison.pooled["estimate"] == pytest.approx(round(math.exp(expected.estimate), 4))
    assert comparison.pooled["pi_low"] == pytest.approx(round(math.exp(expected.pi_low), 4))
    assert comparison.pooled["pi_high"] == pytest.approx(round(math.exp(expected.pi_high), 4))
    assert comparison.pooled_result.tau2 == pytest.approx(expected.tau2)


def test_subgroups_equal_subgroup_differences(world):
    comparison = compare_metric("nonfatal_shootings")
    order = ["il-county", "mo-county", "tx-county", "va-city"]  # pooled in site-name order
    y, v = _effects([world[s] for s in order])
    kinds = ["County", "County", "County", "City"]
    expected = stats.subgroup_differences(y, v, kinds, method="REML")
    test = comparison.subgroups["jurisdiction_kind"]
    assert test["q"] == pytest.approx(expected.statistic)
    assert test["df"] == 1 and test["p_value"] == pytest.approx(expected.p_value)
    rows = {r["subgroup"]: r for r in test["rows"]}
    county = next(g for g in expected.subgroups if g.label == "County")
    assert rows["County"]["estimate"] == pytest.approx(round(math.exp(county.estimate), 4))
    gunstat, zone = "Gun violence crime analysis (GunStat)", "Zone / geographic prosecution"
    by_type = stats.subgroup_differences(
        y, v, [gunstat, gunstat, f"{gunstat} + {zone}", zone], method="REML"
    )
    types = comparison.subgroups["strategy_type"]
    assert [r["subgroup"] for r in types["rows"]] == [g.label for g in by_type.subgroups]
    assert types["q"] == pytest.approx(by_type.statistic) and types["df"] == 2


def test_leave_one_out_equals_random_effects_without_each_site(world):
    comparison = compare_metric("nonfatal_shootings")
    order = ["il-county", "mo-county", "tx-county", "va-city"]
    y, v = _effects([world[s] for s in order])
    for i, row in enumerate(comparison.leave_one_out):
        rest = [j for j in range(4) if j != i]
        expected = stats.random_effects([y[j] for j in rest], [v[j] for j in rest])
        assert row["left_out"] == f"{order[i]} office"
        assert row["estimate"] == pytest.approx(round(math.exp(expected.estimate), 4))


def test_region_and_population_filters(world):
    south = compare_metric(
        "nonfatal_shootings", filters=CompareFilters(metric="nonfatal_shootings", region="South")
    )
    assert {r["site"] for r in south.table_rows if not r["pooled"]} == {
        "tx-county office",
        "va-city office",
    }
    band = compare_metric(
        "nonfatal_shootings",
        filters=CompareFilters(
            metric="nonfatal_shootings", population_min=300_000, population_max=500_000
        ),
    )
    assert {r["site"] for r in band.table_rows if not r["pooled"]} == {
        "il-county office",
        "mo-county office",
    }


def test_page_shows_reading_subgroups_and_downloads(client, world):
    query = {"metric": "nonfatal_shootings"}
    html = client.get("/compare/", query).content.decode()
    assert "What the results say" in html and "Subgroups by jurisdiction kind" in html
    assert "Leave one out" in html and "Test for subgroup differences" in html
    xlsx = client.get("/compare/", {**query, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(1, 1).value == "Result" and sheet.max_row == 1 + 4 + 1
    loo = client.get("/compare/", {**query, "format": "csv", "table": "leave-one-out"})
    assert len(list(csv.reader(io.StringIO(loo.content.decode())))) == 1 + 4
    sub = client.get(
        "/compare/", {**query, "format": "csv", "table": "subgroups-jurisdiction_kind"}
    )
    assert sub.status_code == 200 and b"County" in sub.content


@pytest.mark.parametrize("file_format, magic", [("svg", b"<svg"), ("png", b"\x89PNG")])
def test_plot_downloads_as_image(client, world, file_format, magic):
    pytest.importorskip("vl_convert")
    response = client.get("/compare/", {"metric": "nonfatal_shootings", "format": file_format})
    assert response.status_code == 200
    assert magic in response.content[:200]


def test_bad_filters_are_refused_naming_the_parameter(client, world):
    response = client.get(
        "/compare/", {"metric": "nonfatal_shootings", "region": "Nowhere", "population_min": "x"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "region: &quot;Nowhere&quot; is not a census region" in html
    assert "population_min" in html
    api = client.get("/api/v1/compare/", {"metric": "nonfatal_shootings", "jurisdiction_kind": "x"})
    assert api.status_code == 400
    assert any("jurisdiction_kind" in d for d in api.json()["detail"])
    assert client.get("/api/v1/compare/").status_code == 400
    assert client.get("/api/v1/compare/", {"metric": "no_such"}).status_code == 404


def test_api_returns_the_same_comparison(client, world):
    params = {"metric": "nonfatal_shootings", "strategy_type": GUNSTAT}
    body = client.get("/api/v1/compare/", params).json()
    page = compare_metric(
        "nonfatal_shootings",
        filters=CompareFilters(metric="nonfatal_shootings", strategy_type=GUNSTAT),
    )
    assert body["filters"] == params
    assert body["pooled"]["estimate"] == page.pooled["estimate"]
    assert body["pooled"]["pi_low"] == page.pooled["pi_low"]
    assert [r["site"] for r in body["results"]] == [
        r["site"] for r in page.table_rows if not r["pooled"]
    ]
    assert body["subgroups"]["strategy_type"]["q"] == pytest.approx(
        page.subgroups["strategy_type"]["q"]
    )
    assert body["reading"] and "Across 3 sites" in body["reading"][0]


@pytest.mark.parametrize(
    "value",
    [
        "²",  # str.isdigit() says yes, int() says no
        "9" * 5000,  # past int()'s 4,300-digit limit
        "99999999999999999999999",  # past every database's integer range
        "-5",
        "2.5",
        "1e6",
        "٣٠٠٠٠٠",  # Arabic-Indic digits
    ],
)
def test_hostile_population_values_are_refused_not_a_server_error(client, world, value):
    for url in ("/compare/", "/api/v1/compare/"):
        response = client.get(url, {"metric": "nonfatal_shootings", "population_min": value})
        assert response.status_code == 400, (url, value[:20])
        assert "population_min" in response.content.decode()
    csv_download = client.get(
        "/compare/", {"metric": "nonfatal_shootings", "population_max": value, "format": "csv"}
    )
    assert csv_download.status_code == 400


def test_control_characters_in_filters_are_refused(client, world):
    """NUL cannot reach a PostgreSQL query (it would fail it: a server error, not a miss)."""
    for key in ("metric", "strategy_type", "region", "design", "jurisdiction_kind"):
        params = {"metric": "nonfatal_shootings", key: "gun\x00stat"}
        for url in ("/compare/", "/api/v1/compare/"):
            response = client.get(url, params)
            assert response.status_code == 400, (url, key)
            assert f"{key}: remove the control characters" in response.content.decode()


def test_download_of_an_unknown_or_missing_metric_is_not_the_html_page(client, world):
    unknown = client.get("/compare/", {"metric": "no_such", "format": "csv"})
    assert unknown.status_code == 404
    assert unknown["Content-Type"].startswith("text/plain")
    missing = client.get("/compare/", {"format": "xlsx"})
    assert missing.status_code == 400
    assert b"metric: required" in missing.content


def test_download_that_cannot_be_made_says_why_in_plain_text(client, world):
    """An unknown table, or a plot when no result matches, is a plain-text 404 that names the
    problem and the fix, not the HTML "page not found" (which says nothing in production)."""
    table = client.get(
        "/compare/", {"metric": "nonfatal_shootings", "format": "csv", "table": "bogus"}
    )
    assert table.status_code == 404 and table["Content-Type"].startswith("text/plain")
    text = table.content.decode()
    assert 'table: no table "bogus"' in text and "results" in text and "leave-one-out" in text
    no_plot = client.get(
        "/compare/", {"metric": "nonfatal_shootings", "region": "Northeast", "format": "png"}
    )
    assert no_plot.status_code == 404 and no_plot["Content-Type"].startswith("text/plain")
    assert "no published result matches" in no_plot.content.decode()


def _csv_rows(client, params: dict) -> list[list[str]]:
    response = client.get("/compare/", {**params, "format": "csv"})
    return list(csv.reader(io.StringIO(response.content.decode())))


def _row_texts(html: str, place: str) -> list[str]:
    """The text of every table row and list item of /compare/ that mentions ``place``."""
    parts = re.findall(r"<tr>.*?</tr>|<li>.*?</li>", html, flags=re.S)
    texts = [unescape(re.sub(r"<[^>]+>", " | ", part)) for part in parts]
    return [text for text in texts if place in text]


def test_labels_name_site_strategy_metric_and_design_once(client, world):
    """Each row of the table, the results list, the CSV, the XLSX and the plot names the
    site (its place), the strategy, the metric (downloads only) and the design once; the
    office's long name and the analysis title (office + metric + design) are not repeated."""
    params = {"metric": "nonfatal_shootings"}
    place, office, strategy = "mo-county place, MO", "mo-county office", "mo-county strategy"
    design_names = ("ITS + comparison", "Interrupted time series with comparison")

    def once_each(text: str, *, metric: bool) -> None:
        assert text.count(place) == 1, text
        assert text.count(strategy) == 1, text
        assert office not in text and "mo-county ITS" not in text, text
        assert sum(text.count(name) for name in design_names) == 1, text
        assert text.count("Non-fatal shootings") == (1 if metric else 0), text

    html = client.get("/compare/", params).content.decode()
    rows = _row_texts(html, place)
    assert len(rows) == 2  # the table row and the results list's item
    for text in rows:
        once_each(text, metric=False)
    (csv_row,) = [r for r in _csv_rows(client, params) if place in r[0]]
    once_each(" | ".join(csv_row), metric=True)
    book = load_workbook(io.BytesIO(client.get("/compare/", {**params, "format": "xlsx"}).content))
    (xlsx_row,) = [r for r in book.active.iter_rows(values_only=True) if place in str(r[0])]
    once_each(" | ".join(str(v) for v in xlsx_row), metric=True)
    (item,) = [
        r
        for r in client.get("/api/v1/compare/", params).json()["results"]
        if r["label"].startswith(place)
    ]
    assert "title" not in item and "metric" not in item
    values = " | ".join(str(v) for v in item.values())
    assert values.count(place) == 1 and values.count(strategy) == 1
    assert values.count(office) == 1 and item["site"] == office
    if importlib.util.find_spec("vl_convert") is not None:
        svg = client.get("/compare/", {**params, "format": "svg"}).content.decode()
        drawn = [unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
        assert item["label"] in drawn  # whole, not cut short with an ellipsis
        assert not any(t.endswith("…") for t in drawn)
        assert office not in svg
        # each mark's accessible description names its row once
        described = re.findall(r'aria-label="([^"]*)"', unescape(svg))
        assert all(d.count(place) <= 1 for d in described)
        assert any(item["label"] in d for d in described)


def test_reading_names_each_site_whose_removal_changes_the_direction(world):
    from evaluations.analyses.compare_reading import comparison_reading

    comparison = compare_metric("nonfatal_shootings")
    first, second, *_rest = comparison.leave_one_out
    others = {"improved", "worsened", "no_clear_change"} - {comparison.pooled_direction}
    for row in comparison.leave_one_out:
        row["direction_code"] = comparison.pooled_direction
    for row in (first, second):
        row["direction_code"] = sorted(others)[0]

    def sentence() -> str:
        return next(s for s in comparison_reading(comparison) if "single sites" in s)

    assert sentence() == (
        "The conclusion rests on single sites: leaving out any one of "
        f"{first['left_out']} or {second['left_out']} changes the pooled direction."
    )
    second["direction_code"] = comparison.pooled_direction
    assert sentence() == (
        f"The conclusion rests on single sites: leaving out {first['left_out']} changes the "
        "pooled direction."
    )
