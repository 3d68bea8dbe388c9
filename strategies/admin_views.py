"""BJA staff's evidence-rating screens: the ratings of one strategy, and the form that sets
one. Thin: permission, form, ``evidence_rating_set``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from strategies.forms import EVIDENCE_RATING_PERMISSION, EvidenceRatingForm
from strategies.models import EvidenceRating, StrategyPage
from strategies.services import evidence_rating_set


def _require_rater(request: HttpRequest) -> None:
    if not request.user.has_perm(EVIDENCE_RATING_PERMISSION):
        raise PermissionDenied("Only BJA staff set evidence ratings.")


def rating_index(request: HttpRequest, page_id: int) -> HttpResponse:
    _require_rater(request)
    page = get_object_or_404(StrategyPage, pk=page_id)
    return render(
        request,
        "strategies/admin/ratings.html",
        {"page": page, "ratings": page.evidence_ratings.select_related("rated_by")},
    )


def rating_edit(request: HttpRequest, page_id: int, rating_id: int | None = None) -> HttpResponse:
    _require_rater(request)
    page = get_object_or_404(StrategyPage, pk=page_id)
    existing = get_object_or_404(EvidenceRating, pk=rating_id, page=page) if rating_id else None
    initial = {}
    if existing is not None:
        initial = {
            "outcome": existing.outcome,
            "metric_code": existing.metric_code,
            "rating": existing.rating,
        }
    form = EvidenceRatingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        evidence_rating_set(user=request.user, page=page, rating_id=rating_id, **form.cleaned_data)
        messages.success(request, f"Rating of {page.title} on {form.cleaned_data['outcome']} set.")
        return redirect("strategies_ratings:index", page_id=page.pk)
    return render(
        request,
        "strategies/admin/rating_form.html",
        {"page": page, "form": form, "existing": existing},
    )
