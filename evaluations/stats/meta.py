"""Pooling site results: inverse-variance fixed-effect and random-effects meta-analysis.

Sites implementing the same strategy will not all have the same true effect (different
populations, different implementation), so the random-effects model is the default for
cross-site summaries: it estimates the between-site variance tau^2, widens the pooled interval
accordingly and reports a prediction interval for the effect at a new site, which is usually
the more useful number for a jurisdiction deciding whether to adopt a strategy.

Checked against: DerSimonian-Laird against ``statsmodels.stats.meta_analysis.combine_effects``
(``method_re="dl"``); statsmodels has no REML estimator (its "iterated" option is
Paule-Mandel), so REML is checked against a direct numerical maximisation of the restricted
likelihood and against the published BCG-vaccine results (Viechtbauer 2010, metafor).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import optimize, special

from .errors import (
    ConvergenceError,
    InvalidInputError,
    MismatchedLengthsError,
    MissingValueError,
    TooFewStudiesError,
)
from .results import MetaResult, critical_value, wald_result

__all__ = ["fixed_effect", "random_effects", "tau2_dersimonian_laird", "tau2_reml"]

ArrayLike = Sequence[float] | np.ndarray


def _inputs(estimates: ArrayLike, variances: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    try:
        y = np.asarray(estimates, dtype=float).ravel()
        v = np.asarray(variances, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise InvalidInputError("Estimates and variances must be numbers.") from exc
    if y.size != v.size:
        raise MismatchedLengthsError(
            f"There are {y.size} estimates but {v.size} variances; each site needs both."
        )
    if np.isnan(y).any() or np.isnan(v).any():
        raise MissingValueError(
            "Some sites have a blank estimate or variance; remove them or fill them in."
        )
    if y.size < 2:
        raise TooFewStudiesError(
            f"A meta-analysis needs at least 2 site results; {y.size} "
            f"{'was' if y.size == 1 else 'were'} given."
        )
    if not np.isfinite(y).all() or not np.isfinite(v).all() or (v <= 0).any():
        raise InvalidInputError(
            "Every site's variance must be a positive, finite number (the square of its "
            "standard error)."
        )
    return y, v


def _q(y: np.ndarray, v: np.ndarray) -> float:
    w = 1.0 / v
    mu = float(w @ y / w.sum())
    return float(w @ (y - mu) ** 2)


def tau2_dersimonian_laird(estimates: ArrayLike, variances: ArrayLike) -> float:
    """DerSimonian-Laird moment estimator max(0, (Q - (k-1)) / (sum w - sum w^2 / sum w))."""
    y, v = _inputs(estimates, variances)
    w = 1.0 / v
    c = w.sum() - (w @ w) / w.sum()
    return max(0.0, (_q(y, v) - (y.size - 1)) / c)


def _restricted_loglik(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """Restricted log-likelihood of the random-effects model (up to a constant)."""
    w = 1.0 / (v + tau2)
    mu = float(w @ y / w.sum())
    return -0.5 * float(np.sum(np.log(v + tau2)) + math.log(w.sum()) + w @ (y - mu) ** 2)


def tau2_reml(
    estimates: ArrayLike, variances: ArrayLike, *, tol: float = 1e-12, maxiter: int = 200
) -> float:
    """Restricted maximum-likelihood tau^2 by Fisher scoring (as metafor), truncated at 0.

    Update: tau2 += (sum w^2 (y - mu)^2 - tr P) / tr P^2, with w = 1/(v + tau2) and
    P = W - w w' / sum w, starting from the DerSimonian-Laird value. A full scoring step can
    overshoot and oscillate on awkward data, so a step that lowers the restricted likelihood
    is halved until it does not (metafor's step adjustment); the iteration then climbs
    monotonically and converges.
    """
    y, v = _inputs(estimates, variances)
    tau2 = tau2_dersimonian_laird(y, v)
    loglik = _restricted_loglik(y, v, tau2)
    for _ in range(maxiter):
        w = 1.0 / (v + tau2)
        sw = w.sum()
        mu = float(w @ y / sw)
        sw2 = float(w @ w)
        tr_p = sw - sw2 / sw
        tr_pp = sw2 - 2.0 * float(np.sum(w**3)) / sw + (sw2 / sw) ** 2
        step = (float(np.sum(w**2 * (y - mu) ** 2)) - tr_p) / tr_pp
        new = max(0.0, tau2 + step)
        new_loglik = _restricted_loglik(y, v, new)
        halvings = 0
        while new_loglik < loglik and halvings < 60:
            step /= 2.0
            new = max(0.0, tau2 + step)
            new_loglik = _restricted_loglik(y, v, new)
            halvings += 1
        if abs(new - tau2) <= tol * max(1.0, tau2):
            return new
        tau2, loglik = new, new_loglik
    return _tau2_reml_bounded(y, v)


def _tau2_reml_bounded(y: np.ndarray, v: np.ndarray) -> float:
    """Fallback when scoring crawls: maximise the restricted likelihood by bounded Brent search.

    The likelihood is unimodal in practice on [0, upper]; the boundary 0 is compared
    explicitly because Brent's method never evaluates the interval's ends.
    """
    upper = 10.0 * max(float(np.var(y, ddof=1)), float(v.max()), 1e-8)
    fit = optimize.minimize_scalar(
        lambda t: -_restricted_loglik(y, v, t),
        bounds=(0.0, upper),
        method="bounded",
        options={"xatol": 1e-13, "maxiter": 2000},
    )
    if not fit.success:
        raise ConvergenceError(
            "The REML estimate of the between-site variance did not converge; try method='DL'."
        )
    best = float(fit.x)
    return 0.0 if _restricted_loglik(y, v, 0.0) >= _restricted_loglik(y, v, best) else best


def _pool(
    y: np.ndarray,
    v: np.ndarray,
    tau2: float,
    *,
    alpha: float,
    model: str,
    tau2_method: str | None,
    method: str,
    knapp_hartung: bool = False,
    knapp_hartung_floor: bool = True,
) -> MetaResult:
    k = y.size
    w = 1.0 / (v + tau2)
    sw = float(w.sum())
    mu = float(w @ y / sw)
    se = math.sqrt(1.0 / sw)
    df: float | None = None
    if knapp_hartung:
        # Knapp & Hartung (2003) / Sidik & Jonkman (2002): scale the variance by the weighted
        # residual mean square and use t with k - 1 degrees of freedom. The modified form
        # floors the scale at 1 (Roever, Knapp & Friede 2015; Jackson et al. 2017): when the
        # sites agree more than their own variances predict, the unmodified interval is
        # narrower than the plain random-effects one, which the t quantile alone cannot
        # justify.
        scale = float(w @ (y - mu) ** 2) / (k - 1)
        if knapp_hartung_floor:
            scale = max(1.0, scale)
        se = math.sqrt(scale / sw)
        df = float(k - 1)
    q = _q(y, v)
    q_df = k - 1
    q_p = float(special.chdtrc(q_df, q))
    i2 = max(0.0, (q - q_df) / q) if q > 0 else 0.0

    pi_low = pi_high = None
    if model == "random" and k >= 3:
        half = critical_value(alpha, k - 2) * math.sqrt(tau2 + se**2)
        pi_low, pi_high = mu - half, mu + half

    warnings: list[str] = []
    if model == "random" and k < 5:
        warnings.append(
            f"Only {k} sites: the between-site variance is poorly estimated, so the pooled "
            f"interval may be too narrow or too wide."
        )
    if i2 >= 0.5:
        warnings.append(
            f"The sites' results differ much more than chance explains (I^2 = {100 * i2:.0f}%); "
            f"the pooled value is an average of different effects, so read the prediction "
            f"interval as well."
        )
    if model == "fixed" and q_p < alpha:
        warnings.append(
            "Heterogeneity is significant, so the fixed-effect assumption of one common effect "
            "is doubtful; consider the random-effects model."
        )
    return wald_result(
        mu,
        se,
        df=df,
        alpha=alpha,
        n=k,
        method=method,
        warnings=warnings,
        cls=MetaResult,
        k=k,
        model=model,
        tau2_method=tau2_method,
        tau2=float(tau2),
        i2=float(i2),
        q=q,
        q_df=q_df,
        q_p_value=q_p,
        pi_low=pi_low,
        pi_high=pi_high,
        weights=tuple(float(x) for x in w / sw),
    )


def fixed_effect(estimates: ArrayLike, variances: ArrayLike, *, alpha: float = 0.05) -> MetaResult:
    """Inverse-variance fixed-effect (common-effect) pooled estimate.

    Weights 1/v_i; pooled = sum w y / sum w, se = 1/sqrt(sum w), z test and normal interval.
    Cochran's Q and I^2 are reported; ``tau2`` is 0 and there is no prediction interval.
    Estimates must be on an additive scale (log rate ratios, Hedges' g, mean differences).
    Matches the fixed-effect part of statsmodels ``combine_effects``.
    """
    if not 0 < alpha < 1:
        raise InvalidInputError(f"alpha must be between 0 and 1, got {alpha}.")
    y, v = _inputs(estimates, variances)
    method = (
        "Fixed-effect (common-effect) meta-analysis with inverse-variance weights 1/v_i; Wald z "
        "test and normal-distribution interval; Cochran's Q test of heterogeneity."
    )
    return _pool(y, v, 0.0, alpha=alpha, model="fixed", tau2_method=None, method=method)


def random_effects(
    estimates: ArrayLike,
    variances: ArrayLike,
    *,
    method: str = "REML",
    alpha: float = 0.05,
    knapp_hartung: bool = False,
    knapp_hartung_floor: bool = True,
) -> MetaResult:
    """Inverse-variance random-effects pooled estimate with between-site variance tau^2.

    ``method="REML"`` (restricted maximum likelihood by Fisher scoring, metafor's default) or
    ``"DL"`` (DerSimonian-Laird 1986 moment estimator); tau^2 is truncated at 0. Weights are
    1/(v_i + tau^2); pooled estimate, se = 1/sqrt(sum w), Wald z test and normal interval.
    ``i2`` is Higgins & Thompson's (Q - df)/Q (a proportion), the same for both estimators.
    The prediction interval is pooled +/- t_{k-2} sqrt(tau^2 + se^2) (Higgins, Thompson &
    Spiegelhalter 2009), ``None`` when k < 3. ``weights`` are normalised to sum to 1.

    ``method="HKSJ"``: tau^2 by REML with the Knapp-Hartung adjustment (the same as
    ``method="REML", knapp_hartung=True``); the name the comparison page's ``pooling`` option
    uses.

    ``knapp_hartung=True``: the modified Hartung-Knapp-Sidik-Jonkman adjustment, which scales
    the pooled variance by q = sum w (y - mu)^2 / (k - 1) floored at 1, max(1, q), and uses t
    with k - 1 degrees of freedom (Roever, Knapp & Friede 2015; metafor's ``test="adhoc"``).
    The floor keeps the interval at least as wide as the plain random-effects one with a t
    quantile: unmodified HKSJ gives a narrower interval than the z one whenever the sites
    agree closely (q < 1), which with 2-5 sites happens often. ``knapp_hartung_floor=False``
    gives the unmodified adjustment (= the "random effect wls" row of statsmodels
    ``combine_effects(...).summary_frame(use_t=True)``, which has no floor; its
    ``scale_hksj_re`` is q).

    Estimates must be on an additive scale (log rate ratios, Hedges' g, mean differences);
    exponentiate a pooled log rate ratio yourself to report it as a ratio.
    """
    if not 0 < alpha < 1:
        raise InvalidInputError(f"alpha must be between 0 and 1, got {alpha}.")
    y, v = _inputs(estimates, variances)
    key = method.upper()
    if key == "HKSJ":
        key, knapp_hartung = "REML", True
    if key == "DL":
        tau2 = tau2_dersimonian_laird(y, v)
        name = "DerSimonian-Laird moment estimator"
    elif key == "REML":
        tau2 = tau2_reml(y, v)
        name = "restricted maximum likelihood (Fisher scoring)"
    else:
        raise InvalidInputError(f"method must be 'REML', 'DL' or 'HKSJ', got {method!r}.")
    inference = (
        f"{'modified ' if knapp_hartung_floor else ''}Knapp-Hartung (HKSJ) adjusted variance"
        f"{' (scale factor floored at 1)' if knapp_hartung_floor else ''} with a t test and "
        "interval on k - 1 degrees of freedom"
        if knapp_hartung
        else "Wald z test and normal-distribution interval"
    )
    text = (
        f"Random-effects meta-analysis with inverse-variance weights 1/(v_i + tau^2), tau^2 by "
        f"{name}; {inference}; prediction interval with t on k - 2 degrees of freedom "
        f"(Higgins, Thompson & Spiegelhalter 2009)."
    )
    return _pool(
        y,
        v,
        tau2,
        alpha=alpha,
        model="random",
        tau2_method=key,
        method=text,
        knapp_hartung=knapp_hartung,
        knapp_hartung_floor=knapp_hartung_floor,
    )
