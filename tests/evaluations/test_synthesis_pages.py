"""Office profiles, the evidence gap map and the program dashboard: what they show, what they
keep to themselves, and who may open them."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from wagtail.models import Page

from evaluations.models import AnalysisResult
from evaluations.synthesis.dashboard import missing_months
from strategies.models import StrategyType
from strategies.services import evidence_rating_set
from tests import factories
from tests.evaluations.analysis_helpers import make_analysis

pytestmark = pytest.mark.django_db
GUNSTAT = "gun-violence-crime-analysis-gunstat"


@pytest.fixture
def published(strategy_index, site_a, site_b):
    gunstat = StrategyType.objects.get(slug=GUNSTAT)
    page_a = factories.strategy_page_for(
        site_a, parent=strategy_index, title="Alpha GunStat", types=[gunstat]
    )
    page_b = factories.strategy_page_for(
        site_b, parent=strategy_index, title="Bravo GunStat", types=[gunstat]
    )
    analysis = make_analysis(site=site_a, design="its_with_comparison", strategy=page_a)
    draft = make_analysis(site=site_b, published=False, strategy=page_b, title="Bravo hidden")
    return page_a, page_b, analysis, draft


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- /sites/ and profiles -------------------------------------------------------------------


def test_site_list_by_state_with_kind_population_and_csv(client, published, site_a):
    html = client.get("/sites/").content.decode()
    assert "Missouri" in html and "Site A Prosecutor" in html and "/sites/site-a/" in html
    assert "250,000 to 499,999" in html
    table = rows_of(client.get("/sites/", {"format": "csv"}))
    assert table[0][:3] == ["Office", "State", "Census region"]
    assert {r[0] for r in table[1:]} == {"Site A Prosecutor", "Site B Prosecutor"}


def test_profile_shows_published_work_and_similar_offices(client, published, site_a):
    page_a, _page_b, analysis, _draft = published
    html = client.get("/sites/site-a/").content.decode()
    assert page_a.title in html and analysis.get_absolute_url() in html
    assert "Non-fatal shootings" in html  # its published dataset
    assert "Offices like this one" in html and "Site B Prosecutor" in html
    assert "also works on Gun violence crime analysis (GunStat)" in html
    assert "also a county office" in html


def test_profile_hides_unpublished_work(client, published):
    html = client.get("/sites/site-b/").content.decode()
    assert "Bravo hidden" not in html
    assert "No published analysis yet." in html and "No published outcome data yet." in html


def test_unknown_profile_is_404(client, published):
    assert client.get("/sites/harlow-county-mo-nowhere/").status_code == 404


# --- /evidence-map/ -------------------------------------------------------------------------


def test_evidence_map_counts_cells_and_colours_by_rating(client, published, bja_user):
    page_a, *_ = published
    html = client.get("/evidence-map/").content.decode()
    assert "1 result" in html and "suggested" in html
    assert "/compare/?metric=nonfatal_shootings&amp;strategy_type=" + GUNSTAT in html
    table = rows_of(client.get("/evidence-map/", {"format": "csv"}))
    cells = {(r[0], r[1]): r for r in table[1:]}
    gun_violence = cells[("Gun violence crime analysis (GunStat)", "Violence")]
    assert gun_violence[2] == "1" and gun_violence[5] == "suggested"
    assert cells[("Witness intimidation", "Violence")][2] == "0"  # a gap
    evidence_rating_set(
        user=bja_user,
        page=page_a,
        outcome="Non-fatal shootings",
        metric_code="nonfatal_shootings",
        rating="promising",
        reason="Test.",
    )
    table = rows_of(client.get("/evidence-map/", {"format": "csv"}))
    cell = {(r[0], r[1]): r for r in table[1:]}[
        ("Gun violence crime analysis (GunStat)", "Violence")
    ]
    assert cell[4] == "Promising" and cell[5] == "BJA rating"


HOMICIDE_TYPE = "homicide-investigations"


@pytest.fixture
def withheld_homicides(published, strategy_index, site_a, site_b, monkeypatch):
    """Published homicide results whose public version is withheld: the re-run on the public
    imputation of their hidden small counts gives no result (as the demo's homicide-scene
    strategy's do). One belongs to a homicide strategy with no other result, one to the
    GunStat strategy that also has a listed result on the same outcome category."""
    from evaluations.analyses import disclosure
    from evaluations.analyses.selectors import listed, withheld_from_public

    real_rerun = disclosure._rerun

    def rerun(analysis, rows):
        return None if analysis.metric.code == "homicides" else real_rerun(analysis, rows)

    monkeypatch.setattr(disclosure, "_rerun", rerun)
    page_a, *_ = published
    homicide = factories.strategy_page_for(
        site_b,
        parent=strategy_index,
        title="Prosecutors at the scene",
        types=[StrategyType.objects.get(slug=HOMICIDE_TYPE)],
    )
    only = make_analysis(
        site=site_b, design="did", metric_code="homicides", base=3.0, strategy=homicide,
        title="Bravo homicides",
    )  # fmt: skip
    beside = make_analysis(
        site=site_a, design="did", metric_code="homicides", base=3.0, seed=4, strategy=page_a,
        title="Alpha homicides",
    )  # fmt: skip
    for analysis in (only, beside):
        assert withheld_from_public(analysis) and listed(analysis) is None
    return only, beside


def test_api_detail_says_why_a_withheld_result_is_null(client, withheld_homicides, bja_user):
    """The public caller gets the reason instead of a bare null; BJA staff read the exact
    result and no reason."""
    from evaluations.analyses.disclosure import WITHHELD_NOTICE

    only, _beside = withheld_homicides
    body = client.get(f"/api/v1/analyses/{only.pk}/").json()
    assert body["result"] is None and body["finding"] == "" and body["direction"] == ""
    assert body["result_status"] == "succeeded"
    assert body["withheld_reason"] == WITHHELD_NOTICE
    client.force_login(bja_user)
    body = client.get(f"/api/v1/analyses/{only.pk}/").json()
    assert body["result"] is not None and body["withheld_reason"] == ""


def _map_cell(html: str, type_name: str, column: int) -> str:
    row = html.split(f'<th scope="row">{type_name}</th>', 1)[1].split("</tr>", 1)[0]
    return row.split('<td class="portal-evidence-map__cell">')[column + 1].split("</td>")[0]


def test_evidence_map_shows_withheld_results_apart_from_gaps(client, withheld_homicides):
    """A cell whose results are all withheld (small counts) reads "results withheld", not a
    gap, in the grid, the list under it and the CSV; it shows how many, never a figure."""
    only, beside = withheld_homicides
    html = client.get("/evidence-map/").content.decode()
    withheld_cell = _map_cell(html, "Homicide investigations", 0)
    assert "Results withheld (small counts)" in withheld_cell and "1 result" in withheld_cell
    assert "Gap" not in withheld_cell and "/compare/" not in withheld_cell
    assert "Gap" in _map_cell(html, "Homicide investigations", 1)  # case processing: a gap
    mixed = _map_cell(html, "Gun violence crime analysis (GunStat)", 0)
    assert "1 result" in mixed and "and 1 withheld (small counts)" in mixed
    assert only.get_absolute_url() in html and beside.get_absolute_url() in html

    table = rows_of(client.get("/evidence-map/", {"format": "csv"}))
    header = table[0]
    cells = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in table[1:]}
    withheld = cells[("Homicide investigations", "Violence")]
    assert withheld["Published results"] == "0"
    assert withheld["Results withheld (small counts)"] == "1"
    assert withheld["Evidence"] == "Results withheld (small counts)"
    assert withheld["Strongest rating"] == withheld["Comparison"] == ""
    gap = cells[("Homicide investigations", "Case processing")]
    assert gap["Evidence"] == "No evidence" and gap["Results withheld (small counts)"] == "0"
    both = cells[("Gun violence crime analysis (GunStat)", "Violence")]
    assert both["Published results"] == "1" and both["Results withheld (small counts)"] == "1"
    assert both["Evidence"] == "Published results"

    # No figure of a withheld result is on the page or in the CSV.
    from evaluations.analyses.findings import headline, read_stored

    text = html + client.get("/evidence-map/", {"format": "csv"}).content.decode()
    for analysis in (only, beside):
        exact = headline(read_stored(analysis.current_result.result))
        for value in (exact.estimate, exact.ci_low, exact.ci_high):
            assert f"{value:.3f}" not in text and f"{value:.2f}" not in text


def test_compare_names_results_withheld_from_public_view(client, withheld_homicides):
    """/compare/ for an outcome whose results are all withheld does not read as if nothing
    were published: the page and the API name the withheld results (no figure of theirs)."""
    from evaluations.analyses.compare import result_label

    only, beside = withheld_homicides
    labels = sorted(result_label(a) for a in (only, beside))
    html = client.get("/compare/", {"metric": "homicides"}).content.decode()
    assert "withheld from public view (small counts)" in html
    assert all(label in html for label in labels)
    data = client.get("/api/v1/compare/", {"metric": "homicides"}).json()
    assert data["results"] == [] and sorted(data["withheld"]) == labels
    narrowed = client.get(
        "/api/v1/compare/", {"metric": "homicides", "strategy_type": HOMICIDE_TYPE}
    ).json()
    assert narrowed["withheld"] == [result_label(only)]


def test_profile_lists_analyses_withheld_from_public_view(client, withheld_homicides):
    """An office whose published analyses are all withheld (small counts) does not read "No
    published analysis yet": each is listed, linked, and said to be withheld, with no figure."""
    only, _beside = withheld_homicides
    html = client.get("/sites/site-b/").content.decode()
    section = html.split('id="analyses-heading"', 1)[1].split("</section>", 1)[0]
    assert "No published analysis yet." not in section
    assert only.get_absolute_url() in section and "Bravo homicides" in section
    assert "withheld from public view (small counts)" in section
    assert "Bravo hidden" not in section  # the unpublished one stays hidden


def test_strategy_page_links_the_withheld_results_a_rating_rests_on(
    client, withheld_homicides, bja_user
):
    """A strategy whose results are all withheld lists them under "Outcome results" (said to
    be withheld, no figure), and a rating on that outcome says it rests on them."""
    only, _beside = withheld_homicides
    page = only.strategy.specific
    evidence_rating_set(
        user=bja_user,
        page=page,
        outcome="Homicides",
        metric_code="homicides",
        rating="inconclusive",
        reason="Every result is withheld.",
    )
    html = client.get(page.url).content.decode()
    results = html.split('id="linked-results-heading"', 1)[1].split("</section>", 1)[0]
    assert only.get_absolute_url() in results
    assert "withheld from public view (small counts)" in results
    rests_on = html.split("Rests on:", 1)[1].split("</p>", 1)[0]
    assert only.get_absolute_url() in rests_on and "Bravo homicides" in rests_on


# --- /dashboard/ ----------------------------------------------------------------------------


def test_missing_months_between_first_and_last():
    starts = [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 5, 1)]
    assert missing_months(starts) == ["2024-03", "2024-04"]
    assert missing_months([]) == []


