"""Synthetic analysis data for the presentation tests: stored rows plus a result computed by the
real statistics library on them (never hand-typed numbers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from evaluations import stats
from evaluations.models import Analysis, AnalysisResult, OutcomeMetric

INTERVENTION = dt.date(2022, 1, 1)
VERSIONS = {"numpy": np.__version__, "pandas": pd.__version__, "portal": "test"}


def make_rows(
    *,
    design: str,
    kind: str,
    months: int = 48,
    post_from: int = 24,
    effect: float = -0.3,
    comp_effect: float = -0.05,
    base: float = 20.0,
    seed: int = 1,
    exposure: bool = False,
    comparison_areas: tuple[str, ...] = ("Zone 1", "Zone 2"),
) -> list[dict[str, Any]]:
    """Rows as ``AnalysisResult.data`` stores them: period_start, area, group, value,
    denominator. ``effect`` is a relative change (counts) or a difference (continuous)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp(INTERVENTION) - pd.DateOffset(months=post_from)
    periods = pd.date_range(start, periods=months, freq="MS")
    areas = [("Zone 3", "treatment", effect)]
    if design in ("did", "its_with_comparison"):
        areas += [(a, "comparison", comp_effect) for a in comparison_areas]
    rows = []
    for area, group, eff in areas:
        for i, period in enumerate(periods):
            post = i >= post_from
            if kind == "count":
                mean = base * (1 + eff if post else 1.0)
                value = float(rng.poisson(mean))
            else:
                value = float(round(base + (eff if post else 0.0) + rng.normal(0, 2.0), 3))
            rows.append(
                {
                    "period_start": period.date().isoformat(),
                    "area": area,
                    "group": group,
                    "value": value,
                    "denominator": float(1000 + 10 * i) if exposure else None,
                }
            )
    return rows


def _pooled(rows: list[dict[str, Any]], kind: str) -> dict[str, pd.DataFrame]:
    frame = pd.DataFrame(rows)
    frame["period"] = pd.to_datetime(frame["period_start"]).dt.to_period("M")
    has_den = frame["denominator"].notna().all()
    out = {}
    for group, part in frame.groupby("group"):
        grouped = part.groupby("period", sort=True)
        value = grouped["value"].sum() if kind == "count" else grouped["value"].mean()
        expo = grouped["denominator"].sum() if has_den else pd.Series(1.0, index=value.index)
        out[group] = pd.DataFrame({"value": value.astype(float), "exposure": expo.astype(float)})
    out["has_exposure"] = has_den
    return out


def _units(rows: list[dict[str, Any]], kind: str) -> dict[str, pd.DataFrame]:
    """Each comparison area as its own series, as the portal keeps them."""
    frame = pd.DataFrame(rows)
    frame = frame.loc[frame["group"] == "comparison"]
    frame["period"] = pd.to_datetime(frame["period_start"]).dt.to_period("M")
    return {
        area: part.set_index("period")["value"].astype(float)
        for area, part in frame.groupby("area", sort=True)
    }


