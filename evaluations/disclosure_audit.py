"""The disclosure audit: every public figure about a site's suppressible counts, gathered
through the code the public pages use, checked with the attacker's linear programme.

Figures gathered per site-metric:
- the public data table (``selectors.public_cells``: what the data page, its CSV/XLSX
  exports and analysis inputs show) and, while a correction awaits publication, the table as
  approved that published analyses still show, both as one set of unknowns
  (``selectors.protected_versions``: a cell whose value did not change is the same unknown
  in both);
- for each analysis the public can read: its data table and the monthly values of its charts
  (pooled over comparison areas), built by ``presentation`` from its public version, each as a
  linear constraint on the cells it sums (an exact number, "<10" as 1..9, the neutral marker
  as threshold or more).

Public analysis estimates are computed from published figures only (hidden inputs imputed),
so they are functions of what is already in the constraints and add none; the report says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evaluations.analyses import presentation
from evaluations.analyses.disclosure import public_analysis
from evaluations.analyses.selectors import current_result
from evaluations.disclosure import LinearFigure, audit_cells, disclosure_policy
from evaluations.models import Analysis, OutcomeMetric
from evaluations.selectors import protected_versions
from portal.models import GranteeSite

HUGE = 1e12


@dataclass(frozen=True)
class ExposedCell:
    """A hidden small count an outsider can narrow below its protection interval."""

    site: str
    metric: str
    area: str
    group: str
    period_start: str
    period_end: str
    dimension: str
    category: str
    low: float
    high: float
    protected_low: int
    protected_high: int

    def describe(self) -> str:
        breakdown = f" [{self.dimension}={self.category}]" if self.dimension else ""
        return (
            f"{self.site} {self.metric} {self.area} ({self.group}) "
            f"{self.period_start}..{self.period_end}{breakdown}: an outsider can work out "
            f"{self.low:g} to {self.high:g}, narrower than {self.protected_low} to "
            f"{self.protected_high}"
        )


@dataclass
class SiteAudit:
    site: str
    cells: int = 0
    primary: int = 0
    secondary: int = 0
    figures: int = 0
    analyses: int = 0
    exposed: list[ExposedCell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _band(shown: Any, small_label: str, marker: str, threshold: int) -> tuple[float, float]:
    if shown == small_label:
        return 1.0, threshold - 1.0
    if shown == marker:
        return float(threshold), HUGE
    value = float(shown)
    return value - 5e-5, value + 5e-5  # charts round to 4 decimals


def _version_used(cells: pd.DataFrame, analysis: Analysis, rows: list[dict]) -> dict:
    """Position of each (area, period start) cell of the analysis's series in the version of
    the table the analysis shows: the current one when every row it used is there with the
    same value, else the table as approved before a pending correction."""
    chosen = cells.loc[
        (cells["dimension"] == analysis.dimension) & (cells["category"] == analysis.category)
    ]
    versions = sorted(chosen["version"].unique()) if "version" in chosen.columns else [0]
    maps = []
    for version in versions:
        part = chosen.loc[chosen["version"] == version] if "version" in chosen else chosen
        maps.append(
            {
                (area, pd.Timestamp(start).date().isoformat()): (pos, value)
                for pos, area, start, value in zip(
                    part.index, part["area"], part["period_start"], part["value"], strict=True
                )
            }
        )
    for where in maps:
        found = [where.get((row["area"], row["period_start"][:10])) for row in rows]
        if all(
            f is not None and abs(f[1] - float(row["value"] or 0.0)) < 1e-9
            for f, row in zip(found, rows, strict=True)
        ):
            return {key: pos for key, (pos, _value) in where.items()}
    return {key: pos for key, (pos, _value) in maps[0].items()} if maps else {}


def analysis_figures(analysis: Analysis, cells: pd.DataFrame) -> list[LinearFigure]:
    """The public figures of one analysis that are sums of cells of ``cells``."""
    policy = disclosure_policy()
    stored = current_result(analysis)
    if stored is None or not stored.result or not stored.data:
        return []
    public = public_analysis(analysis, stored)
    if public.withdrawn or public.withheld:
        return []
    rows = stored.data
    where = _version_used(cells, analysis, rows)
    members: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        pos = where.get((row["area"], row["period_start"][:10]))
        if pos is not None:
            members.setdefault((row["group"], row["period_start"][:7]), []).append(pos)
    figures = []
    shown_rows = presentation.display_rows(rows, suppress=True, labels=public.labels)
    for row in shown_rows:
        pos = where.get((row["area"], row["period_start"][:10]))
        if pos is None or row["value"] is None:
            continue
        low, high = _band(
            row["value"], policy.small_label, policy.suppressed_marker, policy.threshold
        )
        figures.append(LinearFigure(f"analysis {analysis.pk} data", ((pos, 1.0),), low, high))
    if presentation.metric_kind(analysis.metric) != "count":
        return figures
    charts = presentation.chart_tables(
        analysis, public.result, rows, suppress=True, labels=public.labels
    )
    for chart in charts:
        for row in chart.rows:
            for group in ("treatment", "comparison"):
                cells_in = members.get((group, str(row.get("month", ""))[:7]))
                if not cells_in or row.get(group) is None:
                    continue
                low, high = _band(
                    row[group], policy.small_label, policy.suppressed_marker, policy.threshold
                )
                figures.append(
                    LinearFigure(
                        f"analysis {analysis.pk} chart {chart.slug}",
                        tuple((pos, 1.0) for pos in cells_in),
                        low,
                        high,
                    )
                )
    return figures


def site_audit(site: GranteeSite) -> SiteAudit:
    """Audit every suppressible metric the site has published."""
    policy = disclosure_policy()
    report = SiteAudit(site=site.slug)
    metrics = OutcomeMetric.objects.filter(
        suppress_small_counts=True, observations__site=site, observations__is_published=True
    ).distinct()
    for metric in metrics.order_by("code"):
        cells = protected_versions(site.pk, metric.pk)
        if cells["version"].nunique() > 1:
            report.notes.append(
                f"{metric.code}: a correction awaits publication; the current table and the "
                "table as approved are audited together."
            )
        report.cells += int((cells["version"] == 0).sum())
        current = cells.loc[cells["version"] == 0, "suppression"]
        report.primary += int((current == "primary").sum())
        report.secondary += int((current == "secondary").sum())
        analyses = list(Analysis.objects.filter(site=site, metric=metric, is_published=True))
        report.analyses += len(analyses)

        def figures_for(_site, _metric, frame, analyses=analyses) -> list[LinearFigure]:
            found = [f for a in analyses for f in analysis_figures(a, frame)]
            report.figures += len(found)
            return found

        for finding in audit_cells(cells, policy, figures_for):
            cell = finding["cell"]
            report.exposed.append(
                ExposedCell(
                    site=site.slug,
                    metric=metric.code,
                    area=str(cell["area"]),
                    group=str(cell["group"]),
                    period_start=str(cell["period_start"]),
                    period_end=str(cell["period_end"]),
                    dimension=str(cell["dimension"]),
                    category=str(cell["category"]),
                    low=round(finding["low"], 4),
                    high=round(finding["high"], 4),
                    protected_low=policy.protected_range[0],
                    protected_high=policy.protected_range[1],
                )
            )
    if report.analyses:
        report.notes.append(
            "Analysis estimates shown to the public are computed from published figures only "
            "(hidden inputs imputed), so they add no constraint."
        )
    return report


def disclosure_audit(sites: Iterable[GranteeSite]) -> list[SiteAudit]:
    return [site_audit(site) for site in sites]
