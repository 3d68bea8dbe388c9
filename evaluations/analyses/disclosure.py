"""What the public may read of an analysis: the disclosure policy applied to its inputs and
to every figure derived from them.

- An analysis is public only while every row it used is published with the same value;
  otherwise the public sees that it was withdrawn (``PublicAnalysis.withdrawn``).
- Input cells hidden on the public data page are hidden in the analysis too (same label).
- When any input is hidden, the public estimates are those of the same analysis re-run on
  the published figures alone: each hidden cell is replaced by a value worked out from public
  information only (``impute_hidden``: consistent with the linked tables, small counts as
  close as possible to the middle of their protection interval, other hidden cells to the
  typical shown value of their series). A public estimate is then a function of published
  figures only, so no precision of it can narrow a hidden cell; pages label it as such. Figures that
  would read as sums or means of the true inputs (segment means, fitted and counterfactual
  lines, percent changes, dispersion, test statistics) are not published at all.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evaluations.analyses import data as analysis_data
from evaluations.disclosure import disclosure_policy
from evaluations.disclosure.audit import PRIMARY, SHOWN, nearest_feasible
from evaluations.disclosure.protect import relations_for
from evaluations.selectors import public_cells, public_cells_as_approved

ESTIMATE_PARTS = ("level_change", "slope_change", "pre_trend")
ESTIMATE_PARTS += ("level_change_difference", "slope_change_difference")
KEPT = {
    "estimate",
    "ci_low",
    "ci_high",
    "se",
    "p_value",
    "statistic",
    "log_estimate",
    "result_type",
    "n",
    "df",
    "method",
    "scale",
    "warnings",
    "kind",
    "alpha",
    "n_pre",
    "n_post",
    "intervention",
    "cov_type",
    "hac_lags",
    "n_clusters",
    "schema_version",
    # the calibration label: without it a public re-run would regain an improved/worsened badge
    "approximate",
    "calibrated_coverage",
}


# What a reader without access to the site's data is told, on the page and in the API.
WITHDRAWN_NOTICE = (
    "This analysis has been withdrawn from public view: the site has withdrawn or corrected "
    "data it used. It returns when it has been re-run on published data."
)
WITHHELD_NOTICE = (
    "The estimates of this analysis are withheld from public view: it used figures hidden to "
    "protect small counts, and it could not be re-run on the published figures alone."
)


@dataclass
class PublicAnalysis:
    """The public version of one stored result."""

    withdrawn: bool
    withheld: bool = False
    result: dict[str, Any] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)  # row index -> shown label
    imputed: bool = False  # estimates from the re-run on imputed inputs


def _row_cells(
    analysis: Any, rows: list[dict[str, Any]], memo: dict | None = None
) -> tuple[pd.DataFrame, list]:
    """The published table of the analysis's site-metric and, per stored row, the position
    of its published cell (None when the row is not published with that value).

    A correction awaiting publication does not take the analysis down: when the rows are
    not all in the current table, they are looked up in the table as published before the
    pending corrections (``public_cells_as_approved``), protected together with the current
    one so that no cell can be pinned by combining the two. ``memo`` (a dict the caller
    keeps for one request) shares the tables between analyses of the same site-metric."""

    def table(read: Any) -> pd.DataFrame | None:
        key = (read.__name__, analysis.site_id, analysis.metric_id)
        if memo is None:
            return read(analysis.site_id, analysis.metric_id)
        if key not in memo:
            memo[key] = read(analysis.site_id, analysis.metric_id)
        return memo[key]

    cells, positions = _positions(table(public_cells), analysis, rows)
    if rows and any(p is None for p in positions):
        before = table(public_cells_as_approved)
        if before is not None:
            earlier, found = _positions(before, analysis, rows)
            if all(p is not None for p in found):
                return earlier, found
    return cells, positions


def _positions(cells: pd.DataFrame, analysis: Any, rows: list[dict[str, Any]]):
    if cells.empty:
        return cells, [None] * len(rows)
    chosen = cells.loc[
        (cells["dimension"] == analysis.dimension) & (cells["category"] == analysis.category)
    ]
    where = {
        (area, pd.Timestamp(start).date().isoformat()): (pos, value)
        for pos, area, start, value in zip(
            chosen.index, chosen["area"], chosen["period_start"], chosen["value"], strict=True
        )
    }
    positions = []
    for row in rows:
        found = where.get((row.get("area"), str(row.get("period_start"))[:10]))
        same = found is not None and math.isclose(found[1], float(row.get("value") or 0.0))
        positions.append(found[0] if same else None)
    return cells, positions


def _published_part(result: dict[str, Any]) -> dict[str, Any]:
    """Only the estimates and their descriptions: none of the sums and means of inputs."""
    out: dict[str, Any] = {}
    for key, value in result.items():
        if key in ESTIMATE_PARTS and isinstance(value, dict):
            out[key] = _published_part(value)
        elif key in KEPT:
            out[key] = value
    return out


def _rerun(analysis: Any, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    from evaluations import stats

    try:
        inputs = analysis_data.build_inputs(analysis, analysis_data.rows_frame(rows))
        return analysis_data.run_statistics(inputs, analysis.options or {}).to_dict()
    except (stats.AnalysisError, ValueError, np.linalg.LinAlgError):
        return None


def impute_hidden(cells: pd.DataFrame, status: list[str], policy) -> np.ndarray | None:
    """Values for every cell of a site-metric computed from what is public only: shown
    values, the labels, and the linked tables."""
    relations, _skipped = relations_for(cells, policy)
    shown = np.array([s == SHOWN for s in status])
    targets = cells["value"].to_numpy(dtype="float64").copy()
    low, high = policy.protected_range
    series = cells[["area", "group", "dimension", "category"]].astype(str).agg("|".join, axis=1)
    for pos in np.flatnonzero(~shown):
        if status[pos] == PRIMARY:
            targets[pos] = (low + high) / 2
        else:
            same = (series == series.iloc[pos]).to_numpy() & shown
            typical = targets[same & (targets >= policy.threshold)]
            targets[pos] = float(np.median(typical)) if typical.size else float(policy.threshold)
    return nearest_feasible(targets, status, relations, threshold=policy.threshold, fixed={})


def _public_result(analysis, stored, positions, cells, status, policy) -> dict | None:
    """The analysis re-run with every hidden input replaced by its public imputation."""
    imputed = impute_hidden(cells, status, policy)
    if imputed is None:
        return None
    rows = [
        {**row, "value": float(imputed[pos])} if status[pos] != SHOWN else row
        for row, pos in zip(stored.data or [], positions, strict=True)
    ]
    return _rerun(analysis, rows)


def _hidden_key(stored: Any, labels: dict[int, str], policy) -> str:
    text = repr((stored.input_hash, sorted(labels.items()), policy))
    return hashlib.sha256(text.encode()).hexdigest()


def inputs_withdrawn(analysis: Any, stored: Any, memo: dict | None = None) -> bool:
    """Whether the public version of ``stored`` (an AnalysisResult) is withdrawn, as
    :func:`public_analysis` decides it, without working out the rest of that version; for
    lists. ``memo`` as in :func:`_row_cells`."""
    if analysis.site_id is None:
        return False
    rows = stored.data or []
    _cells, positions = _row_cells(analysis, rows, memo)
    return not rows or any(p is None for p in positions)


def public_analysis(analysis: Any, stored: Any, memo: dict | None = None) -> PublicAnalysis:
    """The public version of ``stored`` (an AnalysisResult). The re-run on imputed inputs is
    stored per pattern of hidden inputs (``PublicAnalysisVersion``); ``public_versions_prepare``
    makes it ahead of the first visitor. ``memo`` as in :func:`_row_cells` (lists)."""
    from evaluations.models import PublicAnalysisVersion

    policy = disclosure_policy()
    rows = stored.data or []
    if analysis.site_id is None:
        return PublicAnalysis(withdrawn=False, result=stored.result or {})
    cells, positions = _row_cells(analysis, rows, memo)
    if any(p is None for p in positions) or not rows:
        return PublicAnalysis(withdrawn=True)
    status = [s or SHOWN for s in cells["suppression"]]
    labels = {
        i: cells.at[p, "display_value"] for i, p in enumerate(positions) if status[p] != SHOWN
    }
    if not labels or not analysis.metric.suppress_small_counts:
        return PublicAnalysis(withdrawn=False, result=stored.result or {})
    key = _hidden_key(stored, labels, policy)
    # lists prefetch every stored public version (selectors.published_analyses)
    prefetched = getattr(stored, "public_versions_read", None)
    if prefetched is not None:
        version = next((v for v in prefetched if v.hidden_key == key), None)
    else:
        version = PublicAnalysisVersion.objects.filter(
            analysis_result=stored, hidden_key=key
        ).first()
    if version is None:
        result = _public_result(analysis, stored, positions, cells, status, policy) or {}
        version, _created = PublicAnalysisVersion.objects.get_or_create(
            analysis_result=stored, hidden_key=key, defaults={"result": result}
        )
        if prefetched is not None:
            prefetched.append(version)  # a later read in the same list finds it
    if not version.result:
        return PublicAnalysis(withdrawn=False, withheld=True, labels=labels)
    return PublicAnalysis(
        withdrawn=False, result=_published_part(version.result), labels=labels, imputed=True
    )


def public_versions_prepare(analyses: Any) -> int:
    """Work out the public version of each published analysis's shown (approved) result now, so no
    visitor waits for a model fit; returns how many were prepared."""
    from evaluations.analyses.selectors import current_result

    done = 0
    for analysis in analyses:
        stored = current_result(analysis)
        if analysis.is_published and stored is not None and stored.status == "succeeded":
            public_analysis(analysis, stored)
            done += 1
    return done


def analysis_inputs_published(analysis: Any, stored: Any) -> bool:
    """Whether every row ``stored`` used is published now with the same value (a value
    awaiting a correction's publication does not count)."""
    if analysis.site_id is None:
        return True
    cells = public_cells(analysis.site_id, analysis.metric_id)
    _cells, positions = _positions(cells, analysis, stored.data or [])
    return bool(positions) and all(p is not None for p in positions)
