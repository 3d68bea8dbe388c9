"""Which way an effect went, relative to what the metric's owners want: a pure function so
analyses, the index and the tests share one definition of "improved"."""

from __future__ import annotations

from typing import Literal

Direction = Literal["improved", "worsened", "no_clear_change"]
# Where "no effect" sits on each scale an estimate can be expressed on.
NULL_VALUE: dict[str, float] = {"difference": 0.0, "percent": 0.0, "log": 0.0, "ratio": 1.0}


def effect_direction(
    estimate: float | None,
    ci_low: float | None,
    ci_high: float | None,
    *,
    scale: str,
    desired: str,
) -> Direction:
    """ "improved" / "worsened" when the whole confidence interval lies on one side of "no
    effect", "no_clear_change" when it straddles it (or is missing).

    ``scale`` is "difference", "percent" or "log" (no effect = 0) or "ratio" (no effect = 1,
    e.g. an incidence rate ratio); ``desired`` is the metric's desired direction, "decrease"
    (fewer shootings is better) or "increase" (more gun recoveries is better).
    """
    if scale not in NULL_VALUE:
        raise ValueError(f"Unknown scale {scale!r}; expected one of {sorted(NULL_VALUE)}")
    if desired not in {"decrease", "increase"}:
        raise ValueError(f"Unknown desired direction {desired!r}")
    if estimate is None or ci_low is None or ci_high is None:
        return "no_clear_change"
    null = NULL_VALUE[scale]
    low, high = min(ci_low, ci_high), max(ci_low, ci_high)
    if low <= null <= high:
        return "no_clear_change"
    went_up = low > null
    return "improved" if went_up == (desired == "increase") else "worsened"
