""" "Offices like this one": how alike two grantee sites are, with the reasons.

Pure: it scores ``SiteTraits`` (what a profile knows about an office), so the strategy types a
site works on can come from a higher app without ``portal`` importing it. A prosecutor asks
"who serves a place like mine and tried what I am thinking of?", so the score adds points
for each thing two offices share:

- the same jurisdiction kind (county, city, tribal, state, judicial district): 3 points;
- the same population band (``portal.models.POPULATION_BANDS``): 2 points, or 1 for the
  neighbouring band;
- the same census region: 1 point;
- each strategy type both have worked on: 2 points (at most 3 types counted).

Offices that share nothing are not listed. Ties are broken by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.models import POPULATION_BANDS

KIND_POINTS = 3
BAND_POINTS = 2
NEAR_BAND_POINTS = 1
REGION_POINTS = 1
TYPE_POINTS = 2
MAX_TYPES_COUNTED = 3
BAND_ORDER = [code for code, *_ in POPULATION_BANDS]


@dataclass(frozen=True)
class SiteTraits:
    """What similarity compares: the jurisdiction's kind (code and label), population band
    (code and label), census region, and the names of the strategy types the site works on."""

    slug: str
    name: str
    kind: str
    kind_label: str
    band: str
    band_label: str
    region: str
    strategy_types: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class SimilarSite:
    """Another site, its score and the reasons, in the order they count."""

    traits: SiteTraits
    score: int
    reasons: tuple[str, ...]


def _band_distance(a: str, b: str) -> int | None:
    if a not in BAND_ORDER or b not in BAND_ORDER:
        return None
    return abs(BAND_ORDER.index(a) - BAND_ORDER.index(b))


def similarity(site: SiteTraits, other: SiteTraits) -> tuple[int, tuple[str, ...]]:
    """The score of ``other`` as an office like ``site``, and the reasons in plain words."""
    score, reasons = 0, []
    if site.kind and site.kind == other.kind:
        score += KIND_POINTS
        reasons.append(f"also a {site.kind_label.lower()} office")
    distance = _band_distance(site.band, other.band)
    if distance == 0:
        score += BAND_POINTS
        reasons.append(f"serves a similar population ({other.band_label})")
    elif distance == 1:
        score += NEAR_BAND_POINTS
        reasons.append(f"serves a population in the next band ({other.band_label})")
    if site.region and site.region == other.region:
        score += REGION_POINTS
        reasons.append(f"in the same census region ({site.region})")
    shared = sorted(site.strategy_types & other.strategy_types)
    if shared:
        score += TYPE_POINTS * min(len(shared), MAX_TYPES_COUNTED)
        reasons.append(f"also works on {', '.join(shared)}")
    return score, tuple(reasons)


def similar_sites(
    site: SiteTraits, others: list[SiteTraits], *, limit: int = 5
) -> list[SimilarSite]:
    """The ``limit`` offices most like ``site`` (itself excluded), best first; only offices
    with at least one shared trait."""
    ranked = []
    for other in others:
        if other.slug == site.slug:
            continue
        score, reasons = similarity(site, other)
        if score > 0:
            ranked.append(SimilarSite(other, score, reasons))
    ranked.sort(key=lambda s: (-s.score, s.traits.name))
    return ranked[:limit]
