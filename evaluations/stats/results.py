"""Result objects returned by every analysis, and the Wald inference that fills them.

Every public analysis returns a frozen dataclass derived from :class:`EstimateResult`. The base
carries one estimate with its standard error, confidence interval, test statistic and p-value,
plus a ``method`` sentence (which model, which standard errors) and plain-language ``warnings``.
``to_dict()`` turns any result, including nested results and pandas Series, into JSON-safe
Python types, so results can be stored in a JSONField or sent through an API unchanged.

Scales
------
``scale == "difference"``: ``estimate`` and the interval are on the outcome's own scale
(for example "2.3 more cases per month"), ``log_estimate`` is ``None``.

``scale == "ratio"``: the model is log-linear (Poisson / quasi-Poisson). ``estimate``,
``ci_low`` and ``ci_high`` are exponentiated, so they read as rate ratios (0.8 = 20 % lower).
``log_estimate`` is the coefficient itself and ``se`` is the standard error **of the log
coefficient**, which is what a meta-analysis of ratios pools. ``statistic`` and ``p_value``
test ``log_estimate == 0`` (ratio == 1).

The numeric fitting kernels that produce the coefficients live in
:mod:`evaluations.stats.fitting`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

__all__ = [
    "DEFAULT_ALPHA",
    "events_phrase",
    "RESULT_SCHEMA_VERSION",
    "DiDResult",
    "EstimateResult",
    "ITSResult",
    "MetaResult",
    "PrePostResult",
    "confidence_label",
    "result_from_dict",
]

# The layout ``to_dict()`` writes. Bump it when a stored field changes meaning or shape, and
# teach ``_upgrade`` how to read the older layout. Results stored before the version was
# recorded read as version 0, whose layout is the same as version 1.
# Version 2 added the error model and calibration fields (``errors``, ``impact``, ``ar1_rho``,
# ``comparison_units``, ``approximate``, ``calibrated_coverage``); their defaults describe how
# version-1 results were computed, so those read unchanged.
RESULT_SCHEMA_VERSION = 2

# The significance level every analysis uses unless told otherwise (a 95% interval).
DEFAULT_ALPHA = 0.05


def confidence_label(alpha: float) -> str:
    """The interval's coverage as readers see it: "95%" for ``alpha`` 0.05, "90%" for 0.10."""
    return f"{100 * (1.0 - alpha):.4g}%"


