"""Public pages served from a cache for anonymous visitors, and never for signed-in ones.

A page that is the same for every anonymous visitor (home, strategy list and pages, search
results, result pages, ``/compare/``, anonymous API reads) is rendered once and then served
from Django's cache (Redis when ``REDIS_URL`` is set, local memory otherwise) until what it
shows changes. Invalidation is one call, ``public_pages_invalidate()``: it bumps a generation
number that is part of every key, so all cached pages go at once without listing them (old
entries simply expire). Publishing or unpublishing a page, an analysis or outcome data calls
it; any other part of the portal that changes what the public sees calls it too.

Signed-in requests (a session or an API token) never touch the cache, and their responses
carry ``Cache-Control: private, no-store`` so no browser or proxy keeps them.

The page's Content-Security-Policy nonce must differ on every response: the stored copy holds
a placeholder where the nonce was, and each hit fills in the nonce of the request being
served (the CSP middleware, which runs outside this one, then sends the matching header).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

GENERATION_KEY = "portal:pages:generation"
NONCE_PLACEHOLDER = b"\x00portal-csp-nonce\x00"
# Headers a stored page keeps; cookies, Vary and the CSP header are per response.
KEPT_HEADERS = ("Content-Type", "Content-Language", "Content-Disposition", "Link")
PRIVATE = "private, no-store"
MESSAGE_COOKIE = "messages"  # django.contrib.messages' cookie storage


def _cache():
    return caches[getattr(settings, "PORTAL_PAGE_CACHE_ALIAS", "default")]


def _timeout() -> int:
    return int(getattr(settings, "PORTAL_PAGE_CACHE_SECONDS", 0))


def public_pages_invalidate() -> None:
    """Drop every cached public page, after the current transaction commits.

    Call it whenever something anonymous visitors see changes (publication, a new approved
    finding, a withdrawal). Waiting for the commit means no request can re-cache the old
    state between the bump and the commit.
    """
    transaction.on_commit(_bump_generation)


def _bump_generation() -> None:
    cache = _cache()
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # no generation yet (or evicted): a fresh one invalidates
            cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)
            cache.incr(GENERATION_KEY)
    except Exception:  # noqa: BLE001 - a cache outage must not fail a publication
        logger.exception("Could not invalidate the public page cache")


def _fresh_generation() -> int:
    """A starting generation above any used before, even if the key was evicted: the clock in
    milliseconds (bumps add 1, far fewer than a thousand a second)."""
    return int(time.time() * 1000)


def _generation(cache) -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY) or _fresh_generation()
    return int(generation)


def request_is_signed_in(request: HttpRequest) -> bool:
    """A session user or an API caller with a token (checked by the API itself later)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    return "HTTP_AUTHORIZATION" in request.META


def _may_use_cache(request: HttpRequest) -> bool:
    if request.method != "GET" or _timeout() <= 0:
        return False
    if request.path.startswith(tuple(settings.PORTAL_PAGE_CACHE_EXCLUDED_PREFIXES)):
        return False
    # A session (say, a password-protected page's grant) or pending messages make the page
    # this visitor's own.
    cookies = request.COOKIES
    return not (settings.SESSION_COOKIE_NAME in cookies or MESSAGE_COOKIE in cookies)


def _key(request: HttpRequest, generation: int) -> str:
    # The scheme too: pages with absolute links (the analyses list) differ between http and https.
    digest = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"portal:pages:{generation}:{digest}"


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    # The visitor's own input (a search for the placeholder) would be turned into the nonce
    # of every later visitor's response.
    if NONCE_PLACEHOLDER in response.content:
        return False
    # A page with a CSRF token or a touched session belongs to one visitor.
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or request.META.get("CSRF_COOKIE_USED"):
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    cache_control = response.get("Cache-Control", "")
    return not any(word in cache_control for word in ("private", "no-store", "no-cache"))


def _nonce_of(request: HttpRequest) -> str | None:
    nonce = getattr(request, "_csp_nonce", None)
    return nonce if isinstance(nonce, str) else None


def _stored(request: HttpRequest, response: HttpResponse) -> dict:
    content = response.content
    nonce = _nonce_of(request)
    if nonce:
        content = content.replace(nonce.encode(), NONCE_PLACEHOLDER)
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    return {"status": response.status_code, "content": content, "headers": headers}


def _rebuilt(request: HttpRequest, stored: dict) -> HttpResponse:
    content = stored["content"]
    if NONCE_PLACEHOLDER in content:
        # Reading the nonce makes the CSP middleware put this same value in the header.
        content = content.replace(NONCE_PLACEHOLDER, str(request.csp_nonce).encode())
    response = HttpResponse(content, status=stored["status"])
    for name, value in stored["headers"].items():
        response[name] = value
    return response