@pytest.mark.parametrize(
    "who, expected",
    [("anonymous", 302), ("contributor", 403), ("bja", 200), ("research", 200)],
)
def test_dashboard_is_for_bja_staff_and_research_partners(
    client, published, contributor_a, bja_user, research_user, who, expected
):
    user = {"contributor": contributor_a, "bja": bja_user, "research": research_user}.get(who)
    if user is not None:
        client.force_login(user)
    response = client.get("/dashboard/")
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/admin/login/?next=/dashboard/")


def test_dashboard_shows_gaps_stale_failed_and_pending_work(client, published, bja_user, site_b):
    _a, page_b, analysis, _draft = published
    make_analysis(site=site_b, status="failed", title="Bravo failed")
    result = analysis.current_result
    AnalysisResult.objects.filter(pk=result.pk).update(review_status="pending")
    page_b.save_revision().publish()
    Page.objects.get(pk=page_b.pk).specific.get_workflow().start(page_b, bja_user)
    client.force_login(bja_user)
    sites = {r[0]: r for r in rows_of(client.get("/dashboard/", {"format": "csv"}))[1:]}
    assert sites["Site B Prosecutor"][8] == "1"  # analyses failed
    assert sites["Site A Prosecutor"][9] == "1"  # a version awaiting review
    assert sites["Site B Prosecutor"][10] == "1"  # a strategy awaiting review
    assert sites["Site B Prosecutor"][11] == "yes"
    series = rows_of(client.get("/dashboard/", {"format": "csv", "table": "series"}))
    assert series[0][:3] == ["Site", "Metric", "Area"]
    assert any(r[0] == "Site A Prosecutor" and r[6] == "0" for r in series[1:])
    only_b = rows_of(client.get("/dashboard/", {"format": "csv", "site": "site-b"}))
    assert [r[0] for r in only_b[1:]] == ["Site B Prosecutor"]
    assert client.get("/dashboard/", {"state": "ZZ"}).status_code == 400


