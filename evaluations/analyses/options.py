"""The analysis options a user may set, in one place: the admin form offers them, the service
(and so ``POST /api/v1/analyses/``) validates them, and ``data`` passes them to the statistics.

Missing options mean the calibrated defaults: AR(1) errors (``errors``/``cov`` = ``"ar1"``),
``seasonality="auto"`` and the ``level_and_slope`` impact model.
"""

from __future__ import annotations

from typing import Any

CHOICES: dict[str, tuple[str, ...]] = {
    "errors": ("ar1", "independent", "exact"),
    "cov": ("ar1", "HC1", "classical", "cluster"),
    "seasonality": ("auto", "none", "month", "quarter", "fourier"),
    "impact": ("level_and_slope", "level", "slope"),
}
# Whole-number options and their inclusive bounds (the form uses the same bounds).
BOUNDS: dict[str, tuple[int, int]] = {"hac_lags": (0, 24), "harmonics": (1, 6)}
# The older form stored an empty seasonality for "none".
LEGACY = {("seasonality", ""): "none"}


def options_clean(options: dict[str, Any]) -> dict[str, Any]:
    """Validated options; raises ``ValueError`` with a message naming the option and the
    allowed values. Null values are dropped (the default applies); an empty seasonality is
    the older form's "none"."""
    clean: dict[str, Any] = {}
    for key, value in options.items():
        if value is None and (key in CHOICES or key in BOUNDS):
            continue  # null means "the default", for every option alike
        if key in CHOICES and not isinstance(value, str | None):
            # A list or object from the API: refuse it by name (it is not hashable either).
            raise ValueError(
                f"Option {key} must be one of: {', '.join(CHOICES[key])} (a single text value, "
                f"not {type(value).__name__})."
            )
        if isinstance(value, str | None) and (key, value) in LEGACY:
            value = LEGACY[(key, value)]
        if key in BOUNDS:
            if value in (None, ""):
                continue
            low, high = BOUNDS[key]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"Option {key} must be a whole number from {low} to {high}.")
            clean[key] = value
        elif key in CHOICES:
            if value not in CHOICES[key]:
                raise ValueError(f"Option {key} must be one of: {', '.join(CHOICES[key])}.")
            clean[key] = value
        else:
            known = ", ".join([*CHOICES, *BOUNDS])
            raise ValueError(f"Unknown option {key!r}; the options are {known}.")
    if "hac_lags" in clean and clean.get("errors") != "independent":
        # Newey-West lags only mean something for the independent-errors model; accepting
        # them with the AR(1) default would silently ignore what the user asked for.
        raise ValueError(
            'Option hac_lags applies only with errors "independent" (Newey-West standard '
            "errors); leave it out for the default AR(1) error model."
        )
    return clean


# The options each design uses (``data.py`` passes only these to the statistics). Any other
# option with a non-default value would be stored and silently ignored, so it is refused.
DEFAULTS: dict[str, Any] = {
    "errors": "ar1",
    "cov": "ar1",
    "seasonality": "auto",
    "impact": "level_and_slope",
}
USED_BY: dict[str, frozenset[str]] = {
    "pre_post": frozenset({"errors", "seasonality", "harmonics"}),
    "did": frozenset({"cov"}),
    "its": frozenset({"errors", "seasonality", "harmonics", "impact", "hac_lags"}),
    "its_with_comparison": frozenset({"errors", "seasonality", "harmonics", "impact", "hac_lags"}),
}
DESIGN_WORDS = {
    "pre_post": "a pre/post comparison",
    "did": "a difference-in-differences",
    "its": "an interrupted time series",
    "its_with_comparison": "an interrupted time series with comparison",
}


def options_for_design(options: dict[str, Any], design: str) -> None:
    """Raise ``ValueError`` naming an option that ``design`` would ignore (given with a
    non-default value), so a result never looks as if it applied a choice it did not."""
    used = USED_BY.get(design)
    if used is None:
        return
    words = DESIGN_WORDS[design]
    for key, value in options.items():
        if key in used or value == DEFAULTS.get(key, object()):
            continue
        uses = ", ".join(sorted(used))
        raise ValueError(
            f"Option {key} does not apply to {words}, so it would be ignored; leave it out. "
            f"The options this design uses: {uses}."
        )
    if "hac_lags" in options and design == "pre_post":
        raise ValueError("Option hac_lags does not apply to a pre/post comparison.")
    seasonality = options.get("seasonality", "auto")
    if "harmonics" in options and seasonality not in ("auto", "fourier"):
        raise ValueError(
            f'Option harmonics (Fourier pairs) applies only with seasonality "fourier" or '
            f'"auto"; with seasonality "{seasonality}" it would be ignored. Leave it out or '
            f'choose seasonality "fourier".'
        )
