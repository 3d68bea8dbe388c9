"""Wagtail admin pages of the "Outcome data" section: upload → preview → confirm → batch page,
the batch list, rollback, templates, exports and publishing. Thin: each view checks who may
see what (selectors/permissions), calls a service and renders."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from evaluations.batches import BatchStateError, batch_is_stalled
from evaluations.exports import observations_export, upload_template
from evaluations.forms import ObservationFilterForm, OutcomeUploadForm, PublishForm
from evaluations.models import UploadBatch
from evaluations.permissions import user_can_rollback, user_can_upload_for
from evaluations.selectors import (
    observations_filter,
    observations_visible_to,
    upload_batches_for_user,
)
from evaluations.services import (
    CONFLICT_FIX,
    RollbackRefused,
    UploadConflict,
    observations_publish,
    observations_unpublish,
    outcome_upload_confirm,
    outcome_upload_import,
    outcome_upload_receive,
    outcome_upload_validate,
    upload_batch_retry,
    upload_batch_rollback,
)
from evaluations.tasks import outcome_upload_import_task, outcome_upload_validate_task
from evaluations.uploads.reader import data_rows_estimate
from portal.selectors import sites_for_user, sites_user_can_edit
from portal.worker import worker_status

BATCHES_PER_PAGE = 25


def _background_threshold() -> int:
    return getattr(settings, "PORTAL_UPLOAD_BACKGROUND_ROWS", 20_000)


def batch_index(request: HttpRequest) -> HttpResponse:
    batches = Paginator(upload_batches_for_user(request.user), BATCHES_PER_PAGE)
    return render(
        request,
        "evaluations/admin/batch_index.html",
        {
            "page_obj": batches.get_page(request.GET.get("page")),
            "can_upload": sites_user_can_edit(request.user).exists(),
        },
    )


def upload(request: HttpRequest) -> HttpResponse:
    sites = sites_user_can_edit(request.user)
    if not sites.exists():
        raise PermissionDenied("You may not upload outcome data for any site.")
    form = OutcomeUploadForm(request.POST or None, request.FILES or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        batch = outcome_upload_receive(
            site=form.cleaned_data["site"],
            user=request.user,
            upload=uploaded,
            file_name=uploaded.name,
        )
        _validate_now_or_later(batch, uploaded)
        return redirect("evaluations_admin:batch", pk=batch.pk)
    return render(
        request,
        "evaluations/admin/upload.html",
        {"form": form, "threshold": _background_threshold()},
        status=_refused_post_status(request),
    )


def _refused_post_status(request: HttpRequest) -> int:
    """A POST whose form is shown again was refused (a bad file, or a site that is not the
    user's to choose): 400, so neither a browser nor a script takes it for done."""
    return 400 if request.method == "POST" else 200


def _batch_for(request: HttpRequest, pk: int) -> UploadBatch:
    return get_object_or_404(upload_batches_for_user(request.user), pk=pk)


def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request, pk)
    report = batch.report or {}
    return render(
        request,
        "evaluations/admin/batch_detail.html",
        {
            "batch": batch,
            "report": report,
            "can_confirm": batch.status == UploadBatch.Status.VALIDATED
            and not report.get("previous_import")
            and user_can_upload_for(request.user, batch.site),
            "can_rollback": batch.status == UploadBatch.Status.IMPORTED
            and user_can_rollback(request.user, batch),
            "stalled": batch_is_stalled(batch),
            "can_retry": batch_is_stalled(batch) and user_can_upload_for(request.user, batch.site),
            "progress_url": reverse("evaluations_admin:batch_progress", args=[batch.pk]),
            "worker": worker_status() if batch.is_running else None,
        },
    )


def batch_progress(request: HttpRequest, pk: int) -> JsonResponse:
    batch = _batch_for(request, pk)
    return JsonResponse(
        {
            "status": batch.status,
            "status_label": batch.status_label,
            "percent": batch.progress_percent,
            "message": batch.progress_message,
            "running": batch.is_running and not batch_is_stalled(batch),
            "stalled": batch_is_stalled(batch),
            "failure_reason": batch.failure_reason,
        }
    )


