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
