"""The ``site`` search source: every grantee site, with its jurisdiction's facets.

Other apps' documents copy a site's facets (a strategy's state, region...), so a change to a
site or its jurisdiction must reindex them too. Those apps tell this module which of their
documents hang off a site through ``register_site_dependents``; the portal never names them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.urls import NoReverseMatch, reverse

from portal.indexing import (
    SearchDocument,
    SearchSource,
    clean_text,
    jurisdiction_fields,
    schedule_delete,
    schedule_update,
)
from portal.models import GranteeSite, Jurisdiction

SiteDependents = Callable[[GranteeSite], Iterable[tuple[str, Any]]]
_SITE_DEPENDENTS: list[SiteDependents] = []


def register_site_dependents(finder: SiteDependents) -> None:
    """``finder(site)`` yields the ``(doc_type, pk)`` of documents that show ``site``'s facets."""
    if finder not in _SITE_DEPENDENTS:
        _SITE_DEPENDENTS.append(finder)


class GranteeSiteSource(SearchSource):
    doc_type = "site"
    label = "Grantee site"

    def queryset(self) -> QuerySet:
        return GranteeSite.objects.select_related("jurisdiction")

    def to_document(self, obj) -> SearchDocument:
        jurisdiction = obj.jurisdiction
        summary = obj.description or (
            f"{jurisdiction.get_kind_display()} prosecutor's office serving "
            f"{jurisdiction.name}, {jurisdiction.state}."
        )
        body = clean_text(
            " ".join(
                [
                    obj.research_partner and f"Research partner: {obj.research_partner}.",
                    obj.award_number and f"Award {obj.award_number}.",
                ]
            )
        )
        return SearchDocument(
            doc_type=self.doc_type,
            object_id=str(obj.pk),
            title=obj.name,
            url=_profile_url(obj),
            summary=clean_text(summary),
            body=body,
            year=obj.fiscal_year,
            extra={"research_partner": obj.research_partner},
            **jurisdiction_fields(obj),
        )

    def connect(self) -> None:
        post_save.connect(_site_changed, sender=GranteeSite, weak=False)
        post_delete.connect(_site_deleted, sender=GranteeSite, weak=False)
        post_save.connect(_jurisdiction_changed, sender=Jurisdiction, weak=False)


def _profile_url(site: GranteeSite) -> str:
    """The office's profile page (/sites/<slug>/) when the app serving it is installed, else
    the search filtered to the site."""
    try:
        return reverse("site_detail", kwargs={"slug": site.slug})
    except NoReverseMatch:
        return f"{reverse('search:search')}?site={site.slug}"


def _site_changed(sender, instance, **kwargs) -> None:
    schedule_update("site", instance.pk)
    for finder in _SITE_DEPENDENTS:
        for doc_type, pk in finder(instance):
            schedule_update(doc_type, pk)


def _site_deleted(sender, instance, **kwargs) -> None:
    schedule_delete("site", instance.pk)


def _jurisdiction_changed(sender, instance, **kwargs) -> None:
    for site in instance.grantee_sites.all():
        _site_changed(type(site), site)
