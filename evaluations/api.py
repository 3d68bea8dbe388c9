"""Outcome-data endpoints of the portal API (mounted under /api/v1/ by ``portal.api``).

Thin: each endpoint parses the request, calls a service or selector and returns its result.
Analysis endpoints are added to the same ``router`` in their own section below.
"""

import datetime as dt
import io
import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import Field

from evaluations.models import UploadBatch
from evaluations.selectors import observations_filter, observations_visible_to
from evaluations.services import outcome_rows_stream, outcome_upload
from evaluations.stats import result_from_dict
from portal.api_auth import API_AUTH
from portal.models import GranteeSite
from portal.selectors import sites_for_user

router = Router(tags=["outcome data"], auth=API_AUTH)


# --- Schemas -------------------------------------------------------------------------------


class ProblemOut(Schema):
    row: int
    column: str
    value: str
    message: str
    fix: str
    level: str


class CountsOut(Schema):
    total: int
    new: int
    updated: int
    unchanged: int
    rejected: int
    skipped: int
    blank: int


class UploadReportOut(Schema):
    site: str
    file_name: str
    sha256: str
    format: str
    ok: bool
    dry_run: bool = False
    written: bool = False
    batch_id: int | None = None
    counts: CountsOut
    errors: list[ProblemOut]
    warnings: list[ProblemOut]
    errors_total: int
    warnings_total: int
    truncated: bool
    sample_changes: list[dict[str, Any]]
    previous_import: dict[str, Any] | None = None


class ErrorOut(Schema):
    detail: str


class ObservationOut(Schema):
    site: str = Field(validation_alias="site.slug")
    metric: str = Field(validation_alias="metric.code")
    area: str
    group: str
    period_start: dt.date
    period_end: dt.date
    dimension: str
    category: str
    value: float
    denominator: float | None
    notes: str
    is_published: bool


class ObservationFilters(Schema):
    site: str | None = None
    metric: str | None = None
    group: str | None = None
    area: str | None = None
    date_from: dt.date | None = Field(None, alias="from")
    date_to: dt.date | None = Field(None, alias="to")


# --- Outcome data --------------------------------------------------------------------------

UPLOAD_BODY_DOC = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {"type": "array", "items": {"type": "object"}},
            },
        }
    }
}


def _request_payload(request: HttpRequest, file: UploadedFile | None) -> tuple[io.BytesIO, str]:
    if file is not None:
        return io.BytesIO(file.read()), file.name or "upload"
    content_type = request.content_type or ""
    if content_type == "application/json":
        payload = json.loads(request.body or b"[]")
        rows = payload.get("rows", []) if isinstance(payload, dict) else payload
        return outcome_rows_stream(rows), "rows.json"
    if "spreadsheetml" in content_type:
        return io.BytesIO(request.body), "upload.xlsx"
    return io.BytesIO(request.body), "upload.csv"


@router.post(
    "/sites/{slug}/outcomes/",
    response={200: UploadReportOut, 400: UploadReportOut, 403: ErrorOut, 404: ErrorOut},
    openapi_extra=UPLOAD_BODY_DOC,
    summary="Upload outcome data for a site (CSV, XLSX or JSON rows)",
)
def outcomes_upload(
    request: HttpRequest, slug: str, dry_run: bool = False, file: File[UploadedFile] = None
):
    """Validate and import; ``?dry_run=1`` only validates. 400 means the file has errors and
    nothing was written; the report lists each with row, column, value, message and fix."""
    site = get_object_or_404(GranteeSite, slug=slug)
    stream, file_name = _request_payload(request, file)
    try:
        outcome = outcome_upload(
            site=site,
            user=request.user,
            stream=stream,
            file_name=file_name,
            source=UploadBatch.Source.API,
            dry_run=dry_run,
        )
    except PermissionDenied as exc:
        return Status(403, {"detail": str(exc)})
    report = outcome.report | {"dry_run": dry_run, "written": outcome.written}
    if outcome.batch is not None and outcome.written:
        report["batch_id"] = outcome.batch.pk
    return Status(200 if report["ok"] else 400, report)


@router.get(
    "/outcomes/",
    response=list[ObservationOut],
    summary="Observations the caller may see, filtered",
)
@paginate(LimitOffsetPagination)
def outcomes_list(request: HttpRequest, filters: Query[ObservationFilters]):
    """Observations of the sites the caller may read (their own; all for BJA staff and
    research partners). ``from``/``to`` keep periods overlapping the range."""
    queryset = observations_visible_to(request.user).filter(site__in=sites_for_user(request.user))
    return observations_filter(
        queryset,
        site=filters.site,
        metric=filters.metric,
        group=filters.group,
        area=filters.area,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )


# --- Analyses ------------------------------------------------------------------------------
# Reads allow anonymous callers (published analyses only); creating needs a token or session.


class AnalysisOut(Schema):
    id: int
    title: str
    site: str | None
    design: str
    metric: str
    treatment_area: str
    comparison_areas: list[str]
    dimension: str
    category: str
    intervention_date: dt.date
    pre_start: dt.date | None
    post_end: dt.date | None
    options: dict[str, Any]
    status: str
    is_published: bool
    published_at: dt.datetime | None
    strategy_id: int | None
    url: str


class AnalysisDetailOut(AnalysisOut):
    result_status: str | None = None
    result: dict[str, Any] | None = None
    error: str = ""
    input_hash: str = ""
    library_versions: dict[str, Any] = {}
    timings: dict[str, Any] = {}
    finished_at: dt.datetime | None = None


