"""The *Methods* section of a result page: the model, its standard errors, the software and a
short statsmodels script that reproduces the estimate from the page's CSV download.

The script is generated from the analysis specification and is executed by the tests against
the CSV the page serves, so a research partner can rely on it to check (or extend) the
portal's number with standard tools.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from evaluations.analyses.findings import StoredResult, as_result, headline
from evaluations.stats import EstimateResult
from evaluations.stats.calibration import calibration_note

CSV_COLUMNS = ("period_start", "area", "group", "value", "denominator")


@dataclass(frozen=True)
class Methods:
    """What the Methods section shows."""

    model: str
    standard_errors: str
    versions: list[tuple[str, str]]
    input_hash: str
    snippet: str
    notes: list[str]


def csv_filename(analysis_id: int) -> str:
    """The name the data CSV downloads as (and the snippet reads)."""
    return f"analysis-{analysis_id}-data.csv"


def has_exposure(rows: list[dict[str, Any]]) -> bool:
    """Whether every row has a denominator (then counts are modelled as rates of it)."""
    return bool(rows) and all(r.get("denominator") is not None for r in rows)


def _errors_model(design: str, result: EstimateResult) -> str:
    """ "ar1", "independent" or "exact": the error model the stored result was computed with."""
    if design == "did":
        return "ar1" if getattr(result, "cov_type", None) == "ar1" else "independent"
    return getattr(result, "errors", None) or "independent"


def _standard_errors(
    design: str, kind: str, options: dict[str, Any], result: EstimateResult
) -> str:
    errors = _errors_model(design, result)
    rho = getattr(result, "ar1_rho", None)
    if errors == "ar1":
        rho_text = f" (estimated autocorrelation {rho:.2f})" if rho is not None else ""
        model = (
            "a log-linear count model fitted by penalised quasi-likelihood, on the log scale"
            if kind == "count"
            else "generalised least squares"
        )
        return (
            f"Errors modelled as a first-order autoregressive process{rho_text}, fitted by "
            f"restricted maximum likelihood (REML), with {model}; t distribution with "
            f"Satterthwaite degrees of freedom, and "
            "Kenward-Roger standard errors (linear form) that "
            f"allow for the uncertainty in the estimated autocorrelation. Assumes it decays "
            f"geometrically and is the same before and after the start."
        )
    if errors == "exact":
        return (
            "Exact conditional-binomial test and Clopper-Pearson interval for the ratio of the "
            "period totals (events treated as a Poisson process)."
        )
    if kind == "count":
        if getattr(result, "cov_type", None) == "cluster":
            return "Cluster-robust standard errors on the log scale (normal distribution)."
        disp = getattr(result, "dispersion", None)
        quasi = disp is not None and disp > 1
        return (
            f"Quasi-Poisson: model-based standard errors scaled by the Pearson dispersion "
            f"({disp:.3g}); periods treated as independent."
            if quasi
            else "Poisson model-based standard errors (the Pearson dispersion was not above 1)."
        )
    if design in ("its", "its_with_comparison"):
        return (
            f"Newey–West (HAC) standard errors with {getattr(result, 'hac_lags', None)} lag(s), "
            f"normal "
            f"distribution."
        )
    if design == "did":
        cov = getattr(result, "cov_type", None) or options.get("cov") or "HC1"
        return {
            "classical": "Classical OLS standard errors, t distribution.",
            "cluster": "Cluster-robust standard errors by area, t distribution.",
        }.get(cov, "Heteroskedasticity-robust (HC1) standard errors, t distribution.")
    return "Welch's unequal-variance t-test and interval (Welch–Satterthwaite degrees of freedom)."


def _options_not_benchmarked(design: str, options: dict[str, Any]) -> str:
    """The non-default impact / seasonality options of a result, in words ("" if none): the
    calibration benchmark ran every design with the defaults only."""
    found = []
    impact = options.get("impact") or "level_and_slope"
    if design in ("its", "its_with_comparison") and impact != "level_and_slope":
        found.append(f'impact "{impact}"')
    seasonality = options.get("seasonality", "auto")
    if design != "did" and seasonality != "auto":
        found.append(f'seasonality "{seasonality or "none"}"')
    if design != "did" and options.get("harmonics") not in (None, 2):
        found.append(f"{options['harmonics']} Fourier pairs")
    return " and ".join(found)


def _own_changes_coverage(kind: str, result: Any) -> str:
    """A comparative ITS's table also shows the treatment area's own level and slope
    changes: a single-series ITS, which the benchmark measured as such (not as the
    comparative difference the finding rests on)."""
    n_pre, n_post = int(getattr(result, "n_pre", 0)), int(getattr(result, "n_post", 0))
    own, warning = calibration_note("its", kind, n_pre, n_post)
    if own is None:
        return (
            "The treatment area's own level and slope changes (the table's other rows) are a "
            "single-series interrupted time series, which the benchmark did not measure for "
            "a series this short: read their intervals as approximate."
        )
    text = (
        f"The treatment area's own level and slope changes (the table's other rows) are a "
        f"single-series interrupted time series, whose 95% intervals the benchmark measured "
        f"covering the truth in {100 * own:.0f}% or more of simulated series of this length"
    )
    if warning is not None:
        return f"{text}, below the band: read those rows as approximate."
    return f"{text}."


def methods_for(
    *,
    analysis_id: int,
    design: str,
    kind: str,
    intervention: dt.date,
    options: dict[str, Any],
    result: StoredResult,
    rows: list[dict[str, Any]],
    library_versions: dict[str, str],
    input_hash: str,
) -> Methods:
    """Everything the Methods section says, from the stored result and specification only."""
    result = as_result(result)
    notes = []
    if design in ("did", "its_with_comparison"):
        notes.append(
            "Each comparison area is its own series, compared over the periods every chosen "
            "area has. Continuous outcomes: a panel with area and period fixed effects, AR(1) "
            "errors in every area's series (one common rho), so the spread between comparison "
            "areas informs the uncertainty. Counts: the treatment area's share of all events "
            "each period, which conditions on the period's total as period fixed effects do."
        )
    coverage = getattr(result, "calibrated_coverage", None)
    if coverage is not None:
        which = "this method's 95% intervals"
        if design == "its_with_comparison":
            which = "the 95% intervals of the treatment-minus-comparison changes"
        notes.append(
            f"In the portal's calibration benchmark (simulated series like the sites', with "
            f"no effect and with a known one), {which} covered the truth "
            f"in {100 * coverage:.0f}% or more of simulated series of this length (the "
            f"target is 95%; below 93% the result is labelled approximate)."
        )
        if design == "its_with_comparison":
            notes.append(_own_changes_coverage(kind, result))
        untested = _options_not_benchmarked(design, options or {})
        if untested:
            notes.append(
                f"That figure was measured with the default impact model and seasonality "
                f"(level and slope change; automatic yearly cycle); this result uses "
                f"{untested}, which the benchmark has not measured."
            )
    if kind == "count" and has_exposure(rows):
        notes.append("Counts are modelled as rates: the denominator is the exposure (offset).")
    model = result.method or ""
    head = headline(result)
    if head is not result and head.method and head.method != model:
        # A comparative ITS: the finding is the treatment-minus-comparison change, so its
        # model comes first; the treatment area's own model explains the table's other rows.
        model = f"{head.method} The treatment area's own changes (also in the table): {model}"
    return Methods(
        model=model,
        standard_errors=_standard_errors(design, kind, options or {}, result),
        versions=sorted((library_versions or {}).items()),
        input_hash=input_hash,
        snippet=reproduction_snippet(
            filename=csv_filename(analysis_id),
            design=design,
            kind=kind,
            intervention=intervention,
            options=options or {},
            result=result,
            exposure=has_exposure(rows),
        ),
        notes=notes,
    )


_AR1_HELPERS = """from scipy import optimize
from statsmodels.tools.numdiff import approx_hess3


