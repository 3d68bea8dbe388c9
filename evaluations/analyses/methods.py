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

from evaluations.analyses.findings import StoredResult, as_result
from evaluations.stats import EstimateResult

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


def _standard_errors(
    design: str, kind: str, options: dict[str, Any], result: EstimateResult
) -> str:
    if kind == "count":
        if getattr(result, "cov_type", None) == "cluster":
            return "Cluster-robust standard errors on the log scale (normal distribution)."
        disp = getattr(result, "dispersion", None)
        quasi = disp is not None and disp > 1
        return (
            f"Quasi-Poisson: model-based standard errors scaled by the Pearson dispersion "
            f"({disp:.3g})."
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
    notes = [
        "Comparison areas are pooled into one comparison series: counts and denominators are "
        "summed per month, other values averaged."
    ]
    if kind == "count" and has_exposure(rows):
        notes.append("Counts are modelled as rates: the denominator is the exposure (offset).")
    return Methods(
        model=result.method or "",
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
    if design == "pre_post":
        lines += _prepost_lines(kind)
    elif design == "did":
        lines += _did_lines(kind, options.get("cov") or "HC1")
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


def _did_lines(kind: str, cov: str) -> list[str]:
    if kind == "count":
        cluster = "treated" if cov == "cluster" else None
        return _glm_lines("value ~ treated * post", "g", "treated:post", cluster)
    fit = {
        "classical": 'fit(cov_type="nonrobust", use_t=True)',
        "cluster": 'fit(cov_type="cluster", cov_kwds={"groups": g["treated"]}, use_t=True)',
    }.get(cov, 'fit(cov_type="HC1", use_t=True)')
    return [
        f'm = smf.ols("value ~ treated * post", data=g).{fit}',
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
