"""The anonymous page cache: served from the cache, invalidated by publication and withdrawal,
never used for signed-in visitors or API callers, and a fresh CSP nonce on every hit."""

from __future__ import annotations

import csv
import io
import re
import socket
import uuid
from types import SimpleNamespace

import pytest
from csp.middleware import CSPMiddleware
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from evaluations.analyses.services import analysis_unpublish
from evaluations.services import observations_publish, upload_batch_rollback
from portal.api_auth import api_token_create
from portal.page_cache import (
    GENERATION_KEY,
    PRIVATE,
    PublicPageCacheMiddleware,
    public_pages_invalidate,
)
from portal.settings.env import cache_from_url
from tests import factories
from tests.evaluations.analysis_helpers import make_analysis
from tests.evaluations.helpers import csv_bytes, month_rows, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on():
    caches["default"].clear()
    with override_settings(PORTAL_PAGE_CACHE_SECONDS=300):
        yield
    caches["default"].clear()


def test_second_anonymous_request_is_a_hit_with_the_same_page(client, strategy_index, site_a):
    factories.strategy_page_for(site_a, parent=strategy_index, title="Zone prosecution pilot")
    first = client.get("/strategies/")
    second = client.get("/strategies/")
    assert first["X-Page-Cache"] == "miss" and second["X-Page-Cache"] == "hit"
    assert "Zone prosecution pilot" in second.content.decode()
    assert "Cookie" in second["Vary"]


