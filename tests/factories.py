"""factory_boy factories shared by every test module; build only what a test needs."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from portal.models import GranteeSite, Jurisdiction, SiteMembership
from portal.roles import SITE_CONTRIBUTOR

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password(TEST_PASSWORD)


class JurisdictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Jurisdiction

    name = factory.Sequence(lambda n: f"Test County {n}")
    state = "MO"
    kind = Jurisdiction.Kind.COUNTY
    population = 250_000


class GranteeSiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GranteeSite
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Test Prosecutor's Office {n}")
    slug = factory.Sequence(lambda n: f"test-site-{n}")
    jurisdiction = factory.SubFactory(JurisdictionFactory)
    award_number = "15PBJA-21-GG-00000-SMAR"
    fiscal_year = 2021


def user_with_role(role: str, **kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=role))
    return user


def contributor_for(site: GranteeSite, **kwargs):
    """A Site contributor who is a member of ``site`` only."""
    user = user_with_role(SITE_CONTRIBUTOR, **kwargs)
    SiteMembership.objects.create(site=site, user=user)
    return user
