"""Apply the policy to a frame of published cells: the one function behind every public
table (the data page and its exports, the outcomes shown to the public, analysis inputs)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluations.disclosure.audit import PRIMARY, SECONDARY, attacker_intervals
from evaluations.disclosure.suppression import choose_suppression
from evaluations.disclosure.tables import Relation, linked_tables
from portal.disclosure import DisclosurePolicy


def number_text(value: float | None) -> str:
    """Whole numbers without a trailing ".0", as analysts typed them."""
    if value is None or pd.isna(value):
        return ""
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"


def _moved(relation: Relation, where: np.ndarray) -> Relation:
    return Relation(
        relation.kind,
        int(where[relation.total]),
        tuple(int(where[p]) for p in relation.parts),
        tuple(int(where[m]) for m in relation.minus),
        relation.inequality,
    )


def relations_for(cells: pd.DataFrame, policy: DisclosurePolicy):
    """The relations the policy protects between the cells of ``cells`` (positions in its
    order) and the searches skipped.

    A frame with a ``version`` column holds several public versions of one site-metric's
    table (the current one and, while a correction awaits publication, the one an analysis
    still shows): each version's own relations, plus an equality between the copies of each
    cell (same ``cell`` id) whose value did not change, which an outsider can see match."""
    if "version" not in cells.columns or cells["version"].nunique() <= 1:
        tables = linked_tables(cells)
        return [r for r in tables.relations if r.kind in policy.relations], tables.skipped
    relations: list[Relation] = []
    skipped: list[str] = []
    versions = cells["version"].to_numpy()
    first: dict[tuple[int, float], int] = {}
    for version in sorted(set(versions)):
        where = np.flatnonzero(versions == version)
        tables = linked_tables(cells.iloc[where])
        relations += [_moved(r, where) for r in tables.relations if r.kind in policy.relations]
        skipped += tables.skipped
        for pos in where:
            same = (int(cells["cell"].iat[pos]), float(cells["value"].iat[pos]))
            if same in first:
                relations.append(Relation("version", pos, (first[same],)))
            else:
                first[same] = int(pos)
    return relations, skipped


def suppression_status(cells: pd.DataFrame, policy: DisclosurePolicy) -> np.ndarray:
    """The status of each row of ``cells``: "primary", "secondary" or "". ``cells`` holds
    every published cell of one or more site-metrics: natural-key columns plus ``value`` and
    ``suppressible`` (optional ``version`` and ``cell`` as in ``relations_for``). Each
    site-metric is protected as one set of linked tables, so the answer never depends on
    which filter a visitor chose."""
    out = cells.reset_index(drop=True)
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
    return status


def with_labels(cells: pd.DataFrame, status, policy: DisclosurePolicy) -> pd.DataFrame:
    """``cells`` with ``suppression`` (``status``), ``suppressed`` and ``display_value``."""
    out = cells.reset_index(drop=True).copy()
    out["suppression"] = list(status)
    out["suppressed"] = out["suppression"] != ""
    labels = {PRIMARY: policy.small_label, SECONDARY: policy.suppressed_marker}
    out["display_value"] = [
        labels.get(s) or number_text(v) for s, v in zip(status, out["value"], strict=True)
    ]
    return out


def protect_cells(cells: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """``cells`` with ``suppression`` ("", "primary", "secondary"), ``suppressed`` and
    ``display_value`` added (see ``suppression_status``)."""
    return with_labels(cells, suppression_status(cells, policy), policy)


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
