"""Result page and /compare/ in a real browser: the charts render under the page's own strict
CSP with no console errors, and the page reads the same without JavaScript.

The pages are rendered by the Django test client inside the test's transaction and handed to
Chromium through Playwright request routing (with the response's CSP header), static files from
the finders. No live server: a transactional test would flush the seeded tables.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.contrib.staticfiles import finders

from tests.evaluations.analysis_helpers import make_analysis

pytestmark = [pytest.mark.browser, pytest.mark.django_db]
ORIGIN = "http://localhost"  # a potentially trustworthy origin, like HTTPS in production


def serve(page, client, paths):
    """Render ``paths`` now (in the test's transaction) and serve them, plus static files."""
    responses = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200
        responses[path] = response
        # The server-drawn chart each page shows before (and without) JavaScript.
        for src in re.findall(
            r'class="portal-chart__static" src="([^"]+)"', response.content.decode()
        ):
            image = urljoin(path, html.unescape(src))
            responses[image] = client.get(image)
            assert responses[image].status_code == 200, image

    def handle(route):
        path = route.request.url.removeprefix(ORIGIN)
        if path in responses:
            response = responses[path]
            headers = {k: v for k, v in response.headers.items()}
            return route.fulfill(status=200, headers=headers, body=response.content)
        if path.startswith("/static/"):
            found = finders.find(path.removeprefix("/static/").split("?")[0])
            if found:
                kind = "text/javascript" if found.endswith(".js") else "text/css"
                if found.endswith((".svg", ".png", ".woff2")):
                    kind = "application/octet-stream"
                return route.fulfill(status=200, body=Path(found).read_bytes(), content_type=kind)
        return route.fulfill(status=404, body=b"")

    page.route(f"{ORIGIN}/**", handle)


def test_charts_render_and_page_works_without_js(client, site_a, site_b, browser_page):
    its = make_analysis(site=site_a, design="its_with_comparison", title="ITS result")
    make_analysis(site=site_b, design="did", title="DiD result")
    compare = "/compare/?metric=nonfatal_shootings"
    page = browser_page
    serve(page, client, [its.get_absolute_url(), compare])
    page.goto(ORIGIN + its.get_absolute_url())
    page.wait_for_selector(".portal-chart[data-rendered] svg", timeout=15000)
    assert page.locator(".portal-chart[data-rendered]").count() == 1
    page.screenshot(path="/tmp/ips-analysis-result.png", full_page=True)
    page.goto(ORIGIN + compare)
    page.wait_for_selector(".portal-chart[data-rendered] svg", timeout=15000)
    page.screenshot(path="/tmp/ips-compare.png", full_page=True)
    assert page.errors == [], page.errors

    context = page.context.browser.new_context(java_script_enabled=False)
    nojs = context.new_page()
    serve(nojs, client, [its.get_absolute_url()])
    nojs.goto(ORIGIN + its.get_absolute_url())
    text = nojs.inner_text("body")
    assert "Non-fatal shootings in Zone 3" in text and "Level change" in text
    context.close()
