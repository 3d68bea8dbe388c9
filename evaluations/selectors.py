"""Reads of outcome data: who sees which observations, filtered sets, series as DataFrames,
and the small-count suppression every public view and export applies."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from evaluations.directions import EffectDirection
from evaluations.models import OutcomeMetric, OutcomeObservation, UploadBatch
from portal.models import GranteeSite
from portal.selectors import sites_for_user

SUPPRESSED_LABEL_TEMPLATE = "<{threshold}"
OBSERVATION_COLUMNS = (*OutcomeObservation.NATURAL_KEY, "value", "denominator", "notes")


def observations_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet:
    """Observations this user may read: their sites' (all for BJA staff and research
    partners) plus everything published."""
    base = OutcomeObservation.objects.select_related("site", "metric")
    if not user.is_authenticated:
        return base.filter(is_published=True)
    return base.filter(site__in=sites_for_user(user)) | base.filter(is_published=True)


def observations_public() -> QuerySet:
    """What anyone may see (values still need ``suppress_small_counts``)."""
    return OutcomeObservation.objects.select_related("site", "metric").filter(is_published=True)


def observations_filter(
    queryset: QuerySet,
    *,
    site: str | None = None,
    metric: str | None = None,
    group: str | None = None,
    area: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet:
    """Narrow by site slug, metric code, group, area and period (periods overlapping the
    range are kept)."""
    if site:
        queryset = queryset.filter(site__slug=site)
    if metric:
        queryset = queryset.filter(metric__code=metric)
    if group:
        queryset = queryset.filter(group=group.lower())
    if area:
        queryset = queryset.filter(area=area)
    if date_from:
        queryset = queryset.filter(period_end__gte=date_from)
    if date_to:
        queryset = queryset.filter(period_start__lte=date_to)
    return queryset.order_by(
        "site__slug", "metric__code", "area", "group", "period_start", "dimension", "category"
    )


def observations_dataframe(queryset: QuerySet) -> pd.DataFrame:
    """One row per observation with site slug, metric code and the metric's suppression flag."""
    records = queryset.values_list(
        "site__slug",
        "metric__code",
        "area",
        "group",
        "period_start",
        "period_end",
        "dimension",
        "category",
        "value",
        "denominator",
        "notes",
        "metric__suppress_small_counts",
    )
    frame = pd.DataFrame.from_records(list(records), columns=[*OBSERVATION_COLUMNS, "suppressible"])
    frame["value"] = frame["value"].astype("float64")
    frame["denominator"] = frame["denominator"].astype("float64")
    frame["suppressible"] = frame["suppressible"].astype(bool)
    return frame


def observation_series(
    *,
    site: GranteeSite | str,
    metric: OutcomeMetric | str,
    area: str | None = None,
    group: str | None = None,
    dimension: str = "",
    category: str = "",
    published_only: bool = False,
) -> pd.DataFrame:
    """A time series for analyses: columns ``period_start`` (datetime64), ``period_end``,
    ``area``, ``group``, ``value``, ``denominator``, sorted by period.

    ``area``/``group`` None returns every area/group (e.g. treatment and comparison together).
    """
    queryset = OutcomeObservation.objects.filter(dimension=dimension, category=category)
    queryset = queryset.filter(
        **({"site__slug": site} if isinstance(site, str) else {"site": site}),
        **({"metric__code": metric} if isinstance(metric, str) else {"metric": metric}),
    )
    if area is not None:
        queryset = queryset.filter(area=area)
    if group is not None:
        queryset = queryset.filter(group=group)
    if published_only:
        queryset = queryset.filter(is_published=True)
    columns = ["period_start", "period_end", "area", "group", "value", "denominator"]
    frame = pd.DataFrame.from_records(
        list(queryset.order_by("group", "area", "period_start").values_list(*columns)),
        columns=columns,
    )
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    frame["value"] = frame["value"].astype("float64")
    frame["denominator"] = frame["denominator"].astype("float64")
    return frame.sort_values(["group", "area", "period_start"]).reset_index(drop=True)