class AnalysisIn(Schema):
    site: str = Field(description="Grantee site slug.")
    design: str = Field(description="pre_post, did, its or its_with_comparison.")
    metric: str = Field(description="Metric code from the catalogue.")
    treatment_area: str
    comparison_areas: list[str] = []
    intervention_date: dt.date = Field(description="First month of the post period.")
    pre_start: dt.date | None = None
    post_end: dt.date | None = None
    options: dict[str, Any] = Field(
        default_factory=dict,
        description='e.g. {"seasonality": "month", "cov": "HC1", "hac_lags": 3}',
    )
    title: str | None = None
    strategy_id: int | None = None


class AnalysisCreatedOut(Schema):
    id: int
    status: str
    url: str


def _anonymous(request: HttpRequest) -> bool:
    """Last in the auth list so reads work without credentials (published analyses only)."""
    return True


READ_AUTH = [*API_AUTH, _anonymous]


def _analysis_url(analysis) -> str:
    """The public result page; empty while the public pages are not installed."""
    from django.urls import NoReverseMatch

    try:
        return analysis.get_absolute_url()
    except NoReverseMatch:
        return ""


def _analysis_out(analysis) -> dict[str, Any]:
    return {
        "id": analysis.pk,
        "title": analysis.title,
        "site": analysis.site.slug if analysis.site_id else None,
        "design": analysis.design,
        "metric": analysis.metric.code,
        "treatment_area": analysis.treatment_area,
        "comparison_areas": list(analysis.comparison_areas or []),
        "dimension": analysis.dimension,
        "category": analysis.category,
        "intervention_date": analysis.intervention_date,
        "pre_start": analysis.pre_start,
        "post_end": analysis.post_end,
        "options": analysis.options or {},
        "status": analysis.status,
        "is_published": analysis.is_published,
        "published_at": analysis.published_at,
        "strategy_id": analysis.strategy_id,
        "url": _analysis_url(analysis),
    }


@router.get(
    "/analyses/",
    response=list[AnalysisOut],
    auth=READ_AUTH,
    tags=["analyses"],
    summary="Analyses the caller may see",
)
@paginate(LimitOffsetPagination)
def analyses_list(request: HttpRequest, site: str | None = None, metric: str | None = None):
    """Published analyses for anyone; unpublished ones too for the site's contributors, BJA
    staff and research partners."""
    from evaluations.analyses.permissions import analyses_visible_to

    queryset = analyses_visible_to(request.user)
    if site:
        queryset = queryset.filter(site__slug=site)
    if metric:
        queryset = queryset.filter(metric__code=metric)
    return [_analysis_out(a) for a in queryset]


@router.get(
    "/analyses/{analysis_id}/",
    response={200: AnalysisDetailOut, 404: ErrorOut},
    auth=READ_AUTH,
    tags=["analyses"],
    summary="One analysis: specification, status and current result",
)
def analyses_detail(request: HttpRequest, analysis_id: int):
    """The specification, the current result's ``to_dict()`` (estimate, interval, p-value,
    method, warnings and design-specific parts), its status and the input data hash."""
    from evaluations.analyses.permissions import analyses_visible_to

    analysis = get_object_or_404(analyses_visible_to(request.user), pk=analysis_id)
    out = _analysis_out(analysis)
    from evaluations.analyses.selectors import current_result

    current = current_result(analysis)
    if current is not None:
        out |= {
            "result_status": current.status,
            # Read through the typed class, so a result stored by an earlier version comes
            # out in the current layout.
            "result": result_from_dict(current.result).to_dict() if current.result else None,
            "error": current.error,
            "input_hash": current.input_hash,
            "library_versions": current.library_versions,
            "timings": current.timings,
            "finished_at": current.finished_at,
        }
    return out


@router.post(
    "/analyses/",
    response={201: AnalysisCreatedOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    tags=["analyses"],
    summary="Create an analysis and queue its run",
)
def analyses_create(request: HttpRequest, payload: AnalysisIn):
    """Checks the specification against the site's data (400 with a message saying what to
    change), then queues the run; poll the detail endpoint for the result."""
    from django.db import transaction

    from evaluations.analyses.services import (
        AnalysisSpecError,
        analysis_create,
        analysis_enqueue,
        strategy_site_mismatch_message,
    )
    from strategies.models import StrategyPage

    site = get_object_or_404(GranteeSite, slug=payload.site)
    strategy = None
    if payload.strategy_id is not None:
        # Only the analysis's own site's strategies: another site's id gets the same answer
        # whether or not it exists, so the API never confirms other sites' drafts.
        strategy = StrategyPage.objects.filter(pk=payload.strategy_id, grantee_site=site).first()
        if strategy is None:
            return Status(
                400, {"detail": strategy_site_mismatch_message(payload.strategy_id, site)}
            )
    try:
        with transaction.atomic():
            analysis = analysis_create(
                user=request.user,
                site=site,
                design=payload.design,
                metric=payload.metric,
                treatment_area=payload.treatment_area,
                comparison_areas=payload.comparison_areas,
                intervention_date=payload.intervention_date,
                pre_start=payload.pre_start,
                post_end=payload.post_end,
                options=payload.options,
                title=payload.title,
                strategy=strategy,
            )
            analysis_enqueue(analysis=analysis)
    except PermissionDenied as exc:
        return Status(403, {"detail": str(exc)})
    except AnalysisSpecError as exc:
        return Status(400, {"detail": str(exc)})
    analysis.refresh_from_db(fields=["status"])
    return Status(
        201, {"id": analysis.pk, "status": analysis.status, "url": _analysis_url(analysis)}
    )
