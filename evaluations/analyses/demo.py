"""Demo analyses for ``load_demo_data``: for each demo scenario a difference-in-differences
and an interrupted time series with comparison (and, for Ashford County, the pre/post whose
raw drop is a pre-existing trend; with the default autocorrelated error model its interval
includes no change), all with the default options, run synchronously and published.

Idempotent: analyses are found by title and re-run only when their input data changed.
"""

from __future__ import annotations

from typing import TextIO

from evaluations.models import Analysis, AnalysisResult, OutcomeMetric

PRE_POST_SCENARIOS = ("ashford-county-ga",)


def _strategy_for(scenario):
    from strategies.models import StrategyPage

    pages = list(StrategyPage.objects.filter(grantee_site__slug=scenario.site).order_by("pk"))
    if not pages:
        return None
    wanted = set(scenario.strategy.lower().replace("(", " ").replace(")", " ").split())

    def overlap(page) -> int:
        return len(wanted & set(page.title.lower().split()))

    return max(pages, key=overlap)


def _operator():
    from django.contrib.auth import get_user_model

    from portal.roles import BJA_STAFF

    users = get_user_model().objects.filter(is_active=True)
    return (
        users.filter(is_superuser=True).order_by("pk").first()
        or users.filter(groups__name=BJA_STAFF).order_by("pk").first()
    )


def _demo_review(analysis: Analysis, result: AnalysisResult) -> None:
    """Publish a first good run, and approve a later one, as the demo's BJA staff member, so
    the audit log shows the demo's publications and reviews like real ones."""
    from evaluations.analyses.services import analysis_publish, analysis_version_review
    from portal.demo import demo_bja_user

    reviewer = demo_bja_user() or _operator()
    if reviewer is None or result.status != Analysis.Status.SUCCEEDED:
        return
    if not analysis.is_published:
        analysis_publish(user=reviewer, analysis=analysis)
    elif result.review_status == AnalysisResult.Review.PENDING:
        analysis_version_review(
            user=reviewer, result=result, approve=True, note="Demo data reloaded."
        )


def load(*, stdout: TextIO, verbosity: int = 1) -> None:
    """Create, run and publish the demo analyses (idempotent)."""
    from evaluations.analyses.services import analysis_input_hash, analysis_run
    from evaluations.demo import DEMO_SCENARIOS
    from portal.models import GranteeSite

    operator = _operator()
    sites = {s.slug: s for s in GranteeSite.objects.filter(slug__in=DEMO_SCENARIOS)}
    made = 0
    for slug, scenario in DEMO_SCENARIOS.items():
        site = sites.get(slug)
        metric = OutcomeMetric.objects.filter(code=scenario.metric).first()
        if site is None or metric is None:
            continue
        designs = [Analysis.Design.DID, Analysis.Design.ITS_WITH_COMPARISON]
        if slug in PRE_POST_SCENARIOS:
            designs.insert(0, Analysis.Design.PRE_POST)
        strategy = _strategy_for(scenario)
        for design in designs:
            title = f"{site.name}: {metric.name} in {scenario.treatment_area} ({design.label})"
            analysis, created = Analysis.objects.get_or_create(
                title=title[:200],
                defaults={
                    "site": site,
                    "design": design,
                    "metric": metric,
                    "treatment_area": scenario.treatment_area,
                    "comparison_areas": []
                    if design == Analysis.Design.PRE_POST
                    else [scenario.comparison_area],
                    "intervention_date": scenario.intervention,
                    "options": {},
                    "strategy": strategy,
                    "created_by": operator,
                },
            )
            made += created
            if analysis.strategy_id is None and strategy is not None:
                Analysis.objects.filter(pk=analysis.pk).update(strategy=strategy)
            current = analysis.current_result
            unchanged = (
                current is not None
                and current.status == Analysis.Status.SUCCEEDED
                and current.input_hash == analysis_input_hash(analysis)
            )
            result = current if unchanged else analysis_run(analysis=analysis)
            _demo_review(analysis, result)
            if verbosity > 1:
                stdout.write(f"  {title}: {result.status}")
    if verbosity:
        stdout.write(
            f"analyses: {made} new, {Analysis.objects.filter(is_published=True).count()} "
            f"published demo analyses run"
        )