def suppress_small_counts(frame: pd.DataFrame, *, threshold: int | None = None) -> pd.DataFrame:
    """Return ``frame`` with ``display_value`` (text) and ``suppressed`` (bool) columns.

    Primary suppression: values from 1 to threshold-1 of metrics flagged suppressible show as
    "<10". Complementary suppression: where a breakdown (dimension) has exactly one
    suppressed category and its total is shown, total minus the shown categories would give
    the hidden value away, so the smallest other non-zero category is hidden too (or the total
    when there is none). Needs columns site, metric, area, group, period_start, period_end,
    dimension, value, suppressible.
    """
    threshold = threshold or settings.PORTAL_SMALL_COUNT_THRESHOLD
    out = frame.copy()
    values = out["value"].astype("float64")
    suppressible = out["suppressible"].astype(bool)
    suppressed = suppressible & (values >= 1) & (values < threshold)
    period = ["site", "metric", "area", "group", "period_start", "period_end"]
    is_part = out["dimension"].astype(str) != ""
    if is_part.any() and suppressible.any():
        totals = out.loc[~is_part & suppressible].reset_index()
        parts_index = out.loc[is_part & suppressible].index
        for _key, members in out.loc[parts_index].groupby([*period, "dimension"], sort=False):
            hidden = suppressed.loc[members.index]
            if hidden.sum() != 1:
                continue
            match = totals
            for column, value in zip(period, _key[: len(period)], strict=True):
                match = match.loc[match[column] == value]
            total_shown = not match.empty and not suppressed.loc[match["index"]].any()
            if not total_shown:
                continue
            candidates = members.loc[~hidden & (members["value"] > 0)]
            if candidates.empty:
                suppressed.loc[match["index"]] = True
            else:
                suppressed.loc[candidates["value"].idxmin()] = True
    label = SUPPRESSED_LABEL_TEMPLATE.format(threshold=threshold)
    out["display_value"] = np.where(suppressed, label, values.map(number_text))
    out["suppressed"] = suppressed
    return out


def number_text(value: float | None) -> str:
    """Whole numbers without a trailing ".0", as analysts typed them."""
    if value is None or pd.isna(value):
        return ""
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"


def upload_batches_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet:
    """Batches of the sites this user may read, newest first."""
    return UploadBatch.objects.filter(site__in=sites_for_user(user)).select_related(
        "site", "uploaded_by"
    )


def published_analyses_for_strategy(page) -> list:
    """Published analyses linked to a strategy page, each with its ``finding`` sentence and
    ``direction`` set, for the strategy page's "Outcome results" block."""
    from evaluations.analyses.selectors import listed, published_analyses

    items = []
    for analysis in published_analyses().filter(strategy=page).order_by("-published_at", "-pk"):
        item = listed(analysis)
        if item is not None:
            analysis.finding = item.finding
            analysis.direction = item.direction
            analysis.direction_label = EffectDirection(item.direction).label
            items.append(analysis)
    return items


def observation_filter_problems(
    *, sites: QuerySet, site: str | None, metric: str | None, group: str | None
) -> list[str]:
    """Filter values that name nothing the caller may see, each with the allowed values, so
    an API call with a typo is refused instead of silently returning other data."""
    problems = []
    if site and not sites.filter(slug=site).exists():
        allowed = ", ".join(sites.order_by("slug").values_list("slug", flat=True))
        problems.append(f'site: "{site}" is not a site you may read. Allowed: {allowed}.')
    if metric and not OutcomeMetric.objects.filter(code=metric).exists():
        allowed = ", ".join(OutcomeMetric.objects.order_by("code").values_list("code", flat=True))
        problems.append(f'metric: "{metric}" is not a metric code. Allowed: {allowed}.')
    if group and group not in OutcomeObservation.Group.values:
        allowed = ", ".join(OutcomeObservation.Group.values)
        problems.append(f'group: "{group}" is not a group. Allowed: {allowed}.')
    return problems
