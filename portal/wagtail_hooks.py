"""Admin screens for the shared models: jurisdictions and grantee sites as snippets; the
portal's audit log actions; the dashboard's background-tasks panel for BJA staff."""

from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from portal.audit import IPS_LOG_ACTIONS
from portal.models import GranteeSite, Jurisdiction
from portal.page_cache import public_pages_invalidate
from portal.roles import user_is_bja_staff
from portal.worker import worker_status


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


@hooks.register("register_log_actions")
def register_portal_log_actions(actions) -> None:
    """The portal's governance actions, so site history lists and filters them by name."""
    for name, (label, message) in IPS_LOG_ACTIONS.items():
        actions.register_action(name, label, message)


@hooks.register("before_bulk_action")
def refuse_bulk_action_on_nothing(request, action_type, objects, action_view):
    """A bulk action on items the user may not act on (a contributor publishing their draft,
    which only BJA may publish) would do nothing and still report "0 pages have been
    published": say plainly that it was refused instead."""
    if objects:
        return None
    from django.contrib import messages
    from django.shortcuts import redirect

    action = action_type.replace("_", " ")
    messages.error(
        request,
        f"You may not {action} any of the selected items, so nothing was changed.",
    )
    return redirect(action_view.next_url)


def _member_ids(site: GranteeSite) -> set[int]:
    return set(site.memberships.values_list("user_id", flat=True))


@hooks.register("before_edit_snippet")
def remember_site_members(request, instance) -> None:
    if isinstance(instance, GranteeSite):
        request._portal_members_before = _member_ids(instance)


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def log_site_membership_change(request, instance) -> None:
    """Who joined or left a grantee site goes on the audit log."""
    if not isinstance(instance, GranteeSite):
        return
    from portal.services import site_media_sync, site_membership_changed

    site_media_sync(instance)

    site_membership_changed(
        site=instance,
        user=request.user,
        before=getattr(request, "_portal_members_before", set()),
        after=_member_ids(instance),
    )


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
@hooks.register("after_delete_snippet")
def snippet_change_clears_public_pages(request, instance) -> None:
    """Snippets (sites, jurisdictions, strategy types, metrics) are shown on public pages by
    name, so an admin edit clears the anonymous page cache like a publication does.
    ``instance`` is a list of instances for deletions; either way every cached page goes."""
    public_pages_invalidate()


@hooks.register("construct_reports_menu")
def reports_for_bja_only(request, menu_items) -> None:
    """Reports (site history, page types, workflows...) span every site: BJA staff only."""
    if not user_is_bja_staff(request.user):
        menu_items[:] = []


class TaskWorkerPanel(Component):
    """Dashboard panel for BJA staff: the task queue, the worker's last heartbeat, and a
    warning when no worker has been seen for ``PORTAL_WORKER_MISSING_SECONDS``."""

    name = "portal_task_worker"
    template_name = "portal/admin/task_worker_panel.html"
    order = 50

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context["status"] = worker_status()
        context["request"] = parent_context["request"]
        return context


@hooks.register("construct_homepage_panels")
def add_task_worker_panel(request, panels) -> None:
    if user_is_bja_staff(request.user):
        panels.append(TaskWorkerPanel())