# --------------------------------------------------------------------------------------------
# Result classes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EstimateResult:
    """One estimate with its uncertainty.

    Fields
    ------
    estimate, ci_low, ci_high:
        The point estimate and the ``1 - alpha`` confidence interval. On the ratio scale these
        are exponentiated (rate ratios); on the difference scale they are in outcome units.
    se:
        Standard error. On the ratio scale this is the SE of ``log_estimate`` (the log
        coefficient), not of the ratio.
    p_value, statistic, df:
        Two-sided Wald test of "no effect". ``df`` is the t-distribution degrees of freedom, or
        ``None`` when the normal distribution was used.
    n:
        Number of observations the model used.
    method:
        A sentence naming the model and the standard errors.
    scale:
        ``"difference"`` or ``"ratio"`` (see the module docstring).
    warnings:
        Plain-language caveats for the reader of the result.
    log_estimate:
        The log coefficient for ratio-scale results, ``None`` otherwise.
    alpha:
        The significance level used for the interval.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    statistic: float
    df: float | None
    n: int
    method: str
    scale: str = "difference"
    warnings: tuple[str, ...] = ()
    log_estimate: float | None = None
    alpha: float = DEFAULT_ALPHA

    # The tag ``to_dict()`` stores so ``result_from_dict`` knows which class to rebuild.
    result_type: ClassVar[str] = "estimate"

    @property
    def confidence_level(self) -> float:
        """The interval's coverage, ``1 - alpha`` (0.95 for the default ``alpha``)."""
        return 1.0 - self.alpha

    @property
    def confidence_percent(self) -> str:
        """The coverage as readers see it: "95%" for ``alpha`` 0.05, "90%" for 0.10."""
        return confidence_label(self.alpha)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-safe Python types (NaN and infinities become ``None``),
        tagged with its ``result_type`` and ``schema_version``; ``from_dict`` reverses it."""
        data = {f.name: _json_safe(getattr(self, f.name)) for f in dataclasses.fields(self)}
        data["result_type"] = self.result_type
        data["schema_version"] = RESULT_SCHEMA_VERSION
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EstimateResult:
        """Rebuild a result of this class from what ``to_dict()`` stored (any schema version
        up to the current one): ``None`` back to NaN where a number is required, lists back to
        tuples, nested results and series back to their types. Unknown keys are ignored."""
        data = _upgrade(data)
        hints = typing.get_type_hints(cls)
        values = {}
        for f in dataclasses.fields(cls):
            if f.name in data:
                values[f.name] = _from_json(data[f.name], hints[f.name])
        return cls(**values)


@dataclass(frozen=True, kw_only=True)
class PrePostResult(EstimateResult):
    """Result of :func:`evaluations.stats.pre_post`.

    Continuous outcomes: ``estimate`` is the post-minus-pre change in level: mean(post) -
    mean(pre) with independent errors; with ``errors="ar1"`` the GLS estimate, which weighs
    the periods unequally (``ar1_rho`` is the estimated autocorrelation). ``hedges_g`` (with
    ``hedges_g_variance``) and ``mann_whitney_p`` are reported as a standardised effect and a
    rank-based robustness check.

    Counts: ``estimate`` is the post/pre rate ratio; ``hedges_g`` and ``mann_whitney_p`` are
    ``None``; ``dispersion`` is the Pearson dispersion of the Poisson fit.

    ``pre_mean`` / ``post_mean`` are the period means (continuous) or rates, i.e. sum of
    counts / sum of exposure (counts); ``percent_change`` is 100 * (post/pre - 1) of them.
    """

    result_type: ClassVar[str] = "pre_post"

    kind: str = "continuous"
    pre_mean: float = math.nan
    post_mean: float = math.nan
    n_pre: int = 0
    n_post: int = 0
    percent_change: float | None = None
    hedges_g: float | None = None
    hedges_g_variance: float | None = None
    mann_whitney_p: float | None = None
    dispersion: float | None = None
    errors: str = "independent"
    ar1_rho: float | None = None
    approximate: bool = False
    calibrated_coverage: float | None = None


@dataclass(frozen=True, kw_only=True)
class DiDResult(EstimateResult):
    """Result of :func:`evaluations.stats.difference_in_differences`.

    ``means`` is the 2x2 table ``{"treated": {"pre": .., "post": ..}, "comparison": {...}}``
    of group means (counts with an exposure column: rates, i.e. sum of counts / sum of
    exposure). ``pre_trend`` is the treated x time interaction fitted on the pre period only,
    or ``None`` when fewer than two pre periods (or no time column) are available.
    """

    result_type: ClassVar[str] = "did"

    kind: str = "continuous"
    cov_type: str = "HC1"
    means: dict[str, dict[str, float]] = field(default_factory=dict)
    pre_trend: EstimateResult | None = None
    n_clusters: int | None = None
    dispersion: float | None = None
    ar1_rho: float | None = None
    approximate: bool = False
    calibrated_coverage: float | None = None


@dataclass(frozen=True, kw_only=True)
class ITSResult(EstimateResult):
    """Result of :func:`evaluations.stats.interrupted_time_series`.

    The top-level ``estimate`` (with its se, interval and p-value) is the **level change**: the
    immediate step at the intervention, identical to ``level_change``. ``slope_change`` is the
    change in the per-period trend. For counts both are ratios (rate ratio of the step, ratio of
    the per-period growth factors).

    ``fitted`` and ``counterfactual`` are pandas Series on the input index: the model's
    prediction, and the prediction with the post-intervention terms switched off (the
    pre-period trend projected forward). ``relative_effect_last`` is
    fitted / counterfactual - 1 at the last period.

    With a comparison series, ``level_change_difference`` and ``slope_change_difference`` are
    the treatment-minus-comparison differences (ratios for counts) from the stacked
    comparative model; otherwise they are ``None``.

    ``errors`` is the error model (``"ar1"``: AR(1) errors by REML; ``"independent"``: the older
    Newey-West / quasi-Poisson fit), ``ar1_rho`` its estimated autocorrelation, ``impact`` the
    impact model and ``comparison_units`` the number of comparison series. Results stored before
    these fields existed read with the defaults, which describe how they were computed.
    """

    result_type: ClassVar[str] = "its"

    kind: str = "continuous"
    level_change: EstimateResult | None = None
    slope_change: EstimateResult | None = None
    fitted: pd.Series | None = None
    counterfactual: pd.Series | None = None
    relative_effect_last: float | None = None
    durbin_watson: float | None = None
    hac_lags: int | None = None
    n_pre: int = 0
    n_post: int = 0
    intervention: str = ""
    dispersion: float | None = None
    level_change_difference: EstimateResult | None = None
    slope_change_difference: EstimateResult | None = None
    errors: str = "independent"
    impact: str = "level_and_slope"
    ar1_rho: float | None = None
    comparison_units: int = 0
    approximate: bool = False
    calibrated_coverage: float | None = None


@dataclass(frozen=True, kw_only=True)
class MetaResult(EstimateResult):
    """Result of :func:`evaluations.stats.random_effects` / :func:`fixed_effect`.

    ``tau2`` is the between-site variance (0 for the fixed-effect model). ``i2`` is Higgins &
    Thompson's I^2 = max(0, (Q - df) / Q) as a **proportion** in [0, 1]. ``q`` / ``q_df`` /
    ``q_p_value`` are Cochran's heterogeneity test. ``pi_low`` / ``pi_high`` is the prediction
    interval for a new site's effect (``None`` for the fixed-effect model or k < 3).
    ``weights`` are the per-study weights normalised to sum to 1.
    """

    result_type: ClassVar[str] = "meta"

    k: int = 0
    model: str = "random"
    tau2_method: str | None = None
    tau2: float = 0.0
    i2: float = 0.0
    q: float = 0.0
    q_df: int = 0
    q_p_value: float = math.nan
    pi_low: float | None = None
    pi_high: float | None = None
    weights: tuple[float, ...] = ()


# --------------------------------------------------------------------------------------------
# JSON conversion
# --------------------------------------------------------------------------------------------


def _json_float(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _json_label(value: Any) -> Any:
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    return _json_safe(value)


def _json_safe(value: Any) -> Any:
    """Convert ``value`` recursively to str / int / float / bool / None / list / dict."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, EstimateResult):
        return value.to_dict()
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _json_float(value)
    if isinstance(value, pd.Series):
        return {
            "index": [_json_label(i) for i in value.index],
            "values": [_json_safe(v) for v in value.tolist()],
        }
    if isinstance(value, (pd.Period, pd.Timestamp, dt.datetime, dt.date)):
        return _json_label(value)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [_json_safe(v) for v in value.tolist()]
    if isinstance(value, Sequence):
        return [_json_safe(v) for v in value]
    raise TypeError(f"Cannot convert {type(value).__name__} to JSON")


