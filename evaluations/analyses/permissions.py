"""Who may see, create, run and publish analyses.

Contributors create and run analyses for their own site; BJA staff and research partners for
any site (research partners are the evaluators). Only BJA staff publish, because a published
analysis is what the program stands behind in reports to Congress.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from evaluations.models import Analysis
from portal.models import GranteeSite
from portal.roles import user_is_bja_staff, user_sees_all_sites
from portal.selectors import sites_for_user, sites_user_can_edit

User = AbstractBaseUser | AnonymousUser


def analyses_visible_to(user: User) -> QuerySet[Analysis]:
    """Published analyses for everyone; unpublished ones for the site's members, BJA staff
    and research partners (program-level ones for the last two)."""
    base = Analysis.objects.select_related("site", "metric", "strategy")
    if user_sees_all_sites(user):
        return base
    if not user.is_authenticated:
        return base.filter(is_published=True)
    return base.filter(Q(is_published=True) | Q(site__in=sites_for_user(user)))


def analyses_in_admin_for(user: User) -> QuerySet[Analysis]:
    """The analyses a user works on in the admin: every one for BJA staff and research
    partners, a contributor's own sites' only.

    Another site's *published* analysis is public on its own page, but its admin page shows
    every run: a version awaiting BJA review, computed from figures the site has not
    published yet, with its estimate and input hash. So the admin leaves it out, and its
    admin URLs answer 404 like any other site's object.
    """
    base = Analysis.objects.select_related("site", "metric", "strategy")
    if user_sees_all_sites(user):
        return base
    if not user.is_authenticated:
        return base.none()
    return base.filter(site__in=sites_for_user(user))


def sites_user_can_analyse(user: User) -> QuerySet[GranteeSite]:
    """Sites this user may create analyses for."""
    if user_sees_all_sites(user):
        return GranteeSite.objects.all()
    return sites_user_can_edit(user)


def user_can_create_analysis_for(user: User, site: GranteeSite | None) -> bool:
    """Contributors their own site; BJA staff and research partners any site (and the
    program level, ``site`` None)."""
    if site is None:
        return user_sees_all_sites(user)
    return sites_user_can_analyse(user).filter(pk=site.pk).exists()


def user_can_run_analysis(user: User, analysis: Analysis) -> bool:
    """Whoever may create an analysis for its site may (re-)run it."""
    return user_can_create_analysis_for(user, analysis.site)


def user_can_publish_analysis(user: User) -> bool:
    return user_is_bja_staff(user)