def _validate_now_or_later(batch: UploadBatch, uploaded) -> None:
    uploaded.seek(0)
    if data_rows_estimate(uploaded, file_name=batch.file_name) > _background_threshold():
        outcome_upload_validate_task.enqueue(batch.pk)
    else:
        outcome_upload_validate(batch=batch)


@require_POST
def batch_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request, pk)
    try:
        batch = outcome_upload_confirm(batch=batch, user=request.user)
    except BatchStateError as exc:
        messages.error(request, str(exc))
        return redirect("evaluations_admin:batch", pk=batch.pk)
    if batch.rows_total > _background_threshold():
        outcome_upload_import_task.enqueue(batch.pk, request.user.pk)
        return redirect("evaluations_admin:batch", pk=batch.pk)
    try:
        batch = outcome_upload_import(batch=batch, user=request.user)
    except UploadConflict as exc:
        messages.error(request, f"{exc} {CONFLICT_FIX}")
        return redirect("evaluations_admin:batch", pk=batch.pk)
    if batch.status == UploadBatch.Status.IMPORTED:
        messages.success(
            request, f"Imported {batch.rows_new} new and {batch.rows_updated} updated rows."
        )
    elif batch.status == UploadBatch.Status.FAILED:
        messages.error(request, "The file no longer passes the checks; nothing was written.")
    return redirect("evaluations_admin:batch", pk=batch.pk)


@require_POST
def batch_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Check a stalled batch's file again (its worker died); the analyst then confirms."""
    batch = _batch_for(request, pk)
    try:
        batch = upload_batch_retry(batch=batch, user=request.user)
    except BatchStateError as exc:
        messages.error(request, str(exc))
        return redirect("evaluations_admin:batch", pk=batch.pk)
    batch.stored_file.open("rb")
    try:
        _validate_now_or_later(batch, batch.stored_file.file)
    finally:
        batch.stored_file.close()
    messages.success(request, "The file is being checked again.")
    return redirect("evaluations_admin:batch", pk=batch.pk)


@require_http_methods(["GET", "POST"])
def batch_rollback(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (what the rollback will do); only the POST from that page
    rolls back."""
    batch = _batch_for(request, pk)
    if not user_can_rollback(request.user, batch):
        raise PermissionDenied("You may not roll back this site's outcome data.")
    if request.method == "GET":
        if batch.status != UploadBatch.Status.IMPORTED:
            messages.error(request, "Only an imported batch can be rolled back.")
            return redirect("evaluations_admin:batch", pk=batch.pk)
        return render(request, "evaluations/admin/batch_rollback_confirm.html", {"batch": batch})
    try:
        upload_batch_rollback(batch=batch, user=request.user)
    except RollbackRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The batch was rolled back; earlier values are restored.")
    return redirect("evaluations_admin:batch", pk=batch.pk)


def template_download(request: HttpRequest, file_format: str) -> HttpResponse:
    export = upload_template(file_format)
    return _file_response(export)


def _file_response(export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    return response


def export(request: HttpRequest) -> HttpResponse:
    form = ObservationFilterForm(
        request.GET or None, sites=sites_for_user(request.user), other_parameters=("format",)
    )
    file_format = request.GET.get("format")
    if file_format in ("csv", "xlsx") and form.is_valid():
        queryset = observations_filter(
            observations_visible_to(request.user).filter(site__in=sites_for_user(request.user)),
            **form.filters(),
        )
        return _file_response(observations_export(queryset, file_format=file_format, public=False))
    status = 400 if request.GET and not form.is_valid() else 200
    return render(request, "evaluations/admin/export.html", {"form": form}, status=status)


def publish(request: HttpRequest) -> HttpResponse:
    sites = sites_user_can_edit(request.user)
    form = PublishForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        service = observations_publish if data["action"] == "publish" else observations_unpublish
        count = service(site=data["site"], user=request.user, metric=data["metric"])
        verb = "Published" if data["action"] == "publish" else "Withdrew"
        messages.success(request, f"{verb} {count} observations of {data['site']}.")
        return redirect("evaluations_admin:publish")
    return render(
        request,
        "evaluations/admin/publish.html",
        {"form": form},
        status=_refused_post_status(request),
    )
