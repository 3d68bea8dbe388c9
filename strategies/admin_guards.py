"""Admin URLs that would name another site's strategy (see ``portal.middleware``).

The explorer, the page chooser's header, history, workflow previews and bulk-action
confirmations all print a page's latest title, draft or not, so every admin URL that names a
strategy page the user may not act on answers 404, whatever Wagtail would check later.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import ResolverMatch

from strategies.access import strategy_pages_hidden_in_admin

# Moving a page names both ends ("move this page into '<title>'?" is printed before any
# check), and the workflow admin names a page as page_pk.
PAGE_KWARGS = ("page_id", "parent_page_id", "page_to_move_id", "destination_id", "page_pk")
# Bulk actions take the pages as ?id=..&id=.. and the listing's parent as ?childOf=..
BULK_PAGE_PARAMS = ("id", "childOf")


def _page_ids(request: HttpRequest, match: ResolverMatch) -> set[int]:
    ids: set[str] = {str(match.kwargs[k]) for k in PAGE_KWARGS if k in match.kwargs}
    if request.path.startswith("/admin/bulk/wagtailcore/page/"):
        for param in BULK_PAGE_PARAMS:
            ids.update(request.GET.getlist(param))
    return {int(value) for value in ids if str(value).isdigit()}


def other_sites_strategy_pages(request: HttpRequest, match: ResolverMatch) -> bool:
    ids = _page_ids(request, match)
    if not ids or request.user.is_superuser:
        return False
    return strategy_pages_hidden_in_admin(request.user).filter(pk__in=ids).exists()


GUARDS = [other_sites_strategy_pages]
