"""The "done when" story in a real browser: a contributor uploads a messy CSV, sees every error
with its row and fix, uploads the corrected file, imports it, publishes and sees the data."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps

from tests.evaluations.helpers import FIXTURES
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogue(db):
    # Transactional tests flush the database, including the seeded catalogue; seed it again
    # with the data migration's own function.
    importlib.import_module("evaluations.migrations.0002_seed_metrics").seed(apps, None)


def test_contributor_upload_story(
    live_server, catalogue, contributor_a, browser_page, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    messy = tmp_path / "messy.csv"
    messy.write_bytes(
        (FIXTURES / "outcomes_messy.csv").read_bytes().replace(b"harlow-county-mo", b"site-a")
    )
    page = browser_page
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", contributor_a.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    page.goto(live_server.url + "/admin/outcome-data/upload/")
    page.set_input_files("#id_file", str(messy))
    page.click("text=Check the file")
    # The check redirects to the batch page; wait for its report rather than racing the load.
    page.wait_for_selector("text=Errors (must be fixed)", timeout=30_000)
    page.screenshot(path="/tmp/ips-outcome-errors.png", full_page=True)
    errors = page.locator("table", has_text="Errors (must be fixed)").locator("tbody tr")
    assert errors.count() == 7
    assert 'Did you mean "nonfatal_shootings"' in errors.nth(0).inner_text()
    assert page.get_by_role("button", name=re.compile(r"^Import \d+")).count() == 0

    page.goto(live_server.url + "/admin/outcome-data/upload/")
    page.set_input_files("#id_file", str(FIXTURES / "outcomes_clean.csv"))
    page.click("text=Check the file")
    page.click("text=Import 28 new and 0 updated rows")
    page.wait_for_selector("text=Roll back this batch")
    assert page.locator("[data-progress-status]").inner_text() == "Imported"
    page.screenshot(path="/tmp/ips-outcome-batch.png", full_page=True)

    page.goto(live_server.url + "/admin/outcome-data/publish/")
    page.select_option("#id_site", label="Site A Prosecutor")
    page.click("button:text('Apply')")
    page.wait_for_selector("text=Published 28 observations")
    # The public sees it signed out (no Wagtail user bar on the page).
    page.context.clear_cookies()
    page.goto(live_server.url + "/evaluations/data/?site=site-a&metric=nonfatal_shootings")
    assert page.locator("table.usa-table tbody tr").count() == 24
    assert "<10" in page.locator("table.usa-table").inner_text()
    page.screenshot(path="/tmp/ips-outcome-public.png", full_page=True)
    # The Wagtail admin asks gravatar.com for avatars, which the CSP rightly blocks; any other
    # console error (e.g. from our progress script or the public page) fails the test.
    errors = [e for e in page.errors if "gravatar.com" not in e]
    assert errors == [], errors
