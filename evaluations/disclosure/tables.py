"""The linear relations an outsider can assume between a site-metric's published cells.

Three kinds, each checked against the exact values before it is used (a relation that does
not hold in the data is not one an attacker can exploit exactly, and it would make the
audit's linear programme infeasible). Most are equalities; two are inequalities
(``Relation.inequality``: the total is at least the sum of its parts):

- breakdown: the categories of one dimension sum to the total of the same area and period
  (without a total row, two dimensions' categories still have the same sum); categories that
  add up to less than their total (an incomplete breakdown) never exceed it;
- period: a longer period equals the shorter periods that tile it exactly (a quarter beside
  its three months, a year beside its quarters, even beside a stray week); shorter periods
  that do not tile it (a quarter beside two of its months) never exceed it;
- area: one area equals the sum of two or more other areas (an area total beside its
  parts), found from the values because the portal keeps no area hierarchy: an area that
  equals their sum in some periods and is never below it (or equals it in at least half the
  periods) is linked to them in the periods where it equals it; an area never below the sum
  of the others is at least that sum in the periods where it is above it (counts not
  allocated to a zone), which bounds each zone from above.

Pure pandas/numpy: no Django, so the protection and the audit can be tested on plain frames.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Looking for area totals tries every subset of the other areas; past this many areas in one
# site-metric only "one area against all the others" is tried.
MAX_AREAS_FOR_TOTAL_SEARCH = 12
TOLERANCE = 1e-6
# Bump when the relations found (or the suppression chosen) change: stored patterns
# (``ProtectedTable``) made under older rules are then worked out again.
RULES_VERSION = 2


@dataclass(frozen=True)
class Relation:
    """``total`` equals the sum of ``parts`` less the sum of ``minus`` (positions in the cell
    frame); ``minus`` links two breakdowns of a period that has no total row. With
    ``inequality`` the total is only known to be at least that sum."""

    kind: str
    total: int
    parts: tuple[int, ...]
    minus: tuple[int, ...] = ()
    inequality: bool = False

    @property
    def members(self) -> tuple[int, ...]:
        return (self.total, *self.parts, *self.minus)

    def signed(self) -> list[tuple[int, float]]:
        """Each member with its sign in ``sum(sign * value) == 0`` (``>= 0`` for an
        inequality)."""
        return (
            [(self.total, 1.0)] + [(p, -1.0) for p in self.parts] + [(m, 1.0) for m in self.minus]
        )


@dataclass(frozen=True)
class LinkedTables:
    relations: tuple[Relation, ...]
    skipped: tuple[str, ...] = ()


def _holds(values: np.ndarray, total: int, parts: list[int]) -> bool:
    return abs(values[total] - values[parts].sum()) <= TOLERANCE * max(1.0, abs(values[total]))


def breakdown_relations(cells: pd.DataFrame, values: np.ndarray) -> list[Relation]:
    """Categories of each dimension against the total row of the same area and period."""
    out: list[Relation] = []
    if not (cells["dimension"] != "").any():
        return out
    # the comparison/treatment label does not change what an area's count is
    period = ["site", "metric", "area", "period_start", "period_end"]
    positions = pd.Series(np.arange(len(cells)), index=cells.index)
    for _key, rows in cells.groupby(period, sort=False):
        # a category (or total) filed under both groups is one count published twice: one
        # copy stands in the sum (the period relations link the copies)
        rows = rows.drop_duplicates(["dimension", "category"])
        totals = rows.loc[rows["dimension"] == ""]
        if totals.empty:
            # no total row: two breakdowns of the same period still add up to the same sum
            dimensions = [
                [int(p) for p in positions[parts.index]]
                for _dimension, parts in rows.groupby("dimension")
            ]
            first = dimensions[0] if dimensions else []
            for other in dimensions[1:]:
                if abs(values[first].sum() - values[other].sum()) <= TOLERANCE * max(
                    1.0, abs(values[first].sum())
                ):
                    out.append(Relation("breakdown", first[0], tuple(other), tuple(first[1:])))
            continue
        total = int(positions[totals.index[0]])
        for _dimension, parts in rows.loc[rows["dimension"] != ""].groupby("dimension"):
            members = [int(p) for p in positions[parts.index]]
            if _holds(values, total, members):
                out.append(Relation("breakdown", total, tuple(members)))
            elif values[members].sum() < values[total]:
                # an incomplete breakdown: its categories still never exceed the total
                out.append(Relation("breakdown", total, tuple(members), inequality=True))
    return out


def period_relations(cells: pd.DataFrame, values: np.ndarray) -> list[Relation]:
    """Each period that shorter periods of the same series tile exactly, day for day (an
    equality), and each period holding shorter ones that do not tile it (a quarter beside
    two of its months: an inequality, the total is at least their sum)."""
    out = []
    # the comparison/treatment label does not change what an area's count is
    series = ["site", "metric", "area", "dimension", "category"]
    positions = np.arange(len(cells))
    for _key, rows in cells.groupby(series, sort=False):
        # the same period under both groups: one count, published twice
        same = rows.duplicated(["period_start", "period_end"], keep=False)
        for _period, copies in rows.loc[same].groupby(["period_start", "period_end"]):
            first, *others = [int(p) for p in positions[cells.index.get_indexer(copies.index)]]
            for other in others:
                if _holds(values, other, [first]):
                    out.append(Relation("period", other, (first,)))
        rows = rows.drop_duplicates(["period_start", "period_end"])
        if len(rows) < 3:
            continue
        starts = pd.to_datetime(rows["period_start"]).to_numpy()
        ends = pd.to_datetime(rows["period_end"]).to_numpy()
        where = positions[cells.index.get_indexer(rows.index)]
        for i in range(len(rows)):
            inside = (starts >= starts[i]) & (ends <= ends[i])
            inside[i] = False
            idx = [int(j) for j in np.flatnonzero(inside)]
            if not idx:
                continue
            total = int(where[i])
            path = _tiling(idx, starts, ends, starts[i], ends[i])
            if path is not None and len(path) >= 2:
                members = [int(where[j]) for j in path]
                if _holds(values, total, members):
                    out.append(Relation("period", total, tuple(members)))
                elif values[members].sum() < values[total]:
                    # counts added to the longer period only (a late report): still a bound
                    out.append(Relation("period", total, tuple(members), inequality=True))
                continue
            # No set of shorter periods tiles this one (a quarter beside two of its months, or
            # beside a stray week): the disjoint periods inside it still never exceed it.
            members = [int(where[j]) for j in _disjoint(idx, starts, ends)]
            if members and values[members].sum() <= values[total] + TOLERANCE:
                out.append(Relation("period", total, tuple(members), inequality=True))
    return out


def _tiling(idx, starts, ends, start, end) -> list[int] | None:
    """Periods among ``idx`` that follow each other day for day from ``start`` to ``end``,
    taking the shortest next period at each step (so months rather than a quarter of them);
    None when no such chain exists. Periods off the chain (a stray week inside a month) do
    not stop it being found."""
    one_day = np.timedelta64(1, "D")
    by_start: dict = {}
    for j in idx:
        by_start.setdefault(starts[j], []).append(j)
    reaches: dict[int, bool] = {}

    def reach(j: int) -> bool:
        if j not in reaches:
            reaches[j] = bool(ends[j] == end) or any(
                reach(k) for k in by_start.get(ends[j] + one_day, [])
            )
        return reaches[j]

    path, day = [], start
    while True:
        options = sorted(
            (j for j in by_start.get(day, []) if reach(j)), key=lambda j: ends[j] - starts[j]
        )
        if not options:
            return None
        path.append(options[0])
        if ends[options[0]] == end:
            return path
        day = ends[options[0]] + one_day


def _disjoint(idx, starts, ends) -> list[int]:
    """The finest periods among ``idx`` (those holding no other one), keeping the earliest
    ending first where they overlap: a set whose sum an outsider knows is at most the total."""
    finest = [
        j
        for j in idx
        if not any(k != j and starts[k] >= starts[j] and ends[k] <= ends[j] for k in idx)
    ]
    chosen: list[int] = []
    for j in sorted(finest, key=lambda j: (ends[j], starts[j])):
        if not chosen or starts[j] > ends[chosen[-1]]:
            chosen.append(j)
    return chosen


def area_relations(cells: pd.DataFrame, values: np.ndarray) -> tuple[list[Relation], list[str]]:
    """Areas that equal the sum of two or more other areas in every period they share."""
    out: list[Relation] = []
    skipped: list[str] = []
    cells = cells.assign(_pos=np.arange(len(cells)), _value=values)
    key = ["site", "metric", "dimension", "category"]
    for group_key, rows in cells.groupby(key, sort=False):
        table = rows.pivot_table(
            index=["period_start", "period_end"], columns="area", values="_value", aggfunc="first"
        )
        where = rows.pivot_table(
            index=["period_start", "period_end"], columns="area", values="_pos", aggfunc="first"
        )
        areas = list(table.columns)
        if len(areas) < 3:
            continue
        matrix = table.to_numpy()
        every_subset = len(areas) <= MAX_AREAS_FOR_TOTAL_SEARCH
        if not every_subset:
            skipped.append(
                f"area totals of only some areas not searched for {group_key} ({len(areas)} areas)"
            )
        for a in range(len(areas)):
            out += _area_total_relations(matrix, where, a, every_subset=every_subset)
    return out, skipped


def _area_total_relations(
    matrix: np.ndarray, where: pd.DataFrame, a: int, *, every_subset: bool = True
) -> list[Relation]:
    """Relations of area ``a`` (a column of ``matrix``, periods by areas) read as the total
    of two or more other areas.

    An area never below the sum of the others, or equal to it in at least half the periods,
    is read as their total, and every period where it equals that sum exactly is an equality
    an outsider can use, even if other periods hold unallocated counts or corrections. An
    area never below a sum is also at least that sum where it is above it; only the largest
    such sets of areas are kept, since counts are never negative and a larger set's bound
    implies the smaller sets' ones. Without ``every_subset`` (too many areas to try every
    subset) only the set of all other areas is tried: an "all zones" row beside its zones.
    """
    out: list[Relation] = []
    others = [b for b in range(matrix.shape[1]) if b != a]
    above: list[tuple[set[int], np.ndarray]] = []
    if every_subset:
        subsets = itertools.chain.from_iterable(
            itertools.combinations(others, size) for size in range(2, len(others) + 1)
        )
    else:
        subsets = iter([tuple(others)])
    for subset in subsets:
        cols = list(subset)
        # periods where the area and every part are published
        shared = ~np.isnan(matrix[:, a]) & ~np.isnan(matrix[:, cols]).any(axis=1)
        if not shared.any() or not (matrix[shared, a] > 0).any():
            continue
        sums = matrix[np.ix_(shared, cols)].sum(axis=1)
        equal = np.isclose(matrix[shared, a], sums, rtol=0.0, atol=TOLERANCE)
        below = (matrix[shared, a] < sums - TOLERANCE).any()
        if equal.any() and (not below or 2 * equal.sum() >= equal.size):
            for row in np.flatnonzero(shared)[equal]:
                parts = tuple(int(where.iloc[row, c]) for c in cols)
                out.append(Relation("area", int(where.iloc[row, a]), parts))
        if not below and not equal.all():
            above.append((set(cols), np.flatnonzero(shared)[~equal]))
    for cols, rows in above:
        if any(cols < larger for larger, _rows in above):
            continue
        for row in rows:
            parts = tuple(int(where.iloc[row, c]) for c in sorted(cols))
            out.append(Relation("area", int(where.iloc[row, a]), parts, inequality=True))
    return out


def linked_tables(cells: pd.DataFrame) -> LinkedTables:
    """Every relation between the cells of ``cells`` (one or more site-metrics; positions
    refer to ``cells`` in its current order)."""
    cells = cells.reset_index(drop=True)
    # "ZONE 3" beside "Zone 3" is the same area to an outsider: names are compared without
    # case or extra spaces
    for column in ("area", "dimension", "category"):
        cells[column] = [" ".join(str(v).split()).casefold() for v in cells[column]]
    values = cells["value"].astype("float64").to_numpy()
    relations = breakdown_relations(cells, values) + period_relations(cells, values)
    areas, skipped = area_relations(cells, values)
    return LinkedTables(tuple(relations + areas), tuple(skipped))
