"""Wagtail admin pages for analyses: list, two-step create, detail with run, publish and
unpublish. Thin: permissions and services decide; these views only route and render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch
from django.views.decorators.http import require_POST

from evaluations.analyses.findings import read_stored
from evaluations.analyses.forms import AnalysisForm, SourceForm
from evaluations.analyses.permissions import (
    analyses_in_admin_for,
    sites_user_can_analyse,
    user_can_publish_analysis,
    user_can_run_analysis,
)
from evaluations.analyses.services import (
    AnalysisSpecError,
    VersionReviewRefused,
    analysis_create,
    analysis_enqueue,
    analysis_publish,
    analysis_unpublish,
    analysis_version_review,
    strategies_linkable,
    strategy_visible_to,
)
from evaluations.analyses.versions import pending_versions, public_version, version_comparison
from evaluations.models import Analysis, AnalysisResult
from portal.worker import worker_status


def _public_url(analysis) -> str:
    try:
        return analysis.get_absolute_url()
    except NoReverseMatch:  # the public pages are a separate module; tolerate their absence
        return ""


def analysis_index(request: HttpRequest) -> HttpResponse:
    analyses = analyses_in_admin_for(request.user).order_by("-created_at")
    return render(
        request,
        "evaluations/admin/analysis_index.html",
        {"analyses": analyses, "can_create": sites_user_can_analyse(request.user).exists()},
    )


def analysis_create_view(request: HttpRequest) -> HttpResponse:
    """Step 1 (no ``source``): pick a site and metric with data. Step 2: the rest."""
    sites = sites_user_can_analyse(request.user)
    if not sites.exists():
        raise PermissionDenied("You may not create analyses for any site.")
    source_form = SourceForm(request.GET or None, sites=sites)
    if not source_form.is_bound or not source_form.is_valid():
        # A source that is not offered (another site's, or no data) is refused: 400.
        status = 400 if source_form.is_bound else 200
        return render(
            request, "evaluations/admin/analysis_source.html", {"form": source_form}, status=status
        )
    site, metric = source_form.cleaned_data["source"]
    form = AnalysisForm(request.POST or None, site=site, metric=metric, user=request.user)
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        strategy = (
            strategies_linkable(request.user, site).filter(pk=cleaned["strategy"]).first()
            if cleaned.get("strategy")
            else None
        )
        try:
            with transaction.atomic():
                analysis = analysis_create(
                    user=request.user,
                    site=site,
                    design=cleaned["design"],
                    metric=metric,
                    treatment_area=cleaned["treatment_area"],
                    comparison_areas=cleaned["comparison_areas"],
                    intervention_date=cleaned["intervention_date"],
                    pre_start=cleaned["pre_start"],
                    post_end=cleaned["post_end"],
                    options=form.options(),
                    title=cleaned["title"] or None,
                    strategy=strategy,
                )
                if cleaned["run_now"]:
                    analysis_enqueue(analysis=analysis, user=request.user)
        except AnalysisSpecError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Analysis “{analysis}” created.")
            return redirect("analyses_admin:detail", pk=analysis.pk)
    return render(
        request,
        "evaluations/admin/analysis_form.html",
        {"form": form, "site": site, "metric": metric, "source": request.GET["source"]},
        status=400 if request.method == "POST" else 200,
    )


def analysis_detail(request: HttpRequest, pk: int) -> HttpResponse:
    analysis = get_object_or_404(analyses_in_admin_for(request.user), pk=pk)
    current = analysis.current_result
    return render(
        request,
        "evaluations/admin/analysis_detail.html",
        {
            "analysis": analysis,
            "strategy": strategy_visible_to(request.user, analysis),
            "current": current,
            "result": read_stored(current.result) if current else None,
            "history": analysis.results.order_by("-created_at", "-pk")[:20],
            "can_run": user_can_run_analysis(request.user, analysis),
            "can_publish": user_can_publish_analysis(request.user),
            "public_url": _public_url(analysis),
            "public_version": public_version(analysis),
            "pending": pending_versions(analysis).first(),
            "worker": worker_status() if analysis.status in Analysis.WAITING_ON_WORKER else None,
        },
    )


def analysis_version_review_view(request: HttpRequest, pk: int, result_pk: int) -> HttpResponse:
    """BJA's review of a new version: old and new side by side, approve or reject."""
    if not user_can_publish_analysis(request.user):
        raise PermissionDenied("Only BJA staff review new versions of analyses.")
    analysis = get_object_or_404(analyses_in_admin_for(request.user), pk=pk)
    candidate = get_object_or_404(AnalysisResult, pk=result_pk, analysis=analysis)
    if request.method == "POST":
        approve = request.POST.get("decision") == "approve"
        try:
            analysis_version_review(
                user=request.user,
                result=candidate,
                approve=approve,
                note=request.POST.get("note", ""),
            )
        except VersionReviewRefused as exc:
            messages.error(request, str(exc))
            return redirect("analyses_admin:review", pk=pk, result_pk=result_pk)
        verb = "approved; the public now sees it" if approve else "rejected"
        messages.success(request, f"Version {candidate.version} {verb}.")
        return redirect("analyses_admin:detail", pk=pk)
    return render(
        request,
        "evaluations/admin/analysis_review.html",
        {
            "analysis": analysis,
            "candidate": candidate,
            "comparison": version_comparison(analysis, candidate),
        },
    )


@require_POST
def analysis_run_view(request: HttpRequest, pk: int) -> HttpResponse:
    analysis = get_object_or_404(analyses_in_admin_for(request.user), pk=pk)
    with transaction.atomic():
        analysis_enqueue(analysis=analysis, user=request.user)
    messages.success(request, "The analysis is queued; this page shows the result when done.")
    return redirect("analyses_admin:detail", pk=pk)


@require_POST
def analysis_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    analysis = get_object_or_404(analyses_in_admin_for(request.user), pk=pk)
    if request.POST.get("action") == "unpublish":
        analysis_unpublish(user=request.user, analysis=analysis)
        messages.success(request, "The analysis is no longer public.")
    else:
        try:
            analysis_publish(user=request.user, analysis=analysis)
        except AnalysisSpecError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "The analysis is public.")
    return redirect("analyses_admin:detail", pk=pk)
