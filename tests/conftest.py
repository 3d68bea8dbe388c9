"""Fixtures every test app shares: the Wagtail page tree, users per role, the test client."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from portal.roles import BJA_STAFF, RESEARCH_PARTNER, SITE_CONTRIBUTOR, roles_sync
from tests import factories


@pytest.fixture
def roles(db) -> dict[str, Group]:
    roles_sync()
    return {
        g.name: g
        for g in Group.objects.filter(name__in=[SITE_CONTRIBUTOR, BJA_STAFF, RESEARCH_PARTNER])
    }


@pytest.fixture
def home_page(db):
    from portal.demo import home_page_ensure

    return home_page_ensure()


@pytest.fixture
def site_a(db):
    return factories.GranteeSiteFactory(slug="site-a", name="Site A Prosecutor")


@pytest.fixture
def site_b(db):
    return factories.GranteeSiteFactory(slug="site-b", name="Site B Prosecutor")


@pytest.fixture
def contributor_a(roles, site_a):
    return factories.contributor_for(site_a, username="contrib_a")


@pytest.fixture
def contributor_b(roles, site_b):
    return factories.contributor_for(site_b, username="contrib_b")


@pytest.fixture
def bja_user(roles):
    return factories.user_with_role(BJA_STAFF, username="bja_staff")


@pytest.fixture
def research_user(roles):
    return factories.user_with_role(RESEARCH_PARTNER, username="research_partner")


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium():
    """A real headless Debian Chromium driven by Playwright (never a downloaded browser).

    Skips with the reason when Chromium is missing; ``make test`` installs it first.
    """
    import os

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium chromium-driver)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium):
    """A fresh browser context per test; console errors are collected on ``page.errors``."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()


@pytest.fixture
def strategy_index(home_page, roles):
    """The /strategies/ index with its page permissions and BJA review workflow."""
    from strategies.services import strategy_index_ensure

    return strategy_index_ensure(home_page)


@pytest.fixture
def media_tmp(settings, tmp_path):
    """Uploaded files go to a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pytest_collection_modifyitems(items):
    """Transactional tests (browser, worker) flush every table when they finish, which would
    also wipe rows that migrations seed (Wagtail's root page, metric catalogue, strategy
    types, groups) and make later tests depend on the order they run in. Serialized rollback
    restores those rows after each such test."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and "serialized_rollback" not in marker.kwargs
        ):
            item.add_marker(
                pytest.mark.django_db(**marker.kwargs, serialized_rollback=True), append=False
            )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Make the serialized database contents visible to every connection object.

    Django keeps them on the connection object that created the test database. Playwright's
    sync API runs tests inside greenlets, where Django hands out a new connection object
    (connections are context-local), so serialized rollback silently found nothing to
    restore. Putting the contents on the wrapper class makes every connection see them.
    """
    from django.db import connections

    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents:
            type(connections[alias])._test_serialized_contents = contents
    return django_db_setup


@pytest.fixture(scope="session", autouse=True)
def flush_may_truncate_the_audit_log():
    """Transactional tests end with a flush, one TRUNCATE of every table, the audit log's
    included, which PostgreSQL's trigger refuses. The test database's superuser opts in for
    that statement only (``SET LOCAL`` lasts until the flush's transaction ends); the
    application's role could not, whatever it set."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    from portal.audit import AUDIT_LOG_TRUNCATE_SETTING

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        opt_in = f"SET LOCAL {AUDIT_LOG_TRUNCATE_SETTING} = 'allow'"
        return original(self, [opt_in, *sql_list])

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original
