"""Security headers the CSP middleware cannot express on its own."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class AdminContentSecurityPolicyMiddleware:
    """Relax the Content-Security-Policy for the Wagtail and Django admin only.

    The public site runs with scripts and styles from 'self' (plus a per-request nonce). The
    Wagtail admin ships inline styles and scripts of its own that we do not control, so its
    pages get 'unsafe-inline'; they are only reachable by signed-in staff. This must be listed
    *after* ``csp.middleware.CSPMiddleware`` so it runs first on the way out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(tuple(settings.PORTAL_ADMIN_PATH_PREFIXES)):
            response._csp_replace = {
                "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'"],
                "style-src": ["'self'", "'unsafe-inline'"],
                "img-src": ["'self'", "data:", "blob:"],
                "frame-src": ["'self'"],
            }
        return response


class AdminObjectScopeMiddleware:
    """Answer 404 for admin URLs about objects the signed-in user must not know exist.

    Wagtail's own views check what a user may *do* to a page, but several of them (the
    explorer header, chooser headers, bulk-action confirmations, workflow previews) print a
    page's title before or without that check. Each portal app may contribute guards in an
    ``admin_guards`` module (``GUARDS``: callables taking the request and the resolved URL and
    returning True to refuse); this runs them for every admin request, so the base app never
    needs to know which objects the domain apps keep apart. A 404, not a 403, so the answer
    does not confirm that the object exists.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._guards: list[Callable] | None = None

    def guards(self) -> list[Callable]:
        if self._guards is None:
            from portal.registry import portal_app_modules

            self._guards = [
                guard
                for module in portal_app_modules("admin_guards")
                for guard in getattr(module, "GUARDS", ())
            ]
        return self._guards

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/") and request.user.is_authenticated:
            from django.http import Http404
            from django.urls import Resolver404, resolve

            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
            if match is not None and any(guard(request, match) for guard in self.guards()):
                raise Http404("No such object.")
        return self.get_response(request)


class IdleSessionTimeoutMiddleware:
    """Sign a user out after ``SESSION_IDLE_TIMEOUT`` seconds without a request.

    The last-seen time is written at most once a minute (``SESSION_ACTIVITY_RESOLUTION``):
    saving the session on every request would write the session table for every admin asset
    and race on SQLite, for no gain in precision that matters.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            import time

            from django.contrib.auth import logout

            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
            elif last_seen is None or now - last_seen >= settings.SESSION_ACTIVITY_RESOLUTION:
                request.session[LAST_SEEN_KEY] = now
                request.session.set_expiry(settings.SESSION_IDLE_TIMEOUT)
        return self.get_response(request)


LAST_SEEN_KEY = "portal_last_seen"
