"""Numeric fitting kernels shared by the analyses: least squares with its sandwich covariances,
Poisson maximum likelihood, and regression with AR(1) errors fitted by REML.

They work on plain numpy arrays: the analyses run in bulk (and in the calibration benchmark
thousands of times), so formula parsing or pandas overhead would dominate. Each kernel
reproduces one statsmodels computation exactly (same small-sample factors, same reference
distribution); the tests compare them to statsmodels on the same data. A singular design raises
:class:`~evaluations.stats.errors.SingularDesignError`, never a raw ``LinAlgError``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from .errors import ConvergenceError, SingularDesignError

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


def checked_inverse(matrix: np.ndarray, what: str = "model") -> np.ndarray:
    """Inverse of a symmetric cross-product matrix, or a :class:`SingularDesignError` when it is
    singular or so ill-conditioned (relative to its own scale) that the inverse is noise."""
    if not np.all(np.isfinite(matrix)):
        raise SingularDesignError(
            f"The {what} could not be fitted: the data produced non-finite values."
        )
    scale = np.sqrt(np.abs(np.diag(matrix)))
    scale[scale == 0] = 1.0
    normalised = matrix / np.outer(scale, scale)
    if np.linalg.cond(normalised) > 1e12:
        raise SingularDesignError(
            f"The {what} cannot separate its terms with these data (for example a segment "
            f"with a single non-zero value, or a term that never varies). Use a longer "
            f"window, a simpler impact model, or a pre/post comparison of totals."
        )
    return np.linalg.inv(normalised) / np.outer(scale, scale)


def ols_fit(x: np.ndarray, y: np.ndarray) -> LinearFit:
    """Ordinary least squares by the normal equations (designs here have at most ~25 columns)."""
    xtx_inv = checked_inverse(x.T @ x, "regression")
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
    hessian_inv = checked_inverse(x.T @ (x * mu[:, None]), "count model")
    pearson = float(np.sum((y - mu) ** 2 / mu))
    n, k = x.shape
    return PoissonFit(beta, mu, hessian_inv, pearson, n, k)


def poisson_fit(
    x: np.ndarray, y: np.ndarray, offset: np.ndarray, *, tol: float = 1e-12, maxiter: int = 100
) -> PoissonFit:
    """Poisson regression (see :func:`_poisson_newton`); a singular step becomes a
    :class:`SingularDesignError` with a plain message."""
    try:
        return _poisson_newton(x, y, offset, tol=tol, maxiter=maxiter)
    except np.linalg.LinAlgError as exc:
        raise SingularDesignError(
            "The count model cannot separate its terms with these data (typically a segment "
            "whose only events fall in one period). Use a longer window, a simpler impact "
            "model, or a pre/post comparison of totals."
        ) from exc


def _poisson_newton(
    x: np.ndarray, y: np.ndarray, offset: np.ndarray, *, tol: float, maxiter: int
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
            # A long trial step can overflow exp(); such a step is halved like any other that
            # lowers the likelihood, without a RuntimeWarning.
            with np.errstate(over="ignore", invalid="ignore"):
                new_mu = np.exp(new_eta)
                new_loglik = float(y @ new_eta - new_mu.sum())
            if math.isfinite(new_loglik) and new_loglik >= loglik - 1e-12 * abs(loglik):
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


# --------------------------------------------------------------------------------------------
# Regression with AR(1) errors (REML)
# --------------------------------------------------------------------------------------------

RHO_BOUND = 0.98


@dataclass
class AR1Fit:
    """GLS fit of ``y = X b + u`` with stationary AR(1) errors at the REML estimate of rho.

    ``blocks`` are the lengths of independent series stacked in ``y`` (one AR(1) process each,
    sharing rho and sigma^2). ``gls_cov`` is sigma^2 (X' Omega^-1 X)^-1 with
    sigma^2 = RSS* / (n - k) from the whitened regression; ``cov`` is the same or, from
    :func:`ar1_reml_fit` and :func:`ar1_glm_fit`, its Kenward-Roger adjustment
    (:func:`kenward_roger_cov`). ``df`` = n - k - 1 is the fallback for t inference (one
    degree of freedom spent on rho) where Satterthwaite's cannot be computed.
    """

    beta: np.ndarray
    cov: np.ndarray
    rho: float
    sigma2: float
    resid: np.ndarray
    n: int
    k: int
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    blocks: Sequence[int] | None = None
    # sigma^2 (X' Omega^-1 X)^-1 at rho-hat, before any small-sample adjustment of ``cov``.
    gls_cov: np.ndarray | None = None

    @property
    def df(self) -> int:
        return self.n - self.k - 1

    def satterthwaite_df(self, j: int) -> float:
        """Satterthwaite degrees of freedom for coefficient ``j``: 2 v^2 / Var(v), where v is its
        variance as a function of (rho, log sigma^2) and Var(v) comes from the inverse Hessian
        of the REML criterion by the delta method (the approach of Satterthwaite 1946 as used
        for REML fits by lmerTest and by Turner et al. 2021 for interrupted time series).

        Falls back to n - k - 1 when the Hessian is not positive definite (rho on its bound).
        """
        if self.x is None or self.y is None:
            return float(self.df)
        try:
            return self._satterthwaite(j)
        except (np.linalg.LinAlgError, ValueError, OverflowError, ZeroDivisionError):
            return float(self.df)

    def reml_hessian(self) -> np.ndarray | None:
        """Hessian of minus the REML log-likelihood in (rho, log sigma^2) at the estimate, by
        central differences; ``None`` when it is not positive definite (rho on its bound)."""
        if self.x is None or self.y is None or abs(self.rho) + 2e-4 >= 1.0:
            return None
        x, y, blocks = self.x, self.y, self.blocks
        theta = np.array([self.rho, math.log(self.sigma2)])
        h = np.array([1e-4, 1e-4])

        def crit(t: np.ndarray) -> float:
            return _neg_reml_full(float(t[0]), float(t[1]), x, y, blocks)

        hess = np.empty((2, 2))
        for a in range(2):
            for b in range(2):
                ea, eb = np.eye(2)[a] * h[a], np.eye(2)[b] * h[b]
                hess[a, b] = (
                    crit(theta + ea + eb)
                    - crit(theta + ea - eb)
                    - crit(theta - ea + eb)
                    + crit(theta - ea - eb)
                ) / (4 * h[a] * h[b])
        if not np.all(np.isfinite(hess)) or np.linalg.det(hess) <= 0 or hess[0, 0] <= 0:
            return None
        return hess

    def _satterthwaite(self, j: int) -> float:
        assert self.x is not None and self.y is not None
        x, blocks = self.x, self.blocks
        theta = np.array([self.rho, math.log(self.sigma2)])
        h = np.array([1e-4, 1e-4])
        hess = self.reml_hessian()
        if hess is None:
            return float(self.df)

        def var(t: np.ndarray) -> float:
            xs = prais_winsten(x, float(t[0]), blocks)
            return math.exp(float(t[1])) * float(np.linalg.inv(xs.T @ xs)[j, j])

        v = var(theta)
        grad = np.array(
            [
                (var(theta + np.eye(2)[a] * h[a]) - var(theta - np.eye(2)[a] * h[a])) / (2 * h[a])
                for a in range(2)
            ]
        )
        spread = float(grad @ np.linalg.solve(hess, grad))
        if spread <= 0:
            return float(self.df)
        return float(min(max(2.0 * v * v / spread, 1.0), self.n - self.k))

    @property
    def marginal_variance(self) -> float:
        """Variance of the error process itself, sigma^2 / (1 - rho^2)."""
        return self.sigma2 / (1.0 - self.rho**2)


def prais_winsten(a: np.ndarray, rho: float, blocks: Sequence[int] | None = None) -> np.ndarray:
    """The AR(1) whitening transform P a, block by block: sqrt(1 - rho^2) a_0 at the start of
    each block, then a_t - rho a_(t-1). With Omega the AR(1) correlation matrix divided by
    (1 - rho^2), P Omega P' = I."""
    out = np.empty_like(a, dtype=float)
    out[1:] = a[1:] - rho * a[:-1]
    start = 0
    for length in blocks or (a.shape[0],):
        out[start] = math.sqrt(1.0 - rho * rho) * a[start]
        start += length
    return out


def ar1_neg_reml(
    rho: float, x: np.ndarray, y: np.ndarray, blocks: Sequence[int] | None = None
) -> float:
    """Minus the profiled REML log-likelihood of rho (constants dropped):

    1/2 [(n - k) log RSS*(rho) + log|Omega| + log|X' Omega^-1 X|], with
    log|Omega| = -B log(1 - rho^2) for B blocks and RSS* the residual sum of squares of the
    whitened regression (Harville 1977, sigma^2 profiled out).
    """
    n, k = x.shape
    xs, ys = prais_winsten(x, rho, blocks), prais_winsten(y, rho, blocks)
    q, r = np.linalg.qr(xs)
    diag = np.abs(np.diag(r))
    if diag.min() <= 1e-12 * max(diag.max(), 1e-300):
        return math.inf  # a singular design at this rho: never the optimum
    resid = ys - q @ (q.T @ ys)
    rss = float(resid @ resid)
    if rss <= 0:
        return -math.inf
    logdet = 2.0 * float(np.sum(np.log(np.abs(np.diag(r)))))
    n_blocks = len(blocks) if blocks else 1
    return 0.5 * ((n - k) * math.log(rss) - n_blocks * math.log(1.0 - rho * rho) + logdet)


def _neg_reml_full(
    rho: float, log_sigma2: float, x: np.ndarray, y: np.ndarray, blocks: Sequence[int] | None
) -> float:
    """Minus the REML log-likelihood in (rho, log sigma^2), sigma^2 not profiled out."""
    n, k = x.shape
    xs, ys = prais_winsten(x, rho, blocks), prais_winsten(y, rho, blocks)
    xtx = xs.T @ xs
    beta = np.linalg.solve(xtx, xs.T @ ys)
    resid = ys - xs @ beta
    n_blocks = len(blocks) if blocks else 1
    return 0.5 * (
        (n - k) * log_sigma2
        - n_blocks * math.log(1.0 - rho * rho)
        + float(np.linalg.slogdet(xtx)[1])
        + float(resid @ resid) / math.exp(log_sigma2)
    )


def _neg_reml_grid(
    grid: np.ndarray, x: np.ndarray, y: np.ndarray, blocks: Sequence[int] | None
) -> np.ndarray:
    """:func:`ar1_neg_reml` at every rho of ``grid`` at once (normal equations, batched)."""
    n, k = x.shape
    starts = np.cumsum([0, *(blocks or (n,))])[:-1]
    rho = grid[:, None, None]
    xy = np.hstack((x, y[:, None]))[None, :, :]
    whitened = np.empty((grid.size, n, k + 1))
    whitened[:, 1:, :] = xy[:, 1:, :] - rho * xy[:, :-1, :]
    whitened[:, starts, :] = np.sqrt(1.0 - rho**2) * xy[:, starts, :]
    cross = np.einsum("gni,gnj->gij", whitened, whitened)
    xtx, xty, yty = cross[:, :k, :k], cross[:, :k, k], cross[:, k, k]
    try:
        beta = np.linalg.solve(xtx, xty[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        return np.array([ar1_neg_reml(float(r), x, y, blocks) for r in grid])
    rss = np.maximum(yty - np.einsum("gi,gi->g", xty, beta), 1e-300)
    logdet = np.linalg.slogdet(xtx)[1]
    n_blocks = starts.size
    return 0.5 * ((n - k) * np.log(rss) - n_blocks * np.log(1.0 - grid**2) + logdet)


def ar1_reml_rho(
    x: np.ndarray,
    y: np.ndarray,
    blocks: Sequence[int] | None = None,
    near: float | None = None,
) -> float:
    """REML estimate of the AR(1) coefficient in [-0.98, 0.98]: a grid (the criterion can have
    more than one local minimum), then Brent's method between the best point's neighbours.
    ``near`` (a previous estimate, as in the iterations of :func:`ar1_poisson_fit`) narrows the
    grid to +-0.1 around it."""
    if near is None:
        grid = np.linspace(-RHO_BOUND, RHO_BOUND, 41)
    else:
        grid = np.linspace(max(near - 0.1, -RHO_BOUND), min(near + 0.1, RHO_BOUND), 5)
    values = _neg_reml_grid(grid, x, y, blocks)
    best = int(np.argmin(values))
    # Zoom in: nine points between the best point's neighbours, six times (the spacing shrinks
    # fourfold each time), then a parabola through the last three.
    for _ in range(6):
        lo = grid[max(best - 1, 0)]
        hi = grid[min(best + 1, grid.size - 1)]
        grid = np.linspace(lo, hi, 9)
        values = _neg_reml_grid(grid, x, y, blocks)
        best = int(np.argmin(values))
    rho = float(grid[best])
    if 0 < best < grid.size - 1:
        f0, f1, f2 = values[best - 1], values[best], values[best + 1]
        h = float(grid[1] - grid[0])
        curvature = f0 - 2 * f1 + f2
        if curvature > 0:
            rho += 0.5 * h * float(f0 - f2) / float(curvature)
    return float(np.clip(rho, -RHO_BOUND, RHO_BOUND))


def ar1_gls(
    x: np.ndarray, y: np.ndarray, rho: float, blocks: Sequence[int] | None = None
) -> AR1Fit:
    """GLS with AR(1) errors at a given rho: OLS of P y on P X. Equal to statsmodels
    ``GLS(y, X, sigma=Omega(rho)).fit()`` (the tests compare them)."""
    n, k = x.shape
    xs, ys = prais_winsten(x, rho, blocks), prais_winsten(y, rho, blocks)
    xtx_inv = checked_inverse(xs.T @ xs, "regression")
    beta = xtx_inv @ (xs.T @ ys)
    wresid = ys - xs @ beta
    sigma2 = float(wresid @ wresid) / (n - k)
    return AR1Fit(
        beta=beta,
        cov=sigma2 * xtx_inv,
        gls_cov=sigma2 * xtx_inv,
        rho=rho,
        sigma2=sigma2,
        resid=y - x @ beta,
        n=n,
        k=k,
        x=x,
        y=y,
        blocks=blocks,
    )


# A standard error at most this fraction of the data's own scale is a numerical zero: the
# designs refuse it rather than report a zero-width interval (relative, never ``se == 0``).
SE_RELATIVE_TOLERANCE = 1e-8


def se_is_zero(se: float, scale: float = 1.0) -> bool:
    """Whether ``se`` (on the estimate's scale) is not finite or is numerically zero next to
    ``scale`` (the outcome's spread for continuous data; 1 on the log scale of counts)."""
    return not (math.isfinite(se) and se > SE_RELATIVE_TOLERANCE * max(scale, 1e-300))


# Pre/post and difference-in-differences with AR(1) errors compare two levels: they need at
# least this many periods in all (the benchmark's shortest windows that hold the band).
MIN_AR1_PERIODS = 6
# An AR(1) regression estimates rho besides its terms: it needs this many periods more than
# it has terms (REML on fewer leaves nothing to estimate the autocorrelation from).
AR1_SPARE_PERIODS = 3


def ar1_min_periods(n_terms: int) -> int:
    """Periods an AR(1) regression with ``n_terms`` mean terms needs (:func:`ar1_reml_fit`
    refuses fewer)."""
    return n_terms + AR1_SPARE_PERIODS


def ar1_reml_fit(
    x: np.ndarray,
    y: np.ndarray,
    blocks: Sequence[int] | None = None,
    near: float | None = None,
    *,
    small_sample: bool = True,
) -> AR1Fit:
    """Linear regression with AR(1) errors: rho by REML, then GLS at that rho; with
    ``small_sample`` the covariance is the Kenward-Roger one (:func:`kenward_roger_cov`)."""
    if x.shape[0] < ar1_min_periods(x.shape[1]):
        raise SingularDesignError(
            f"The series has {x.shape[0]} periods, too few for {x.shape[1]} model terms plus "
            f"the autocorrelation; use a longer series or fewer terms."
        )
    try:
        fit = ar1_gls(x, y, ar1_reml_rho(x, y, blocks, near), blocks)
    except np.linalg.LinAlgError as exc:
        raise SingularDesignError(
            "The model with autocorrelated errors cannot separate its terms with these data. "
            "Use a longer window, fewer seasonal terms or a simpler impact model."
        ) from exc
    if small_sample:
        fit.cov = kenward_roger_cov(fit)
    return fit


def _logistic_start(
    x: np.ndarray, y: np.ndarray, trials: np.ndarray, offset: np.ndarray, maxiter: int = 50
) -> np.ndarray:
    """Binomial logit maximum likelihood by Newton-Raphson (the PQL starting values)."""
    p0 = np.clip((y + 0.5) / (trials + 1.0), 1e-6, 1 - 1e-6)
    xw = x * (trials * p0 * (1 - p0))[:, None]
    beta = np.linalg.lstsq(x.T @ xw, xw.T @ (np.log(p0 / (1 - p0)) - offset), rcond=None)[0]
    for _ in range(maxiter):
        p = expit(x @ beta + offset)
        w = trials * p * (1 - p)
        step = np.linalg.solve(x.T @ (x * w[:, None]), x.T @ (y - trials * p))
        beta = beta + step
        if np.max(np.abs(step)) <= 1e-10 * (1.0 + np.max(np.abs(beta))):
            return beta
    raise ConvergenceError(
        "The comparison model did not converge: the treated share of events is (almost) "
        "always 0 or 1. Check that both areas have events in most periods."
    )


def ar1_glm_fit(
    x: np.ndarray,
    y: np.ndarray,
    offset: np.ndarray,
    blocks: Sequence[int] | None = None,
    *,
    trials: np.ndarray | None = None,
    tol: float = 1e-8,
    maxiter: int = 50,
) -> AR1Fit:
    """Log-linear (``trials is None``) or logit (binomial with ``trials``) count regression with
    overdispersion and AR(1) correlation, by penalised quasi-likelihood: iteratively reweighted
    GLS of the working response z = eta - offset + (y - mu) / v on X, both weighted by sqrt(v)
    (v the variance function: mu, or trials p (1 - p)), with AR(1) errors whose rho is
    re-estimated by REML at each step (Breslow & Clayton 1993; the approach of
    MASS::glmmPQL with corAR1). sigma^2 / (1 - rho^2) is the dispersion; ``cov`` is on the
    link scale; ``resid`` are raw residuals y - mu.

    The binomial form models treated events out of the period's treated + comparison events:
    conditioning on the period total removes anything shared by both areas in that period,
    exactly as period fixed effects do in a Poisson panel."""
    try:
        if trials is None:
            beta = poisson_fit(x, y, offset).beta
        else:
            beta = _logistic_start(x, y, trials, offset)
    except np.linalg.LinAlgError as exc:
        raise SingularDesignError(
            "The count model cannot separate its terms with these data (typically a segment "
            "whose only events fall in one period). Use a longer window, a simpler impact "
            "model, or a pre/post comparison of totals."
        ) from exc
    fit = None
    for _ in range(maxiter):
        eta = x @ beta + offset
        if trials is None:
            mu = np.exp(eta)
            v = mu
        else:
            p = expit(eta)
            mu = trials * p
            v = np.maximum(trials * p * (1 - p), 1e-10)
        w = np.sqrt(v)
        z = eta - offset + (y - mu) / v
        fit = ar1_reml_fit(
            x * w[:, None], z * w, blocks, None if fit is None else fit.rho, small_sample=False
        )
        change = float(np.max(np.abs(fit.beta - beta)))
        beta = fit.beta
        if change <= tol * (1.0 + float(np.max(np.abs(beta)))):
            break
    else:
        raise ConvergenceError(
            "The count model with autocorrelated errors did not converge: in a series this "
            "short (or with long runs of zero counts) the autocorrelation and the model's terms "
            "cannot be told apart. Use a longer window or a pre/post comparison of totals."
        )
    assert fit is not None
    fit.cov = kenward_roger_cov(fit)
    eta = x @ beta + offset
    fit.resid = y - (np.exp(eta) if trials is None else trials * expit(eta))
    return fit


def ar1_poisson_fit(
    x: np.ndarray,
    y: np.ndarray,
    offset: np.ndarray,
    blocks: Sequence[int] | None = None,
) -> AR1Fit:
    """:func:`ar1_glm_fit` for a log-linear model of counts with a log-exposure offset."""
    return ar1_glm_fit(x, y, offset, blocks)


# --------------------------------------------------------------------------------------------
# Panels of areas with area and period fixed effects
# --------------------------------------------------------------------------------------------


@dataclass
class AreaContrasts:
    """A treated-plus-comparison-areas panel reduced to independent contrast series.

    ``y`` and ``x`` stack the contrast series (``blocks`` gives their lengths); ``x`` holds the
    treated area's own terms in its first columns (the same positions as in the
    ``treated_design`` passed in) and one intercept per further contrast after them.
    """

    x: np.ndarray
    y: np.ndarray
    blocks: tuple[int, ...]


def area_contrasts(values: np.ndarray, treated_design: np.ndarray) -> AreaContrasts:
    """Reduce the panel ``y_it = a_i + g_t + [i = 0] treated_design_t b + u_it`` to contrasts.

    ``values`` is areas x periods with the treated area in row 0 and at least one comparison
    area after it; ``treated_design`` is periods x p and must contain a constant column (the
    treated area's own level relative to the comparison areas). The errors ``u_it`` are AR(1)
    series, independent between areas, with a common rho and variance.

    Orthonormal contrasts across areas remove the period effects ``g_t`` (anything the areas
    share in a period) while keeping the error structure: every contrast series is again an
    AR(1) series with the same rho and variance, independent of the others. The first contrast
    is sqrt((A - 1) / A) (treated minus the comparison mean) and carries ``b``; the others are
    Helmert contrasts among the comparison areas and carry only their intercepts. So GLS and
    REML on the contrasts give exactly the panel's two-way fixed-effects GLS estimate of ``b``,
    its covariance and the REML rho (the restricted likelihood does not depend on which error
    contrasts are used); the tests check this against statsmodels ``GLS`` on the full panel
    with area and period dummies. With one comparison area it is the treated-minus-comparison
    series itself (scaled, which changes neither the estimate nor its standard error).
    """
    areas, periods = values.shape
    if areas < 2:
        raise ValueError("area_contrasts needs the treated area and at least one comparison.")
    comparisons = values[1:]
    scale = math.sqrt((areas - 1) / areas)
    series = [scale * (values[0] - comparisons.mean(axis=0))]
    for m in range(1, areas - 1):
        series.append((comparisons[:m].sum(axis=0) - m * comparisons[m]) / math.sqrt(m * (m + 1)))
    p = treated_design.shape[1]
    extra = areas - 2
    x = np.zeros((periods * (areas - 1), p + extra))
    x[:periods, :p] = scale * treated_design
    for b in range(extra):
        x[periods * (b + 1) : periods * (b + 2), p + b] = 1.0
    return AreaContrasts(x=x, y=np.concatenate(series), blocks=(periods,) * (areas - 1))


def _ar1_omega(n: int, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """Omega(rho) = rho^|t-s| / (1 - rho^2), whose inverse is P'P for the Prais-Winsten P, and
    the derivative of that inverse in rho: tridiagonal, 2 rho inside the diagonal, -1 beside."""
    lag = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    omega = rho**lag / (1.0 - rho * rho)
    d_inverse = -(np.eye(n, k=1) + np.eye(n, k=-1))
    d_inverse[np.arange(1, n - 1), np.arange(1, n - 1)] = 2.0 * rho
    return omega, d_inverse


def kenward_roger_cov(fit: AR1Fit) -> np.ndarray:
    """The linear Kenward-Roger covariance of the GLS coefficients when rho is estimated by
    REML: Phi + 2 Phi W (Q - P Phi P) Phi (Kenward & Roger 1997 without their second-derivative
    term R, as SAS's DDFM=KR(LINEAR) and R mmrm's "Kenward-Roger-Linear"; for one parameter
    also the Prasad-Rao / Harville-Jeske estimator). Phi is the GLS covariance at rho-hat, W
    the variance of rho-hat (inverse REML Hessian), P = X' dV^-1/drho X and
    Q = X' dV^-1/drho V dV^-1/drho X. It adds the variance that estimating rho puts into the
    coefficients (Kackar & Harville 1984) and undoes the downward bias of Phi at rho-hat, and
    is never smaller than Phi (Q - P Phi P is positive semi-definite). The sigma^2 terms vanish
    (scaling V leaves GLS unchanged). Combined with Satterthwaite degrees of freedom it is
    KR inference for one coefficient (KR's df for a scalar equals Satterthwaite's). Falls back
    to Phi when the REML Hessian is not positive definite (rho on its bound)."""
    phi = fit.cov if fit.gls_cov is None else fit.gls_cov
    hess = fit.reml_hessian()
    if hess is None or fit.x is None:
        return phi
    w = float(np.linalg.inv(hess)[0, 0])
    big_p = np.zeros_like(phi)
    big_q = np.zeros_like(phi)
    start = 0
    for length in fit.blocks or (fit.n,):
        xb = fit.x[start : start + length]
        start += length
        omega, d_inverse = _ar1_omega(length, fit.rho)
        a_x = d_inverse @ xb
        big_p += a_x.T @ xb
        big_q += a_x.T @ omega @ a_x
    # V = sigma^2 Omega, so P and Q each carry a factor 1 / sigma^2.
    s2 = fit.sigma2
    return phi + 2.0 * w * phi @ ((big_q - big_p @ phi @ big_p / s2) / s2) @ phi
