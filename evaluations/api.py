"""Outcome-data endpoints of the portal API (mounted under /api/v1/ by ``portal.api``).

Thin: each endpoint parses the request, calls a service or selector and returns its result.
Analysis endpoints are added to the same ``router`` in their own section below.
"""

import datetime as dt
import io
import math
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import Field, field_validator

from evaluations.models import UploadBatch
from evaluations.selectors import (
    observation_filter_problems,
    observations_filter,
    observations_visible_to,
)
from evaluations.services import outcome_upload
from portal.api_auth import API_AUTH
from portal.api_paging import BoundedLimitOffsetPagination
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
    value: float | None
    denominator: float | None
    notes: str
    is_published: bool

    @field_validator("value", "denominator")
    @classmethod
    def _finite_or_null(cls, number: float | None) -> float | None:
        """A non-finite value stored before uploads refused them is null, not invalid JSON."""
        return number if number is None or math.isfinite(number) else None


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


class PayloadRefused(Exception):
    """The request body cannot be taken as an upload; ``status`` is the HTTP answer."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _body_limit_check(request: HttpRequest) -> int:
    limit = settings.PORTAL_UPLOAD_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise PayloadRefused(
            413,
            f"The body is {declared / 1048576:.1f} MB; the upload limit is "
            f"{limit / 1048576:.0f} MB (PORTAL_UPLOAD_MAX_BYTES). Split the file by year or "
            "metric and send the parts one after another.",
        )
    return limit


def _request_payload(request: HttpRequest) -> tuple[BinaryIO, str]:
    """The uploaded bytes and a file name. The size is checked from the request headers
    before anything is read; the content is judged by the same reader as the admin's."""
    limit = _body_limit_check(request)
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        upload = request.FILES.get("file")
        if upload is None:
            raise PayloadRefused(
                400,
                'The multipart body has no file part named "file". Send the CSV or XLSX as '
                '-F "file=@data.csv".',
            )
        if upload.size > limit:
            raise PayloadRefused(413, f"The file is larger than the {limit:,}-byte limit.")
        return upload, upload.name or "upload"
    body = request.read(limit + 1)
    if len(body) > limit:
        raise PayloadRefused(413, f"The body is larger than the {limit:,}-byte limit.")
    if not body.strip():
        raise PayloadRefused(
            400, "The body is empty. Send a CSV, an XLSX workbook or a JSON list of rows."
        )
    if content_type == "application/json":
        return io.BytesIO(body), "rows.json"
    if "spreadsheetml" in content_type:
        return io.BytesIO(body), "upload.xlsx"
    return io.BytesIO(body), "upload.csv"


@router.post(
    "/sites/{slug}/outcomes/",
    response={
        200: UploadReportOut,
        400: UploadReportOut | ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: UploadReportOut | ErrorOut,
        413: ErrorOut,
    },
    openapi_extra=UPLOAD_BODY_DOC,
    summary="Upload outcome data for a site (CSV, XLSX or JSON rows)",
)
def outcomes_upload(request: HttpRequest, slug: str, dry_run: bool = False):
    """Validate and import; ``?dry_run=1`` only validates. 400 means the file has errors and
    nothing was written; the report lists each with row, column, value, message and fix.
    409 means another upload or rollback changed the same rows at the same moment; nothing
    was written. 413 means the body is over the size limit."""
    site = get_object_or_404(GranteeSite, slug=slug)
    try:
        stream, file_name = _request_payload(request)
        outcome = outcome_upload(
            site=site,
            user=request.user,
            stream=stream,
            file_name=file_name,
            source=UploadBatch.Source.API,
            dry_run=dry_run,
        )
    except PayloadRefused as exc:
        return Status(exc.status, {"detail": exc.detail})
    except PermissionDenied as exc:
        return Status(403, {"detail": str(exc)})
    report = outcome.report | {"dry_run": dry_run, "written": outcome.written}
    if outcome.batch is not None and outcome.written:
        report["batch_id"] = outcome.batch.pk
    if report.get("conflict"):
        return Status(409, report)
    return Status(200 if report["ok"] else 400, report)


