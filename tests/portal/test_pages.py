"""The base layout: every public page looks like a U.S. government site and is navigable."""

import pytest

pytestmark = pytest.mark.django_db

BANNER = "An official website of the United States government"


def _assert_base_layout(html: str) -> None:
    assert BANNER in html
    assert 'class="usa-skipnav" href="#main-content"' in html
    assert 'id="main-content"' in html
    assert "vendor/uswds/css/uswds.min.css" in html


def test_home_page_renders_with_base_layout(client, home_page):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    _assert_base_layout(html)
    assert home_page.title in html
    for label in ("Strategies", "Evaluations", "Search", "Compare"):
        assert f"<span>{label}</span>" in html


def test_404_renders_with_base_layout(client, home_page):
    response = client.get("/there-is-no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    _assert_base_layout(html)
    assert "Page not found" in html


def test_admin_login_renders(client, home_page):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_public_pages_send_a_strict_content_security_policy(client, home_page):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert "object-src 'none'" in policy


def test_no_page_loads_assets_from_another_origin(client, home_page):
    html = client.get("/").content.decode()
    for attribute in ('src="http', 'src="//', 'href="http', 'href="//'):
        assert attribute not in html, f"external asset reference found: {attribute}"


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
