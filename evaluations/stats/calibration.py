"""What the calibration benchmark measured for the default methods, so that a result can say
how far its interval can be trusted for a series of its length.

``bench/calibration_bench.py`` simulates site-like series (AR(1) rho 0 to 0.6, with and
without seasonality, normal outcomes and overdispersed counts, 1 to 8 comparison areas) and
records, for each default method, how often its 95% interval covered the truth. ``LOWEST``
keeps the lowest coverage over those cells for each design, outcome kind and number of
pre-intervention periods (12, 24, 36, 60); the table in ``docs/methods.md`` is the same run
(``REPLICATES`` replicates a cell unless a figure was re-measured with more). A result is
labelled approximate, quoting that figure, whenever its length bucket measured below the
band's lower edge of 93%: a finding whose interval was measured too narrow never reads as
confident, even where the shortfall could be Monte Carlo noise (the table says how many
replicates stand behind each figure). Series shorter than 12 periods a side were not measured
and are labelled approximate too.
"""

from __future__ import annotations

__all__ = [
    "APPROXIMATE_BELOW",
    "BAND_LOW",
    "LOWEST",
    "MEASURED_FREQUENCY",
    "NAIVE_LOWEST",
    "calibration_note",
    "frequency_note",
    "is_length_note",
    "uncalibrated_note",
    "RHO_MISMATCH",
    "rho_bound_note",
    "rho_mismatch_note",
    "underdispersion_note",
]

BAND_LOW = 0.93
BUCKETS = (12, 24, 36, 60)
REPLICATES = 100  # a cell, or 400 where re-measured (see LOWEST)
# Anything measured below the band is labelled approximate.
APPROXIMATE_BELOW = BAND_LOW

# design -> kind -> pre-periods -> lowest measured coverage of the default 95% interval, from
# the full grid at 100 replicates a cell on the current methods (linear Kenward-Roger standard
# errors), except the 77 cells that run flagged (coverage below 93% or rejection above 7%),
# re-measured at 400 replicates (Monte Carlo SE about 1.2 points); their 400-replicate figure
# replaces the 100-replicate one. docs/calibration-table.md lists both runs.
LOWEST: dict[str, dict[str, dict[int, float]]] = {
    "pre_post": {
        "continuous": {12: 0.93, 24: 0.93, 36: 0.94, 60: 0.94},
        "count": {12: 0.945, 24: 0.912, 36: 0.918, 60: 0.908},
    },
    "its": {
        "continuous": {12: 0.94, 24: 0.93, 36: 0.95, 60: 0.93},
        "count": {12: 0.938, 24: 0.922, 36: 0.91, 60: 0.898},
    },
    "did": {
        "continuous": {12: 0.94, 24: 0.94, 36: 0.93, 60: 0.93},
        "count": {12: 0.933, 24: 0.922, 36: 0.91, 60: 0.90},
    },
    "its_with_comparison": {
        "continuous": {12: 0.93, 24: 0.93, 36: 0.93, 60: 0.925},
        "count": {12: 0.913, 24: 0.939, 36: 0.93, 60: 0.93},
    },
}


# The benchmark simulated monthly series only; ``LOWEST`` says nothing about other lengths.
MEASURED_FREQUENCY = "M"
_FREQUENCY_WORDS = {"W": "weekly", "Q": "quarterly", "Y": "yearly"}
# Every length note of :func:`calibration_note` starts with one of these.
_LENGTH_NOTE_STARTS = ("Approximate interval: with only ", "Approximate interval: for series with")