def test_publishing_a_strategy_shows_on_the_next_anonymous_request(
    client, strategy_index, site_a, django_capture_on_commit_callbacks
):
    factories.strategy_page_for(site_a, parent=strategy_index, title="Zone prosecution pilot")
    assert client.get("/strategies/")["X-Page-Cache"] == "miss"
    assert client.get("/strategies/")["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        factories.strategy_page_for(site_a, parent=strategy_index, title="GunStat weekly review")

    response = client.get("/strategies/")
    assert response["X-Page-Cache"] == "miss"
    assert "GunStat weekly review" in response.content.decode()


def test_unpublishing_a_strategy_removes_it_from_cached_pages(
    client, strategy_index, site_a, django_capture_on_commit_callbacks
):
    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Witness unit")
    client.get(page.url)
    assert client.get(page.url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
    assert client.get(page.url).status_code == 404


def test_withdrawing_an_analysis_takes_its_cached_page_down(
    client, site_a, bja_user, django_capture_on_commit_callbacks
):
    analysis = make_analysis(site=site_a, design="did")
    url = f"/evaluations/analyses/{analysis.pk}/"
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        analysis_unpublish(user=bja_user, analysis=analysis)
    assert client.get(url).status_code == 404


def test_invalidation_waits_for_the_commit(client, strategy_index, site_a):
    factories.strategy_page_for(site_a, parent=strategy_index, title="Zone prosecution pilot")
    client.get("/strategies/")
    public_pages_invalidate()  # inside the test's transaction: not committed yet
    assert client.get("/strategies/")["X-Page-Cache"] == "hit"


def test_signed_in_pages_are_private_and_never_cached(client, strategy_index, contributor_a):
    client.get("/strategies/")  # an anonymous copy exists
    client.force_login(contributor_a)
    for _ in range(2):
        response = client.get("/strategies/")
        assert response["Cache-Control"] == PRIVATE
        assert "X-Page-Cache" not in response


def test_signed_in_api_callers_get_private_no_store(client, strategy_index, contributor_a):
    anonymous = client.get("/api/v1/strategies/")
    assert anonymous.status_code == 200
    assert client.get("/api/v1/strategies/")["X-Page-Cache"] == "hit"
    _token, plaintext = api_token_create(user=contributor_a, name="script")
    response = client.get("/api/v1/strategies/", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert response.status_code == 200
    assert response["Cache-Control"] == PRIVATE
    assert "X-Page-Cache" not in response


def _nonce_page(request):
    return HttpResponse(f'<script nonce="{request.csp_nonce}" src="/static/x.js"></script>')


def _served(path: str):
    """One request through the CSP middleware and the page cache to a page with a nonce."""
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    response = CSPMiddleware(PublicPageCacheMiddleware(_nonce_page))(request)
    in_page = set(re.findall(r'nonce="([^"]+)"', response.content.decode()))
    header = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    return response, in_page, header.group(1)


def test_each_hit_gets_a_fresh_nonce_matching_its_header():
    miss, miss_page, miss_header = _served("/nonce-page/")
    hit, hit_page, hit_header = _served("/nonce-page/")
    assert (miss["X-Page-Cache"], hit["X-Page-Cache"]) == ("miss", "hit")
    assert miss_page == {miss_header} and hit_page == {hit_header}
    assert hit_header != miss_header


def test_pages_that_set_cookies_or_carry_a_csrf_token_are_not_stored(client, home_page):
    client.get("/admin/login/")  # excluded prefix, and it carries a CSRF token
    assert "X-Page-Cache" not in client.get("/admin/login/")


def test_redis_url_selects_djangos_redis_backend():
    config = cache_from_url("redis://127.0.0.1:6379/3")
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache_from_url(None)["BACKEND"].endswith("LocMemCache")
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
        cache_from_url("http://127.0.0.1:6379")


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_invalidation_through_redis(
    client, strategy_index, site_a, django_capture_on_commit_callbacks
):
    # A prefix of its own: the Redis server is shared, so never flush it.
    redis_cache = {
        **cache_from_url("redis://127.0.0.1:6379/0"),
        "KEY_PREFIX": f"ips-test-{uuid.uuid4().hex}",
        "TIMEOUT": 60,
    }
    with override_settings(CACHES={"default": redis_cache}):
        try:
            factories.strategy_page_for(site_a, parent=strategy_index, title="Zone pilot")
            client.get("/strategies/")
            assert client.get("/strategies/")["X-Page-Cache"] == "hit"
            with django_capture_on_commit_callbacks(execute=True):
                factories.strategy_page_for(site_a, parent=strategy_index, title="GunStat review")
            response = client.get("/strategies/")
            assert "GunStat review" in response.content.decode()
        finally:
            caches["default"].delete(GENERATION_KEY)


def test_deploy_check_warns_about_a_per_process_cache():
    from portal.page_cache import check_shared_cache

    assert [w.id for w in check_shared_cache()] == ["portal.W001"]
    with override_settings(CACHES={"default": cache_from_url("redis://127.0.0.1:6379/0")}):
        assert check_shared_cache() == []
    with override_settings(PORTAL_PAGE_CACHE_SECONDS=0):
        assert check_shared_cache() == []


def test_a_lost_generation_never_brings_back_older_pages(client, strategy_index, site_a):
    factories.strategy_page_for(site_a, parent=strategy_index, title="Zone prosecution pilot")
    client.get("/strategies/")
    caches["default"].delete(GENERATION_KEY)  # evicted, say, by the memory limit
    assert client.get("/strategies/")["X-Page-Cache"] == "miss"


def _public_values(client):
    response = client.get("/evaluations/data/export.csv?site=site-a")
    return response, [r["value"] for r in csv.DictReader(io.StringIO(response.content.decode()))]


def test_an_upload_that_withdraws_published_rows_clears_cached_pages(
    client, site_a, bja_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(
            site_a, csv_bytes(*month_rows("homicides", "Zone 3", "treatment", [3, 14])), bja_user
        )
        observations_publish(site=site_a, user=bja_user)
    assert _public_values(client)[1] == ["<10", "14"]
    assert _public_values(client)[0]["X-Page-Cache"] == "hit"
    # A corrected value takes the published row out of public view until it is published again.
    with django_capture_on_commit_callbacks(execute=True):
        upload(
            site_a, csv_bytes(*month_rows("homicides", "Zone 3", "treatment", [3, 15])), bja_user
        )
    assert _public_values(client)[1] == ["<10"]


def test_a_rollback_clears_cached_pages(
    client, site_a, bja_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(site_a, csv_bytes(*month_rows("homicides", "Zone 3", "treatment", [3])), bja_user)
        second = upload(
            site_a, csv_bytes(*month_rows("homicides", "Zone 3", "treatment", [3, 14])), bja_user
        )
        observations_publish(site=site_a, user=bja_user)
    assert _public_values(client)[1] == ["<10", "14"]
    assert _public_values(client)[0]["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        upload_batch_rollback(batch=second.batch, user=bja_user)  # deletes the published 14
    assert _public_values(client)[1] == ["<10"]


def test_a_published_analysis_sent_back_to_the_queue_shows_it_on_cached_pages(
    client, site_a, django_capture_on_commit_callbacks, monkeypatch
):
    """New data makes a published result stale and queues a re-run: the public page must
    say so at once, not keep showing the old result as current until the re-run ends."""
    from evaluations.analyses import tasks
    from evaluations.analyses.services import analysis_enqueue

    # The re-run stays queued (no worker here), so the page must show the queued notice.
    monkeypatch.setattr(tasks, "analysis_run_task", SimpleNamespace(enqueue=lambda *a: None))
    analysis = make_analysis(site=site_a, design="did")
    url = f"/evaluations/analyses/{analysis.pk}/"
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        analysis_enqueue(analysis=analysis)
    response = client.get(url)
    assert "a new run is waiting to start" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_run_that_starts_shows_in_progress_on_cached_pages(client, site_a, monkeypatch):
    """Queued, then running: while the worker runs it, the public page says so (a cached
    "waiting to start" would be out of date for the whole run). Autocommit, as in the
    worker, so the invalidation after the status change's commit happens at once."""
    from evaluations.analyses import data as analysis_data
    from evaluations.analyses import tasks
    from evaluations.analyses.services import analysis_enqueue, analysis_run

    monkeypatch.setattr(tasks, "analysis_run_task", SimpleNamespace(enqueue=lambda *a: None))
    analysis = make_analysis(site=site_a, design="did")
    url = f"/evaluations/analyses/{analysis.pk}/"
    analysis_enqueue(analysis=analysis)
    client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"  # "waiting to start", cached
    seen = []
    real_build_inputs = analysis_data.build_inputs

    def build_inputs_and_look(the_analysis):
        seen.append(client.get(url).content.decode())  # what a visitor sees mid-run
        return real_build_inputs(the_analysis)

    monkeypatch.setattr(analysis_data, "build_inputs", build_inputs_and_look)
    analysis_run(analysis_id=analysis.pk)
    assert seen and "a new run is in progress" in seen[0]


def test_http_and_https_pages_are_cached_apart(client, site_a):
    """The analyses CSV links with absolute URLs: an http copy must not reach https visitors."""
    make_analysis(site=site_a, design="did")
    url = "/evaluations/?format=csv"
    assert "http://testserver/evaluations/" in client.get(url).content.decode()
    secure = client.get(url, secure=True)
    assert secure["X-Page-Cache"] == "miss"
    assert "http://testserver/evaluations/" not in secure.content.decode()
    assert "https://testserver/evaluations/" in secure.content.decode()


def test_cached_search_results_follow_the_index_not_just_the_publication(
    client, strategy_index, site_a, django_capture_on_commit_callbacks
):
    """The index is brought up to date by a worker task some time after the publication's
    commit (which clears the cache): a search in between stores the old results again, so
    the index update must clear the cache too."""
    from portal.page_cache import _bump_generation
    from search.services import search_index_object

    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Zeugma pilot")
    search_index_object(doc_type="strategy", pk=str(page.pk))
    url = "/search/?q=Zeugma"
    assert "Zeugma pilot" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        page.unpublish()  # its index task is queued for the worker
    _bump_generation()  # the publication's own invalidation, at commit
    assert "Zeugma pilot" in client.get(url).content.decode()  # the index still has it
    with django_capture_on_commit_callbacks(execute=True):
        search_index_object(doc_type="strategy", pk=str(page.pk))  # the worker catches up
    assert "Zeugma pilot" not in client.get(url).content.decode()


def _through_cache(view, path="/a-public-page/"):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    return PublicPageCacheMiddleware(view)(request)


def test_a_public_page_with_a_csrf_token_or_a_cookie_is_never_stored():
    """Outside the excluded prefixes, so the storage rules themselves are what is tested."""
    from django.middleware.csrf import get_token

    def with_token(request):
        return HttpResponse(f'<input name="csrfmiddlewaretoken" value="{get_token(request)}">')

    def with_cookie(request):
        response = HttpResponse("hello")
        response.set_cookie("seen", "1")
        return response

    for view, path in ((with_token, "/form-page/"), (with_cookie, "/cookie-page/")):
        for _ in range(2):
            assert "X-Page-Cache" not in _through_cache(view, path)


def test_input_holding_the_nonce_placeholder_is_never_filled_with_a_nonce(client, home_page):
    """A search for the placeholder's bytes is reflected in the page; stored, every hit would
    write the visitor's CSP nonce into attacker-chosen text."""
    url = "/search/?q=%00portal-csp-nonce%00"
    for _ in range(2):
        response = client.get(url)
        # Control characters are refused as search words (on every database), and the refusal
        # is neither stored nor served from the cache.
        assert response.status_code == 400
        assert b"control characters" in response.content
        assert "X-Page-Cache" not in response


def test_a_bja_rating_change_shows_on_the_next_anonymous_request(
    client, strategy_index, site_a, bja_user, django_capture_on_commit_callbacks
):
    from strategies.services import evidence_rating_set

    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Zone prosecution")
    url = page.url
    first = client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"
    assert "No effects" not in first.content.decode()

    # The worker re-indexes the page later (a task that is not run here): the page must not
    # wait for it.
    with (
        override_settings(
            TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        evidence_rating_set(
            user=bja_user,
            page=page,
            outcome="Non-fatal shootings",
            rating="no_effects",
            reason="No change against the comparison districts.",
        )

    response = client.get(url)
    assert response["X-Page-Cache"] == "miss"
    assert "No effects" in response.content.decode()


def test_an_admin_snippet_edit_shows_on_the_next_anonymous_request(
    client, admin_client, strategy_index, site_a, django_capture_on_commit_callbacks
):
    from strategies.models import StrategyType

    kind = StrategyType.objects.create(name="Zone work", slug="zone-work", description="Zones.")
    factories.strategy_page_for(site_a, parent=strategy_index, title="Pilot", types=[kind])
    assert "Zone work" in client.get("/strategies/").content.decode()
    assert client.get("/strategies/")["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/snippets/strategies/strategytype/edit/{kind.pk}/",
            {"name": "Zone prosecution", "slug": "zone-work", "description": "Zones."},
        )
    assert response.status_code == 302, response.content.decode()[:2000]

    response = client.get("/strategies/")
    assert response["X-Page-Cache"] == "miss"
    assert "Zone prosecution" in response.content.decode()


def test_the_sign_in_response_itself_is_private(client, contributor_a):
    """The sign-in POST starts the session: its response (with the session cookie) is a
    signed-in response like any other."""
    response = client.post(
        "/admin/login/", {"username": "contrib_a", "password": factories.TEST_PASSWORD}
    )
    assert response.status_code == 302 and "sessionid" in response.cookies
    assert response["Cache-Control"] == PRIVATE


def test_signed_in_responses_cut_short_by_earlier_middleware_are_private(
    client, strategy_index, site_a, contributor_b
):
    """The admin's object-scope guard answers 404 before the page cache is reached; that
    answer is still a signed-in page."""
    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Site A only")
    client.force_login(contributor_b)
    response = client.get(f"/admin/pages/{page.pk}/edit/")
    assert response.status_code == 404
    assert response["Cache-Control"] == PRIVATE


def test_a_sign_out_response_is_private(client, contributor_a):
    client.force_login(contributor_a)
    response = client.post("/admin/logout/")
    assert response["Cache-Control"] == PRIVATE


def _live_page_with_figure(strategy_index, site_a):
    site_a.refresh_from_db()
    image = factories.image_in(site_a.media_collection, "Zone map")
    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Mapped zone plan")
    page.body = [
        {"type": "figure", "value": {"image": image.pk, "alt_text": "A map", "caption": ""}},
    ]
    page.save_revision().publish()
    return page, image


def test_deleting_an_image_a_live_page_shows_clears_cached_pages(
    client, strategy_index, site_a, contributor_a, media_tmp, django_capture_on_commit_callbacks
):
    """Images are edited and deleted in the admin's image library, not on the page: the
    cached page would keep pointing at a rendition that no longer exists."""
    page, image = _live_page_with_figure(strategy_index, site_a)
    caches["default"].clear()
    first = client.get(page.url)
    assert first["X-Page-Cache"] == "miss" and "/media/images/" in first.content.decode()
    assert client.get(page.url)["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        image.delete()
    after = client.get(page.url)
    assert after["X-Page-Cache"] == "miss"
    assert "/media/images/" not in after.content.decode()


def test_replacing_an_images_file_clears_cached_pages(
    client, strategy_index, site_a, contributor_a, media_tmp, django_capture_on_commit_callbacks
):
    page, image = _live_page_with_figure(strategy_index, site_a)
    replacement = factories.image_in(site_a.media_collection, "New map", colour="red")
    caches["default"].clear()
    client.get(page.url)
    assert client.get(page.url)["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        image.file = replacement.file
        image.save()
    assert client.get(page.url)["X-Page-Cache"] == "miss"


def test_rendering_renditions_does_not_clear_cached_pages(
    client, strategy_index, site_a, contributor_a, media_tmp, django_capture_on_commit_callbacks
):
    page, image = _live_page_with_figure(strategy_index, site_a)
    caches["default"].clear()
    client.get(page.url)
    with django_capture_on_commit_callbacks(execute=True):
        image.get_rendition("max-30x30")  # a new rendition, as a page render makes
        image.get_file_size()
    assert client.get(page.url)["X-Page-Cache"] == "hit"


def test_loading_the_demo_data_again_clears_cached_pages(
    client, home_page, monkeypatch, django_capture_on_commit_callbacks
):
    """The loader updates snippets (site and jurisdiction names) in place, outside the admin's
    hooks; running it again must not leave pages with the old names in the cache."""
    from django.core.management import call_command

    from portal.management.commands import load_demo_data
    from portal.models import Jurisdiction

    renamed = []

    class Demo:
        @staticmethod
        def load(*, stdout, verbosity):
            jurisdiction = Jurisdiction.objects.first()
            if jurisdiction is not None:
                jurisdiction.name = "Renamed County"
                jurisdiction.save()
            renamed.append(True)

    monkeypatch.setattr(load_demo_data, "portal_app_modules", lambda name: [Demo])
    client.get("/")
    assert client.get("/")["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo_data", verbosity=0)
    assert renamed
    assert client.get("/")["X-Page-Cache"] == "miss"


def test_the_response_that_signs_an_idle_session_out_is_private(
    client, strategy_index, contributor_a
):
    """Rendered for an anonymous visitor after the idle sign-out, but it answers a signed-in
    request (and clears its session cookie): private, and never stored."""
    from django.conf import settings

    from portal.middleware import LAST_SEEN_KEY

    client.force_login(contributor_a)
    client.get("/strategies/")
    session = client.session
    session[LAST_SEEN_KEY] -= settings.SESSION_IDLE_TIMEOUT + 1
    session.save()
    response = client.get("/strategies/")
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert response["Cache-Control"] == PRIVATE
    assert "X-Page-Cache" not in response
