"""Reads for the public analysis pages: which analyses a user may see, the landing list with
its filters, and whether a viewer gets exact small counts."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, QuerySet

from evaluations.analyses import findings, presentation
from evaluations.analyses.permissions import analyses_visible_to
from evaluations.models import Analysis, AnalysisResult
from evaluations.stats import EstimateResult
from portal.roles import user_sees_all_sites
from portal.selectors import sites_for_user

SUCCEEDED = Analysis.Status.SUCCEEDED


def _with_current(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("site__jurisdiction", "metric", "strategy").prefetch_related(
        Prefetch(
            "results",
            queryset=AnalysisResult.objects.filter(is_current=True).defer("data"),
            to_attr="current_results",
        )
    )


def published_analyses() -> QuerySet[Analysis]:
    """Published analyses with their current result prefetched (``current_results``)."""
    return _with_current(Analysis.objects.filter(is_published=True))


def analysis_for_page(user: AbstractBaseUser | AnonymousUser, pk: int) -> Analysis | None:
    """The analysis with ``pk`` if this user may see it, else None (the view answers 404)."""
    return analyses_visible_to(user).select_related("site__jurisdiction").filter(pk=pk).first()


def current_result(analysis: Analysis) -> AnalysisResult | None:
    prefetched = getattr(analysis, "current_results", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return analysis.results.filter(is_current=True).first()


def viewer_gets_exact_counts(user: AbstractBaseUser | AnonymousUser, analysis: Analysis) -> bool:
    """Exact small counts for users who may read this site's unpublished data; everyone else
    sees the public suppression of suppressible count metrics."""
    if not analysis.metric.suppress_small_counts:
        return True
    if analysis.site_id is None:
        return user_sees_all_sites(user)
    return sites_for_user(user).filter(pk=analysis.site_id).exists()


@dataclass
class ListedAnalysis:
    """One row of the landing list and its CSV."""

    analysis: Analysis
    finding: str
    direction: str
    estimate: EstimateResult


def listed(analysis: Analysis) -> ListedAnalysis | None:
    """A published analysis with a succeeded current result, read for the list."""
    stored = current_result(analysis)
    if stored is None or stored.status != SUCCEEDED or not stored.result:
        return None
    result = findings.read_stored(stored.result)
    if result is None:
        return None
    return ListedAnalysis(
        analysis=analysis,
        finding=presentation.finding_for(analysis, result),
        direction=findings.effect_direction_for(result, analysis.metric.desired_direction),
        estimate=findings.headline(result),
    )


def landing_list(
    *,
    site: str = "",
    state: str = "",
    metric: str = "",
    design: str = "",
    direction: str = "",
) -> list[ListedAnalysis]:
    """Published analyses with a current result, filtered (direction is read off the result,
    so it is filtered in Python; the list is small)."""
    queryset = published_analyses()
    if site:
        queryset = queryset.filter(site__slug=site)
    if state:
        queryset = queryset.filter(site__jurisdiction__state=state.upper())
    if metric:
        queryset = queryset.filter(metric__code=metric)
    if design:
        queryset = queryset.filter(design=design)
    items = [item for item in (listed(a) for a in queryset) if item is not None]
    if direction:
        items = [item for item in items if item.direction == direction]
    return items
