"""What an outsider can work out about each suppressed cell from everything published.

Every published figure becomes a linear constraint on the hidden cells: relations between
cells (``tables``), shown values as constants, and derived figures published at a rounding
(a mean over ``n`` months shown to one decimal is a band on their sum). For each cell hidden
as a small count, an integer programme finds the smallest and largest value consistent
with all of it; the cell is protected when that interval still covers its whole protection
interval (1 to threshold-1). This is the attacker of the cell-suppression literature
(e.g. Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, section 5.6), with
the integrality an outsider knows: counts are whole numbers, so the minimum and maximum are
mixed-integer programmes (``scipy.optimize.milp``), which can be tighter than the
linear-programming relaxation. Primary cells are known to lie in 1..threshold-1 from their
label and secondary cells, which are never small or zero by construction, at or above the
threshold; inequality relations (an incomplete breakdown, an area above its zones) bound
from one side only.

Pure numpy/scipy: no Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from evaluations.disclosure.tables import Relation

SHOWN, PRIMARY, SECONDARY = "shown", "primary", "secondary"
SLACK = 1e-6


@dataclass(frozen=True)
class LinearFigure:
    """A published derived figure: ``low <= sum(coef * cell) <= high`` (positions into the
    cell frame). ``label`` names it in audit messages."""

    label: str
    coefficients: tuple[tuple[int, float], ...]
    low: float
    high: float


@dataclass(frozen=True)
class CellInterval:
    """The tightest bounds an attacker gets for one primary cell."""

    position: int
    low: float
    high: float
    protected_low: float
    protected_high: float

    @property
    def exposed(self) -> bool:
        return self.low > self.protected_low + SLACK or self.high < self.protected_high - SLACK


def _components(n: int, groups: Sequence[Sequence[int]]) -> list[list[int]]:
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for members in groups:
        for a, b in zip(members, members[1:], strict=False):
            parent[find(a)] = find(b)
    out: dict[int, list[int]] = {}
    for i in range(n):
        out.setdefault(find(i), []).append(i)
    return list(out.values())


def attacker_intervals(
    values: np.ndarray,
    status: Sequence[str],
    relations: Sequence[Relation],
    *,
    threshold: int,
    figures: Sequence[LinearFigure] = (),
) -> list[CellInterval]:
    """The interval of every primary cell, from relations, shown values and ``figures``."""
    values = np.asarray(values, dtype="float64")
    hidden = [i for i, s in enumerate(status) if s != SHOWN]
    if not hidden:
        return []
    column = {cell: k for k, cell in enumerate(hidden)}
    equalities: list[tuple[dict[int, float], float]] = []
    bands: list[tuple[dict[int, float], float, float]] = []
    for relation in relations:
        coefs: dict[int, float] = {}
        rhs = 0.0
        for cell, sign in relation.signed():
            if cell in column:
                coefs[column[cell]] = coefs.get(column[cell], 0.0) + sign
            else:
                rhs -= sign * values[cell]
        if coefs and relation.inequality:
            bands.append((coefs, rhs, np.inf))
        elif coefs:
            equalities.append((coefs, rhs))
    for figure in figures:
        coefs = {}
        shift = 0.0
        for cell, coef in figure.coefficients:
            if cell in column:
                coefs[column[cell]] = coefs.get(column[cell], 0.0) + coef
            else:
                shift += coef * values[cell]
        if coefs:
            bands.append((coefs, figure.low - shift, figure.high - shift))
    bounds = [
        (1.0, threshold - 1.0) if status[cell] == PRIMARY else (float(threshold), None)
        for cell in hidden
    ]
    links = [list(c) for c, _ in equalities] + [list(c) for c, _, _ in bands]
    out = []
    for component in _components(len(hidden), links):
        members = set(component)
        local = {k: j for j, k in enumerate(component)}
        rows_eq = [(c, r) for c, r in equalities if set(c) <= members]
        rows_band = [(c, lo, hi) for c, lo, hi in bands if set(c) <= members]
        a_eq = np.zeros((len(rows_eq), len(component)))
        b_eq = np.array([r for _, r in rows_eq])
        for row, (coefs, _r) in enumerate(rows_eq):
            for k, coef in coefs.items():
                a_eq[row, local[k]] = coef
        a_ub = np.zeros((len(rows_band), len(component)))
        low_ub = np.array([lo for _, lo, _ in rows_band])
        high_ub = np.array([hi for _, _, hi in rows_band])
        for row, (coefs, _low, _high) in enumerate(rows_band):
            for k, coef in coefs.items():
                a_ub[row, local[k]] = coef
        local_bounds = [bounds[k] for k in component]
        for k in component:
            cell = hidden[k]
            if status[cell] != PRIMARY:
                continue
            if not rows_eq and not rows_band:
                low, high = local_bounds[local[k]]
            else:
                low, high = _extremes(local[k], a_eq, b_eq, (a_ub, low_ub, high_ub), local_bounds)
            out.append(CellInterval(cell, low, high, 1.0, threshold - 1.0))
    return out


def _extremes(j, a_eq, b_eq, bands, bounds) -> tuple[float, float]:
    """Smallest and largest whole value of variable ``j`` under ``a_eq @ x == b_eq``,
    ``low <= a_ub @ x <= high`` (``bands``) and ``bounds``.

    The linear relaxation is solved first: when its optimal vertex is whole (as it is for
    most tables, whose relations are sums with coefficients of one), it is also the integer
    optimum; otherwise ``milp`` solves the integer programme."""
    a_ub, low_ub, high_ub = bands
    constraints = []
    if len(a_eq):
        constraints.append(LinearConstraint(a_eq, b_eq, b_eq))
    if len(a_ub):
        constraints.append(LinearConstraint(a_ub, low_ub, high_ub))
    lower = np.array([lo for lo, _ in bounds], dtype="float64")
    upper = np.array([np.inf if hi is None else hi for _, hi in bounds], dtype="float64")
    finite = np.isfinite(high_ub) if len(a_ub) else np.zeros(0, dtype=bool)
    lower_set = np.isfinite(low_ub) if len(a_ub) else np.zeros(0, dtype=bool)
    lp_ub = np.vstack([a_ub[finite], -a_ub[lower_set]]) if len(a_ub) else None
    lp_b = np.concatenate([high_ub[finite], -low_ub[lower_set]]) if len(a_ub) else None
    cost = np.zeros(len(bounds))
    cost[j] = 1.0
    found = []
    for sign in (1.0, -1.0):
        result = linprog(
            sign * cost,
            A_ub=lp_ub if lp_ub is not None and len(lp_ub) else None,
            b_ub=lp_b if lp_ub is not None and len(lp_ub) else None,
            A_eq=a_eq if len(a_eq) else None,
            b_eq=b_eq if len(a_eq) else None,
            bounds=bounds,
            method="highs",
        )
        if result.status == 0 and np.allclose(result.x, np.round(result.x), atol=1e-7):
            found.append(sign * result.fun)
            continue
        result = milp(
            sign * cost,
            constraints=constraints,
            integrality=np.ones(len(bounds)),
            bounds=Bounds(lower, upper),
        )
        if result.status != 0:
            raise ValueError(f"The published figures are inconsistent: {result.message}")
        found.append(sign * result.fun)
    return found[0], found[1]


def nearest_feasible(
    values: np.ndarray,
    status: Sequence[str],
    relations: Sequence[Relation],
    *,
    threshold: int,
    fixed: dict[int, float],
) -> np.ndarray | None:
    """Values for every cell that agree with everything published (shown cells, relations,
    the bounds the labels give) with the cells in ``fixed`` set as given, as close to the true
    values as possible (least total absolute change); None when no such values exist.

    It answers "could this hidden cell be 1 (or 9) given what is public?", and supplies the
    other cells to re-run an analysis with when checking what its estimates give away.
    """
    values = np.asarray(values, dtype="float64")
    hidden = [i for i, s in enumerate(status) if s != SHOWN]
    column = {cell: k for k, cell in enumerate(hidden)}
    n = len(hidden)
    if n == 0:
        return values.copy()
    a_eq, b_eq, above, above_rhs = [], [], [], []
    for relation in relations:
        row = np.zeros(2 * n)
        rhs = 0.0
        for cell, sign in relation.signed():
            if cell in column:
                row[column[cell]] += sign
            else:
                rhs -= sign * values[cell]
        if row.any() and relation.inequality:
            # sum(sign * x) >= rhs, written as -sum(sign * x) <= -rhs
            above.append(-row)
            above_rhs.append(-rhs)
        elif row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    # t_k >= |x_k - truth_k| as two inequalities
    a_ub = np.zeros((2 * n, 2 * n))
    b_ub = np.zeros(2 * n)
    for k, cell in enumerate(hidden):
        a_ub[2 * k, k], a_ub[2 * k, n + k], b_ub[2 * k] = 1.0, -1.0, values[cell]
        a_ub[2 * k + 1, k], a_ub[2 * k + 1, n + k], b_ub[2 * k + 1] = -1.0, -1.0, -values[cell]
    bounds = []
    for cell in hidden:
        if cell in fixed:
            bounds.append((fixed[cell], fixed[cell]))
        elif status[cell] == PRIMARY:
            bounds.append((1.0, threshold - 1.0))
        else:
            bounds.append((float(threshold), None))
    bounds += [(0.0, None)] * n
    if above:
        a_ub = np.vstack([a_ub, np.array(above)])
        b_ub = np.concatenate([b_ub, np.array(above_rhs)])
    cost = np.concatenate([np.zeros(n), np.ones(n)])
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=np.array(a_eq) if a_eq else None,
        b_eq=np.array(b_eq) if b_eq else None,
        bounds=bounds,
        method="highs",
    )
    if result.status != 0:
        return None
    out = values.copy()
    out[hidden] = result.x[:n]
    return out