def calibration_note(
    design: str, kind: str, n_pre: int, n_post: int | None = None
) -> tuple[float | None, str | None]:
    """``(lowest measured coverage, warning)`` for a default-method result with ``n_pre``
    pre-intervention periods (and ``n_post`` after); the warning is ``None`` when the
    benchmark held the band. The benchmark simulated as many periods after the start as
    before, so the shorter side picks the length bucket: a long pre-period does not vouch
    for an interval resting on a few post-periods."""
    table = LOWEST.get(design, {}).get(kind)
    if table is None:
        return None, None
    side = "before"
    if n_post is not None and n_post < n_pre:
        n_pre, side = n_post, "after"
    if n_pre < BUCKETS[0]:
        return None, (
            f"Approximate interval: with only {n_pre} periods {side} the start, the "
            f"autocorrelation cannot be estimated well and the calibration benchmark (which "
            f"starts at {BUCKETS[0]}) cannot vouch for the 95% interval; expect it to be too "
            f"narrow. Treat the finding as indicative only."
        )
    bucket = max(b for b in BUCKETS if b <= n_pre)
    coverage = table[bucket]
    if coverage >= APPROXIMATE_BELOW:
        return coverage, None
    return coverage, (
        f"Approximate interval: for series with about {bucket} periods {side} the start, the "
        f"calibration benchmark measured this method's 95% intervals covering the truth in "
        f"only {100 * coverage:.0f}% of simulated series in its hardest setting (the target "
        f"is 95%), so the interval may be too narrow and no improvement or worsening is "
        f"claimed. More periods {side} the start would make it more reliable."
    )


# design -> kind -> lowest coverage the same benchmark measured for the former defaults (the
# "naive" columns of docs/methods.md: Newey-West ITS, Welch / quasi-Poisson pre/post, HC1 DiD
# on the pooled comparison), over every length. These are the ``errors="independent"`` and
# ``cov="HC1"`` options still offered for comparison.
NAIVE_LOWEST: dict[str, dict[str, float]] = {
    "pre_post": {"continuous": 0.62, "count": 0.82},
    "its": {"continuous": 0.60, "count": 0.57},
    "did": {"continuous": 0.67, "count": 0.86},
    "its_with_comparison": {"continuous": 0.78, "count": 0.91},
}


def uncalibrated_note(design: str, kind: str, option: str, *, measured: bool) -> str:
    """The approximate label for a result computed with a non-default error option.

    Only the defaults hold the band; ``measured`` options are the former defaults, whose
    lowest measured coverage is quoted, the others were not measured at all. Either way the
    result is approximate and gets no improved/worsened badge."""
    coverage = NAIVE_LOWEST.get(design, {}).get(kind)
    if measured and coverage is not None:
        how = (
            f"the calibration benchmark measured its 95% intervals covering the truth in as "
            f"few as {100 * coverage:.0f}% of simulated series (the target is 95%)"
        )
    else:
        how = "the calibration benchmark did not measure it, so its 95% interval is unverified"
    return (
        f"Approximate interval: this result uses the non-default option {option}, and {how}; "
        f"the interval may be too narrow and no improvement or worsening is claimed. Re-run "
        f"with the default error model for a calibrated interval."
    )


def is_length_note(warning: str) -> bool:
    """Whether ``warning`` is a :func:`calibration_note` (which quotes monthly cells)."""
    return warning.startswith(_LENGTH_NOTE_STARTS)


def frequency_note(frequency: str) -> str | None:
    """The approximate label for a default-method result on a series that is not monthly
    (``frequency`` a pandas period code such as ``"Q-DEC"`` or ``"W-SUN"``); ``None`` for
    monthly series. The benchmark measured monthly series only, so neither its coverage
    figures nor its band can be claimed for weekly or quarterly ones: a quarterly series has
    a quarter of the periods a year to estimate autocorrelation and seasonality from, and a
    weekly one a different autocorrelation altogether."""
    code = frequency[:1].upper()
    if code == MEASURED_FREQUENCY:
        return None
    word = _FREQUENCY_WORDS.get(code, "non-monthly")
    return (
        f"Approximate interval: the calibration benchmark measured the default methods on "
        f"monthly series only, so for this {word} series the 95% interval's coverage is "
        f"unverified; the interval may be too narrow and no improvement or worsening is "
        f"claimed."
    )


