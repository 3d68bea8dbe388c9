"""The BJA program dashboard at /dashboard/ (BJA staff and research partners only): every site
at a glance, with the things a program manager chases on a Monday.

Per site: the last upload of each metric and the months missing from its monthly series;
analyses that are stale (data changed since they ran), failed, or waiting for BJA to review a
new version; strategies submitted and awaiting BJA review. Reads unpublished state, which is
why only roles that see every site may open it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Max
from wagtail.models import WorkflowState

from evaluations.models import Analysis, AnalysisResult, OutcomeObservation
from portal.models import GranteeSite, states_in_region
from strategies.models import StrategyPage

SITE_COLUMNS: list[tuple[str, str]] = [
    ("site", "Site"),
    ("state", "State"),
    ("region", "Census region"),
    ("kind", "Jurisdiction kind"),
    ("last_upload", "Last upload"),
    ("metrics", "Metrics reported"),
    ("series_with_gaps", "Series with missing months"),
    ("analyses_stale", "Analyses stale"),
    ("analyses_failed", "Analyses failed"),
    ("analyses_awaiting_review", "Analysis versions awaiting review"),
    ("strategies_awaiting_review", "Strategies awaiting review"),
    ("attention", "Needs attention"),
]
SERIES_COLUMNS: list[tuple[str, str]] = [
    ("site", "Site"),
    ("metric", "Metric"),
    ("area", "Area"),
    ("first_month", "First month"),
    ("last_month", "Last month"),
    ("last_upload", "Last upload"),
    ("missing_months", "Missing months"),
    ("missing_list", "Which months"),
]
MISSING_LISTED = 12


@dataclass(frozen=True)
class DashboardFilters:
    state: str = ""
    region: str = ""
    site: str = ""
    attention: bool = False


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def missing_months(starts: list[dt.date]) -> list[str]:
    """Months ("YYYY-MM") absent between the first and last month present in ``starts``."""
    present = {_month_index(d) for d in starts}
    if not present:
        return []
    return [_month_label(i) for i in range(min(present), max(present) + 1) if i not in present]


def _series(sites: list[GranteeSite]) -> list[dict]:
    """One row per site, metric and treatment-group area: its span, last upload and gaps in
    the monthly totals (rows without a breakdown)."""
    names = {s.pk: s.name for s in sites}
    observations = OutcomeObservation.objects.filter(
        site__in=sites, group=OutcomeObservation.Group.TREATMENT, dimension=""
    ).values_list("site_id", "metric__name", "area", "period_start")
    starts: dict[tuple, list[dt.date]] = defaultdict(list)
    for site_id, metric, area, start in observations:
        starts[(site_id, metric, area)].append(start)
    uploads = {
        (r["site_id"], r["metric__name"], r["area"]): r["last"]
        for r in OutcomeObservation.objects.filter(site__in=sites)
        .values("site_id", "metric__name", "area")
        .annotate(last=Max("batch__imported_at"))
    }
    rows = []
    for key in sorted(starts, key=lambda k: (names[k[0]], k[1], k[2])):
        site_id, metric, area = key
        gaps = missing_months(starts[key])
        rows.append(
            {
                "site_id": site_id,
                "site": names[site_id],
                "metric": metric,
                "area": area,
                "first_month": _month_label(min(map(_month_index, starts[key]))),
                "last_month": _month_label(max(map(_month_index, starts[key]))),
                "last_upload": uploads.get(key),
                "missing_months": len(gaps),
                "missing_list": ", ".join(gaps[:MISSING_LISTED])
                + (" …" if len(gaps) > MISSING_LISTED else ""),
            }
        )
    return rows


def _analysis_counts(sites: list[GranteeSite]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for site_id, status in Analysis.objects.filter(
        site__in=sites, status__in=[Analysis.Status.STALE, Analysis.Status.FAILED]
    ).values_list("site_id", "status"):
        counts[site_id][f"analyses_{status}"] += 1
    pending = AnalysisResult.objects.filter(
        analysis__site__in=sites, review_status=AnalysisResult.Review.PENDING
    ).values_list("analysis__site_id", flat=True)
    for site_id in pending:
        counts[site_id]["analyses_awaiting_review"] += 1
    return counts


def _strategies_awaiting_review(sites: list[GranteeSite]) -> dict[int, int]:
    content_type = ContentType.objects.get_for_model(StrategyPage)
    ids = WorkflowState.objects.filter(
        content_type=content_type, status=WorkflowState.STATUS_IN_PROGRESS
    ).values_list("object_id", flat=True)
    counts: dict[int, int] = defaultdict(int)
    pages = StrategyPage.objects.filter(pk__in=[int(i) for i in ids], grantee_site__in=sites)
    for site_id in pages.values_list("grantee_site_id", flat=True):
        counts[site_id] += 1
    return counts


def _sites(filters: DashboardFilters) -> list[GranteeSite]:
    sites = GranteeSite.objects.select_related("jurisdiction").order_by("name")
    if filters.state:
        sites = sites.filter(jurisdiction__state=filters.state.upper())
    if filters.region:
        sites = sites.filter(jurisdiction__state__in=states_in_region(filters.region))
    if filters.site:
        sites = sites.filter(slug=filters.site)
    return list(sites)


def program_dashboard(filters: DashboardFilters) -> tuple[list[dict], list[dict]]:
    """``(site rows, series rows)`` for the sites passing ``filters`` (``SITE_COLUMNS`` and
    ``SERIES_COLUMNS``); with ``attention`` only sites with something to chase."""
    sites = _sites(filters)
    series = _series(sites)
    analyses = _analysis_counts(sites)
    strategies = _strategies_awaiting_review(sites)
    site_rows = []
    for site in sites:
        own = [r for r in series if r["site_id"] == site.pk]
        uploads = [r["last_upload"] for r in own if r["last_upload"] is not None]
        row = {
            "site": site.name,
            "slug": site.slug,
            "state": site.jurisdiction.state,
            "region": site.jurisdiction.region,
            "kind": site.jurisdiction.get_kind_display(),
            "last_upload": max(uploads) if uploads else None,
            "metrics": len({r["metric"] for r in own}),
            "series_with_gaps": sum(1 for r in own if r["missing_months"]),
            "analyses_stale": analyses[site.pk]["analyses_stale"],
            "analyses_failed": analyses[site.pk]["analyses_failed"],
            "analyses_awaiting_review": analyses[site.pk]["analyses_awaiting_review"],
            "strategies_awaiting_review": strategies[site.pk],
        }
        problems = [
            k
            for k in (
                "series_with_gaps",
                "analyses_stale",
                "analyses_failed",
                "analyses_awaiting_review",
                "strategies_awaiting_review",
            )
            if row[k]
        ]
        if not own:
            problems.append("no data uploaded")
        row["attention"] = "yes" if problems else "no"
        site_rows.append(row)
    if filters.attention:
        site_rows = [r for r in site_rows if r["attention"] == "yes"]
        kept = {r["site"] for r in site_rows}
        series = [r for r in series if r["site"] in kept]
    return site_rows, series
