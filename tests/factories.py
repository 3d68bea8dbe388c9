"""factory_boy factories shared by every test module; build only what a test needs."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from portal.models import GranteeSite, Jurisdiction, SiteMembership
from portal.roles import SITE_CONTRIBUTOR
from tests.cache_helpers import cache_clear

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


def strategy_page_for(site: GranteeSite, *, parent, title: str = "Test strategy", **fields):
    """A StrategyPage for ``site`` under ``parent`` (the index): published, or a never-published
    draft with ``publish=False``; ``types``, ``tags`` and ``ratings`` ((outcome, rating) pairs).
    """
    from strategies.models import StrategyPage, StrategyType

    types = fields.pop("types", None)
    tags = fields.pop("tags", ())
    ratings = fields.pop("ratings", ())
    publish = fields.pop("publish", True)
    page = StrategyPage(
        title=title,
        summary=fields.pop("summary", f"Summary of {title}."),
        grantee_site=site,
        start_year=fields.pop("start_year", 2021),
        status=fields.pop("status", "active"),
        body=fields.pop(
            "body", [{"type": "problem", "value": f"<p>The problem {title} addressed.</p>"}]
        ),
        live=publish,
        **fields,
    )
    for outcome, rating in ratings:
        page.evidence_ratings.add(
            page.evidence_ratings.model(outcome=outcome, rating=rating, reason="Test reason.")
        )
    parent.add_child(instance=page)
    page.strategy_types.set(types if types is not None else StrategyType.objects.all()[:1])
    page.tags.add(*tags)
    revision = page.save_revision()
    if publish:
        revision.publish()
    page.refresh_from_db()
    return page


def outcome_metric(code: str):
    """A seeded catalogue metric (the data migration creates them in every database)."""
    from evaluations.models import OutcomeMetric

    return OutcomeMetric.objects.get(code=code)


def image_in(collection, title: str, *, colour: str = "navy"):
    """A small PNG stored as a Wagtail image in ``collection``."""
    import io

    from django.core.files.images import ImageFile
    from PIL import Image as PILImage
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 30), colour).save(buffer, "PNG")
    slug = "".join(c if c.isalnum() else "-" for c in title.lower())
    image_model = get_image_model()
    image = image_model(title=title, collection=collection)
    image.file = ImageFile(buffer, name=f"{slug}.png")
    image.save()
    # Wagtail caches renditions by image id; an earlier test's image with the same id (its
    # database rolled back) must not hand this one a rendition that has no row here.
    cache_clear(image_model.get_rendition_model().cache_backend)
    return image