@router.get(
    "/outcomes/",
    response=list[ObservationOut],
    summary="Observations the caller may see, filtered",
)
@paginate(BoundedLimitOffsetPagination)
def outcomes_list(request: HttpRequest, filters: Query[ObservationFilters]):
    """Observations of the sites the caller may read (their own; all for BJA staff and
    research partners). ``from``/``to`` keep periods overlapping the range."""
    sites = sites_for_user(request.user)
    problems = observation_filter_problems(
        sites=sites, site=filters.site, metric=filters.metric, group=filters.group
    )
    if problems:
        raise HttpError(400, " ".join(problems))
    queryset = observations_visible_to(request.user).filter(site__in=sites)
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
    finding: str = Field(
        default="", description="The plain-language finding, worded as on the result page."
    )
    headline: dict[str, Any] | None = Field(
        default=None,
        description=(
            "The estimate the finding quotes: for an interrupted time series with comparison "
            "the treatment-minus-comparison change (result.level_change_difference, or the "
            "slope change difference with impact slope), otherwise the result's top-level "
            "estimate. Keys: estimate, se, ci_low, ci_high, p_value, scale, log_estimate."
        ),
    )
    direction: str = Field(
        default="",
        description=(
            "improved, worsened, no_clear_change or approximate (no claim), as tagged; empty "
            "when there is no result the caller may read (not run, failed, or withheld)."
        ),
    )
    error: str = ""
    input_hash: str = ""
    library_versions: dict[str, Any] = {}
    timings: dict[str, Any] = {}
    finished_at: dt.datetime | None = None
    withheld_reason: str = Field(
        default="",
        description=(
            "Why result is null for this caller although the run succeeded: its estimates are "
            "withheld from public view (small counts). Empty otherwise."
        ),
    )


