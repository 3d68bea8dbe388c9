"""Rating suggestions: the rules that turn a strategy's published results on one outcome into
one of CrimeSolutions' ratings, with the reasons.

Pure functions on ``ResultEvidence`` (what a rater reads off each published result), so every
rule is tested case by case without a database. ``docs/evidence-ratings.md`` states the same
rules in plain language; keep the two in step. The rules follow the spirit of CrimeSolutions'
scoring instrument (design quality first, then the direction, size and significance of the
effects, then their consistency), simplified to what the portal's stored results hold:

1. A result counts towards a rating only if its design is strong enough (Maryland scale 3 or
   more: difference-in-differences, interrupted time series, ITS with a comparison series),
   its public version shows its estimates (not withheld to protect small counts), its
   pre-trend check did not fail (difference-in-differences is the one design that stores
   one) and its interval is not flagged approximate by the calibration benchmark. Other
   results are listed, not counted.
2. No result counts: ``inconclusive`` (saying so when every result is withheld).
3. Counted results that significantly improved and others that significantly worsened:
   ``inconclusive`` (they contradict each other).
4. Only significant worsening: ``negative_effects``.
5. Significant improvement and nothing worse: ``effective`` when every counted result
   improved, at least one has a Maryland level of 4 or more, every improvement is large
   enough to matter, no check failed on any result of the same outcome, no result of the
   outcome is withheld, and no other outcome of the strategy worsened on counted evidence;
   otherwise ``promising``.
6. Only "no clear change": ``no_effects`` when at least one counted interval is narrow enough
   to rule out a large benefit, else ``inconclusive`` (too imprecise to tell).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from evaluations.directions import EffectDirection
from evaluations.stats.effect_sizes import HEDGES_G, LOG_RATE_RATIO
from strategies.choices import Rating

# Maryland Scientific Methods Scale level a result needs to count towards a rating.
MIN_COUNTED_LEVEL = 3
# The level at least one improvement needs for "effective".
EFFECTIVE_LEVEL = 4
# A change large enough to matter: 10% on a rate ratio, 0.25 SD as Hedges' g (the What Works
# Clearinghouse's "substantively important" size).
IMPORTANT_RATIO_CHANGE = 0.10
IMPORTANT_G = 0.25
# A "no clear change" rules out a large benefit when its interval stops short of a 25% change
# (rate ratio) or 0.5 SD (Hedges' g) in the desired direction.
LARGE_RATIO_CHANGE = 0.25
LARGE_G = 0.5

# Why a withheld result is not counted; it names no figure, only that figures are hidden.
WITHHELD_REASON = (
    "its estimates are withheld from public view (they would reveal small counts), so it "
    "cannot be rated publicly."
)

IMPROVED = EffectDirection.IMPROVED.value
WORSENED = EffectDirection.WORSENED.value


@dataclass(frozen=True)
class ResultEvidence:
    """One published result as the rules read it.

    ``effect``, ``ci_low`` and ``ci_high`` are on the pooling scale ``scale`` (a log rate
    ratio, Hedges' g or a raw mean difference); ``direction`` is relative to the metric's
    goal; ``desired`` is "decrease" or "increase"; ``level`` the design's Maryland level;
    ``failed_checks`` the names of checks that failed ("pre-trend"). A ``withheld`` result's
    estimates are hidden from the public, so it carries no figures at all (``withheld_result``).
    """

    analysis_id: int
    site: str
    design_label: str
    level: int
    direction: str
    scale: str
    effect: float
    ci_low: float
    ci_high: float
    desired: str
    failed_checks: tuple[str, ...] = ()
    approximate: bool = False
    withheld: bool = False

    @property
    def counted(self) -> bool:
        return (
            self.level >= MIN_COUNTED_LEVEL
            and not self.withheld
            and not self.failed_checks
            and not self.approximate
        )

    @property
    def size_known(self) -> bool:
        return self.scale in (LOG_RATE_RATIO, HEDGES_G)

    def important(self) -> bool:
        """Whether the estimate is a change large enough to matter (False when the scale
        cannot say: a raw difference has no common yardstick)."""
        if self.scale == LOG_RATE_RATIO:
            return abs(math.expm1(self.effect)) >= IMPORTANT_RATIO_CHANGE
        if self.scale == HEDGES_G:
            return abs(self.effect) >= IMPORTANT_G
        return False

    def rules_out_large_benefit(self) -> bool:
        """Whether the interval's end in the desired direction stops short of a large change."""
        benefit_end = self.ci_low if self.desired == "decrease" else self.ci_high
        if self.scale == LOG_RATE_RATIO:
            if self.desired == "decrease":
                return benefit_end > math.log(1 - LARGE_RATIO_CHANGE)
            return benefit_end < math.log(1 + LARGE_RATIO_CHANGE)
        if self.scale == HEDGES_G:
            return abs(benefit_end) < LARGE_G
        return False

    def describe(self) -> str:
        return f"result {self.analysis_id} ({self.site}, {self.design_label})"


def withheld_result(
    *, analysis_id: int, site: str, design_label: str, level: int, desired: str
) -> ResultEvidence:
    """A published result whose estimates the public may not see: only what its public page
    says (site, design) is kept; no estimate, interval, direction or check, not even one the
    rules would only compare with a threshold, reaches the suggestion."""
    return ResultEvidence(
        analysis_id=analysis_id,
        site=site,
        design_label=design_label,
        level=level,
        direction="",
        scale="",
        effect=math.nan,
        ci_low=math.nan,
        ci_high=math.nan,
        desired=desired,
        withheld=True,
    )


@dataclass(frozen=True)
class RatingSuggestion:
    """The suggested rating of one outcome, the reasons in order, and the results it rests on
    (every published result considered, counted or not)."""

    outcome: str
    outcome_name: str
    rating: str
    reasons: tuple[str, ...]
    results: tuple[int, ...] = field(default_factory=tuple)

    @property
    def rating_label(self) -> str:
        return Rating(self.rating).label

    def to_dict(self) -> dict:
        return {
            "outcome": self.outcome,
            "rating": self.rating,
            "reasons": list(self.reasons),
            "results": list(self.results),
        }


def _why_not_counted(item: ResultEvidence) -> str:
    # The design comes first: a design too weak is never counted, whatever else holds.
    strong_enough = item.level >= MIN_COUNTED_LEVEL
    if strong_enough and item.withheld:
        return f"{item.describe()} is not counted: {WITHHELD_REASON}"
    if strong_enough and item.failed_checks:
        checks = " and ".join(item.failed_checks)
        return f"{item.describe()} is not counted: its {checks} check failed."
    if strong_enough and item.approximate:
        return (
            f"{item.describe()} is not counted: its interval is approximate (too narrow for a "
            f"series this short)."
        )
    return (
        f"{item.describe()} is not counted: a design below Maryland level "
        f"{MIN_COUNTED_LEVEL} cannot separate the strategy from other changes."
    )


def _sites(items: list[ResultEvidence]) -> int:
    return len({i.site for i in items})


def _positive(
    counted: list[ResultEvidence],
    improved: list[ResultEvidence],
    all_items: list[ResultEvidence],
    other_outcomes_worsened: tuple[str, ...],
) -> tuple[str, list[str]]:
    """Rule 5: effective or promising, and why."""
    reasons = [
        f"{len(improved)} of {len(counted)} counted results improved significantly, from "
        f"{_sites(improved)} site{'s' if _sites(improved) != 1 else ''}."
    ]
    held_back = []
    if len(improved) < len(counted):
        held_back.append("some counted results show no clear change")
    if max(i.level for i in improved) < EFFECTIVE_LEVEL:
        held_back.append(
            f"no improvement comes from a design of Maryland level {EFFECTIVE_LEVEL} or more"
        )
    if not all(i.important() for i in improved):
        if all(i.size_known for i in improved):
            held_back.append("some improvements are too small to matter")
        else:
            held_back.append("the size of some improvements cannot be put on a common scale")
    failed_sites = {i.site for i in all_items if i.failed_checks}
    if failed_sites:
        held_back.append(
            f"a check failed on another result of this outcome ({', '.join(sorted(failed_sites))})"
        )
    withheld_sites = {i.site for i in all_items if i.withheld}
    if withheld_sites:
        held_back.append(
            f"a result of this outcome is withheld from public view "
            f"({', '.join(sorted(withheld_sites))}), so its direction cannot be checked"
        )
    if other_outcomes_worsened:
        held_back.append(f"the strategy worsened {', '.join(other_outcomes_worsened)}")
    if held_back:
        reasons.append("Not rated effective because " + "; ".join(held_back) + ".")
        return Rating.PROMISING.value, reasons
    reasons.append(
        "Every counted result improved by a change large enough to matter, including at least "
        f"one from a design of Maryland level {EFFECTIVE_LEVEL} or more."
    )
    if _sites(counted) == 1:
        reasons.append("Single-site evidence: one office's results, not yet replicated.")
    return Rating.EFFECTIVE.value, reasons


def suggest_rating(
    outcome: str,
    outcome_name: str,
    items: list[ResultEvidence],
    *,
    other_outcomes_worsened: tuple[str, ...] = (),
) -> RatingSuggestion:
    """Apply the rules (module docstring) to the published results of one outcome.

    ``outcome`` is the metric code; ``other_outcomes_worsened`` names the strategy's other
    outcomes whose counted evidence worsened (it holds back "effective"). Raises
    ``ValueError`` when ``items`` is empty: an outcome without results gets no suggestion.
    """
    if not items:
        raise ValueError(f"No published results on {outcome!r} to suggest a rating from.")
    counted = [i for i in items if i.counted]
    reasons = [_why_not_counted(i) for i in items if not i.counted]
    improved = [i for i in counted if i.direction == IMPROVED]
    worsened = [i for i in counted if i.direction == WORSENED]
    if not counted and all(i.withheld for i in items):
        rating = Rating.INCONCLUSIVE.value
        reasons.insert(
            0,
            "Every published result on this outcome is withheld from public view (small "
            "counts), so the outcome cannot be rated publicly.",
        )
    elif not counted:
        rating = Rating.INCONCLUSIVE.value
        reasons.insert(0, "No published result on this outcome is strong enough to rate.")
    elif improved and worsened:
        rating = Rating.INCONCLUSIVE.value
        reasons.insert(
            0,
            f"Counted results disagree: {len(improved)} improved and {len(worsened)} worsened "
            "significantly.",
        )
    elif worsened:
        rating = Rating.NEGATIVE_EFFECTS.value
        reasons.insert(
            0,
            f"{len(worsened)} of {len(counted)} counted results worsened significantly and "
            "none improved.",
        )
    elif improved:
        rating, positive = _positive(counted, improved, items, other_outcomes_worsened)
        reasons = positive + reasons
    else:
        precise = [i for i in counted if i.rules_out_large_benefit()]
        if precise:
            rating = Rating.NO_EFFECTS.value
            reasons.insert(
                0,
                f"No counted result shows a clear change, and {len(precise)} of "
                f"{len(counted)} {'rules' if len(precise) == 1 else 'rule'} out a large benefit.",
            )
        else:
            rating = Rating.INCONCLUSIVE.value
            reasons.insert(
                0,
                "No counted result shows a clear change, but their intervals are too wide to "
                "rule out a large benefit.",
            )
    return RatingSuggestion(
        outcome=outcome,
        outcome_name=outcome_name,
        rating=rating,
        reasons=tuple(reasons),
        results=tuple(i.analysis_id for i in items),
    )
