"""BJA staff's evidence-rating screens: the ratings of one strategy beside the portal's
suggestions, the form that sets one, and accepting a suggestion. Thin: permission, form,
``evidence_rating_set``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from strategies.forms import EVIDENCE_RATING_PERMISSION, EvidenceRatingForm
from strategies.models import EvidenceRating, StrategyPage
from strategies.selectors import rating_suggestion, rating_suggestions_for
from strategies.services import evidence_rating_set

REASON_LENGTH = 300


def _require_rater(request: HttpRequest) -> None:
    if not request.user.has_perm(EVIDENCE_RATING_PERMISSION):
        raise PermissionDenied("Only BJA staff set evidence ratings.")


def rating_index(request: HttpRequest, page_id: int) -> HttpResponse:
    _require_rater(request)
    page = get_object_or_404(StrategyPage, pk=page_id)
    ratings = list(page.evidence_ratings.select_related("rated_by"))
    by_code = {r.metric_code: r for r in ratings if r.metric_code}
    suggestions = [(s, by_code.get(s.outcome)) for s in rating_suggestions_for(page)]
    return render(
        request,
        "strategies/admin/ratings.html",
        {"page": page, "ratings": ratings, "suggestions": suggestions},
    )


def _suggestion_log(suggestion) -> dict:
    return {"rating": suggestion.rating, "reasons": list(suggestion.reasons)}


def _accepted_reason(suggestion) -> str:
    """The rating's one-sentence reason when a suggestion is accepted: its first reason."""
    reason = f"Portal suggestion accepted: {suggestion.reasons[0]}"
    return reason if len(reason) <= REASON_LENGTH else reason[: REASON_LENGTH - 1] + "…"


@require_POST
def rating_accept(request: HttpRequest, page_id: int) -> HttpResponse:
    """Accept the portal's suggestion for one outcome (``metric_code`` in the form)."""
    _require_rater(request)
    page = get_object_or_404(StrategyPage, pk=page_id)
    suggestion = rating_suggestion(page, request.POST.get("metric_code", "").strip())
    if suggestion is None:
        messages.error(request, "There is no suggestion for that outcome any more; nothing set.")
        return redirect("strategies_ratings:index", page_id=page.pk)
    existing = page.evidence_ratings.filter(metric_code=suggestion.outcome).first()
    evidence_rating_set(
        user=request.user,
        page=page,
        rating_id=existing.pk if existing else None,
        outcome=existing.outcome if existing else suggestion.outcome_name,
        metric_code=suggestion.outcome,
        rating=suggestion.rating,
        reason=_accepted_reason(suggestion),
        suggestion=_suggestion_log(suggestion),
    )
    messages.success(
        request, f"Rating of {page.title} on {suggestion.outcome_name} set as suggested."
    )
    return redirect("strategies_ratings:index", page_id=page.pk)


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
    # "Override" on the suggestions table opens this form for that outcome
    wanted = request.GET.get("suggested", "").strip()
    suggested = rating_suggestion(page, wanted) if wanted else None
    if suggested is not None and existing is None:
        initial = {"outcome": suggested.outcome_name, "metric_code": suggested.outcome}
    form = EvidenceRatingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["metric_code"].strip()
        in_view = rating_suggestion(page, code) if code else None
        evidence_rating_set(
            user=request.user,
            page=page,
            rating_id=rating_id,
            suggestion=_suggestion_log(in_view) if in_view is not None else None,
            **form.cleaned_data,
        )
        messages.success(request, f"Rating of {page.title} on {form.cleaned_data['outcome']} set.")
        return redirect("strategies_ratings:index", page_id=page.pk)
    return render(
        request,
        "strategies/admin/rating_form.html",
        {"page": page, "form": form, "existing": existing, "suggestion": suggested},
    )