def omega(n, rho, areas=1):
    # AR(1) correlation / (1 - rho^2) within each area's series of n // areas periods.
    m = n // areas
    lags = np.abs(np.subtract.outer(np.arange(m), np.arange(m)))
    return np.kron(np.eye(areas), rho**lags / (1 - rho**2))


def neg_reml(rho, X, y, areas=1):
    # Restricted likelihood of a regression with AR(1) errors, sigma^2 profiled out.
    n, k = X.shape
    W = np.linalg.inv(omega(n, rho, areas))
    XtWX = X.T @ W @ X
    r = y - X @ np.linalg.solve(XtWX, X.T @ W @ y)
    logdets = np.linalg.slogdet(omega(n, rho, areas))[1] + np.linalg.slogdet(XtWX)[1]
    return 0.5 * ((n - k) * np.log(r @ W @ r) + logdets)


def ar1_gls(X, y, areas=1):
    grid = np.linspace(-0.98, 0.98, 41)
    best = grid[np.argmin([neg_reml(r, X, y, areas) for r in grid])]
    bounds = (max(best - 0.05, -0.98), min(best + 0.05, 0.98))
    rho = optimize.minimize_scalar(
        neg_reml, bounds=bounds, args=(X, y, areas), method="bounded", options={"xatol": 1e-10}
    ).x
    return sm.GLS(y, X, sigma=omega(len(y), rho, areas)).fit(), rho


