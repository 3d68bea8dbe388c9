"""Writes for the strategies app: the index page, its page permissions and review workflow."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from portal.roles import BJA_STAFF, SITE_CONTRIBUTOR
from strategies.models import StrategyIndexPage

REVIEW_WORKFLOW_NAME = "BJA review"
REVIEW_TASK_NAME = "BJA staff approval"

# Page permissions on the strategy index (and so on every strategy under it). Contributors
# draft and submit; only BJA staff publish. ``strategies.access`` narrows contributors to
# their own grantee sites.
INDEX_PAGE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    SITE_CONTRIBUTOR: ("add_page", "change_page"),
    BJA_STAFF: ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
}
# Figures and documents (policies, MOUs) attached to write-ups live in the root collection.
COLLECTION_PERMISSIONS: dict[str, tuple[str, ...]] = {
    SITE_CONTRIBUTOR: ("add_document", "choose_document", "add_image", "choose_image"),
    BJA_STAFF: (
        "add_document",
        "change_document",
        "delete_document",
        "choose_document",
        "add_image",
        "change_image",
        "delete_image",
        "choose_image",
    ),
}


def strategy_index_ensure(home: Page) -> StrategyIndexPage:
    """Create the published /strategies/ index under ``home`` if missing, then sync moderation.

    Idempotent: a second call finds the page and changes nothing.
    """
    index_page = StrategyIndexPage.objects.first()
    if index_page is None:
        index_page = StrategyIndexPage(
            title="Strategies",
            slug="strategies",
            intro=(
                "Strategies prosecutors' offices developed with IPS funding, written up by the "
                "offices themselves and reviewed by BJA, with the evidence of what they achieved."
            ),
        )
        home.add_child(instance=index_page)
        index_page.save_revision().publish()
    strategy_moderation_sync(index_page)
    return index_page


def strategy_moderation_sync(index_page: Page) -> None:
    """Give the roles their page and collection permissions and attach the BJA review workflow.

    Idempotent, so it can run after every migrate and whenever the index is created.
    """
    page_perms = {
        p.codename: p for p in Permission.objects.filter(content_type__app_label="wagtailcore")
    }
    for role, codenames in INDEX_PAGE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for codename in codenames:
            GroupPagePermission.objects.get_or_create(
                group=group, page=index_page, permission=page_perms[codename]
            )

    root_collection = Collection.get_first_root_node()
    if root_collection is not None:
        media_perms = {
            p.codename: p
            for p in Permission.objects.filter(
                content_type__app_label__in=["wagtaildocs", "wagtailimages"]
            )
        }
        for role, codenames in COLLECTION_PERMISSIONS.items():
            group, _ = Group.objects.get_or_create(name=role)
            for codename in codenames:
                GroupCollectionPermission.objects.get_or_create(
                    group=group, collection=root_collection, permission=media_perms[codename]
                )

    bja_group, _ = Group.objects.get_or_create(name=BJA_STAFF)
    task = GroupApprovalTask.objects.filter(name=REVIEW_TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=REVIEW_TASK_NAME)
    task.groups.add(bja_group)
    workflow, _ = Workflow.objects.get_or_create(name=REVIEW_WORKFLOW_NAME)
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    WorkflowPage.objects.update_or_create(page=index_page, defaults={"workflow": workflow})
