"""The portal's six journeys in Debian's Chromium against a live server, with axe-core and a
no-sideways-scrolling check on every page they visit, and a screenshot of each last step in
test-artifacts/screenshots/.

The data is small but shaped like the demo's: two offices in two states, a published GunStat
strategy rated Effective for non-fatal shootings with a linked interrupted-time-series result,
a second site's difference-in-differences result on the same metric, and the search index
built from them. Tasks run in-process (the test settings' ImmediateBackend).
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import re
import time
from pathlib import Path

import pytest
from django.apps import apps

from evaluations.analyses.services import analysis_create, analysis_publish, analysis_run
from evaluations.services import observations_publish
from portal.models import Jurisdiction
from portal.numbers import format_count
from search.services import search_index_rebuild
from strategies.models import StrategyType
from tests import factories
from tests.browser.checks import axe_enable, page_checks, screenshot, sideways_overflow
from tests.evaluations.analysis_helpers import INTERVENTION, make_analysis
from tests.evaluations.helpers import FIXTURES, upload
from tests.factories import TEST_PASSWORD
from tests.svg_marks import start_rule_position

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GUNSTAT = "gun-violence-crime-analysis-gunstat"
WAGTAIL_EDITOR_WIDGETS = (".public-DraftEditor-content", ".ui-autocomplete-input")


@pytest.fixture
def catalogue(db):
    # Transactional tests flush the database, including the seeded catalogue; seed it again
    # with the data migration's own function.
    importlib.import_module("evaluations.migrations.0002_seed_metrics").seed(apps, None)


@pytest.fixture
def world(catalogue, strategy_index):
    """Two offices, their strategies and results, indexed for search."""
    harlow = factories.GranteeSiteFactory(
        slug="harlow-county-mo",
        name="Harlow County Prosecuting Attorney's Office",
        jurisdiction=factories.JurisdictionFactory(name="Harlow County", state="MO"),
    )
    port = factories.GranteeSiteFactory(
        slug="port-meridian-va",
        name="Port Meridian Commonwealth's Attorney's Office",
        jurisdiction=factories.JurisdictionFactory(
            name="Port Meridian", state="VA", kind=Jurisdiction.Kind.CITY
        ),
    )
    gunstat = StrategyType.objects.get(slug=GUNSTAT)
    review = factories.strategy_page_for(
        harlow,
        parent=strategy_index,
        title="Weekly gun violence review",
        summary="Prosecutors, police and analysts review every shooting and gun case each week.",
        types=[gunstat],
        ratings=[("Non-fatal shootings", "effective")],
    )
    coordination = factories.strategy_page_for(
        port,
        parent=strategy_index,
        title="Gun violence case coordination",
        summary="One prosecutor follows each gun violence case from arrest to sentence.",
        types=[gunstat],
        ratings=[("Non-fatal shootings", "promising")],
    )
    its = make_analysis(
        site=harlow,
        design="its",
        strategy=review,
        title=f"{harlow.name}: Non-fatal shootings in Zone 3 (ITS)",
    )
    did = make_analysis(
        site=port,
        design="did",
        seed=2,
        effect=-0.1,
        strategy=coordination,
        title=f"{port.name}: Non-fatal shootings in Zone 3 (DiD)",
    )
    search_index_rebuild()
    return {"harlow": harlow, "port": port, "review": review, "its": its, "did": did}


def _sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def _downloaded_text(page, link) -> tuple[str, str]:
    with page.expect_download() as info:
        link.click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_text(encoding="utf-8")


def _table_cells(table) -> list[list[str]]:
    return [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]


def _eventually(check, page, name: str, seconds: float = 60.0):
    """Poll ``check`` (a database read) until it returns something truthy; on time-out, save
    a screenshot of ``page`` as ``name`` and fail."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        page.wait_for_timeout(250)
    path = screenshot(page, name + "-timed-out")
    problems = page.locator(".error-message, .w-field__errors").all_inner_texts()
    pytest.fail(f"{check.__name__} did not happen within {seconds:.0f} s ({problems}); see {path}")


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def _live_chart_svg(page, figure) -> str:
    figure.locator(".portal-chart[data-rendered] svg").wait_for(timeout=20_000)
    return figure.locator(".portal-chart svg").evaluate("svg => svg.outerHTML")