# A count fit whose Pearson dispersion is below this is far less variable than Poisson counts
# can be (for genuine Poisson counts over 12 or more periods the estimate falls this low well
# under 2% of the time): near-constant counts, a formula or a copied column. Its interval
# then rests on a variance the data barely inform, so the result is labelled approximate.
UNDERDISPERSED_BELOW = 0.2


def underdispersion_note(kind: str, dispersion: float | None) -> str | None:
    """The approximate label for count data that vary far less than Poisson counts, else
    ``None`` (continuous outcomes, unknown or ordinary dispersion)."""
    if kind != "count" or dispersion is None or not dispersion < UNDERDISPERSED_BELOW:
        return None
    return (
        f"Approximate interval: the counts vary far less than counts of events do (Pearson "
        f"dispersion {dispersion:.2g}, where independent events give about 1), so the interval "
        f"rests on a variance the data barely inform and may be far too narrow; no improvement "
        f"or worsening is claimed. Check that the right column was uploaded (not a target, a "
        f"rounded average or a formula)."
    )


# The REML search for rho stops at +-0.98 (fitting.RHO_BOUND); an estimate this close is on it.
RHO_AT_BOUND = 0.975


def rho_bound_note(rho: float | None) -> str | None:
    """The approximate label for a level-change model (pre/post, difference-in-differences)
    whose AR(1) autocorrelation was estimated at the edge of its range, else ``None``.

    At +0.98 the series drifts or trends (each period carries on from the last), at -0.98 it
    alternates (reporting every other period, say); neither is a stationary AR(1) around two
    levels, and the GLS estimate then rests on the few periods next to the start or the
    interval is far too narrow. Seen on placebo series of 12 + 12 months with rho 0.6 in 2 of
    200 (pre/post). A gentle trend does not reach the bound (rho stays well inside it), and
    the label does not catch it: pre/post assumes no trend, which its caveats say."""
    if rho is None or abs(rho) < RHO_AT_BOUND:
        return None
    pattern = (
        "each period carries on from the last almost entirely, as in a series with a steep "
        "trend or a drift, so the estimate rests on the periods next to the start rather than on "
        "the two periods' levels"
        if rho > 0
        else "the values alternate up and down almost perfectly from one period to the next "
        "(as when events are reported every other period), so the interval is far too narrow"
    )
    return (
        f"Approximate interval: the autocorrelation was estimated at the limit of its range "
        f"(rho = {rho:.2f}): {pattern}. The model (two levels with first-order autoregressive "
        f"errors) does not describe such a series, so no improvement or worsening is claimed. "
        f"Look at the series chart: an interrupted time series allows for a trend, and for "
        f"counts a pre/post comparison with errors 'exact' compares the totals."
    )


# How far a difference-in-differences panel's common rho may fall below the treated-minus-
# comparison series' own before the interval is labelled approximate.
RHO_MISMATCH = 0.15


def rho_mismatch_note(own: float, common: float) -> str:
    """The approximate label for a difference-in-differences panel whose common AR(1) rho
    (``common``, shared by every area) is well below that of the treated-minus-comparison
    series (``own``): comparison areas with little autocorrelation pull the shared rho down,
    and the interval for the treated area's change is then too narrow. Measured on placebo
    panels (a treated area with rho 0.8, three white-noise comparison areas, 24 + 24 months),
    the 95% intervals excluded no change in 39% of series before this label; with it, 99 of
    100 are labelled. It also labels panels whose areas share one rho: 2-9 of 100 at 24 + 24
    months (rho 0.3, 0.6), 19 of 100 at 12 + 12 (rho 0.6), where the estimated rhos scatter."""
    return (
        f"Approximate interval: the areas' period-to-period correlation differs: the "
        f"treated-minus-comparison series has an estimated autocorrelation of {own:.2f}, but "
        f"the panel shares one of {common:.2f} across all areas, so the interval may be too "
        f"narrow and no improvement or worsening is claimed. Comparison areas whose values "
        f"move more like the treatment area's would make the comparison more reliable."
    )