class AnalysisIn(Schema):
    site: str = Field(description="Grantee site slug.")
    design: str = Field(description="pre_post, did, its or its_with_comparison.")
    metric: str = Field(description="Metric code from the catalogue.")
    treatment_area: str
    comparison_areas: list[str] = []
    intervention_date: dt.date = Field(description="First month of the post period.")
    pre_start: dt.date | None = None
    post_end: dt.date | None = None
    options: dict[str, Any] | None = Field(
        default_factory=dict,
        description=(
            'e.g. {"errors": "ar1", "seasonality": "auto", "impact": "level_and_slope"}. '
            "errors: ar1 (default), independent or exact (pre/post of counts); cov "
            "(difference-in-differences): ar1 (default), HC1, classical or cluster; "
            "seasonality: auto (default), none, month, quarter or fourier; harmonics: 1-6; "
            "impact: level_and_slope (default), level or slope; hac_lags: 0-24 (only with "
            "errors=independent)."
        ),
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
@paginate(BoundedLimitOffsetPagination)
def analyses_list(request: HttpRequest, site: str | None = None, metric: str | None = None):
    """Published analyses for anyone; unpublished ones too for the site's contributors, BJA
    staff and research partners."""
    from evaluations.analyses.permissions import analyses_visible_to
    from evaluations.analyses.selectors import visible_not_withdrawn

    queryset = analyses_visible_to(request.user)
    if site:
        queryset = queryset.filter(site__slug=site)
    if metric:
        queryset = queryset.filter(metric__code=metric)
    return [_analysis_out(a) for a in visible_not_withdrawn(request.user, queryset)]


def _stored_result_out(stored: dict | None) -> dict | None:
    """The stored result in the current layout, or ``None`` when this code cannot read it."""
    from evaluations.analyses.findings import read_stored

    result = read_stored(stored)
    return result.to_dict() if result is not None else None


@router.get(
    "/analyses/{analysis_id}/",
    response={200: AnalysisDetailOut, 404: ErrorOut, 410: ErrorOut},
    auth=READ_AUTH,
    tags=["analyses"],
    summary="One analysis: specification, status and current result",
)
def analyses_detail(request: HttpRequest, analysis_id: int):
    """The specification, the current result's ``to_dict()`` (estimate, interval, p-value,
    method, warnings and design-specific parts), its status and the input data hash."""
    from evaluations.analyses.disclosure import WITHDRAWN_NOTICE, WITHHELD_NOTICE
    from evaluations.analyses.permissions import analyses_visible_to
    from evaluations.analyses.presentation import finding_for
    from evaluations.analyses.selectors import public_version

    analysis = get_object_or_404(analyses_visible_to(request.user), pk=analysis_id)
    out = _analysis_out(analysis)
    from evaluations.analyses.selectors import current_result

    current = current_result(analysis)
    if current is not None:
        # an unreadable stored result reads as no result, for everyone
        result = current.result if _stored_result_out(current.result) is not None else None
        hidden = False
        withheld = ""
        if result:
            # callers who may not read the site's data get the public version only
            public = public_version(request.user, analysis, current)
            if public is not None and public.withdrawn:
                return Status(410, {"detail": WITHDRAWN_NOTICE})
            hidden = public is not None and bool(public.labels)
            if public is not None:
                result = None if public.withheld else public.result
                withheld = WITHHELD_NOTICE if public.withheld else ""
        readable = _stored_result_out(result)
        out |= {
            "result_status": current.status,
            # Read through the typed class, so a result stored by an earlier version comes
            # out in the current layout (the public version has only its published fields).
            "result": readable,
            "finding": finding_for(analysis, current, result) if readable else "",
            **(_headline_out(analysis, result) if readable else {}),
            "error": current.error,
            # the hash and timings of the exact inputs would let anyone test guesses
            "input_hash": "" if hidden else current.input_hash,
            "library_versions": current.library_versions,
            "timings": {} if hidden else current.timings,
            "finished_at": current.finished_at,
            "withheld_reason": withheld,
        }
    return out


def _headline_out(analysis, result: dict) -> dict[str, Any]:
    """The finding's own estimate and its direction tag, so a client reads the number the
    sentence quotes (a comparative ITS's top-level estimate is the treatment area's own)."""
    from evaluations.analyses.findings import effect_direction_for, headline

    head = headline(result)
    keys = ("estimate", "se", "ci_low", "ci_high", "p_value", "scale", "log_estimate")
    values = {key: getattr(head, key, None) for key in keys}
    # JSON has no NaN: a missing interval or p-value is null
    values = {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in values.items()
    }
    return {
        "headline": values,
        "direction": effect_direction_for(result, analysis.metric.desired_direction),
    }


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
        strategies_linkable,
        strategy_link_refused_message,
        user_can_create_analysis_for,
    )

    site = get_object_or_404(GranteeSite, slug=payload.site)
    if not user_can_create_analysis_for(request.user, site):
        # Before the strategy lookup: a site the user may not create for answers 403 whatever
        # the strategy_id, so the answer never tells which of its strategy ids exist.
        return Status(403, {"detail": f"You may not create analyses for {site}."})
    strategy = None
    if payload.strategy_id is not None:
        # Only the analysis's own site's strategies, and only published ones for callers who
        # do not read the site's drafts: any other id gets the same answer whether or not it
        # exists, so the API never confirms other sites' (or this site's) drafts.
        strategy = strategies_linkable(request.user, site).filter(pk=payload.strategy_id).first()
        if strategy is None:
            message = strategy_link_refused_message(payload.strategy_id, site, request.user)
            return Status(400, {"detail": message})
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
                options=payload.options or {},
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


# --- Synthesis: /compare/ as JSON and rating suggestions (evaluations.synthesis.api) -----------

from evaluations.synthesis.api import router as synthesis_router  # noqa: E402

router.add_router("", synthesis_router)