def test_journey_1_visitor_finds_evidence_from_search(live_server, world, browser_page):
    page = browser_page
    axe_enable(page.context)
    page.goto(live_server.url + "/")
    page_checks(page, "home")
    page.fill("#header-search", "gun violence")
    page.press("#header-search", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q=gun"))
    page_checks(page, "search")
    assert "result" in page.locator("#results-heading").inner_text()

    # Narrow by state (its group starts open): ticking reloads nothing; the Apply button does.
    page.click("label[for='facet-state-mo']")
    assert "state=MO" not in page.url
    page.click("[data-search-apply]")
    page.wait_for_url(re.compile(r"state=MO"))
    assert page.evaluate("document.activeElement.id") == "results-heading"
    titles = page.locator(".usa-card__heading").all_inner_texts()
    assert "Weekly gun violence review" in titles
    assert "Gun violence case coordination" not in titles
    page_checks(page, "search narrowed")

    page.click(".usa-card__heading a:text('Weekly gun violence review')")
    page.wait_for_selector("h1:text('Weekly gun violence review')")
    assert page.locator(".portal-badge--effective").first.inner_text() == "Effective"
    page_checks(page, "strategy")

    page.click(f"#linked-results-heading + * a[href='{world['its'].get_absolute_url()}']")
    page.wait_for_url(re.compile(rf"/evaluations/analyses/{world['its'].pk}/$"))
    figure = page.locator("figure.portal-figure").first
    svg = _live_chart_svg(page, figure)
    table = figure.locator("table")
    cells = _table_cells(table)
    months = [row[0] for row in cells]
    # hidden small counts ("<10") and the figures hidden to protect them draw no point
    drawn = [row[0] for row in cells if _is_number(row[1])]
    labels, rule_x, start_x = start_rule_position(svg, drawn, INTERVENTION.isoformat()[:7])
    assert labels == 1 and rule_x == pytest.approx(start_x, abs=0.5)
    name, text = _downloaded_text(page, figure.locator("a:text('this table as CSV')"))
    rows = list(csv.reader(io.StringIO(text)))
    assert name.endswith(".csv") and len(rows) == 1 + len(cells)
    assert [r[0] for r in rows[1:]] == months
    page_checks(page, "result")
    screenshot(page, "journey-1-visitor-result")
    assert page.errors == [], page.errors


def _write_body(page) -> None:
    page.get_by_role("button", name="Insert a block").first.click()
    page.get_by_role("option", name="Other text").click()
    editor = page.locator(".public-DraftEditor-content").first
    editor.click()
    editor.type("Shootings in Zone 3 rose by a fifth in two years.")
    # Draftail copies its content into the form's hidden field only after a short delay
    # (stateSaveInterval); a save before that sends an empty body. Wait for the copy.
    page.wait_for_function(
        "() => [...document.querySelectorAll('input[type=hidden]')]"
        ".some(input => input.value.includes('rose by a fifth'))"
    )


def _upload(page, base: str, path: Path) -> None:
    page.goto(base + "/admin/outcome-data/upload/")
    page.set_input_files("#id_file", str(path))
    page.click("text=Check the file")


def test_journey_2_contributor_fixes_an_upload_and_analyses_rerun(
    live_server, catalogue, site_a, contributor_a, bja_user, browser_page, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    clean = (FIXTURES / "outcomes_clean.csv").read_bytes()
    # The site's data is already in and analysed; the contributor sends a correction.
    assert upload(site_a, clean, bja_user).report["ok"]
    observations_publish(site=site_a, user=bja_user)
    analysis = analysis_create(
        user=bja_user,
        site=site_a,
        design="pre_post",
        metric="nonfatal_shootings",
        treatment_area="Zone 3",
        comparison_areas=[],
        intervention_date=dt.date(2023, 7, 1),
    )
    analysis_run(analysis=analysis)
    analysis_publish(user=bja_user, analysis=analysis)
    messy = tmp_path / "messy.csv"
    messy.write_bytes(
        (FIXTURES / "outcomes_messy.csv").read_bytes().replace(b"harlow-county-mo", b"site-a")
    )
    corrected = tmp_path / "corrected.csv"
    corrected.write_bytes(clean.replace(b"2023-08-01,2023-08-31,", b"2023-08-01,2023-08-31,1", 1))

    page = browser_page
    axe_enable(page.context)
    _sign_in(page, live_server.url, contributor_a.username)
    _upload(page, live_server.url, messy)
    page.wait_for_selector("text=Errors (must be fixed)", timeout=30_000)
    errors = page.locator("table", has_text="Errors (must be fixed)").locator("tbody tr")
    assert errors.count() == 7
    assert 'Did you mean "nonfatal_shootings"' in errors.nth(0).inner_text()
    assert page.get_by_role("button", name=re.compile(r"^Import \d+")).count() == 0
    page_checks(page, "upload errors")

    _upload(page, live_server.url, corrected)
    page.click("text=Import 0 new and 1 updated rows")
    page.wait_for_selector("text=Roll back this batch")
    assert page.locator("[data-progress-status]").inner_text() == "Imported"
    page_checks(page, "batch imported")

    page.goto(live_server.url + "/admin/outcome-data/publish/")
    page.select_option("#id_site", label=site_a.name)
    page.click("button:text('Apply')")
    page.wait_for_selector("text=Published")
    page.goto(live_server.url + f"/admin/analyses/{analysis.pk}/")
    # the correction re-ran the analysis: a second version now waits for BJA review
    page.wait_for_selector("text=Version 2 waits for BJA review")
    page_checks(page, "analysis re-run")
    screenshot(page, "journey-2-contributor-analysis-rerun")
    errors = [e for e in page.errors if "gravatar.com" not in e]
    assert errors == [], errors


def test_journey_3_strategy_drafted_submitted_published_and_searchable(
    live_server, catalogue, strategy_index, site_a, contributor_a, bja_user, chromium, settings
):
    # Wagtail autosaves the page form every half second by default, racing the contributor's
    # own Save draft and Submit (a second copy of the page, a body lost, a "saved elsewhere"
    # dialog). The journey is about the workflow, so autosave is off (the live server runs in
    # this process and reads this setting) and every step is the contributor's own click.
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    from strategies.models import StrategyPage

    contributor = chromium.new_context(viewport={"width": 1280, "height": 900})
    axe_enable(contributor)
    page = contributor.new_page()
    _sign_in(page, live_server.url, contributor_a.username)
    page.goto(live_server.url + f"/admin/pages/add/strategies/strategypage/{strategy_index.pk}/")
    assert page.locator("form[data-w-autosave-interval-value]").count() == 0
    page.fill("#id_title", "Violent repeat offender list")
    page.fill("#id_summary", "A short list of the people who drive most shootings in Zone 3.")
    page.fill("#id_start_year", "2023")
    page.check("input[name=strategy_types] >> nth=0")
    _write_body(page)
    # Save the draft, then submit from the page's edit form (submitting from the create form
    # would create it a second time).
    page.get_by_role("button", name="Save draft").click()

    def created():
        return StrategyPage.objects.filter(title="Violent repeat offender list").first()

    draft = _eventually(created, page, "journey-3-contributor-saved")
    assert StrategyPage.objects.filter(title="Violent repeat offender list").count() == 1
    assert "Zone 3 rose by a fifth" in str(draft.get_latest_revision_as_object().body)
    page.goto(live_server.url + f"/admin/pages/{draft.pk}/edit/")
    page.wait_for_selector(".public-DraftEditor-content")
    # Wagtail's own editor widgets (the Draftail rich-text box and the jQuery tag field) lack
    # accessible names in Wagtail itself; everything the portal adds to the form is checked.
    page_checks(page, "strategy draft", exclude=WAGTAIL_EDITOR_WIDGETS)
    page.get_by_role("button", name="More actions").first.click()
    page.get_by_role("button", name=re.compile("Submit to")).click()

    def submitted():
        draft.refresh_from_db()
        return draft if draft.workflow_in_progress else None

    draft = _eventually(submitted, page, "journey-3-contributor-submitted")
    assert not draft.live
    contributor.close()

    reviewer = chromium.new_context(viewport={"width": 1280, "height": 900})
    axe_enable(reviewer)
    page = reviewer.new_page()
    _sign_in(page, live_server.url, bja_user.username)
    page.goto(live_server.url + f"/admin/pages/{draft.pk}/edit/")
    page.wait_for_selector(".public-DraftEditor-content")
    page.get_by_role("button", name="More actions").first.click()
    page.get_by_role("button", name=re.compile(r"^Approve")).first.click()

    def published():
        draft.refresh_from_db()
        return draft.live

    _eventually(published, page, "journey-3-bja-approved")
    reviewer.close()

    visitor = chromium.new_context(viewport={"width": 1280, "height": 900})
    axe_enable(visitor)
    page = visitor.new_page()
    page.goto(live_server.url + "/search/?q=repeat+offender")
    page.wait_for_selector(".usa-card__heading a:text('Violent repeat offender list')")
    page_checks(page, "search finds the new strategy")
    screenshot(page, "journey-3-published-strategy-in-search")
    visitor.close()


def test_journey_4_research_partner_compares_sites(live_server, world, research_user, browser_page):
    page = browser_page
    axe_enable(page.context)
    _sign_in(page, live_server.url, research_user.username)
    page.goto(live_server.url + "/compare/")
    page_checks(page, "compare form")
    page.select_option("#c-metric", "nonfatal_shootings")
    page.click("button:text('Compare')")
    page.wait_for_url(re.compile(r"metric=nonfatal_shootings"))
    figure = page.locator("figure.portal-figure")
    svg = _live_chart_svg(page, figure)
    headings = figure.locator("thead th").all_inner_texts()
    assert headings[:5] == ["Result", "Estimate", "95% CI low", "95% CI high", "Direction"]
    cells = _table_cells(figure.locator("table"))
    name, text = _downloaded_text(page, figure.locator("a:text('this table as CSV')"))
    rows = list(csv.reader(io.StringIO(text)))
    assert name == "compare-nonfatal_shootings.csv"
    # The table shows numbers for readers (three significant figures); the CSV keeps them
    # whole: the same results in the same order, and the same numbers once formatted.
    assert [row[0] for row in rows[1:]] == [row[0] for row in cells]
    assert [[format_count(float(v)) for v in row[1:4]] for row in rows[1:]] == [
        row[1:4] for row in cells
    ]
    # The plot's points carry their numbers (Vega writes them into each mark's description):
    # each equals the CSV's estimate for that label, and reads as the table's.
    points = re.findall(r'aria-label="([^"]*estimate[^"]*)"', svg)
    drawn = {}
    for label in points:
        parts = dict(part.split(": ", 1) for part in label.split("; "))
        drawn[parts["label"]] = float(parts["estimate"])
    exact = {row[0]: float(row[1]) for row in rows[1:]}
    shown = {row[0]: row[1] for row in cells}
    assert drawn.keys() == exact.keys()
    for key, value in exact.items():
        assert drawn[key] == pytest.approx(value, abs=1e-4), key
        assert format_count(drawn[key]) == shown[key], key
    page_checks(page, "compare")
    screenshot(page, "journey-4-research-partner-compare")
    assert page.errors == [], page.errors


def test_journey_6_profile_offices_like_it_and_evidence_map(live_server, world, browser_page):
    """A prosecutor goes from the sites list to an office's profile, on to an office like it
    (the reason shown), then to the evidence gap map and from its GunStat cell to the
    comparison behind it."""
    harlow, port = world["harlow"], world["port"]
    page = browser_page
    axe_enable(page.context)
    page.goto(live_server.url + "/sites/")
    page_checks(page, "sites")
    page.get_by_role("link", name=harlow.name).first.click()
    page.wait_for_url(re.compile(rf"/sites/{harlow.slug}/$"))
    assert page.get_by_role("heading", level=1).inner_text() == harlow.name
    assert world["its"].title in page.locator("#analyses-heading + ul").inner_text()
    page_checks(page, "profile")

    similar = page.locator("section[aria-labelledby=similar-heading]")
    assert "Offices like this one" in similar.inner_text()
    row = similar.get_by_role("row").filter(has_text=port.name)
    assert "also works on Gun violence crime analysis (GunStat)" in row.inner_text()
    row.get_by_role("link", name=port.name).click()
    page.wait_for_url(re.compile(rf"/sites/{port.slug}/$"))
    assert page.get_by_role("heading", level=1).inner_text() == port.name
    assert world["did"].title in page.locator("#analyses-heading + ul").inner_text()
    page_checks(page, "office like it")

    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Evidence map"
    ).click()
    page.wait_for_url(re.compile(r"/evidence-map/$"))
    page_checks(page, "evidence map")
    table = page.get_by_role("table", name="Published results by strategy type")
    gunstat_row = table.get_by_role("row").filter(has_text="Gun violence crime analysis (GunStat)")
    gunstat_row.get_by_role("link", name="2 results").click()
    page.wait_for_url(re.compile(rf"/compare/\?metric=nonfatal_shootings&strategy_type={GUNSTAT}"))
    assert "Pooled estimate of 2 results" in page.content()
    figure = page.locator("figure.portal-figure")
    _live_chart_svg(page, figure)
    labels = [row[0] for row in _table_cells(figure.locator("table"))]
    # each office's result, then the pooled estimate
    assert [label.split(",")[0] for label in labels[:2]] == ["Harlow County", "Port Meridian"]
    assert labels[2:] == ["Pooled (random effects)"], labels
    page_checks(page, "evidence map cell's comparison")
    screenshot(page, "journey-6-profile-and-evidence-map")
    assert page.errors == [], page.errors


def test_journey_5_without_javascript(live_server, world, chromium):
    context = chromium.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    base = live_server.url
    page.goto(base + "/strategies/")
    assert page.locator(".usa-collection__heading").count() == 2
    page.click(f"label[for='type-{GUNSTAT}']")
    page.click("button:has-text('Apply filters')")
    page.wait_for_url(re.compile(rf"type={GUNSTAT}"))
    assert page.locator(".usa-collection__heading").count() == 2

    page.goto(base + "/search/")
    page.fill("#search-q", "gun violence")
    page.click("#search-form .usa-search button[type=submit]")
    page.wait_for_url(re.compile(r"q=gun\+violence"))
    assert page.locator(".usa-card__heading").count() >= 2

    page.goto(base + world["its"].get_absolute_url())
    image = page.locator("img.portal-chart__static").first
    loaded = image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert loaded, "the server-drawn chart did not load"
    assert page.locator("figure.portal-figure table tbody tr").first.is_visible()
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert sideways_overflow(page) == 0, width
    screenshot(page, "journey-5-no-javascript-result")
    context.close()


PUBLIC_PAGES = [
    "/",
    "/strategies/",
    "/strategies/weekly-gun-violence-review/",
    "/search/?q=gun+violence",
    "/evaluations/",
    "/evaluations/data/",
    "{its}",
    "/compare/",
    "/compare/?metric=nonfatal_shootings",
    "/sites/",
    "/sites/harlow-county-mo/",
    "/evidence-map/",
]


def test_every_public_page_fits_375_and_1280_and_passes_axe(live_server, world, browser_page):
    page = browser_page
    axe_enable(page.context)
    for path in PUBLIC_PAGES:
        path = path.format(its=world["its"].get_absolute_url())
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        if page.locator("[data-vega-spec]").count():
            page.wait_for_selector(".portal-chart[data-rendered]", timeout=20_000)
        page_checks(page, path)
    assert page.errors == [], page.errors
