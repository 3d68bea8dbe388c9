"""Demo analyses: the demo shows an effective strategy (Harlow County), an inconclusive one
(Port Meridian) and an apparent drop that is only a pre-existing trend (Ashford County), all
with the calibrated default methods."""

from __future__ import annotations

import io

import pytest

from evaluations.models import Analysis, AnalysisResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_loaded(roles):
    from evaluations.demo import load
    from portal.demo import load as portal_load
    from strategies.demo import load as strategies_load

    portal_load(stdout=io.StringIO(), verbosity=0)
    strategies_load(stdout=io.StringIO(), verbosity=0)
    load(stdout=io.StringIO(), verbosity=0)


def result_for(slug: str, design: str) -> dict:
    analysis = Analysis.objects.get(site__slug=slug, design=design)
    current = analysis.current_result
    assert current is not None and current.status == "succeeded", current and current.error
    assert analysis.is_published
    return current.result


def test_harlow_is_effective(demo_loaded):
    did = result_for("harlow-county-mo", "did")
    its = result_for("harlow-county-mo", "its_with_comparison")
    assert did["scale"] == "ratio" and did["ci_high"] < 1 and did["p_value"] < 0.05
    assert its["level_change_difference"]["ci_high"] < 1


def test_port_meridian_is_inconclusive(demo_loaded):
    for design in ("did", "its_with_comparison"):
        result = result_for("port-meridian-va", design)
        assert result["ci_low"] < 1 < result["ci_high"]


def test_ashford_drop_is_a_pre_existing_trend(demo_loaded):
    # The raw before/after drop (about 9%) that the former independent-periods pre/post called
    # significant: with autocorrelated errors the trend is not mistaken for an effect.
    naive = result_for("ashford-county-ga", "pre_post")
    assert naive["estimate"] < 1 and naive["ci_low"] < 1 < naive["ci_high"]
    assert naive["errors"] == "ar1"
    did = result_for("ashford-county-ga", "did")
    assert did["ci_low"] < 1 < did["ci_high"] and did["cov_type"] == "ar1"
    its = result_for("ashford-county-ga", "its_with_comparison")
    assert its["level_change"]["p_value"] > 0.05
    assert its["level_change_difference"]["p_value"] > 0.05


def test_demo_analyses_link_strategies_and_are_idempotent(demo_loaded):
    from evaluations.demo import load

    linked = Analysis.objects.filter(site__slug="harlow-county-mo", strategy__isnull=False)
    assert linked.count() == 2
    count = Analysis.objects.count()
    load(stdout=io.StringIO(), verbosity=0)
    assert Analysis.objects.count() == count
    assert AnalysisResult.objects.count() == count  # unchanged data: not re-run


def test_every_demo_strategy_with_results_has_a_suggestion_with_reasons(demo_loaded):
    """And none suggests "effective" on an outcome whose evidence includes a failed
    pre-trend check."""
    from evaluations.analyses.selectors import listed, published_analyses
    from evaluations.synthesis.evidence import rating_suggestions_for, result_evidence

    # results the public can read: a result withheld to protect small counts is not evidence
    # anyone can check, so it cannot carry a suggestion
    public = [item for item in map(listed, published_analyses().exclude(strategy=None)) if item]
    strategy_ids = {item.analysis.strategy_id for item in public}
    assert len(strategy_ids) >= 8
    for strategy_id in strategy_ids:
        suggestions = rating_suggestions_for(strategy_id)
        assert suggestions, strategy_id
        for suggestion in suggestions:
            assert suggestion.reasons and suggestion.results
            evidence = [
                result_evidence(listed(a))
                for a in published_analyses().filter(pk__in=suggestion.results)
            ]
            if any("pre-trend" in e.failed_checks for e in evidence):
                assert suggestion.rating != "effective", suggestion
    ashford = rating_suggestions_for(
        Analysis.objects.get(site__slug="ashford-county-ga", design="did").strategy_id
    )
    assert ashford[0].rating != "effective"
