"""Turn one site's result into an effect size with a variance, ready for meta-analysis.

Sites report on different outcomes and designs, so pooling needs a common scale:

* ratio-scale results (counts: rate ratios, ratios of rate ratios) pool as **log rate
  ratios**, with variance se^2 (``se`` is already on the log scale);
* continuous pre/post results pool as **Hedges' g** (standardised mean difference);
* other difference-scale results (DiD, ITS) pool as raw **mean differences**, which is only
  meaningful when every site measures the outcome in the same units.

:func:`effect_size_from_result` returns the label with the numbers so the caller can refuse to
pool effects on different scales.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from scipy import special

from .errors import InvalidInputError

__all__ = [
    "LOG_RATE_RATIO",
    "HEDGES_G",
    "MEAN_DIFFERENCE",
    "effect_size_from_result",
    "hedges_g",
    "hedges_g_variance",
    "hedges_j",
    "log_rate_ratio_effect",
]

LOG_RATE_RATIO = "log rate ratio"
HEDGES_G = "Hedges' g"
MEAN_DIFFERENCE = "mean difference"


def _field(result: Any, name: str) -> Any:
    """Read a field from a result object or from its ``to_dict()`` form."""
    if isinstance(result, Mapping):
        return result.get(name)
    return getattr(result, name, None)


def hedges_j(df: float) -> float:
    """Exact small-sample correction J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)).

    Approximately 1 - 3 / (4m - 1); m = n1 + n2 - 2.
    """
    if df <= 1:
        raise InvalidInputError("Hedges' g needs at least 4 observations in total.")
    return math.exp(special.gammaln(df / 2) - special.gammaln((df - 1) / 2)) / math.sqrt(df / 2)


def hedges_g(
    mean_treatment: float,
    mean_control: float,
    sd_treatment: float,
    sd_control: float,
    n_treatment: int,
    n_control: int,
) -> float:
    """Bias-corrected standardised mean difference (treatment minus control).

    g = J(m) (mean_t - mean_c) / s_pooled with s_pooled^2 = ((n_t-1) sd_t^2 + (n_c-1) sd_c^2)
    / m and m = n_t + n_c - 2 (Hedges 1981; the exact J, as metafor's ``escalc("SMD")``).
    """
    if n_treatment < 2 or n_control < 2:
        raise InvalidInputError("Hedges' g needs at least 2 observations in each group.")
    m = n_treatment + n_control - 2
    pooled = math.sqrt(((n_treatment - 1) * sd_treatment**2 + (n_control - 1) * sd_control**2) / m)
    if pooled == 0:
        raise InvalidInputError("Hedges' g is undefined when both groups have no variation.")
    return hedges_j(m) * (mean_treatment - mean_control) / pooled


def hedges_g_variance(g: float, n_treatment: int, n_control: int) -> float:
    """Large-sample variance 1/n_t + 1/n_c + g^2 / (2 (n_t + n_c)) (metafor's default)."""
    return 1.0 / n_treatment + 1.0 / n_control + g**2 / (2.0 * (n_treatment + n_control))


def log_rate_ratio_effect(result: Any) -> tuple[float, float]:
    """``(log ratio, variance)`` of a ratio-scale result: its log coefficient and se^2."""
    if _field(result, "scale") != "ratio":
        raise InvalidInputError(
            "This result is not on the ratio scale (it is not a rate ratio), so it has no log "
            "rate ratio."
        )
    log_estimate = _field(result, "log_estimate")
    if log_estimate is None:
        log_estimate = math.log(float(_field(result, "estimate")))
    se = _field(result, "se")
    if se is None or not math.isfinite(float(se)) or float(se) <= 0:
        raise InvalidInputError("The result has no usable standard error to weight it by.")
    return float(log_estimate), float(se) ** 2


def effect_size_from_result(result: Any) -> tuple[float, float, str]:
    """``(estimate, variance, scale_label)`` for pooling one site's result.

    Accepts a result object or its ``to_dict()`` output. Ratio-scale results give the log
    rate ratio and se^2; a continuous pre/post result gives Hedges' g and its variance; any
    other difference-scale result gives the raw difference and se^2 (label "mean difference").
    For an ITS result this is the level change (its top-level estimate).
    """
    if _field(result, "scale") == "ratio":
        estimate, variance = log_rate_ratio_effect(result)
        return estimate, variance, LOG_RATE_RATIO
    g = _field(result, "hedges_g")
    g_var = _field(result, "hedges_g_variance")
    if g is not None and g_var is not None:
        return float(g), float(g_var), HEDGES_G
    estimate, se = _field(result, "estimate"), _field(result, "se")
    if estimate is None or se is None or not float(se) > 0:
        raise InvalidInputError("The result has no usable estimate and standard error to pool.")
    return float(estimate), float(se) ** 2, MEAN_DIFFERENCE