# --------------------------------------------------------------------------------------------
# Reading stored results
# --------------------------------------------------------------------------------------------


def _result_types() -> dict[str, type[EstimateResult]]:
    return {
        cls.result_type: cls
        for cls in (EstimateResult, PrePostResult, DiDResult, ITSResult, MetaResult)
    }


def _upgrade(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``data`` in the current layout. Versions 0 (no ``schema_version`` stored) and 1 lack
    only fields that have defaults, so they read unchanged; a newer version than this code
    knows is an error rather than a silent misreading."""
    version = data.get("schema_version", 0)
    if not isinstance(version, int) or version > RESULT_SCHEMA_VERSION:
        raise ValueError(
            f"Stored result has schema_version {version!r}; this code reads up to "
            f"{RESULT_SCHEMA_VERSION}. Upgrade the portal before reading it."
        )
    return data


def _legacy_result_type(data: Mapping[str, Any]) -> str:
    """The class of a result stored without ``result_type``, from the fields only it has."""
    for key, result_type in (
        ("level_change", "its"),
        ("means", "did"),
        ("tau2", "meta"),
        ("pre_mean", "pre_post"),
    ):
        if key in data:
            return result_type
    return "estimate"


def result_from_dict(data: Mapping[str, Any]) -> EstimateResult:
    """The typed result (``PrePostResult``, ``DiDResult``...) that ``to_dict()`` stored.

    The class comes from the stored ``result_type``; results stored before it was recorded
    are recognised by their fields. Raises ``ValueError`` for an empty or unknown payload."""
    if not data:
        raise ValueError("No stored result to read")
    result_type = data.get("result_type") or _legacy_result_type(data)
    try:
        cls = _result_types()[result_type]
    except KeyError:
        raise ValueError(f"Unknown result_type {result_type!r} in stored result") from None
    return cls.from_dict(data)


def _from_json(value: Any, hint: Any) -> Any:
    """``value`` (as ``_json_safe`` wrote it) converted back to the field type ``hint``."""
    args = typing.get_args(hint)
    optional = type(None) in args
    if value is None:
        return math.nan if hint is float else None
    inner = [a for a in args if a is not type(None)]
    target = inner[0] if optional and len(inner) == 1 else hint
    if isinstance(target, type) and issubclass(target, EstimateResult):
        return result_from_dict(value) if "result_type" in value else target.from_dict(value)
    if target is pd.Series:
        return _series_from_json(value)
    if typing.get_origin(target) is tuple:
        return tuple(math.nan if v is None else v for v in value)
    if target is float:
        return float(value)
    if target is int and isinstance(value, (int, float)):
        return int(value)
    return value


def _series_from_json(value: Mapping[str, Any]) -> pd.Series:
    """A series ``_json_safe`` stored; its labels come back as the strings it wrote."""
    values = [math.nan if v is None else v for v in value.get("values", [])]
    return pd.Series(values, index=pd.Index(value.get("index", [])), dtype=float)


# --------------------------------------------------------------------------------------------
# Wald inference
# --------------------------------------------------------------------------------------------


def critical_value(alpha: float, df: float | None) -> float:
    """Two-sided critical value: t with ``df`` degrees of freedom, or normal when df is None."""
    if df is None:
        return float(-special.ndtri(alpha / 2))
    return float(special.stdtrit(df, 1 - alpha / 2))


def two_sided_p(statistic: float, df: float | None) -> float:
    """Two-sided p-value of a t (``df``) or normal (``df is None``) statistic."""
    if df is None:
        return float(2 * special.ndtr(-abs(statistic)))
    return float(2 * special.stdtr(df, -abs(statistic)))


def wald_result(
    coef: float,
    se: float,
    *,
    df: float | None,
    alpha: float,
    n: int,
    method: str,
    scale: str = "difference",
    warnings: Sequence[str] = (),
    cls: type[EstimateResult] = EstimateResult,
    **extra: Any,
) -> Any:
    """Build a result for ``coef`` with standard error ``se`` (log scale when scale="ratio")."""
    coef = float(coef)
    se = float(se)
    statistic = coef / se if se > 0 else math.nan
    p_value = two_sided_p(statistic, df) if se > 0 else math.nan
    half = critical_value(alpha, df) * se
    if scale == "ratio":
        estimate = math.exp(coef)
        low, high = math.exp(coef - half), math.exp(coef + half)
        log_estimate: float | None = coef
    else:
        estimate, low, high, log_estimate = coef, coef - half, coef + half, None
    return cls(
        estimate=estimate,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=p_value,
        statistic=statistic,
        df=None if df is None else float(df),
        n=int(n),
        method=method,
        scale=scale,
        warnings=tuple(warnings),
        log_estimate=log_estimate,
        alpha=float(alpha),
        **extra,
    )


def copy_estimate_fields(result: EstimateResult) -> dict[str, Any]:
    """The base-class fields of ``result`` as keyword arguments (to lift into a subclass)."""
    return {f.name: getattr(result, f.name) for f in dataclasses.fields(EstimateResult) if f.init}


def events_phrase(count: float) -> str:
    """ "1 event", "0 events", "7 events" (for caveats that quote an event total)."""
    return f"{count:g} event" + ("" if count == 1 else "s")
