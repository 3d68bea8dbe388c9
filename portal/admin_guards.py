"""Admin areas the base app keeps to BJA staff (see ``portal.middleware``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import ResolverMatch

from portal.roles import user_is_bja_staff

# Reports list every site's pages, edits and history: BJA staff (and superusers) only.
BJA_ONLY_NAMESPACES = ("wagtailadmin_reports",)


def reports_for_bja_only(request: HttpRequest, match: ResolverMatch) -> bool:
    in_reports = any(ns in match.namespaces for ns in BJA_ONLY_NAMESPACES)
    return in_reports and not user_is_bja_staff(request.user)


GUARDS = [reports_for_bja_only]
