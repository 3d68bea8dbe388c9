"""Reads about sites and membership that views, services and the API share."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from portal.models import GranteeSite
from portal.roles import user_is_bja_staff, user_sees_all_sites


def sites_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet[GranteeSite]:
    """Grantee sites whose unpublished data this user may read."""
    if user_sees_all_sites(user):
        return GranteeSite.objects.all()
    if not user.is_authenticated:
        return GranteeSite.objects.none()
    return GranteeSite.objects.filter(memberships__user=user).distinct()


def sites_user_can_edit(user: AbstractBaseUser | AnonymousUser) -> QuerySet[GranteeSite]:
    """Grantee sites this user may upload for or write about: BJA staff all, members theirs.

    Research partners read everything but change nothing on a site's behalf.
    """
    if user_is_bja_staff(user):
        return GranteeSite.objects.all()
    if not user.is_authenticated:
        return GranteeSite.objects.none()
    return GranteeSite.objects.filter(memberships__user=user).distinct()


def user_is_member(user: AbstractBaseUser | AnonymousUser, site: GranteeSite) -> bool:
    if not user.is_authenticated:
        return False
    return site.memberships.filter(user=user).exists()