def kr_se(m, rho, areas=1):
    # Linear Kenward-Roger standard errors: Phi + 2 W Phi (Q - P Phi P) Phi, with W the
    # variance of rho-hat from the restricted likelihood's Hessian in (rho, log sigma^2).
    X, y, s2 = m.model.exog, m.model.endog, m.scale
    n = len(y)

    def neg_reml_full(theta):
        V = np.exp(theta[1]) * omega(n, theta[0], areas)
        Vi = np.linalg.inv(V)
        XtViX = X.T @ Vi @ X
        r = y - X @ np.linalg.solve(XtViX, X.T @ Vi @ y)
        return 0.5 * (np.linalg.slogdet(V)[1] + np.linalg.slogdet(XtViX)[1] + r @ Vi @ r)

    W = np.linalg.inv(approx_hess3(np.array([rho, np.log(s2)]), neg_reml_full))[0, 0]
    h = 1e-5
    inv = [np.linalg.inv(omega(n, rho + d, areas)) for d in (h, -h)]
    A = (inv[0] - inv[1]) / (2 * h) / s2
    Phi = m.cov_params()
    P = X.T @ A @ X
    Q = X.T @ A @ (s2 * omega(n, rho, areas)) @ A @ X
    return np.sqrt(np.diag(Phi + 2 * W * Phi @ (Q - P @ Phi @ P) @ Phi))


def ar1_pql(X, y, offset, trials=None):
    # Penalised quasi-likelihood: IRLS whose weighted working regression has AR(1) errors.
    if trials is None:
        start = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
    else:
        endog = np.column_stack([y, trials - y])
        start = sm.GLM(endog, X, family=sm.families.Binomial(), offset=offset).fit()
    beta = start.params
    for _ in range(50):
        eta = X @ beta + offset
        if trials is None:
            mu = v = np.exp(eta)
        else:
            p = 1 / (1 + np.exp(-eta))
            mu, v = trials * p, trials * p * (1 - p)
        w = np.sqrt(v)
        m, rho = ar1_gls(X * w[:, None], (eta - offset + (y - mu) / v) * w)
        change = np.max(np.abs(m.params - beta))
        beta = m.params
        if change <= 1e-8 * (1 + np.max(np.abs(beta))):
            break
    return m, rho