def compute(
    design: str, kind: str, rows: list[dict[str, Any]], options: dict | None = None
) -> dict[str, Any]:
    """Run the statistics library on ``rows`` the way the portal does, with its defaults
    (comparison areas as units, AR(1) errors, automatic seasonality)."""
    options = options or {}
    pooled = _pooled(rows, kind)
    has_exposure = pooled.pop("has_exposure")
    t = pooled["treatment"]
    start = pd.Period(INTERVENTION, freq="M")
    seasonality = options.get("seasonality", "auto")
    seasonality = None if seasonality == "none" else seasonality
    if design == "pre_post":
        before = t.index < start
        kwargs = {}
        if kind == "count" and has_exposure:
            kwargs = {
                "pre_exposure": t.loc[before, "exposure"].to_numpy(),
                "post_exposure": t.loc[~before, "exposure"].to_numpy(),
            }
        res = stats.pre_post(
            t.loc[before, "value"].to_numpy(),
            t.loc[~before, "value"].to_numpy(),
            kind=kind,
            errors=options.get("errors", "ar1"),
            periods=t.index,
            seasonality=seasonality,
            **kwargs,
        )
    elif design == "did":
        units = {"Zone 3": t["value"], **_units(rows, kind)}
        parts = []
        for area, s in units.items():
            expo = t["exposure"] if area == "Zone 3" else pooled["comparison"]["exposure"]
            parts.append(
                pd.DataFrame(
                    {
                        "outcome": s.to_numpy(),
                        "treated": int(area == "Zone 3"),
                        "post": (s.index >= start).astype(int),
                        "period": np.arange(len(s), dtype=float),
                        "exposure": expo.to_numpy() / (1 if area == "Zone 3" else len(units) - 1),
                        "area": area,
                    }
                )
            )
        cov = options.get("cov", "ar1")
        kwargs = {"exposure": "exposure"} if kind == "count" and has_exposure else {}
        if cov == "cluster":
            kwargs["cluster"] = "area"
        if cov == "ar1":
            kwargs["unit"] = "area"
        res = stats.difference_in_differences(
            pd.concat(parts, ignore_index=True), kind=kind, cov=cov, time="period", **kwargs
        )
    else:
        kwargs = {}
        if kind == "count" and has_exposure:
            kwargs["exposure"] = t["exposure"]
        if design == "its_with_comparison":
            kwargs["comparison"] = pd.DataFrame(_units(rows, kind))
            if kind == "count" and has_exposure:
                kwargs["comparison_exposure"] = pooled["comparison"]["exposure"]
        res = stats.interrupted_time_series(
            t["value"],
            intervention=start,
            kind=kind,
            seasonality=seasonality,
            hac_lags=options.get("hac_lags"),
            errors=options.get("errors", "ar1"),
            impact=options.get("impact", "level_and_slope"),
            **kwargs,
        )
    return res.to_dict()


def metric(code: str) -> OutcomeMetric:
    """A seeded metric (the migration loads the catalogue)."""
    return OutcomeMetric.objects.get(code=code)


def publish_rows(site, metric_obj: OutcomeMetric, rows: list[dict[str, Any]]) -> None:
    """The published observations a public analysis's rows come from (a public analysis
    uses published data only)."""
    from django.utils import timezone

    from evaluations.models import OutcomeObservation

    for row in rows:
        start = pd.Timestamp(row["period_start"])
        OutcomeObservation.objects.update_or_create(
            site=site,
            metric=metric_obj,
            area=row["area"],
            group=row["group"],
            period_start=start.date(),
            period_end=(start + pd.offsets.MonthEnd(0)).date(),
            dimension="",
            category="",
            defaults={
                "value": row["value"],
                "denominator": row.get("denominator"),
                "is_published": True,
                "published_at": timezone.now(),
            },
        )


def make_analysis(
    *,
    site,
    design: str = "did",
    metric_code: str = "nonfatal_shootings",
    published: bool = True,
    status: str = "succeeded",
    title: str | None = None,
    strategy=None,
    rows: list[dict[str, Any]] | None = None,
    options: dict | None = None,
    **row_kwargs: Any,
) -> Analysis:
    """An Analysis with a current AnalysisResult whose numbers come from the stats library."""
    m = metric(metric_code)
    kind = "count" if m.unit_kind == "count" else "continuous"
    if kind == "continuous":
        row_kwargs.setdefault("effect", -3.0)
        row_kwargs.setdefault("comp_effect", -0.2)
    rows = rows if rows is not None else make_rows(design=design, kind=kind, **row_kwargs)
    comparison = sorted({r["area"] for r in rows if r["group"] == "comparison"})
    analysis = Analysis.objects.create(
        title=title or f"{m.name} in Zone 3 ({design})",
        site=site,
        design=design,
        metric=m,
        treatment_area="Zone 3",
        comparison_areas=comparison,
        intervention_date=INTERVENTION,
        options=options or {},
        strategy=strategy,
        status=status,
        is_published=published,
        published_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC) if published else None,
    )
    if published and site is not None:
        publish_rows(site, m, rows)
    if status in ("succeeded", "stale"):
        AnalysisResult.objects.create(
            analysis=analysis,
            status="succeeded",
            is_current=True,
            result=compute(design, kind, rows, options),
            data=rows,
            input_hash="a" * 64,
            library_versions=VERSIONS,
            version=1,
            review_status="approved" if published else "draft",
        )
        if published:
            from evaluations.analyses.disclosure import public_versions_prepare

            public_versions_prepare([analysis])
    elif status == "failed":
        AnalysisResult.objects.create(
            analysis=analysis,
            status="failed",
            is_current=True,
            error="The post-intervention segment has 2 periods; at least 3 are needed.",
        )
    return analysis
