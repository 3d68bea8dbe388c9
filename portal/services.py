"""Writes for the base app's shared models: site membership and its audit trail."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

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
