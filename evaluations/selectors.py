"""Reads of outcome data: who sees which observations, filtered sets, series as DataFrames,
and the small-count suppression every public view and export applies."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import replace
from typing import Any

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import Count, Max, QuerySet, Sum

from evaluations.directions import EffectDirection
from evaluations.disclosure import disclosure_policy, protect_cells
from evaluations.disclosure.protect import suppression_status, with_labels
from evaluations.disclosure.tables import RULES_VERSION
from evaluations.models import OutcomeMetric, OutcomeObservation, ProtectedTable, UploadBatch
from portal.models import GranteeSite
from portal.selectors import sites_for_user

OBSERVATION_COLUMNS = (*OutcomeObservation.NATURAL_KEY, "value", "denominator", "notes")


def observations_visible_to(user: AbstractBaseUser | AnonymousUser) -> QuerySet:
    """Observations this user may read: their sites' (all for BJA staff and research
    partners) plus everything published."""
    base = OutcomeObservation.objects.select_related("site", "metric")
    if not user.is_authenticated:
        return base.filter(is_published=True)
    return base.filter(site__in=sites_for_user(user)) | base.filter(is_published=True)


def observations_public() -> QuerySet:
    """What anyone may see (values still need ``public_display``)."""
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
    """Return ``frame`` with ``display_value`` (text), ``suppressed`` (bool) and
    ``suppression`` ("", "primary", "secondary") columns, protecting ``frame`` as one set of
    linked tables per site-metric (see ``evaluations.disclosure``).

    Public views call ``public_display`` instead, which protects each site-metric's complete
    published table so that no filter changes what is hidden.
    """
    policy = disclosure_policy()
    if threshold is not None:
        policy = replace(policy, threshold=threshold)
    return protect_cells(frame, policy)


def _fingerprint(site_id: int, metric_id: int) -> str:
    published = OutcomeObservation.objects.filter(
        site_id=site_id, metric_id=metric_id, is_published=True
    )
    facts = published.aggregate(
        n=Count("pk"), last=Max("published_at"), top=Max("pk"), total=Sum("value")
    )
    # corrections change the approved table without changing what is published now
    facts["history"] = OutcomeObservation.objects.filter(
        site_id=site_id, metric_id=metric_id
    ).aggregate(last=Max("history__pk"))["last"]
    return hashlib.sha256(repr(sorted(facts.items())).encode()).hexdigest()[:24]


def _last_withdrawal(site_id: int):
    """When the site's data was last explicitly withdrawn (``observations_unpublish``)."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ModelLogEntry

    entries = ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(GranteeSite),
        object_id=str(site_id),
        action="ips.data.withdraw",
    )
    return entries.aggregate(last=Max("timestamp"))["last"]


def _published_before_correction(site_id: int, metric_id: int) -> dict[int, float]:
    """For each observation now unpublished only because a correction awaits publication,
    the value it was last published with. An explicit withdrawal of the site's data after
    the correction, or a later publication, ends this."""
    from evaluations.models import ObservationHistory

    history = ObservationHistory.objects.filter(
        observation__site_id=site_id,
        observation__metric_id=metric_id,
        observation__is_published=False,
        action=ObservationHistory.Action.UPDATED,
    ).order_by("observation_id", "-changed_at", "-pk")
    withdrawn_at = _last_withdrawal(site_id)
    values: dict[int, float] = {}
    seen: set[int] = set()
    for obs_id, old_value, old_is_published, changed_at in history.values_list(
        "observation_id", "old_value", "old_is_published", "changed_at"
    ):
        if obs_id in seen:
            continue
        if old_is_published:
            seen.add(obs_id)
            if withdrawn_at is None or changed_at > withdrawn_at:
                values[obs_id] = float(old_value)
    return values


def published_versions(site_id: int, metric_id: int) -> pd.DataFrame:
    """Every public version of one site-metric's table, stacked (columns of
    ``observations_dataframe`` plus ``version`` and ``cell``, the observation id):

    - version 0: the cells published now;
    - version 1, only while a correction awaits publication: the table as it was published
      before it (each corrected cell at its last published value), which a published
      analysis still shows until BJA approves its re-run.

    Both are protected together (``protected_versions``), so no cell can be pinned by
    combining them. Rows are ordered by version, then observation id."""
    published = observations_public().filter(site_id=site_id, metric_id=metric_id).order_by("pk")
    ids = list(published.values_list("pk", flat=True))
    current = observations_dataframe(published).assign(version=0, cell=ids)
    before = _published_before_correction(site_id, metric_id)
    if not before:
        return current
    pending = OutcomeObservation.objects.select_related("site", "metric")
    pending = pending.filter(pk__in=before).order_by("pk")
    pending_ids = list(pending.values_list("pk", flat=True))
    old = observations_dataframe(pending).assign(cell=pending_ids)
    old["value"] = [before[pk] for pk in pending_ids]
    approved = pd.concat([current, old], ignore_index=True).assign(version=1)
    return pd.concat([current, approved], ignore_index=True)


def _cells_hash(frame: pd.DataFrame, policy) -> str:
    columns = [*OutcomeObservation.NATURAL_KEY, "value", "suppressible", "version", "cell"]
    # the rules' version too: a pattern stored by older rules is worked out again
    text = frame[columns].to_csv(index=False) + repr(policy) + f"rules={RULES_VERSION}"
    return hashlib.sha256(text.encode()).hexdigest()


