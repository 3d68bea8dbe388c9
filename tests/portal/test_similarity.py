"""Population bands, census regions and "Offices like this one", rule by rule."""

from __future__ import annotations

import pytest

from portal.models import census_region, population_band, states_in_region
from portal.similarity import SiteTraits, similar_sites, similarity


def traits(slug="a", kind="county", band="250k_500k", region="Midwest", types=()):
    labels = {"250k_500k": "250,000 to 499,999", "500k_1m": "500,000 to 999,999",
              "under_100k": "Under 100,000", "1m_plus": "1,000,000 or more"}  # fmt: skip
    return SiteTraits(
        slug=slug, name=f"{slug} office", kind=kind, kind_label=kind.capitalize(),
        band=band, band_label=labels[band], region=region, strategy_types=frozenset(types),
    )  # fmt: skip


@pytest.mark.parametrize(
    "population, code",
    [(None, ""), (0, "under_100k"), (99_999, "under_100k"), (100_000, "100k_250k"),
     (499_999, "250k_500k"), (500_000, "500k_1m"), (1_000_000, "1m_plus")],
)  # fmt: skip
def test_population_bands_have_inclusive_edges(population, code):
    assert population_band(population)[0] == code


def test_census_region_is_one_definition():
    assert census_region("mo") == "Midwest" and census_region("TX") == "South"
    assert census_region("") == "" and "MO" in states_in_region("midwest")
    assert states_in_region("Atlantis") == []


def test_each_shared_trait_scores_and_says_why():
    site = traits(types={"GunStat", "Witness intimidation"})
    other = traits("b", types={"GunStat"})
    score, reasons = similarity(site, other)
    assert score == 3 + 2 + 1 + 2
    assert reasons == (
        "also a county office",
        "serves a similar population (250,000 to 499,999)",
        "in the same census region (Midwest)",
        "also works on GunStat",
    )


def test_neighbouring_band_scores_one_and_far_band_nothing():
    assert similarity(traits(), traits("b", kind="city", band="500k_1m", region="South"))[0] == 1
    assert similarity(traits(), traits("b", kind="city", band="1m_plus", region="South"))[0] == 0


def test_shared_types_count_up_to_three():
    many = {"A", "B", "C", "D"}
    score, _ = similarity(
        traits(types=many), traits("b", kind="city", band="1m_plus", region="South", types=many)
    )
    assert score == 2 * 3


def test_ranking_excludes_self_and_strangers_and_breaks_ties_by_name():
    site = traits("me")
    others = [
        site,
        traits("zeta"),
        traits("alpha"),
        traits("far", kind="tribal", band="under_100k", region="West"),
        traits("city", kind="city", band="250k_500k", region="Midwest"),
    ]
    ranked = similar_sites(site, others)
    assert [s.traits.slug for s in ranked] == ["alpha", "zeta", "city"]
    assert ranked[-1].score == 3 and similar_sites(site, others, limit=1)[0].traits.slug == "alpha"