def test_dashboard_refuses_control_characters_in_the_site_filter(client, bja_user):
    """A NUL slug would fail the PostgreSQL lookup (a server error); it is refused instead."""
    client.force_login(bja_user)
    response = client.get("/dashboard/", {"site": "site\x00b"})
    assert response.status_code == 400
    assert "site: remove the control characters" in response.content.decode()


def test_pages_refuse_downloads_they_do_not_offer(client, published, bja_user):
    """Only CSV is offered: ``format=xlsx`` gets a 400 naming it, not the HTML page with 200."""
    for url in ("/sites/", "/evidence-map/"):
        response = client.get(url, {"format": "xlsx"})
        assert response.status_code == 400, url
        assert response["Content-Type"].startswith("text/plain")
        assert 'format: "xlsx" is not offered here; use format=csv' in response.content.decode()
        assert client.get(url, {"format": "csv"}).status_code == 200
    client.force_login(bja_user)
    assert client.get("/dashboard/", {"format": "xlsx"}).status_code == 400


def test_compare_with_an_unknown_metric_is_404(client, published):
    response = client.get("/compare/", {"metric": "no_such_metric"})
    assert response.status_code == 404 and "No such metric." in response.content.decode()
    assert client.get("/compare/", {"metric": "nonfatal_shootings"}).status_code == 200