def protected_versions(site_id: int, metric_id: int) -> pd.DataFrame:
    """``published_versions`` with the public protection applied (``suppression``,
    ``suppressed``, ``display_value``), chosen once over the union of the versions.

    The pattern is read from ``ProtectedTable`` (stored when the data were published,
    withdrawn or corrected); when none matches the published cells it is worked out now and
    stored. A short per-process cache keyed by the published set spares the read."""
    policy = disclosure_policy()
    key = f"disclosure:{site_id}:{metric_id}:{_fingerprint(site_id, metric_id)}:{hash(policy)}"
    key += f":{RULES_VERSION}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    frame = published_versions(site_id, metric_id)
    digest = _cells_hash(frame, policy)
    stored = (
        ProtectedTable.objects.filter(site_id=site_id, metric_id=metric_id, cells_hash=digest)
        .values_list("status", flat=True)
        .first()
    )
    if stored is None or len(stored) != len(frame):
        started = time.perf_counter()
        stored = [str(s) for s in suppression_status(frame, policy)]
        ProtectedTable.objects.update_or_create(
            site_id=site_id,
            metric_id=metric_id,
            cells_hash=digest,
            defaults={"status": stored, "seconds": time.perf_counter() - started},
        )
        stale = ProtectedTable.objects.filter(site_id=site_id, metric_id=metric_id)
        stale.exclude(cells_hash=digest).delete()
    protected = with_labels(frame, stored, policy)
    cache.set(key, protected, timeout=600)
    return protected


def observation_rows_named(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` (records with a site slug, metric code and group code) with the names readers
    know beside them: ``site_name``, ``metric_name`` and ``group_label``."""
    slugs = {row["site"] for row in rows}
    codes = {row["metric"] for row in rows}
    site_names = dict(GranteeSite.objects.filter(slug__in=slugs).values_list("slug", "name"))
    metric_names = dict(OutcomeMetric.objects.filter(code__in=codes).values_list("code", "name"))
    groups = dict(OutcomeObservation.Group.choices)
    return [
        {
            **row,
            "site_name": site_names.get(row["site"], row["site"]),
            "metric_name": metric_names.get(row["metric"], row["metric"]),
            "group_label": groups.get(row["group"], row["group"]),
        }
        for row in rows
    ]


def public_cells(site_id: int, metric_id: int) -> pd.DataFrame:
    """Every published cell of one site-metric with the public protection applied."""
    protected = protected_versions(site_id, metric_id)
    return protected.loc[protected["version"] == 0].reset_index(drop=True)


def public_cells_as_approved(site_id: int, metric_id: int) -> pd.DataFrame | None:
    """The published table of one site-metric as it stood before the corrections that await
    publication, protected together with the current one (``protected_versions``); None
    when no correction is pending. Only values that were public go in: a correction's new
    values never do."""
    protected = protected_versions(site_id, metric_id)
    approved = protected.loc[protected["version"] == 1]
    return approved.reset_index(drop=True) if len(approved) else None


def public_display(queryset: QuerySet) -> pd.DataFrame:
    """The rows of ``queryset`` as a frame, in its order, with the public ``display_value``,
    ``suppressed`` and ``suppression`` of each cell, worked out on the whole published table
    of its site-metric. Rows that are not published show the neutral marker."""
    frame = observations_dataframe(queryset)
    if frame.empty:
        return frame.assign(display_value=[], suppressed=[], suppression=[])
    pairs = set(queryset.order_by().values_list("site_id", "metric_id").distinct())
    protected = pd.concat([public_cells(s, m) for s, m in sorted(pairs)], ignore_index=True)
    key = list(OutcomeObservation.NATURAL_KEY)
    columns = [*key, "display_value", "suppressed", "suppression"]
    merged = frame.merge(protected[columns], on=key, how="left")
    missing = merged["display_value"].isna()
    merged.loc[missing, "display_value"] = disclosure_policy().suppressed_marker
    merged.loc[missing, "suppressed"] = True
    merged.loc[missing, "suppression"] = "unpublished"
    return merged


def upload_batches_for_user(user: AbstractBaseUser | AnonymousUser) -> QuerySet:
    """Batches of the sites this user may read, newest first."""
    return UploadBatch.objects.filter(site__in=sites_for_user(user)).select_related(
        "site", "uploaded_by"
    )


WITHHELD_FINDING = "Its figures are withheld from public view (small counts)."


def published_analyses_for_strategy(page) -> list:
    """Published analyses linked to a strategy page, each with its ``finding`` sentence and
    ``direction`` set, for the strategy page's "Outcome results" block. One whose figures
    are withheld from public view (small counts) is listed too, saying so, with no direction
    and no figure: a rating may rest on it, and the page names what a rating rests on."""
    from evaluations.analyses.selectors import listed, published_analyses, withheld_from_public

    items = []
    memo: dict = {}
    for analysis in published_analyses().filter(strategy=page).order_by("-published_at", "-pk"):
        item = listed(analysis, memo)
        if item is not None:
            analysis.finding = item.finding
            analysis.direction = item.direction
            analysis.direction_label = EffectDirection(item.direction).label
            items.append(analysis)
        elif withheld_from_public(analysis, memo):
            analysis.finding = WITHHELD_FINDING
            analysis.direction = ""
            analysis.direction_label = ""
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
