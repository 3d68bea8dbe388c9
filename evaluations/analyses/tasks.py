"""Background runs of analyses (django-tasks): requests and data imports only enqueue."""

from __future__ import annotations

from django_tasks import task

from evaluations.analyses.services import analysis_run


@task()
def analysis_run_task(analysis_id: int) -> str:
    """Run one analysis and store its result; returns the result status."""
    return analysis_run(analysis_id=analysis_id).status
