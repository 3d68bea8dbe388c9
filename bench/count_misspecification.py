"""How far the count fits' AR(1) working errors understate the standard error on the calibration
benchmark's count series (docs/methods.md, "Why those count cells under-cover").

The benchmark draws counts around a rate whose log is an AR(1) process (SD ``LATENT_SD``), so on
the working (log) scale the errors are that AR(1) process plus independent count noise of
variance dispersion / mean. The fit models them as a single AR(1) process, whose rho then
matches the lag-1 autocorrelation. For each design this computes, exactly, the variance of the
GLS estimate of the step under the true covariance and the variance the fitted model reports
(its sigma^2 at its expectation), and prints the ratio of standard errors and the coverage of a
95% normal interval that ratio implies. Estimation noise in rho is left out: this isolates the
misspecification.

    python bench/count_misspecification.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.calibration_bench import COUNT_MEAN, LATENT_SD  # noqa: E402


def se_ratio(periods: int, rho: float, dispersion: float, trend: bool, seasonal: bool) -> float:
    """True over model-reported standard error of the step for one single-series design."""
    n = 2 * periods
    t = np.arange(n)
    lag = np.abs(np.subtract.outer(t, t))
    noise = dispersion / COUNT_MEAN
    latent = LATENT_SD**2
    true = noise * np.eye(n) + latent * rho**lag
    working_rho = latent * rho / (noise + latent)  # the lag-1 autocorrelation the fit matches
    columns = [np.ones(n), (t >= periods).astype(float)]
    if trend:
        columns += [t - periods + 0.0, (t >= periods) * (t - periods + 0.0)]
    if seasonal:
        columns += [(t % 12 == m).astype(float) for m in range(1, 12)]
    x = np.column_stack(columns)
    omega_inv = np.linalg.inv(working_rho**lag)
    bread = np.linalg.inv(x.T @ omega_inv @ x)
    gls = bread @ x.T @ omega_inv
    residual_maker = omega_inv - omega_inv @ x @ gls
    sigma2 = np.trace(residual_maker @ true) / (n - x.shape[1])
    return float(np.sqrt((gls @ true @ gls.T)[1, 1] / (sigma2 * bread[1, 1])))


def main() -> None:
    print("design  dispersion  periods  rho  seasonal | SE ratio  implied coverage")
    for design, trend in (("prepost", False), ("its", True)):
        for dispersion in (1.0, 2.0):
            for periods in (24, 60):
                for rho in (0.3, 0.6):
                    for seasonal in (False, True):
                        ratio = se_ratio(periods, rho, dispersion, trend, seasonal)
                        cover = 2 * stats.norm.cdf(stats.norm.ppf(0.975) / ratio) - 1
                        print(
                            f"{design:7s} {dispersion:10.0f} {periods:8d} {rho:4.1f} "
                            f"{'yes' if seasonal else 'no':>9s} | {ratio:8.3f} {100 * cover:10.1f}%"
                        )


if __name__ == "__main__":
    main()
