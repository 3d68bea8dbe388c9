"""Roles are groups whose permissions match exactly what the code declares."""

import pytest
from django.contrib.auth.models import Group, Permission

from portal.roles import BJA_STAFF, RESEARCH_PARTNER, SITE_CONTRIBUTOR, roles_sync
from portal.selectors import sites_for_user, sites_user_can_edit

pytestmark = pytest.mark.django_db


def test_roles_sync_removes_permissions_not_declared(roles):
    group = Group.objects.get(name=SITE_CONTRIBUTOR)
    stray = Permission.objects.get(codename="delete_granteesite")
    group.permissions.add(stray)
    roles_sync()
    assert not group.permissions.filter(pk=stray.pk).exists()


def test_only_bja_staff_may_change_grantee_sites(roles, contributor_a, bja_user, research_user):
    assert bja_user.has_perm("portal.change_granteesite")
    assert not contributor_a.has_perm("portal.change_granteesite")
    assert not research_user.has_perm("portal.change_granteesite")
    for user in (contributor_a, bja_user, research_user):
        assert user.has_perm("wagtailadmin.access_admin")


def test_contributor_sees_only_own_site(site_a, site_b, contributor_a, bja_user, research_user):
    assert list(sites_for_user(contributor_a)) == [site_a]
    assert list(sites_user_can_edit(contributor_a)) == [site_a]
    assert set(sites_for_user(bja_user)) == {site_a, site_b}
    assert set(sites_for_user(research_user)) == {site_a, site_b}
    assert list(sites_user_can_edit(research_user)) == []


def test_anonymous_sees_no_unpublished_site_data(site_a):
    from django.contrib.auth.models import AnonymousUser

    assert not sites_for_user(AnonymousUser()).exists()


def test_all_role_groups_exist(roles):
    assert set(roles) == {SITE_CONTRIBUTOR, BJA_STAFF, RESEARCH_PARTNER}
