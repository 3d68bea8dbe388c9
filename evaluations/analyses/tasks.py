"""Background runs of analyses (django-tasks): requests and data imports only enqueue."""

from __future__ import annotations

from django_tasks import task

from evaluations.analyses.services import analyses_mark_stale, analysis_run
from portal.models import GranteeSite


@task()
def analysis_run_task(analysis_id: int) -> str:
    """Run one analysis and store its result; returns the result status."""
    return analysis_run(analysis_id=analysis_id).status


@task()
def analyses_stale_check_task(
    site_id: int, metric_codes: list[str], areas: list[str] | None
) -> list[int]:
    """After new or corrected data: mark analyses whose inputs changed stale and re-run them.

    Returns the ids of the analyses queued again.
    """
    from evaluations.analyses.disclosure import public_versions_prepare
    from evaluations.models import Analysis

    site = GranteeSite.objects.get(pk=site_id)
    affected = analyses_mark_stale(site=site, metric_codes=metric_codes, areas=areas)
    # What is hidden may have changed for every published analysis of this data.
    public_versions_prepare(
        Analysis.objects.filter(site=site, metric__code__in=metric_codes, is_published=True)
    )
    return [analysis.pk for analysis in affected]
