"""The plain-language reading of a /compare/ comparison: a few sentences a prosecutor can read
aloud, built from the numbers already on the page (pooled estimate, prediction interval,
heterogeneity, subgroup tests, leave-one-out). Nothing here computes statistics."""

from __future__ import annotations

from evaluations.analyses.compare import Comparison
from evaluations.analyses.findings import format_difference
from evaluations.directions import EffectDirection

FEW_SITES = 5


def _change(value: float, ratio: bool, unit_kind: str) -> str:
    """A display-scale value as a change: "a 23% fall" (ratio) or "a fall of 4.2 days"."""
    if ratio:
        pct = (value - 1.0) * 100.0
        if abs(pct) < 0.05:
            return "no change"
        magnitude = f"{abs(pct):.0f}%"
        article = "an" if magnitude.startswith(("8", "11", "18")) else "a"
        return f"{article} {magnitude} {'fall' if pct < 0 else 'rise'}"
    if value == 0:
        return "no change"
    noun = "fall" if value < 0 else "rise"
    return f"a {noun} of {format_difference(value, unit_kind)}"


def _null(ratio: bool) -> float:
    return 1.0 if ratio else 0.0


def comparison_reading(comparison: Comparison) -> list[str]:
    """Sentences in reading order; empty when nothing was pooled."""
    pooled = comparison.pooled
    if pooled is None:
        return []
    ratio, unit = comparison.ratio, comparison.metric.unit_kind
    name = comparison.metric.name
    direction = EffectDirection(comparison.pooled_direction).label.lower()
    goal = comparison.metric.get_desired_direction_display().lower()
    out = [
        f"Across {pooled['k']} sites, the average result for {name} is "
        f"{_change(pooled['estimate'], ratio, unit)} ({pooled['confidence']} CI from "
        f"{_change(pooled['ci_low'], ratio, unit)} to {_change(pooled['ci_high'], ratio, unit)})"
        f": {direction} relative to the goal ({goal})."
    ]
    if pooled["pi_low"] is not None:
        straddles = pooled["pi_low"] <= _null(ratio) <= pooled["pi_high"]
        out.append(
            f"A new site like these could expect anything from "
            f"{_change(pooled['pi_low'], ratio, unit)} to {_change(pooled['pi_high'], ratio, unit)}"
            + (
                ", a range that includes no change: the strategy may not work everywhere."
                if straddles
                else ", a range that stays on one side of no change."
            )
        )
    else:
        out.append("With fewer than 3 sites there is no prediction interval for a new site.")
    i2 = pooled["i2_percent"]
    if i2 >= 50:
        out.append(
            f"The sites' results differ much more than chance explains (I² = {i2}%), so the "
            "average hides real differences between places."
        )
    elif i2 >= 25:
        out.append(f"The sites' results differ moderately (I² = {i2}%).")
    else:
        out.append(f"The sites' results are about as alike as chance allows (I² = {i2}%).")
    for test in comparison.subgroups.values():
        heading = test["heading"].lower()
        if test["differ"]:
            out.append(
                f"Results differ by {heading} more than chance would explain "
                f"(p = {test['p_value']:.3f}); see the subgroup table."
            )
        else:
            out.append(
                f"There is no clear evidence that results differ by {heading} "
                f"(p = {test['p_value']:.3f}), though with few sites the test has little power."
            )
    changed = [
        row["left_out"]
        for row in comparison.leave_one_out
        if row["direction_code"] != comparison.pooled_direction
    ]
    if comparison.leave_one_out:
        if changed:
            # office names hold commas, so several are set apart with semicolons and "or"
            which = (
                changed[0]
                if len(changed) == 1
                else (f"any one of {'; '.join(changed[:-1])} or {changed[-1]}")
            )
            out.append(
                f"The conclusion rests on single sites: leaving out {which} changes the "
                "pooled direction."
            )
        else:
            out.append("Leaving out any one site does not change the pooled direction.")
    if pooled["k"] < FEW_SITES:
        out.append(
            f"With only {pooled['k']} sites, the spread between sites is poorly known; read "
            "the average as a first indication."
        )
    return out
