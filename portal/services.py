"""Writes for the base app's shared models: site membership and its audit trail, and each
site's own collection of documents and images."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.db import transaction
from wagtail.models import Collection, GroupCollectionPermission

from portal.audit import audit_record
from portal.models import GranteeSite


def site_membership_changed(
    *,
    site: GranteeSite,
    user: AbstractBaseUser | AnonymousUser | None,
    before: set[int],
    after: set[int],
) -> bool:
    """Record who joined and who left ``site``; returns False (and logs nothing) when the
    members are the same."""
    if before == after:
        return False
    names = dict(
        get_user_model().objects.filter(pk__in=before ^ after).values_list("pk", "username")
    )
    audit_record(
        instance=site,
        action="ips.membership.change",
        user=user,
        changes={
            "added": sorted(names.get(pk, str(pk)) for pk in after - before),
            "removed": sorted(names.get(pk, str(pk)) for pk in before - after),
        },
    )
    return True


# --- Per-site documents and images ----------------------------------------------------------

SITE_MEDIA_PERMISSIONS = (
    "add_document",
    "change_document",
    "delete_document",
    "choose_document",
    "add_image",
    "change_image",
    "delete_image",
    "choose_image",
)


def _site_media_group_name(site: GranteeSite) -> str:
    return f"Site media: {site.slug}"


def site_media_sync(site: GranteeSite) -> Collection:
    """Give ``site`` its own collection of documents and images, and its members (only) the
    right to add, change and choose in it.

    Wagtail grants collection permissions to groups, so each site has a "Site media: <slug>"
    group whose users are exactly the site's members. Idempotent; run after membership
    changes and after every migrate.
    """
    root = Collection.get_first_root_node()
    with transaction.atomic():
        collection = site.media_collection
        if collection is None:
            collection = root.add_child(name=f"{site.name} ({site.slug})"[:255])
            GranteeSite.objects.filter(pk=site.pk).update(media_collection=collection)
            site.media_collection = collection
        group, _ = Group.objects.get_or_create(name=_site_media_group_name(site))
        wanted = Permission.objects.filter(
            content_type__app_label__in=["wagtaildocs", "wagtailimages"],
            codename__in=SITE_MEDIA_PERMISSIONS,
        )
        for permission in wanted:
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=collection, permission=permission
            )
        members = get_user_model().objects.filter(site_memberships__site=site)
        group.user_set.set(members)
    return collection


def site_media_sync_all() -> int:
    """``site_media_sync`` for every site; returns how many."""
    sites = list(GranteeSite.objects.select_related("media_collection"))
    for site in sites:
        site_media_sync(site)
    return len(sites)
