"""Benchmark: the evaluations.stats library against a plain statsmodels formula-API loop.

For N synthetic sites (60 monthly counts each, a treatment and a comparison series, seeded
RNG) it runs, on every site, the methods that have a one-call statsmodels equivalent (the
``errors="independent"`` fits; the calibrated AR(1) defaults are measured by
``bench/calibration_bench.py``):

* an interrupted time series of the treatment series (continuous outcome, Newey-West SEs),
* a difference-in-differences on the treated/comparison x pre/post panel built from the two
  series (continuous, HC1, including the pre-trend regression the library runs),
* a pre/post rate ratio of the treatment counts with a population exposure (quasi-Poisson).

It checks that both paths give the same estimates and standard errors (max relative difference
must be below 1e-6, otherwise exit status 1), and reports analyses per second and the speed-up.
The target is a speed-up of at least 3x; missing it prints FAIL but still exits 0.

    python bench/analysis_bench.py [--n 1000] [--seed 20240601]

No Django: only the pure statistics library is imported.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import statsmodels.api as sm  # noqa: E402
import statsmodels.formula.api as smf  # noqa: E402

from evaluations.stats import (  # noqa: E402
    default_hac_lags,
    difference_in_differences,
    interrupted_time_series,
    pre_post,
)

N_MONTHS = 60
T0 = 36
START = "2019-01-01"
INTERVENTION = "2022-01-01"
TARGET = 3.0
TOLERANCE = 1e-6
KINDS = ("its", "did", "prepost")


def make_sites(n: int, seed: int) -> list[dict]:
    """Synthetic sites: overdispersed monthly counts with a drop after the intervention."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(START, periods=N_MONTHS, freq="MS")
    t = np.arange(N_MONTHS)
    post = (t >= T0).astype(float)
    season = np.sin(2 * np.pi * t / 12)
    sites = []
    for _ in range(n):
        base = rng.uniform(20, 200)
        population = rng.uniform(5e4, 5e5) * (1 + 0.002 * t)
        effect = rng.normal(-0.15, 0.1)
        log_mu = np.log(base) + 0.003 * t + 0.08 * season
        treat = rng.poisson(np.exp(log_mu + effect * post) * rng.gamma(20, 1 / 20, N_MONTHS))
        comp = rng.poisson(np.exp(log_mu + 0.1) * rng.gamma(20, 1 / 20, N_MONTHS))
        panel = pd.DataFrame(
            {
                "outcome": np.concatenate((treat, comp)).astype(float),
                "treated": np.repeat([1, 0], N_MONTHS),
                "post": np.tile(post, 2).astype(int),
                "period": np.tile(t, 2),
            }
        )
        sites.append(
            {
                "treat": pd.Series(treat.astype(float), index=index),
                "counts": treat,
                "population": population,
                "panel": panel,
            }
        )
    return sites


def run_library(site: dict) -> dict[str, tuple[float, ...]]:
    its = interrupted_time_series(
        site["treat"], intervention=INTERVENTION, errors="independent", seasonality=None
    )
    did = difference_in_differences(site["panel"], cov="HC1")
    counts, population = site["counts"], site["population"]
    pp = pre_post(
        counts[:T0],
        counts[T0:],
        kind="count",
        pre_exposure=population[:T0],
        post_exposure=population[T0:],
        errors="independent",
    )
    assert did.pre_trend is not None and its.level_change is not None
    assert its.slope_change is not None
    return {
        "its": (
            its.level_change.estimate,
            its.level_change.se,
            its.slope_change.estimate,
            its.slope_change.se,
        ),
        "did": (did.estimate, did.se, did.pre_trend.estimate, did.pre_trend.se),
        "prepost": (pp.log_estimate, pp.se),
    }


def run_formula(site: dict) -> dict[str, tuple[float, ...]]:
    y = site["treat"]
    n = len(y)
    time_ = np.arange(n)
    post = (time_ >= T0).astype(int)
    frame = pd.DataFrame(
        {"y": y.to_numpy(), "time": time_, "post": post, "time_after": (time_ - T0) * post}
    )
    lags = math.floor(4 * (n / 100) ** (2 / 9))
    its = smf.ols("y ~ time + post + time_after", frame).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags}
    )

    panel = site["panel"]
    did = smf.ols("outcome ~ treated * post", panel).fit(cov_type="HC1", use_t=True)
    trend = smf.ols("outcome ~ treated * period", panel[panel["post"] == 0]).fit(
        cov_type="HC1", use_t=True
    )

    counts = pd.DataFrame({"y": site["counts"], "post": post, "exposure": site["population"]})
    glm = smf.glm(
        "y ~ post", counts, family=sm.families.Poisson(), offset=np.log(counts["exposure"])
    ).fit(scale="X2")
    # quasi-Poisson only when the Pearson dispersion exceeds 1, as the library does
    pp_se = glm.bse["post"] if glm.scale > 1 else glm.bse["post"] / math.sqrt(glm.scale)
    return {
        "its": (
            its.params["post"],
            its.bse["post"],
            its.params["time_after"],
            its.bse["time_after"],
        ),
        "did": (
            did.params["treated:post"],
            did.bse["treated:post"],
            trend.params["treated:period"],
            trend.bse["treated:period"],
        ),
        "prepost": (glm.params["post"], pp_se),
    }


