"""Office profiles: the public list of grantee sites at /sites/ and one page per office at
/sites/<slug>/, with "Offices like this one".

Public reads only: published (live) strategies, published datasets (counts of published rows
and the date of the last upload they came from, never values), and published analyses in their
public, approved version (``analyses.selectors.listed``), so a profile shows nothing the
public pages do not.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Min

from evaluations.analyses import selectors as analysis_selectors
from evaluations.models import OutcomeObservation
from portal.models import US_STATES, GranteeSite
from portal.similarity import SimilarSite, SiteTraits, similar_sites
from strategies.models import StrategyPage

STATE_NAMES = dict(US_STATES)
SIMILAR_LIMIT = 5
# The columns of the /sites/ table and its CSV.
DIRECTORY_COLUMNS: list[tuple[str, str]] = [
    ("name", "Office"),
    ("state_name", "State"),
    ("region", "Census region"),
    ("jurisdiction", "Jurisdiction"),
    ("kind", "Jurisdiction kind"),
    ("population", "Population"),
    ("band", "Population band"),
    ("strategies", "Published strategies"),
    ("analyses", "Published analyses"),
    ("url", "Profile"),
]


def _live_strategies() -> dict[int, list[StrategyPage]]:
    """Published strategies per site id, with their types."""
    by_site: dict[int, list[StrategyPage]] = defaultdict(list)
    pages = StrategyPage.objects.live().prefetch_related("strategy_types").order_by("title")
    for page in pages:
        by_site[page.grantee_site_id].append(page)
    return by_site


def site_traits(site: GranteeSite, strategies: list[StrategyPage]) -> SiteTraits:
    """What similarity compares for ``site`` (``strategies``: its published ones)."""
    j = site.jurisdiction
    band, band_label = j.population_band
    return SiteTraits(
        slug=site.slug,
        name=site.name,
        kind=j.kind,
        kind_label=j.get_kind_display(),
        band=band,
        band_label=band_label,
        region=j.region,
        strategy_types=frozenset(t.name for page in strategies for t in page.strategy_types.all()),
    )


def _sites():
    return GranteeSite.objects.select_related("jurisdiction").order_by(
        "jurisdiction__state", "name"
    )


def site_directory() -> list[dict[str, Any]]:
    """Every grantee site as a row of ``DIRECTORY_COLUMNS`` (plus ``path``), by state."""
    strategies = _live_strategies()
    analyses = dict(
        analysis_selectors.published_analyses()
        .exclude(site=None)
        .values("site")
        .annotate(n=Count("pk"))
        .values_list("site", "n")
    )
    rows = []
    for site in _sites():
        j = site.jurisdiction
        rows.append(
            {
                "name": site.name,
                "slug": site.slug,
                "state": j.state,
                "state_name": STATE_NAMES.get(j.state, j.state),
                "region": j.region,
                "jurisdiction": j.name,
                "kind": j.get_kind_display(),
                "population": j.population,
                "band": j.population_band[1],
                "strategies": len(strategies.get(site.pk, [])),
                "analyses": analyses.get(site.pk, 0),
                "path": f"/sites/{site.slug}/",
                "url": f"/sites/{site.slug}/",
            }
        )
    return rows


def directory_by_state(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The directory grouped under state names, in state order."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["state_name"]].append(row)
    return sorted(grouped.items())


@dataclass
class PublishedDataset:
    """One metric a site has published: how many rows and months, and the last upload."""

    metric_code: str
    metric_name: str
    rows: int
    first_period: Any
    last_period: Any
    last_upload: Any


@dataclass
class SiteProfile:
    site: GranteeSite
    traits: SiteTraits
    strategies: list[StrategyPage]
    datasets: list[PublishedDataset]
    analyses: list[analysis_selectors.ListedAnalysis]
    similar: list[SimilarSite] = field(default_factory=list)
    # Published analyses whose figures are withheld from public view (small counts): listed
    # by title and link only, so the office does not read as having published nothing.
    withheld_analyses: list = field(default_factory=list)


def published_datasets(site: GranteeSite) -> list[PublishedDataset]:
    """The site's published series per metric, with the date of the last upload they came
    from (the import time of the newest batch that wrote a published row)."""
    rows = (
        OutcomeObservation.objects.filter(site=site, is_published=True)
        .values("metric__code", "metric__name")
        .annotate(
            n=Count("pk"),
            first=Min("period_start"),
            last=Max("period_end"),
            uploaded=Max("batch__imported_at"),
        )
        .order_by("metric__name")
    )
    return [
        PublishedDataset(
            metric_code=r["metric__code"],
            metric_name=r["metric__name"],
            rows=r["n"],
            first_period=r["first"],
            last_period=r["last"],
            last_upload=r["uploaded"],
        )
        for r in rows
    ]


def site_profile(slug: str) -> SiteProfile | None:
    """The public profile of the site with ``slug``; None when there is none."""
    site = _sites().filter(slug=slug).first()
    if site is None:
        return None
    strategies = _live_strategies()
    traits = {s.pk: site_traits(s, strategies.get(s.pk, [])) for s in _sites()}
    analyses = analysis_selectors.published_analyses().filter(site=site).order_by("metric__name")
    listed, withheld = [], []
    memo: dict = {}
    for analysis in analyses:
        item = analysis_selectors.listed(analysis, memo)
        if item is not None:
            listed.append(item)
        elif analysis_selectors.withheld_from_public(analysis, memo):
            withheld.append(analysis)
    return SiteProfile(
        site=site,
        traits=traits[site.pk],
        strategies=strategies.get(site.pk, []),
        datasets=published_datasets(site),
        analyses=listed,
        similar=similar_sites(traits[site.pk], list(traits.values()), limit=SIMILAR_LIMIT),
        withheld_analyses=withheld,
    )
