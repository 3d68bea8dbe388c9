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
LEGACY = {("seasonality", ""): "none", ("seasonality", None): "none"}


def options_clean(options: dict[str, Any]) -> dict[str, Any]:
    """Validated options; raises ``ValueError`` with a message naming the option and the
    allowed values. Empty values are dropped (the default applies)."""
    clean: dict[str, Any] = {}
    for key, value in options.items():
        if (key, value) in LEGACY:
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