class SignedInResponsesPrivateMiddleware:
    """Every response to a signed-in visitor or API caller says ``private, no-store``.

    Listed right after the authentication middleware, so it also covers answers that never
    reach the page cache (the admin's object-scope 404, an idle-session sign-out) and the
    sign-in and sign-out requests themselves: signed in before or after the view counts.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        signed_in = request_is_signed_in(request)
        response = self.get_response(request)
        if signed_in or request_is_signed_in(request):
            response["Cache-Control"] = PRIVATE
        return response


class PublicPageCacheMiddleware:
    """Serve anonymous GETs from the cache; signed-in visitors pass straight through (never
    read from or stored; ``SignedInResponsesPrivateMiddleware``, listed before this one, marks
    their responses ``private, no-store``).

    Listed after the authentication, message and CSP middleware (it needs ``request.user`` and
    the nonce), so the CSP and security headers are added to cached pages as to fresh ones.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request_is_signed_in(request):
            return self.get_response(request)
        if not _may_use_cache(request):
            return self.get_response(request)
        cache = _cache()
        try:
            key = _key(request, _generation(cache))
            stored = cache.get(key)
        except Exception:  # noqa: BLE001 - with the cache down, render as if it were empty
            logger.warning("Public page cache unavailable", exc_info=True)
            return self.get_response(request)
        if stored is not None:
            response = _rebuilt(request, stored)
            response["X-Page-Cache"] = "hit"
        else:
            response = self.get_response(request)
            if request_is_signed_in(request):  # signed in by this very request: not stored
                return response
            if _storable(request, response):
                try:
                    cache.set(key, _stored(request, response), timeout=_timeout())
                except Exception:  # noqa: BLE001
                    logger.warning("Could not store a public page", exc_info=True)
                response["X-Page-Cache"] = "miss"
        # Shared proxies must not hand an anonymous copy to a signed-in visitor.
        patch_vary_headers(response, ["Cookie"])
        return response


def _page_changed(sender, **kwargs) -> None:
    public_pages_invalidate()


def _page_deleted(sender, instance, **kwargs) -> None:
    if getattr(instance, "live", False):
        public_pages_invalidate()


# Fields Wagtail fills in on its own when an image or document is read (not an edit).
_BOOKKEEPING_FIELDS = frozenset({"file_size", "file_hash"})


def _media_changed(sender, instance=None, update_fields=None, created=False, **kwargs) -> None:
    # A new upload is on no live page yet; Wagtail's own bookkeeping changes nothing shown.
    if created or (update_fields is not None and set(update_fields) <= _BOOKKEEPING_FIELDS):
        return
    public_pages_invalidate()


def connect_page_signals() -> None:
    """Wagtail pages (strategies, the home page, indexes) change what the public sees when
    they are published, unpublished, moved or deleted, or when their view restriction
    changes; so do edits and deletions of the images and documents they show. Other apps
    call ``public_pages_invalidate`` from their own services."""
    from django.db.models.signals import post_delete, post_save
    from wagtail.models import PageViewRestriction, get_page_models
    from wagtail.signals import page_published, page_unpublished, post_page_move

    page_published.connect(_page_changed, dispatch_uid="portal.page_cache.published")
    page_unpublished.connect(_page_changed, dispatch_uid="portal.page_cache.unpublished")
    post_page_move.connect(_page_changed, dispatch_uid="portal.page_cache.moved")
    # One sender per page model: a receiver without a sender would turn off Django's fast
    # deletes for every model in the project.
    for model in get_page_models():
        post_delete.connect(
            _page_deleted, sender=model, dispatch_uid=f"portal.page_cache.deleted.{model._meta}"
        )
    for signal in (post_save, post_delete):
        signal.connect(
            _page_changed,
            sender=PageViewRestriction,
            dispatch_uid=f"portal.page_cache.restriction.{signal is post_save}",
        )
    # Images and documents are edited, replaced and deleted in their own admin libraries, not
    # on the pages that show them: a cached page would keep a deleted rendition or an old
    # link. Renditions (made while pages render) are not connected.
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    for model in (get_image_model(), get_document_model()):
        for signal in (post_save, post_delete):
            signal.connect(
                _media_changed,
                sender=model,
                dispatch_uid=f"portal.page_cache.media.{model._meta}.{signal is post_save}",
            )


def check_shared_cache(app_configs=None, **kwargs) -> list:
    """Deployment check: with several processes, a per-process cache is not invalidated in
    the processes that did not handle the publication."""
    from django.core.checks import Warning as CheckWarning

    backend = settings.CACHES.get(getattr(settings, "PORTAL_PAGE_CACHE_ALIAS", "default"), {})
    if _timeout() > 0 and backend.get("BACKEND", "").endswith("LocMemCache"):
        return [
            CheckWarning(
                "The anonymous page cache is in each process's memory, so a publication "
                "clears it only in the process that handled it.",
                hint="Set REDIS_URL (e.g. redis://cache:6379/0) when running more than one "
                "process, or PORTAL_PAGE_CACHE_SECONDS=0 to turn the page cache off.",
                id="portal.W001",
            )
        ]
    return []
