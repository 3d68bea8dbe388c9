"""Result pages, landing list, CSV downloads and strategy links, served from stored results."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from evaluations.models import Analysis
from tests import factories
from tests.evaluations.analysis_helpers import make_analysis, make_rows

pytestmark = pytest.mark.django_db


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_published_page_leads_with_finding_then_estimates_and_methods(client, site_a):
    analysis = make_analysis(site=site_a, design="did")
    response = client.get(f"/evaluations/analyses/{analysis.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    finding = response.context["page"].finding
    assert finding.startswith("Non-fatal shootings in Zone 3 fell")
    positions = [html.index(finding), html.index("Estimates"), html.index("Warnings and caveats")]
    positions += [html.index('id="charts-heading"'), html.index("Data used"), html.index("Methods")]
    assert positions == sorted(positions)
    assert 'data-vega-spec="chart-' in html and "charts.bundle.js" in html
    assert 'scope="col"' in html and 'scope="row"' in html and "<caption>" in html
    assert "pd.read_csv(&quot;analysis-" in html
    assert "Maryland scale level 3" in html


def test_charts_json_is_the_table(client, site_a):
    analysis = make_analysis(
        site=site_a, design="its", metric_code="median_days_arrest_to_disposition"
    )
    response = client.get(f"/evaluations/analyses/{analysis.pk}/")
    html = response.content.decode()
    for chart in response.context["page"].charts:
        match = re.search(
            rf'<script id="{chart.element_id}" type="application/json">(.*?)</script>', html, re.S
        )
        spec = json.loads(match.group(1))
        assert spec["data"]["values"] == chart.rows
        table = csv_rows(client.get(f"/evaluations/analyses/{analysis.pk}/chart-{chart.slug}.csv"))
        assert table[0] == [h for _k, h in chart.columns]
        assert len(table) - 1 == len(chart.rows)


def test_unpublished_is_404_for_public_and_other_sites(
    client, site_a, contributor_a, contributor_b, bja_user
):
    analysis = make_analysis(site=site_a, published=False)
    url = f"/evaluations/analyses/{analysis.pk}/"
    assert client.get(url).status_code == 404
    client.force_login(contributor_b)
    assert client.get(url).status_code == 404
    assert client.get(url + "data.csv").status_code == 404
    client.force_login(contributor_a)
    assert client.get(url).status_code == 200
    client.force_login(bja_user)
    response = client.get(url)
    assert response.status_code == 200 and "Not published" in response.content.decode()


def test_small_counts_suppressed_for_public_exact_for_entitled(client, site_a, contributor_a):
    analysis = make_analysis(site=site_a, design="pre_post", metric_code="homicides", base=4.0)
    assert analysis.metric.suppress_small_counts
    stored = analysis.current_result
    small = [r for r in stored.data if 1 <= r["value"] < 10]
    assert small
    public = csv_rows(client.get(f"/evaluations/analyses/{analysis.pk}/data.csv"))
    assert public[0] == ["period_start", "area", "group", "value", "denominator"]
    values = [row[3] for row in public[1:]]
    assert "<10" in values
    assert all(v == "<10" or float(v) == 0 or float(v) >= 10 for v in values)
    page = client.get(f"/evaluations/analyses/{analysis.pk}/")
    assert "&lt;10" in page.content.decode()
    client.force_login(contributor_a)
    exact = csv_rows(client.get(f"/evaluations/analyses/{analysis.pk}/data.csv"))
    assert [float(row[3]) for row in exact[1:]] == [r["value"] for r in stored.data]


def test_csv_escapes_formulas(client, site_a):
    rows = make_rows(design="pre_post", kind="count")
    for row in rows:
        row["area"] = "=HYPERLINK(1)"
    analysis = make_analysis(site=site_a, design="pre_post", rows=rows)
    data = csv_rows(client.get(f"/evaluations/analyses/{analysis.pk}/data.csv"))
    assert data[1][1] == "'=HYPERLINK(1)"


def test_status_notices(client, site_a, bja_user):
    stale = make_analysis(site=site_a, status="stale")
    Analysis.objects.filter(pk=stale.pk).update(status="stale")
    html = client.get(f"/evaluations/analyses/{stale.pk}/").content.decode()
    assert "Stale:" in html and "fell" in html
    # A failed run is never public (only approved versions are); its editors see why.
    client.force_login(bja_user)
    failed = make_analysis(site=site_a, status="failed", published=False)
    html = client.get(f"/evaluations/analyses/{failed.pk}/").content.decode()
    assert "The last run failed." in html and "at least 3 are needed" in html
    queued = make_analysis(site=site_a, status="queued")
    html = client.get(f"/evaluations/analyses/{queued.pk}/").content.decode()
    assert "waiting to start" in html


def test_landing_filters_and_csv(client, site_a, site_b):
    # A continuous DiD whose default method holds its band: a count DiD of this length is
    # labelled approximate and so never "improved".
    fall = make_analysis(
        site=site_a, design="did", metric_code="days_violation_to_hearing", title="Hearings sooner"
    )
    flat = make_analysis(
        site=site_b, design="pre_post", title="No change", effect=0.0, months=8, post_from=4
    )
    make_analysis(site=site_a, published=False, title="Hidden draft")
    html = client.get("/evaluations/").content.decode()
    assert "Hearings sooner" in html and "No change" in html and "Hidden draft" not in html
    html = client.get("/evaluations/", {"direction": "improved"}).content.decode()
    assert "Hearings sooner" in html and "No change" not in html
    html = client.get("/evaluations/", {"site": site_b.slug}).content.decode()
    assert "No change" in html and "Hearings sooner" not in html
    html = client.get("/evaluations/", {"design": "did"}).content.decode()
    assert "Hearings sooner" in html and "No change" not in html
    state = site_a.jurisdiction.state
    html = client.get("/evaluations/", {"state": state}).content.decode()
    assert "Hearings sooner" in html
    rows = csv_rows(client.get("/evaluations/", {"format": "csv"}))
    assert rows[0][0] == "Analysis" and {r[0] for r in rows[1:]} == {fall.title, flat.title}


def test_strategy_page_lists_published_analyses_with_finding(client, site_a, strategy_index):
    from evaluations.selectors import published_analyses_for_strategy

    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Focused deterrence")
    shown = make_analysis(site=site_a, strategy=page, title="Linked result")
    make_analysis(site=site_a, strategy=page, published=False, title="Unpublished result")
    items = published_analyses_for_strategy(page)
    assert [a.pk for a in items] == [shown.pk]
    html = client.get(page.url).content.decode()
    assert "Linked result" in html and "Unpublished result" not in html
    assert items[0].finding in html


def test_page_is_fast_and_does_not_recompute(
    client, site_a, django_assert_max_num_queries, monkeypatch
):
    from evaluations import stats

    analysis = make_analysis(site=site_a, design="its", months=60, post_from=30)

    def boom(*args, **kwargs):  # the page must never fit a model
        raise AssertionError("recomputed")

    for name in ("interrupted_time_series", "difference_in_differences", "pre_post"):
        monkeypatch.setattr(stats, name, boom)
    with django_assert_max_num_queries(12):
        assert client.get(f"/evaluations/analyses/{analysis.pk}/").status_code == 200


@pytest.mark.parametrize(
    "damage",
    [{"schema_version": 99}, {"result_type": "bogus"}, {"estimate": "not a number"}],
)
def test_unreadable_stored_result_reads_as_no_result_everywhere(
    client, site_a, strategy_index, bja_user, damage
):
    """One stored result this code cannot read (written by a newer version, or damaged) must
    not break the landing list, its CSV, /compare/, the strategy page or the API (all answered
    500 before): it reads as "no result" and the other analyses still show."""
    from evaluations.analyses.search_source import AnalysisSource
    from evaluations.models import AnalysisResult

    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Focused deterrence")
    good = make_analysis(site=site_a, strategy=page, title="Readable result")
    bad = make_analysis(site=site_a, strategy=page, design="pre_post", title="Unreadable result")
    stored = bad.results.get(is_current=True)
    AnalysisResult.objects.filter(pk=stored.pk).update(result={**stored.result, **damage})

    html = client.get("/evaluations/").content.decode()
    assert "Readable result" in html and "Unreadable result" not in html
    rows = csv_rows(client.get("/evaluations/", {"format": "csv"}))
    assert {r[0] for r in rows[1:]} == {good.title}
    assert client.get("/compare/", {"metric": "nonfatal_shootings"}).status_code == 200
    html = client.get(page.url).content.decode()
    assert "Readable result" in html and "Unreadable result" not in html
    response = client.get(f"/evaluations/analyses/{bad.pk}/")
    assert response.status_code == 200 and response.context["page"] is None
    assert "cannot be read" in response.content.decode()
    assert client.get(f"/evaluations/analyses/{bad.pk}/chart-series.csv").status_code == 404
    detail = client.get(f"/api/v1/analyses/{bad.pk}/")
    assert detail.status_code == 200 and detail.json()["result"] is None
    assert AnalysisSource().to_document(bad) is None
    client.force_login(bja_user)
    admin = client.get(f"/admin/analyses/{bad.pk}/")
    assert admin.status_code == 200 and "cannot be read" in admin.content.decode()


def test_did_finding_says_the_post_period_months_on_every_surface(client, site_a, strategy_index):
    """The landing list, its CSV, the strategy page, the search document and the API read a
    difference-in-differences result without its rows (and the result stores no month
    counts); they used to say "in the 0 months after the strategy began". The rows here have
    24 months from the start on (make_rows: 48 months, the start at month 24)."""
    from evaluations.analyses.search_source import AnalysisSource
    from evaluations.selectors import published_analyses_for_strategy

    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Focused deterrence")
    analysis = make_analysis(site=site_a, strategy=page, design="did", title="Linked DiD")
    finding = client.get(f"/evaluations/analyses/{analysis.pk}/").context["page"].finding
    assert "in the 24 months after the strategy began" in finding
    rows = csv_rows(client.get("/evaluations/", {"format": "csv"}))
    assert rows[1][rows[0].index("Finding")] == finding
    assert [row["finding"] for row in client.get("/evaluations/").context["rows"]] == [finding]
    assert published_analyses_for_strategy(page)[0].finding == finding
    assert finding in client.get(page.url).content.decode()
    assert AnalysisSource().to_document(analysis).finding == finding
    assert client.get(f"/api/v1/analyses/{analysis.pk}/").json()["finding"] == finding
    from search.services import search_index_rebuild

    search_index_rebuild()
    card = client.get("/search/", {"q": "Linked DiD"}).content.decode()
    assert finding in card


def test_numbers_read_for_people_and_csvs_keep_precision_without_float_noise(
    client, site_a, site_b
):
    from portal.numbers import CSV_SIGNIFICANT_DIGITS

    analysis = make_analysis(site=site_a, design="did", title="Shootings DiD")
    make_analysis(site=site_b, design="did", seed=7, title="Other site DiD")
    html = client.get(f"/evaluations/analyses/{analysis.pk}/").content.decode()
    cells = re.findall(r'<td class="text-right">([^<]*)</td>', html)
    assert cells and not [c for c in cells if c.endswith(".0")]  # counts: "20", not "20.0"
    assert any(c.isdigit() for c in cells)

    rows = csv_rows(client.get("/evaluations/", {"format": "csv"}))
    header, listed = rows[0], {r[0]: r for r in rows[1:]}
    from evaluations.analyses.selectors import listed as listed_analysis

    shown = listed_analysis(analysis).estimate.estimate  # the public version's estimate
    cell = listed["Shootings DiD"][header.index("Estimate")]
    assert len(cell.replace(".", "").lstrip("0")) <= CSV_SIGNIFICANT_DIGITS
    assert float(cell) == pytest.approx(shown, rel=1e-9)

    compare = client.get("/compare/", {"metric": "nonfatal_shootings"}).content.decode()
    pooled = re.search(
        r"Rate ratio (\d\.\d\d) \(95% CI (\d\.\d\d) to (\d\.\d\d)\), an? ([\d.]+)% (rise|fall)",
        compare,
    )
    assert pooled, "the pooled estimate reads as a ratio with its percentage change"
    ratio, pct, word = float(pooled.group(1)), float(pooled.group(4)), pooled.group(5)
    assert word == ("rise" if ratio > 1 else "fall")
    assert pct == pytest.approx(abs(ratio - 1) * 100, abs=0.6)
