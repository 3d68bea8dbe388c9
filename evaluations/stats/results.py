"""Result objects returned by every analysis, and the small numeric kernels behind them.

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

The fitting kernels (ordinary least squares with classical / HC1 / cluster / Newey-West
sandwiches, and a Poisson maximum-likelihood fit) live here because both the
difference-in-differences and the interrupted-time-series modules use them. They work on plain
numpy arrays: the analyses are run in bulk and formula parsing or pandas overhead would dominate.
Each kernel reproduces one statsmodels computation exactly (same small-sample factors, same
reference distribution); the tests compare them to statsmodels on the same data.
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

from .errors import ConvergenceError

__all__ = [
    "DEFAULT_ALPHA",
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
RESULT_SCHEMA_VERSION = 1

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

    Continuous outcomes: ``estimate`` is mean(post) - mean(pre). ``hedges_g`` (with
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
    """``data`` in the current layout. Version 0 (no ``schema_version`` stored) has the same
    fields as version 1, so it reads unchanged; a newer version than this code knows is an
    error rather than a silent misreading."""
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


# --------------------------------------------------------------------------------------------
# Least squares kernels
# --------------------------------------------------------------------------------------------


@dataclass
class LinearFit:
    """An OLS fit: coefficients, residuals and the inverse cross-product ``(X'X)^-1``."""

    beta: np.ndarray
    resid: np.ndarray
    xtx_inv: np.ndarray
    n: int
    k: int

    @property
    def df_resid(self) -> int:
        return self.n - self.k


def ols_fit(x: np.ndarray, y: np.ndarray) -> LinearFit:
    """Ordinary least squares by the normal equations (designs here have at most ~25 columns)."""
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ (x.T @ y)
    resid = y - x @ beta
    n, k = x.shape
    return LinearFit(beta=beta, resid=resid, xtx_inv=xtx_inv, n=n, k=k)


def _sandwich(bread: np.ndarray, meat: np.ndarray) -> np.ndarray:
    return bread @ meat @ bread


def cov_classical(fit: LinearFit) -> np.ndarray:
    """s^2 (X'X)^-1 with s^2 = RSS / (n - k): statsmodels' ``nonrobust``."""
    s2 = float(fit.resid @ fit.resid) / fit.df_resid
    return s2 * fit.xtx_inv


def cov_hc1(x: np.ndarray, fit: LinearFit) -> np.ndarray:
    """White sandwich times n / (n - k): statsmodels' ``HC1``."""
    xu = x * fit.resid[:, None]
    return _sandwich(fit.xtx_inv, xu.T @ xu) * (fit.n / fit.df_resid)


def cluster_meat(scores: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of outer products of per-cluster score sums."""
    k = scores.shape[1]
    sums = np.empty((n_groups, k))
    for j in range(k):
        sums[:, j] = np.bincount(codes, weights=scores[:, j], minlength=n_groups)
    return sums.T @ sums


def cov_cluster(
    bread: np.ndarray, scores: np.ndarray, codes: np.ndarray, n_groups: int
) -> np.ndarray:
    """Cluster sandwich with statsmodels' default factor G/(G-1) * (n-1)/(n-k)."""
    n, k = scores.shape
    cov = _sandwich(bread, cluster_meat(scores, codes, n_groups))
    return cov * (n_groups / (n_groups - 1.0) * ((n - 1.0) / (n - k)))


def newey_west_meat(scores: np.ndarray, lags: int) -> np.ndarray:
    """Bartlett-kernel HAC meat: sum over lags of (1 - l/(L+1)) (G_l + G_l')."""
    meat = scores.T @ scores
    for lag in range(1, lags + 1):
        gamma = scores[lag:].T @ scores[:-lag]
        meat += (1.0 - lag / (lags + 1.0)) * (gamma + gamma.T)
    return meat


def cov_hac(x: np.ndarray, fit: LinearFit, lags: int) -> np.ndarray:
    """Newey-West covariance as statsmodels ``cov_type="HAC"`` (Bartlett, no correction)."""
    return _sandwich(fit.xtx_inv, newey_west_meat(x * fit.resid[:, None], lags))


def cov_hac_panel(x: np.ndarray, fit: LinearFit, lags: int, blocks: Sequence[slice]) -> np.ndarray:
    """Newey-West within each contiguous block (series), summed, times n / (n - k).

    This is statsmodels ``cov_type="hac-panel"`` with its default ``use_correction="hac"``.
    """
    xu = x * fit.resid[:, None]
    meat = sum(newey_west_meat(xu[b], lags) for b in blocks)
    return _sandwich(fit.xtx_inv, meat) * (fit.n / fit.df_resid)


def durbin_watson(resid: np.ndarray) -> float:
    """Durbin-Watson statistic: sum of squared successive differences over sum of squares."""
    diff = np.diff(resid)
    return float(diff @ diff / (resid @ resid))


# --------------------------------------------------------------------------------------------
# Poisson kernel
# --------------------------------------------------------------------------------------------


@dataclass
class PoissonFit:
    """A Poisson (log link) maximum-likelihood fit with an offset."""

    beta: np.ndarray
    mu: np.ndarray
    hessian_inv: np.ndarray  # (X' diag(mu) X)^-1
    pearson_chi2: float
    n: int
    k: int

    @property
    def df_resid(self) -> int:
        return self.n - self.k

    @property
    def dispersion(self) -> float:
        """Pearson chi2 / residual df (statsmodels' ``scale="X2"``); NaN without residual df."""
        return self.pearson_chi2 / self.df_resid if self.df_resid > 0 else math.nan


def poisson_from_mu(x: np.ndarray, y: np.ndarray, beta: np.ndarray, mu: np.ndarray) -> PoissonFit:
    """Package a Poisson fit whose fitted means are already known (closed-form cases)."""
    hessian_inv = np.linalg.inv(x.T @ (x * mu[:, None]))
    pearson = float(np.sum((y - mu) ** 2 / mu))
    n, k = x.shape
    return PoissonFit(beta, mu, hessian_inv, pearson, n, k)


def poisson_fit(
    x: np.ndarray, y: np.ndarray, offset: np.ndarray, *, tol: float = 1e-12, maxiter: int = 100
) -> PoissonFit:
    """Poisson regression by Newton-Raphson with step halving (log link, ``offset`` added).

    Starts from a weighted least-squares fit of log((y + mean y) / 2) - offset, as
    statsmodels' IRLS does, and iterates until the largest coefficient change is below
    ``tol`` (relative). The log-likelihood is concave, so this reaches the same maximum as
    statsmodels' GLM; the tests check agreement to 1e-6 relative.
    """
    mu = (y + y.mean()) / 2.0
    z = np.log(mu) - offset
    w = mu
    xw = x * w[:, None]
    beta = np.linalg.solve(x.T @ xw, xw.T @ z)
    eta = x @ beta + offset
    mu = np.exp(eta)
    loglik = float(y @ eta - mu.sum())
    for _ in range(maxiter):
        hessian = x.T @ (x * mu[:, None])
        step = np.linalg.solve(hessian, x.T @ (y - mu))
        scale = 1.0
        for _halving in range(30):
            new_beta = beta + scale * step
            new_eta = x @ new_beta + offset
            new_mu = np.exp(new_eta)
            new_loglik = float(y @ new_eta - new_mu.sum())
            if new_loglik >= loglik - 1e-12 * abs(loglik):
                break
            scale /= 2.0
        beta, eta, mu, loglik = new_beta, new_eta, new_mu, new_loglik
        if np.max(np.abs(scale * step)) <= tol * (1.0 + np.max(np.abs(beta))):
            break
    else:
        raise ConvergenceError(
            "The count model did not converge. This usually means one group or period has "
            "(almost) no events; check for long runs of zero counts."
        )
    if not np.all(np.isfinite(beta)):
        raise ConvergenceError(
            "The count model produced infinite estimates. Check for a group or period whose "
            "counts are all zero."
        )
    return poisson_from_mu(x, y, beta, mu)


def poisson_cov(fit: PoissonFit, *, quasi: bool = True) -> tuple[np.ndarray, bool]:
    """Model-based covariance, scaled by the Pearson dispersion when that exceeds 1.

    Returns ``(cov, used_quasi)``. Scaling matches statsmodels ``GLM(...).fit(scale="X2")``.
    """
    disp = fit.dispersion
    if quasi and math.isfinite(disp) and disp > 1.0:
        return fit.hessian_inv * disp, True
    return fit.hessian_inv, False


def poisson_cov_cluster(
    x: np.ndarray, fit: PoissonFit, y: np.ndarray, codes: np.ndarray, n_groups: int
) -> np.ndarray:
    """Cluster-robust Poisson covariance as statsmodels ``GLM.fit(cov_type="cluster")``."""
    scores = x * (y - fit.mu)[:, None]
    return cov_cluster(fit.hessian_inv, scores, codes, n_groups)


def poisson_method(used_quasi: bool, dispersion: float) -> str:
    """The standard-error half of a ``method`` sentence for a Poisson fit."""
    if used_quasi:
        return (
            f"quasi-Poisson standard errors (model-based, scaled by the square root of the "
            f"Pearson dispersion {dispersion:.3g}); Wald tests and intervals use the normal "
            f"distribution on the log scale"
        )
    disp = "not estimable" if not math.isfinite(dispersion) else f"{dispersion:.3g}"
    return (
        f"Poisson model-based standard errors (Pearson dispersion {disp}, not above 1, so no "
        f"scaling); Wald tests and intervals use the normal distribution on the log scale"
    )
