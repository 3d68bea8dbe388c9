"""Reads for the public analysis pages: which analyses a user may see, the landing list with
its filters, and whether a viewer gets exact small counts."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, Q, QuerySet

from evaluations.analyses import findings, presentation
from evaluations.analyses.disclosure import PublicAnalysis, inputs_withdrawn, public_analysis
from evaluations.analyses.permissions import analyses_visible_to
from evaluations.models import Analysis, AnalysisResult
from evaluations.stats import EstimateResult
from portal.roles import user_sees_all_sites
from portal.selectors import sites_for_user

SUCCEEDED = Analysis.Status.SUCCEEDED


SHOWN = Q(is_current=True) | Q(review_status=AnalysisResult.Review.APPROVED)


def _with_current(queryset: QuerySet, *, rows: bool = False) -> QuerySet:
    """``queryset`` with the site, metric and strategy joined and the shown results
    prefetched for :func:`current_result` (with ``rows``, their stored rows and public
    versions too, which every public list reads)."""
    shown = AnalysisResult.objects.filter(SHOWN).order_by("-version", "-pk")
    if rows:
        shown = shown.prefetch_related(Prefetch("public_versions", to_attr="public_versions_read"))
    return queryset.select_related("site__jurisdiction", "metric", "strategy").prefetch_related(
        Prefetch(
            "results", queryset=shown if rows else shown.defer("data"), to_attr="shown_results"
        )
    )


def published_analyses() -> QuerySet[Analysis]:
    """Published analyses with their shown results prefetched (``current_result``), stored
    rows included: every public list reads them to work out the public version."""
    return _with_current(Analysis.objects.filter(is_published=True), rows=True)


def analysis_for_page(user: AbstractBaseUser | AnonymousUser, pk: int) -> Analysis | None:
    """The analysis with ``pk`` if this user may see it, else None (the view answers 404)."""
    return analyses_visible_to(user).select_related("site__jurisdiction").filter(pk=pk).first()


def current_result(analysis: Analysis) -> AnalysisResult | None:
    """The version the portal shows: for a published analysis the latest one BJA approved
    (a newer run waits for review without changing the page, API, CSVs or search); for an
    unpublished one, seen only by its editors, the latest run."""
    candidates = getattr(analysis, "shown_results", None)
    if candidates is None:
        candidates = list(analysis.results.filter(SHOWN).order_by("-version", "-pk"))
    if analysis.is_published:
        wanted = (r for r in candidates if r.review_status == AnalysisResult.Review.APPROVED)
    else:
        wanted = (r for r in candidates if r.is_current)
    return next(wanted, None)


def has_estimates(stored: AnalysisResult | None) -> bool:
    """True when ``stored`` holds a finished result to show. A stale one still does: the
    data changed after it ran, and it stays the public version until BJA approves the
    re-run."""
    return (
        stored is not None
        and stored.status in (SUCCEEDED, Analysis.Status.STALE)
        and bool(stored.result)
    )


def public_version(
    user: AbstractBaseUser | AnonymousUser, analysis: Analysis, stored: AnalysisResult
) -> PublicAnalysis | None:
    """The public version of a stored result for a viewer who may not read the site's
    unpublished data; None for viewers who see the exact result (the site's members, BJA
    staff, research partners)."""
    return None if sees_exact(user, analysis) else public_analysis(analysis, stored)


def sees_exact(user: AbstractBaseUser | AnonymousUser, analysis: Analysis) -> bool:
    """Whether ``user`` reads ``analysis``'s exact result rather than its public version:
    the site's members, BJA staff and research partners (the last two alone for a
    program-level analysis)."""
    if analysis.site_id is None:
        return user_sees_all_sites(user)
    return sites_for_user(user).filter(pk=analysis.site_id).exists()


def visible_not_withdrawn(
    user: AbstractBaseUser | AnonymousUser, analyses: QuerySet[Analysis]
) -> list[Analysis]:
    """The ``analyses`` (already limited to what ``user`` may see) that this viewer does not
    see as withdrawn, in order. Withdrawn: a shown result with estimates (succeeded, or stale
    after a correction, as the detail view reads it) whose inputs are no longer all
    published, for a viewer who may not read the site's data. Read in a number of queries
    that does not grow with the list's length (one table read per site-metric)."""
    entitled_all = user_sees_all_sites(user)
    entitled = set() if entitled_all else set(sites_for_user(user).values_list("pk", flat=True))
    memo: dict = {}
    kept = []
    for analysis in _with_current(analyses, rows=not entitled_all):
        public = not (entitled_all or analysis.site_id in entitled)
        stored = current_result(analysis) if public else None
        if stored is not None and stored.result and inputs_withdrawn(analysis, stored, memo):
            continue
        kept.append(analysis)
    return kept


@dataclass
class ListedAnalysis:
    """One row of the landing list and its CSV."""

    analysis: Analysis
    finding: str
    direction: str
    estimate: EstimateResult
    # the whole public result (the headline ``estimate`` is part of it), for readers that
    # need its checks, such as the pre-trend test
    result: EstimateResult | None = None
    # The calibration benchmark labels the result approximate (its interval may be too narrow).
    approximate: bool = False


def listed(analysis: Analysis, memo: dict | None = None) -> ListedAnalysis | None:
    """A published analysis with a succeeded current result, read for the public lists (the
    landing page, strategy pages, /compare/): its public version, or None when that is
    withdrawn or its estimates are withheld. ``memo``: a dict the caller keeps for the whole
    list, so each site-metric's published table is read once."""
    stored = current_result(analysis)
    if not has_estimates(stored):
        return None
    if findings.read_stored(stored.result) is None:
        return None
    public = public_analysis(analysis, stored, memo)
    if public.withdrawn or public.withheld:
        return None
    result = findings.read_stored(public.result)
    if result is None:
        return None
    return ListedAnalysis(
        analysis=analysis,
        finding=presentation.finding_for(analysis, stored, result),
        direction=findings.effect_direction_for(result, analysis.metric.desired_direction),
        estimate=findings.headline(result),
        result=result,
        approximate=bool(getattr(findings.as_result(result), "approximate", False)),
    )


def withheld_from_public(analysis: Analysis, memo: dict | None = None) -> bool:
    """Whether a published analysis has estimates whose public version is withheld: re-run on
    the public imputation of its hidden small counts, it gave no result. Such an analysis is
    not withdrawn (its inputs are published) but no public list can show its figures."""
    stored = current_result(analysis)
    if not has_estimates(stored) or findings.read_stored(stored.result) is None:
        return False
    public = public_analysis(analysis, stored, memo)
    return public.withheld and not public.withdrawn


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
    memo: dict = {}
    items = [item for item in (listed(a, memo) for a in queryset) if item is not None]
    if direction:
        items = [item for item in items if item.direction == direction]
    return items
