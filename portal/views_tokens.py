"""Admin pages for personal API tokens: list, create (plaintext shown once), revoke.

Everyone manages their own tokens; BJA staff and superusers also see and may revoke anyone's.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.api_auth import api_token_create, api_token_revoke, api_tokens_for


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the token is for, e.g. 'monthly upload script'."
    )


def token_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "evaluations/admin/api_tokens.html",
        {"tokens": api_tokens_for(request.user), "form": ApiTokenForm()},
    )


@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "evaluations/admin/api_tokens.html",
            {"tokens": api_tokens_for(request.user), "form": form},
            status=400,
        )
    token, plaintext = api_token_create(user=request.user, name=form.cleaned_data["name"])
    # Rendered directly (no redirect) so the plaintext never lands in a URL, log or session.
    response = render(
        request,
        "evaluations/admin/api_token_created.html",
        {"token": token, "plaintext": plaintext},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(api_tokens_for(request.user), pk=pk)
    api_token_revoke(token=token, by=request.user)  # PermissionDenied → 403
    messages.success(request, f"Revoked the token “{token.name}”.")
    return redirect("portal_api_tokens:index")
