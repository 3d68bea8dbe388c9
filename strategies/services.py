"""Writes for the strategies app: the index page, its page permissions and review workflow,
and BJA staff's evidence ratings."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
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

from portal.audit import audit_record
from portal.page_cache import public_pages_invalidate
from portal.roles import BJA_STAFF, SITE_CONTRIBUTOR
from portal.services import SITE_MEDIA_PERMISSIONS
from strategies.choices import Rating
from strategies.forms import EVIDENCE_RATING_PERMISSION
from strategies.models import EvidenceRating, StrategyIndexPage, StrategyPage

REVIEW_WORKFLOW_NAME = "BJA review"
REVIEW_TASK_NAME = "BJA staff approval"

# Page permissions on the strategy index (and so on every strategy under it). Contributors
# draft and submit; only BJA staff publish. ``strategies.access`` narrows contributors to
# their own grantee sites.
INDEX_PAGE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    SITE_CONTRIBUTOR: ("add_page", "change_page"),
    BJA_STAFF: ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
}
# BJA staff manage every collection from the root. Contributors get none here: each site's
# members work in their site's own collection (``portal.services.site_media_sync``), so no
# chooser lists another site's draft attachments.
COLLECTION_PERMISSIONS: dict[str, tuple[str, ...]] = {BJA_STAFF: SITE_MEDIA_PERMISSIONS}


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
        # Earlier set-ups gave contributors the root collection; take that back.
        GroupCollectionPermission.objects.filter(
            group__name=SITE_CONTRIBUTOR, collection=root_collection
        ).delete()
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


# --- Evidence ratings ----------------------------------------------------------------------


def _rating_state(rating: EvidenceRating | None) -> dict | None:
    if rating is None:
        return None
    return {
        "outcome": rating.outcome,
        "metric_code": rating.metric_code,
        "rating": rating.rating,
        "reason": rating.reason,
        "rated_on": rating.rated_on.isoformat() if rating.rated_on else None,
        "rated_by": rating.rated_by_id,
    }


def evidence_rating_set(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    page: StrategyPage,
    outcome: str,
    rating: str,
    reason: str,
    metric_code: str = "",
    rating_id: int | None = None,
    rated_on: datetime.date | None = None,
) -> EvidenceRating:
    """Set (create or change) one evidence rating of a strategy: BJA staff only.

    The only way a rating changes. It is written straight to the live page, outside its
    revisions (see ``StrategyPage.serializable_data``), with who and when, clears any
    "finding changed" flag, and goes on the audit log with the old and new values and the
    reason. ``user`` None is the system (a command); ``rated_on`` (default today) lets the
    demo loader date its fictional history.
    """
    if user is not None and not (
        user.is_authenticated and user.has_perm(EVIDENCE_RATING_PERMISSION)
    ):
        raise PermissionDenied("Only BJA staff set evidence ratings.")
    if rating not in Rating.values:
        raise ValueError(f"Unknown rating {rating!r}; use one of {', '.join(Rating.values)}.")
    if not reason.strip():
        raise ValueError("Give the reason for the rating.")
    with transaction.atomic():
        existing = None
        if rating_id is not None:
            existing = EvidenceRating.objects.select_for_update().get(pk=rating_id, page=page)
        before = _rating_state(existing)
        record = existing or EvidenceRating(page=page)
        record.outcome, record.metric_code = outcome.strip(), metric_code.strip()
        record.rating, record.reason = rating, reason.strip()
        record.rated_on = rated_on or timezone.localdate()
        record.rated_by = user if user is not None and user.is_authenticated else None
        record.needs_review, record.review_note = False, ""
        record.save()
        audit_record(
            instance=page,
            action="ips.rating.set",
            user=user,
            changes={"rating_id": record.pk, "before": before, "after": _rating_state(record)},
        )
        # The badge is on the live strategy page, the strategy list and search cards.
        public_pages_invalidate()
    return record


def evidence_rating_flag(*, rating: EvidenceRating, note: str) -> EvidenceRating:
    """Mark a rating for BJA's attention: a finding its reason rests on has changed."""
    rating.needs_review, rating.review_note = True, note
    rating.save(update_fields=["needs_review", "review_note"])
    return rating
