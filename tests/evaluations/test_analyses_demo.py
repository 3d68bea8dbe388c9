"""Demo analyses: the demo shows an effective strategy (Harlow County), an inconclusive one
(Port Meridian) and an apparent drop that is only a pre-existing trend (Ashford County), all
with the calibrated default methods."""

from __future__ import annotations

import csv
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
    """Every strategy with published results, withheld ones included, gets a suggestion with
    reasons on each outcome; none suggests "effective" on an outcome whose evidence includes a
    failed pre-trend check (read from the exact stored result, which the public never sees)."""
    from evaluations.analyses.findings import read_stored
    from evaluations.analyses.selectors import current_result, has_estimates, published_analyses
    from evaluations.synthesis.evidence import rating_suggestions_for

    with_results = [a for a in published_analyses().exclude(strategy=None) if a.current_result]
    with_results = [a for a in with_results if has_estimates(current_result(a))]
    strategy_ids = {a.strategy_id for a in with_results}
    assert len(strategy_ids) >= 9
    for strategy_id in strategy_ids:
        suggestions = rating_suggestions_for(strategy_id)
        outcomes = {a.metric.code for a in with_results if a.strategy_id == strategy_id}
        assert {s.outcome for s in suggestions} == outcomes, strategy_id
        for suggestion in suggestions:
            assert suggestion.reasons and suggestion.results
            exact = [
                read_stored(current_result(a).result)
                for a in published_analyses().filter(pk__in=suggestion.results)
            ]
            checks = [(getattr(r, "pre_trend", None), r.alpha) for r in exact]
            trend_failed = [c for c, alpha in checks if c is not None and c.p_value < alpha]
            # (no demo pre-trend test fails today: Ashford County's p = 0.052 just misses;
            # test_rating_suggestions builds one that does)
            if trend_failed:
                assert suggestion.rating != "effective", suggestion
    ashford = rating_suggestions_for(
        Analysis.objects.get(site__slug="ashford-county-ga", design="did").strategy_id
    )
    assert ashford[0].rating != "effective"


def test_the_withheld_demo_strategy_is_inconclusive_without_leaking_a_figure(
    demo_loaded, client, bja_user
):
    """The homicide strategy's results are withheld (small counts): anyone, BJA staff too,
    gets "inconclusive" saying so, and no exact estimate, bound or p-value is in the answer."""
    from evaluations.analyses.findings import headline, read_stored
    from evaluations.analyses.selectors import current_result, withheld_from_public

    withheld = [a for a in Analysis.objects.filter(is_published=True) if withheld_from_public(a)]
    assert withheld and {a.metric.code for a in withheld} == {"homicides"}
    strategy_id = withheld[0].strategy_id
    url = f"/api/v1/strategies/{strategy_id}/rating-suggestions/"
    public = client.get(url)
    client.force_login(bja_user)
    staff = client.get(url)
    assert public.status_code == staff.status_code == 200
    assert public.json() == staff.json()
    (item,) = public.json()["suggestions"]
    assert item["rating"] == "inconclusive"
    assert "withheld from public view" in item["reasons"][0]
    assert sorted(item["results"]) == sorted(a.pk for a in withheld)
    text = public.content.decode()
    for analysis in withheld:
        estimate = headline(read_stored(current_result(analysis).result))
        for value in (estimate.estimate, estimate.ci_low, estimate.ci_high, estimate.p_value):
            for digits in (2, 3):
                assert f"{value:.{digits}f}" not in text
    # On the evidence map the homicide strategy's cell says its results are withheld; it is
    # not shown as a gap (no evidence), and it names no figure of theirs.
    client.logout()
    response = client.get("/evidence-map/", {"format": "csv"})
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    cell = next(
        r
        for r in table
        if r["Strategy type"] == "Homicide investigations" and r["Outcome category"] == "Violence"
    )
    assert cell["Evidence"] == "Results withheld (small counts)"
    assert cell["Results withheld (small counts)"] == str(len(withheld))
    assert cell["Published results"] == "0" and cell["Strongest rating"] == ""
