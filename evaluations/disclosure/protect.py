"""Apply the policy to a frame of published cells: the one function behind every public
table (the data page and its exports, the outcomes shown to the public, analysis inputs)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluations.disclosure.audit import PRIMARY, SECONDARY, LinearFigure, attacker_intervals
from evaluations.disclosure.suppression import choose_suppression
from evaluations.disclosure.tables import linked_tables
from portal.disclosure import DisclosurePolicy


def number_text(value: float | None) -> str:
    """Whole numbers without a trailing ".0", as analysts typed them."""
    if value is None or pd.isna(value):
        return ""
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"


def relations_for(cells: pd.DataFrame, policy: DisclosurePolicy):
    tables = linked_tables(cells)
    return [r for r in tables.relations if r.kind in policy.relations], tables.skipped


def protect_cells(cells: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """``cells`` (every published cell of one or more site-metrics, natural-key columns plus
    ``value`` and ``suppressible``) with ``suppression`` ("", "primary", "secondary"),
    ``suppressed`` and ``display_value`` added. Each site-metric is protected as one set of
    linked tables, so the answer never depends on which filter a visitor chose."""
    out = cells.reset_index(drop=True).copy()
    status = np.array([""] * len(out), dtype=object)
    for _key, part in out.groupby(["site", "metric"], sort=False):
        local = part.reset_index(drop=True)
        relations, _skipped = relations_for(local, policy)
        chosen = choose_suppression(
            local["value"].to_numpy(dtype="float64"),
            local["suppressible"].to_numpy(dtype=bool),
            relations,
            threshold=policy.threshold,
            secondary=policy.secondary_suppression,
        )
        status[part.index.to_numpy()] = [s if s in (PRIMARY, SECONDARY) else "" for s in chosen]
    out["suppression"] = status
    out["suppressed"] = out["suppression"] != ""
    labels = {PRIMARY: policy.small_label, SECONDARY: policy.suppressed_marker}
    out["display_value"] = [
        labels.get(s) or number_text(v) for s, v in zip(status, out["value"], strict=True)
    ]
    return out


def incomplete_breakdowns(cells: pd.DataFrame) -> list[LinearFigure]:
    """Categories never exceed their total, even when they do not add up to it (an upload
    may publish a breakdown that misses a category, with a warning): ``sum(parts) <= total``
    for every such breakdown, which the linked tables' equalities do not say."""
    out: list[LinearFigure] = []
    values = cells["value"].to_numpy(dtype="float64")
    positions = pd.Series(np.arange(len(cells)), index=cells.index)
    period = ["area", "period_start", "period_end"]
    for _key, rows in cells.groupby(period, sort=False):
        totals = rows.loc[rows["dimension"] == ""]
        if totals.empty:
            continue
        total = int(positions[totals.index[0]])
        for _dimension, parts in rows.loc[rows["dimension"] != ""].groupby("dimension"):
            members = [int(p) for p in positions[parts.index]]
            if values[members].sum() < values[total] - 1e-6:
                coefficients = tuple((m, 1.0) for m in members) + ((total, -1.0),)
                out.append(LinearFigure("incomplete breakdown", coefficients, -1e12, 0.0))
    return out


def audit_cells(cells: pd.DataFrame, policy: DisclosurePolicy, figures_for=None) -> list[dict]:
    """Audit a protected frame (``protect_cells`` output): one entry per small count whose
    attacker interval is narrower than 1..threshold-1. ``figures_for(site, metric, frame)``
    may add derived figures (``LinearFigure``) published about that site-metric."""
    findings = []
    for (site, metric), part in cells.groupby(["site", "metric"], sort=False):
        local = part.reset_index(drop=True)
        relations, _skipped = relations_for(local, policy)
        status = [s or "shown" for s in local["suppression"]]
        figures = list(figures_for(site, metric, local)) if figures_for else []
        figures += incomplete_breakdowns(local)
        for interval in attacker_intervals(
            local["value"].to_numpy(dtype="float64"),
            status,
            relations,
            threshold=policy.threshold,
            figures=figures,
        ):
            if interval.exposed:
                row = local.iloc[interval.position]
                findings.append({"cell": row, "low": interval.low, "high": interval.high})
    return findings