def timed(fn, sites: list[dict]) -> tuple[list[dict], float]:
    start = time.perf_counter()
    out = [fn(site) for site in sites]
    return out, time.perf_counter() - start


def timed_kind(kind: str, sites: list[dict]) -> tuple[float, float]:
    """Seconds for one analysis type alone: (library, formula)."""
    lib_calls = {
        "its": lambda s: interrupted_time_series(
            s["treat"], intervention=INTERVENTION, errors="independent", seasonality=None
        ),
        "did": lambda s: difference_in_differences(s["panel"], cov="HC1"),
        "prepost": lambda s: pre_post(
            s["counts"][:T0],
            s["counts"][T0:],
            kind="count",
            pre_exposure=s["population"][:T0],
            post_exposure=s["population"][T0:],
            errors="independent",
        ),
    }
    start = time.perf_counter()
    for site in sites:
        lib_calls[kind](site)
    lib = time.perf_counter() - start
    # Same analysis through the formula API (one model per call, as in run_formula).
    start = time.perf_counter()
    for site in sites:
        _formula_one(kind, site)
    return lib, time.perf_counter() - start


def _formula_one(kind: str, site: dict) -> None:
    if kind == "its":
        y = site["treat"]
        t = np.arange(len(y))
        post = (t >= T0).astype(int)
        frame = pd.DataFrame(
            {"y": y.to_numpy(), "time": t, "post": post, "time_after": (t - T0) * post}
        )
        smf.ols("y ~ time + post + time_after", frame).fit(
            cov_type="HAC", cov_kwds={"maxlags": math.floor(4 * (len(y) / 100) ** (2 / 9))}
        )
    elif kind == "did":
        panel = site["panel"]
        smf.ols("outcome ~ treated * post", panel).fit(cov_type="HC1", use_t=True)
        smf.ols("outcome ~ treated * period", panel[panel["post"] == 0]).fit(
            cov_type="HC1", use_t=True
        )
    else:
        post = (np.arange(N_MONTHS) >= T0).astype(int)
        counts = pd.DataFrame({"y": site["counts"], "post": post, "exposure": site["population"]})
        smf.glm(
            "y ~ post", counts, family=sm.families.Poisson(), offset=np.log(counts["exposure"])
        ).fit(scale="X2")


def max_relative_difference(lib: list[dict], ref: list[dict]) -> dict[str, float]:
    worst = {}
    for kind in KINDS:
        a = np.array([r[kind] for r in lib], dtype=float)
        b = np.array([r[kind] for r in ref], dtype=float)
        denom = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)
        worst[kind] = float(np.max(np.abs(a - b) / denom))
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of synthetic sites")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # statsmodels' convergence chatter is not under test

    assert default_hac_lags(N_MONTHS) == 3
    sites = make_sites(args.n, args.seed)
    run_library(sites[0])  # warm imports and caches on both paths
    run_formula(sites[0])

    lib_out, lib_s = timed(run_library, sites)
    ref_out, ref_s = timed(run_formula, sites)
    worst = max_relative_difference(lib_out, ref_out)

    n_analyses = len(KINDS) * args.n
    lib_rate, ref_rate = n_analyses / lib_s, n_analyses / ref_s
    ratio = lib_rate / ref_rate
    print(f"sites: {args.n} x {N_MONTHS} months; analyses per path: {n_analyses}")
    print("max relative difference (estimates and SEs, library vs statsmodels formula API):")
    for kind in KINDS:
        print(f"  {kind:8s} {worst[kind]:.3e}")
    print(f"library         : {lib_s:8.3f} s  {lib_rate:10.1f} analyses/s")
    print(f"formula-API loop: {ref_s:8.3f} s  {ref_rate:10.1f} analyses/s")
    print(f"speed-up (library / formula loop): {ratio:.1f}x (target {TARGET:.0f}x)")
    print(
        f"{'PASS' if ratio >= TARGET else 'FAIL'}: overall speed-up {ratio:.1f}x >= {TARGET:.0f}x"
    )

    for kind in KINDS:
        lib_k, ref_k = timed_kind(kind, sites)
        r = ref_k / lib_k
        print(
            f"{'PASS' if r >= TARGET else 'FAIL'}: {kind:8s} library {args.n / lib_k:9.1f}/s, "
            f"formula {args.n / ref_k:8.1f}/s, speed-up {r:.1f}x"
        )

    disagree = {k: v for k, v in worst.items() if not v < TOLERANCE}
    if disagree:
        print(f"FAIL: numbers disagree beyond {TOLERANCE:g}: {disagree}")
        return 1
    print(f"PASS: all numbers agree within {TOLERANCE:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
