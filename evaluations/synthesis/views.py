"""Synthesis pages: /sites/, /sites/<slug>/, /evidence-map/ and /dashboard/. Thin: parse the
request, call the selector, render (or send the table as CSV)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from evaluations.analyses.presentation import table_csv
from evaluations.exports import CONTROL_CHARACTERS
from evaluations.synthesis import dashboard, evidence_map, profiles
from portal.models import CENSUS_REGION_NAMES, US_STATES, GranteeSite, states_in_region
from portal.roles import user_sees_all_sites
from strategies.choices import Rating


def _csv(columns: list[tuple[str, str]], rows: list[dict], name: str) -> HttpResponse:
    response = HttpResponse(table_csv(columns, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _format_refused(request: HttpRequest) -> HttpResponse | None:
    """A 400 naming the one download these pages offer when ``format`` asks for another: a
    script asking for a spreadsheet must not get the HTML page with 200."""
    file_format = request.GET.get("format", "").strip()
    if not file_format or file_format == "csv":
        return None
    message = f'format: "{file_format[:40]}" is not offered here; use format=csv, or leave it out.'
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def site_list(request: HttpRequest) -> HttpResponse:
    """/sites/: every grantee site by state, with jurisdiction kind and population."""
    if refused := _format_refused(request):
        return refused
    rows = profiles.site_directory()
    if request.GET.get("format") == "csv":
        absolute = [{**r, "url": request.build_absolute_uri(r["path"])} for r in rows]
        return _csv(profiles.DIRECTORY_COLUMNS, absolute, "sites.csv")
    context = {
        "rows": rows,
        "by_state": profiles.directory_by_state(rows),
        "columns": profiles.DIRECTORY_COLUMNS,
    }
    return render(request, "evaluations/synthesis/site_list.html", context)


def site_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """/sites/<slug>/: the office's public profile and "Offices like this one"."""
    profile = profiles.site_profile(slug)
    if profile is None:
        raise Http404("No grantee site has this address.")
    context = {"profile": profile, "site": profile.site}
    return render(request, "evaluations/synthesis/site_detail.html", context)


def evidence_map_view(request: HttpRequest) -> HttpResponse:
    """/evidence-map/: strategy types × outcome categories, as a coloured grid that is also a
    table; CSV with ``format=csv``."""
    if refused := _format_refused(request):
        return refused
    the_map = evidence_map.evidence_map()
    if request.GET.get("format") == "csv":
        return _csv(evidence_map.MAP_COLUMNS, the_map.table_rows(), "evidence-map.csv")
    context = {
        "map": the_map,
        "ratings": [(code, label) for code, label in Rating.choices if code != Rating.NOT_RATED],
    }
    return render(request, "evaluations/synthesis/evidence_map.html", context)


def _dashboard_filters(request: HttpRequest) -> tuple[dashboard.DashboardFilters, list[str]]:
    state = request.GET.get("state", "").strip().upper()
    region = request.GET.get("region", "").strip()
    site = request.GET.get("site", "").strip()
    errors = []
    if CONTROL_CHARACTERS.search(site):
        # PostgreSQL cannot hold NUL in text: the lookup below would fail, not miss.
        errors.append("site: remove the control characters (such as NUL) from the slug.")
        site = ""
    if state and state not in dict(US_STATES):
        errors.append(f'state: "{state}" is not a USPS state code; use e.g. MO or VA.')
    if region and not states_in_region(region):
        errors.append(
            f'region: "{region}" is not a census region; use one of '
            f"{', '.join(CENSUS_REGION_NAMES)}."
        )
    if site and not GranteeSite.objects.filter(slug=site).exists():
        errors.append(f'site: no grantee site has the slug "{site}".')
    if errors:
        return dashboard.DashboardFilters(), errors
    filters = dashboard.DashboardFilters(
        state=state, region=region, site=site, attention=request.GET.get("attention") == "1"
    )
    return filters, errors


def program_dashboard(request: HttpRequest) -> HttpResponse:
    """/dashboard/: BJA staff and research partners only; others sign in or are refused."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not user_sees_all_sites(request.user):
        raise PermissionDenied("The program dashboard is for BJA staff and research partners.")
    if refused := _format_refused(request):
        return refused
    filters, errors = _dashboard_filters(request)
    site_rows, series_rows = dashboard.program_dashboard(filters)
    file_format = request.GET.get("format")
    if file_format == "csv" and not errors:
        if request.GET.get("table") == "series":
            return _csv(dashboard.SERIES_COLUMNS, series_rows, "dashboard-series.csv")
        return _csv(dashboard.SITE_COLUMNS, site_rows, "dashboard-sites.csv")
    query = {k: v for k, v in request.GET.items() if k not in ("format", "table")}
    context = {
        "site_rows": site_rows,
        "series_rows": series_rows,
        "site_columns": dashboard.SITE_COLUMNS,
        "series_columns": dashboard.SERIES_COLUMNS,
        "filters": filters,
        "errors": errors,
        "states": US_STATES,
        "regions": CENSUS_REGION_NAMES,
        "sites": GranteeSite.objects.order_by("name"),
        "query": urlencode(query),
    }
    return render(
        request, "evaluations/synthesis/dashboard.html", context, status=400 if errors else 200
    )
