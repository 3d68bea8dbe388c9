"""Choose which cells to hide: small counts (primary) and the fewest others (secondary) so
that no hidden small count can be worked out from the linked tables.

Secondary suppression is the classic cell-suppression problem solved as a small mixed-integer
programme (``scipy.optimize.milp``) with cuts from the audit:

1. one binary per cell; small counts are fixed at 1, zeros and cells of other metrics at 0;
2. in every relation (a total and its parts) no hidden cell may be the only hidden member,
   since subtraction would give it back, and the other hidden members must be able to absorb
   each small count moving to either end of its protection interval; in an inequality
   relation (categories below their total, an area above its zones) only the part of a move
   that the gap between total and parts cannot take needs absorbing;
3. minimise the number of hidden cells (ties: hide smaller values);
4. audit the answer with the attacker's linear programme (``audit.attacker_intervals``); for
   every small count whose interval is still too narrow, add the cut "hide at least one more
   of the visible cells linked to it" and solve again, until the audit passes. If it does
   not within ``MAX_ROUNDS``, every visible cell linked to the exposed one is hidden. A
   small count that stays exposed even with every other cell hidden (a quarter whose months
   are all small counts) cannot be protected by suppression: it is not chased, and the
   audit names it so that the upload can be fixed.

Zero cells are never chosen, so a "suppressed" marker always means a value at or above the
threshold; the audit uses that bound, which is what an outsider reading docs/privacy.md
knows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from evaluations.disclosure.audit import PRIMARY, SECONDARY, SHOWN, attacker_intervals
from evaluations.disclosure.tables import Relation

MAX_ROUNDS = 40


def primary_status(values: np.ndarray, suppressible: np.ndarray, threshold: int) -> list[str]:
    small = suppressible & (values >= 1) & (values < threshold)
    return [PRIMARY if s else SHOWN for s in small]


def _linked(relations: Sequence[Relation], start: int, hidden: set[int]) -> set[int]:
    """Cells reachable from ``start`` through relations with a hidden member."""
    seen, todo = {start}, [start]
    by_cell: dict[int, list[Relation]] = {}
    for relation in relations:
        for cell in relation.members:
            by_cell.setdefault(cell, []).append(relation)
    while todo:
        cell = todo.pop()
        for relation in by_cell.get(cell, []):
            for other in relation.members:
                if other not in seen:
                    seen.add(other)
                    if other in hidden:
                        todo.append(other)
    return seen


def _room(value: float, primary: bool, up: bool, threshold: int) -> float:
    """How far a hidden cell can move (up or down) within what its label says."""
    if primary:
        return (threshold - 1 - value) if up else (value - 1)
    return np.inf if up else value - threshold


def _protection_rows(relation, values, fixed_on, candidates, column, n, threshold):
    """Within one relation, the other hidden members must be able to absorb a small count
    moving to either end of its protection interval (the protection-level constraints of
    cell suppression, one relation at a time; the audit catches what linked relations add).

    In an inequality relation (``sum(sign * value) >= 0``) a move that widens the gap is
    free, and one that narrows it needs absorbing only beyond the gap. Where even hiding
    every member that may be hidden cannot absorb the whole move (a quarter whose months are
    all small counts), the row asks for as much as can be had; the audit then names the
    cell, which such a table cannot protect."""
    out = []
    sign = dict(relation.signed())
    gap = sum(s * values[c] for c, s in relation.signed()) if relation.inequality else 0.0
    for p in relation.members:
        if p not in fixed_on:
            continue
        for up in (True, False):
            need = (threshold - 1 - values[p]) if up else (values[p] - 1)
            if relation.inequality:
                narrows = (sign[p] < 0) == up
                need = need - gap if narrows else 0.0
            if need <= 0:
                continue
            row = np.zeros(n)
            for i in relation.members:
                if i == p:
                    continue
                # a part moving up is absorbed by the total moving up or another part down
                # (members on opposite sides of the equation move the same way)
                same_way = up if sign[i] != sign[p] else not up
                room = _room(values[i], i in fixed_on, same_way, threshold)
                row[column[i]] = min(max(room, 0.0), need)
            can_hide = [column[i] for i in relation.members if i in fixed_on or i in candidates]
            need = min(need, float(row[can_hide].sum()))
            if need > 0:
                out.append((row, need, np.inf))
    return out


def _solve(values, fixed_on, candidates, relations, cuts, threshold) -> set[int] | None:
    cells = sorted({c for r in relations for c in r.members})
    column = {c: k for k, c in enumerate(cells)}
    n = len(cells)
    rows = []
    for relation in relations:
        members = [column[c] for c in relation.members]
        # a lone hidden member of an inequality is bounded on one side only: the
        # protection rows and the audit decide whether it needs company
        for j in members if not relation.inequality else ():
            row = np.zeros(n)
            row[members] = -1.0
            row[j] = 1.0
            rows.append((row, -np.inf, 0.0))
        rows += _protection_rows(relation, values, fixed_on, candidates, column, n, threshold)
    for cut in cuts:
        row = np.zeros(n)
        row[[column[c] for c in cut if c in column]] = 1.0
        rows.append((row, 1.0, np.inf))
    low = np.array([1.0 if c in fixed_on else 0.0 for c in cells])
    high = np.array([1.0 if (c in fixed_on or c in candidates) else 0.0 for c in cells])
    scale = 1.0 + max(float(np.max(values[cells])), 0.0)
    cost = np.array([1.0 + values[c] / scale for c in cells])
    constraints = []
    if rows:
        constraints.append(
            LinearConstraint(
                np.array([r for r, _, _ in rows]),
                np.array([lo for _, lo, _ in rows]),
                np.array([hi for _, _, hi in rows]),
            )
        )
    result = milp(cost, constraints=constraints, integrality=np.ones(n), bounds=Bounds(low, high))
    if result.status != 0:
        return None
    return {c for c, on in zip(cells, result.x, strict=True) if on > 0.5}


def choose_suppression(
    values: np.ndarray,
    suppressible: np.ndarray,
    relations: Sequence[Relation],
    *,
    threshold: int,
    secondary: bool = True,
) -> list[str]:
    """``shown``/``primary``/``secondary`` for every cell. ``secondary=False`` hides small
    counts only (what the audit must catch)."""
    values = np.asarray(values, dtype="float64")
    suppressible = np.asarray(suppressible, dtype=bool)
    status = primary_status(values, suppressible, threshold)
    primaries = {i for i, s in enumerate(status) if s == PRIMARY}
    active = [r for r in relations if suppressible[r.total]]
    if not secondary or not primaries or not active:
        return status
    candidates = {i for i in range(len(values)) if suppressible[i] and values[i] >= threshold}
    # small counts that no suppression can protect (a quarter whose months are all small):
    # the loop below does not chase them; the audit names them
    everything = [SECONDARY if i in candidates else s for i, s in enumerate(status)]
    hopeless = {
        c.position
        for c in attacker_intervals(values, everything, active, threshold=threshold)
        if c.exposed
    }
    cuts: list[set[int]] = []
    for _round in range(MAX_ROUNDS):
        chosen = _solve(values, primaries, candidates, active, cuts, threshold)
        if chosen is None:
            break
        trial = [
            SECONDARY if i in chosen and i not in primaries else s for i, s in enumerate(status)
        ]
        exposed = [
            c.position
            for c in attacker_intervals(values, trial, active, threshold=threshold)
            if c.exposed and c.position not in hopeless
        ]
        if not exposed:
            return trial
        hidden = {i for i, s in enumerate(trial) if s != SHOWN}
        added = 0
        for cell in exposed:
            cut = {c for c in _linked(active, cell, hidden) if c in candidates and c not in hidden}
            if cut and cut not in cuts:
                cuts.append(cut)
                added += 1
        if not added:
            # every cell linked to what is still exposed is hidden already: hiding more
            # cannot help, and the audit names the cells such a table cannot protect
            return trial
    return _hide_everything_linked(status, active, primaries, candidates)


def _hide_everything_linked(status, relations, primaries, candidates) -> list[str]:
    out = list(status)
    hidden = set(primaries)
    for cell in primaries:
        for other in _linked(relations, cell, set(candidates) | hidden):
            if other in candidates:
                out[other] = SECONDARY
    return out
