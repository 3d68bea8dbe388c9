"""Which way an effect went, relative to what the metric's owners want: the one definition
of "improved" that analyses, their pages and CSVs, the search index and its facets share."""

from __future__ import annotations

from django.db import models


class EffectDirection(models.TextChoices):
    """The codes stored and indexed, with the labels every page and CSV shows."""

    IMPROVED = "improved", "Improved"
    WORSENED = "worsened", "Worsened"
    NO_CLEAR_CHANGE = "no_clear_change", "No clear change"
    # A result the calibration benchmark measured too narrow (or could not vouch for): its
    # interval may exclude "no effect" without an effect, so neither a change nor its absence
    # is claimed. Never shown as "No clear change" beside an interval that excludes it.
    APPROXIMATE = "approximate", "Approximate: no claim"


Direction = str  # one of ``EffectDirection.values``
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
        return EffectDirection.NO_CLEAR_CHANGE.value
    null = NULL_VALUE[scale]
    low, high = min(ci_low, ci_high), max(ci_low, ci_high)
    if low <= null <= high:
        return EffectDirection.NO_CLEAR_CHANGE.value
    went_up = low > null
    if went_up == (desired == "increase"):
        return EffectDirection.IMPROVED.value
    return EffectDirection.WORSENED.value
