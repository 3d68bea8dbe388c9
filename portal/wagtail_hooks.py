"""Admin screens for the shared models: jurisdictions and grantee sites as snippets."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from portal.models import GranteeSite, Jurisdiction


class JurisdictionViewSet(SnippetViewSet):
    model = Jurisdiction
    icon = "site"
    menu_label = "Jurisdictions"
    list_display = ["name", "state", "kind", "population"]
    list_filter = ["state", "kind"]
    search_fields = ["name"]
    ordering = ["state", "name"]


class GranteeSiteViewSet(SnippetViewSet):
    model = GranteeSite
    icon = "group"
    menu_label = "Grantee sites"
    list_display = ["name", "jurisdiction", "award_number", "fiscal_year"]
    list_filter = ["fiscal_year", "jurisdiction__kind", "jurisdiction__state"]
    search_fields = ["name", "slug", "award_number"]
    ordering = ["name"]


class SitesGroup(SnippetViewSetGroup):
    items = (GranteeSiteViewSet, JurisdictionViewSet)
    menu_icon = "site"
    menu_label = "Sites"
    menu_name = "sites"


register_snippet(SitesGroup)