"""


def _ar1_lines(design: str, kind: str, options: dict[str, Any], start: str) -> list[str]:
    """The AR(1) default: build X and y for the design, fit, leave estimate and se."""
    seasonality = options.get("seasonality", "auto")
    harmonics = int(options.get("harmonics") or 2)
    lines = [
        "t = g[g['treated'] == 1].set_index('period_start')",
        "c = g[g['treated'] == 0].set_index('period_start')",
        "n = len(t)",
        "month = t.index.month.to_numpy() - 1",
        "cols = [np.ones(n)]",
    ]
    impact = options.get("impact") or "level_and_slope"
    post = f"(t.index >= '{start}').astype(float)"
    if design in ("its", "its_with_comparison"):
        lines += [
            "time = np.arange(n, dtype=float)",
            "t0 = int(np.argmax(t.index >= " + repr(start) + "))",
            "cols.append(time)",
        ]
        term = 2
        if impact in ("level", "level_and_slope"):
            lines.append(f"cols.append({post})")
        else:
            term = None
        if impact in ("slope", "level_and_slope"):
            lines.append("cols.append(np.where(time >= t0, time - t0, 0.0))")
            if term is None:
                term = 2
    else:
        lines.append(f"cols.append({post})")
        term = 1
    if design in ("its", "pre_post", "its_with_comparison"):
        if seasonality == "month":
            lines += [
                "for m in range(1, 12):  # month-of-year indicators, January the reference",
                "    cols.append((month == m).astype(float))",
            ]
        elif seasonality == "fourier" or seasonality == "auto":
            cond = "if n >= 24:  # 'auto': a yearly cycle once there are two years of data"
            lines += [
                cond if seasonality == "auto" else "if True:",
                f"    for j in range(1, {harmonics + 1}):",
                "        cols += [np.sin(2 * np.pi * j * month / 12), "
                "np.cos(2 * np.pi * j * month / 12)]",
            ]
    lines.append("X = np.column_stack(cols)")
    comparison = design in ("did", "its_with_comparison")
    if kind == "continuous" and comparison:
        lines += [
            "# Each area its own series: the treatment area's own terms (its constant is an",
            "# area effect), area and period fixed effects, AR(1) errors in every area.",
            "wide = df.pivot_table(index='period_start', columns='area', values='value')",
            "treated_area = df.loc[df['group'] == 'treatment', 'area'].iloc[0]",
            "wide = wide[[treated_area] + [a for a in wide.columns if a != treated_area]]",
            "areas = wide.shape[1]",
            "own = np.vstack([X[:, 1:]] + [np.zeros_like(X[:, 1:])] * (areas - 1))",
            "area_fe = np.kron(np.eye(areas), np.ones((n, 1)))",
            "period_fe = np.kron(np.ones((areas, 1)), np.eye(n))[:, 1:]",
            "panel_X = np.hstack([own, area_fe, period_fe])",
            "m, rho = ar1_gls(panel_X, wide.to_numpy().T.ravel(), areas)",
            f"estimate = float(m.params[{term - 1}])",
            f"se = float(kr_se(m, rho, areas)[{term - 1}])",
        ]
    elif kind == "continuous":
        lines += [
            "m, rho = ar1_gls(X, t['value'].to_numpy())",
            f"estimate = float(m.params[{term}])",
            f"se = float(kr_se(m, rho)[{term}])",
        ]
    else:
        if comparison:
            lines += [
                "trials = (t['value'] + c['value']).to_numpy()",
                "offset = np.log((t['exposure'] / c['exposure']).to_numpy())",
                "m, rho = ar1_pql(X, t['value'].to_numpy(), offset, trials)",
            ]
        else:
            lines += [
                "m, rho = ar1_pql(X, t['value'].to_numpy(), np.log(t['exposure'].to_numpy()))"
            ]
        lines += [
            f"estimate = float(np.exp(m.params[{term}]))",
            f"se = float(kr_se(m, rho)[{term}])",
        ]
    return lines


def reproduction_snippet(
    *,
    filename: str,
    design: str,
    kind: str,
    intervention: dt.date,
    options: dict[str, Any],
    result: EstimateResult,
    exposure: bool,
) -> str:
    """A Python script that recomputes the estimate with statsmodels from the CSV download and
    leaves it in ``estimate`` (and its standard error, log scale for ratios, in ``se``)."""
    start = intervention.replace(day=1).isoformat()
    lines = _snippet_setup(filename, kind, start, exposure)
    options = options or {}
    errors = _errors_model(design, result)
    if errors == "exact":
        lines += _exact_lines()
        return "\n".join(lines) + "\n"
    if errors == "ar1":
        lines[5:5] = _AR1_HELPERS.splitlines() + [""]
        lines += _ar1_lines(design, kind, options, start)
    elif design == "pre_post":
        lines += _prepost_lines(kind)
    elif design == "did":
        lines += _did_lines(kind, options.get("cov") or "HC1", start, exposure)
    else:
        lines += _its_lines(design, kind, options, getattr(result, "hac_lags", None))
    lines.append("print(estimate, se)")
    return "\n".join(lines) + "\n"


def _snippet_setup(filename: str, kind: str, start: str, exposure: bool) -> list[str]:
    """Read the CSV, pool comparison areas per month, and mark treated and post."""
    agg = "sum" if kind == "count" else "mean"
    lines = [
        "import numpy as np",
        "import pandas as pd",
        "import statsmodels.api as sm",
        "import statsmodels.formula.api as smf",
        "",
        f'df = pd.read_csv("{filename}", parse_dates=["period_start"])',
        "# One value per group and month (comparison areas pooled).",
        'g = df.groupby(["group", "period_start"], as_index=False).agg(',
        f'    value=("value", "{agg}"), exposure=("denominator", "sum"))',
    ]
    if not exposure:
        lines.append('g["exposure"] = 1.0')
    return [
        *lines,
        'g["treated"] = (g["group"] == "treatment").astype(int)',
        f'g["post"] = (g["period_start"] >= "{start}").astype(int)',
    ]


def _glm_lines(formula: str, data: str, term: str, cluster: str | None = None) -> list[str]:
    """A Poisson GLM with the exposure offset: cluster-robust, or quasi-Poisson when
    overdispersed; leaves the rate ratio of ``term`` and its log-scale SE."""
    family = f"family=sm.families.Poisson(), offset=np.log({data}['exposure'])"
    out = [f'm = smf.glm("{formula}", data={data}, {family}).fit()']
    if cluster:
        out.append(
            f'm = smf.glm("{formula}", data={data}, {family}).fit(cov_type="cluster", '
            f'cov_kwds={{"groups": {data}["{cluster}"]}})'
        )
    else:
        out += [
            "if m.pearson_chi2 / m.df_resid > 1:  # quasi-Poisson when overdispersed",
            f'    m = smf.glm("{formula}", data={data}, {family}).fit(scale="X2")',
        ]
    out += [f'estimate = float(np.exp(m.params["{term}"]))', f'se = float(m.bse["{term}"])']
    return out


def _prepost_lines(kind: str) -> list[str]:
    lines = ['t = g[g["treated"] == 1]']
    if kind == "count":
        return lines + _glm_lines("value ~ post", "t", "post")
    return lines + [
        "from scipy import stats",
        'pre, post = t.loc[t["post"] == 0, "value"], t.loc[t["post"] == 1, "value"]',
        "estimate = float(post.mean() - pre.mean())",
        "welch = stats.ttest_ind(post, pre, equal_var=False)",
        "se = estimate / float(welch.statistic)",
    ]


def _exact_lines() -> list[str]:
    """The exact conditional-binomial interval for the ratio of the period totals."""
    return [
        "from scipy import stats",
        't = g[g["treated"] == 1]',
        'pre, post = t[t["post"] == 0], t[t["post"] == 1]',
        'e0, e1 = pre["exposure"].sum(), post["exposure"].sum()',
        'y0, y1 = int(pre["value"].sum()), int(post["value"].sum())',
        "estimate = float((y1 / e1) / (y0 / e0))",
        "se = float(np.sqrt(1 / y0 + 1 / y1))  # Poisson SE of the log ratio",
        "test = stats.binomtest(y1, y0 + y1, e1 / (e0 + e1))",
        'ci = test.proportion_ci(method="exact")',
        "interval = [p / (1 - p) * e0 / e1 for p in (ci.low, ci.high)]",
        "print(estimate, interval, test.pvalue)",
    ]


def _did_lines(kind: str, cov: str, start: str, exposure: bool) -> list[str]:
    """Rows per area and month (each comparison area its own unit), as the portal fits them."""
    lines = [
        "# One row per area and month: each comparison area is its own unit.",
        'a = df.groupby(["group", "area", "period_start"], as_index=False).agg(',
        '    value=("value", "sum"), exposure=("denominator", "sum"))',
        'a["treated"] = (a["group"] == "treatment").astype(int)',
        f'a["post"] = (a["period_start"] >= "{start}").astype(int)',
    ]
    if not exposure:
        lines.append('a["exposure"] = 1.0')
    if kind == "count":
        cluster = "area" if cov == "cluster" else None
        return lines + _glm_lines("value ~ treated * post", "a", "treated:post", cluster)
    fit = {
        "classical": 'fit(cov_type="nonrobust", use_t=True)',
        "cluster": 'fit(cov_type="cluster", cov_kwds={"groups": a["area"]}, use_t=True)',
    }.get(cov, 'fit(cov_type="HC1", use_t=True)')
    return lines + [
        f'm = smf.ols("value ~ treated * post", data=a).{fit}',
        'estimate = float(m.params["treated:post"])',
        'se = float(m.bse["treated:post"])',
    ]


def _its_lines(design: str, kind: str, options: dict[str, Any], lags: int | None) -> list[str]:
    seasonal = " + C(month)" if options.get("seasonality") == "month" else ""
    lines = [
        'g = g.sort_values(["treated", "period_start"], ascending=[False, True])',
        'g["time"] = g.groupby("treated").cumcount()',
        't0 = g.loc[g["post"] == 1, "time"].min()',
        'g["time_after"] = np.where(g["post"] == 1, g["time"] - t0, 0)',
        'g["month"] = g["period_start"].dt.month',
    ]
    if design == "its":
        formula = f"value ~ time + post + time_after{seasonal}"
        lines.append('t = g[g["treated"] == 1]')
        if kind == "count":
            return lines + _glm_lines(formula, "t", "post")
        return lines + [
            f'm = smf.ols("{formula}", data=t).fit(cov_type="HAC", cov_kwds={{"maxlags": {lags}}})',
            'estimate = float(m.params["post"])',
            'se = float(m.bse["post"])',
        ]
    formula = f"value ~ (time + post + time_after) * treated{seasonal}"
    lines.append("# Treatment minus comparison difference in level change.")
    if kind == "count":
        return lines + _glm_lines(formula, "g", "post:treated")
    return lines + [
        f'm = smf.ols("{formula}", data=g).fit(cov_type="hac-panel", '
        f'cov_kwds={{"groups": g["treated"], "maxlags": {lags}}})',
        'estimate = float(m.params["post:treated"])',
        'se = float(m.bse["post:treated"])',
    ]
