"""Who may do what with outcome data.

``ROLE_PERMISSIONS`` feeds the role groups (see ``portal.roles``); the functions below are
the object-level rules: contributors act only for their own sites, BJA staff for every site,
research partners read everything and change nothing.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from portal.models import GranteeSite
from portal.roles import BJA_STAFF, RESEARCH_PARTNER, SITE_CONTRIBUTOR, user_is_bja_staff
from portal.selectors import sites_for_user, sites_user_can_edit

ROLE_PERMISSIONS: dict[str, set[str]] = {
    SITE_CONTRIBUTOR: {
        "evaluations.view_outcomemetric",
        "evaluations.view_outcomeobservation",
        "evaluations.add_uploadbatch",
        "evaluations.view_uploadbatch",
    },
    BJA_STAFF: {
        "evaluations.add_outcomemetric",
        "evaluations.change_outcomemetric",
        "evaluations.delete_outcomemetric",
        "evaluations.view_outcomemetric",
        "evaluations.view_outcomeobservation",
        "evaluations.change_outcomeobservation",
        "evaluations.add_uploadbatch",
        "evaluations.change_uploadbatch",
        "evaluations.view_uploadbatch",
        # Analyses are governed object by object; this only lets the site history report
        # list their audit entries.
        "evaluations.view_analysis",
    },
    RESEARCH_PARTNER: {
        "evaluations.view_outcomemetric",
        "evaluations.view_outcomeobservation",
        "evaluations.view_uploadbatch",
    },
}

User = AbstractBaseUser | AnonymousUser


def user_can_upload_for(user: User, site: GranteeSite) -> bool:
    """BJA staff for any site, contributors for their own; research partners never."""
    return sites_user_can_edit(user).filter(pk=site.pk).exists()


def user_can_read_site(user: User, site: GranteeSite) -> bool:
    """Unpublished data: the site's members, BJA staff and research partners."""
    return sites_for_user(user).filter(pk=site.pk).exists()


def user_can_rollback(user: User, batch) -> bool:
    """BJA staff, or someone who may upload for the batch's site."""
    return user_is_bja_staff(user) or user_can_upload_for(user, batch.site)


def user_can_publish(user: User, site: GranteeSite) -> bool:
    """The site itself or BJA decides when its figures become public."""
    return user_can_upload_for(user, site)


def user_can_edit_catalogue(user: User) -> bool:
    return user_is_bja_staff(user)
