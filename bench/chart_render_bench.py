"""Benchmark: drawing the portal's charts on the server with vl-convert, uncached vs cached.

Builds a 60-month interrupted-time-series chart (treatment, comparison, fitted and
counterfactual lines, start rule) and a 12-row forest plot with the portal's own spec builders,
then times: the first drawing in the process (vl-convert starting its JavaScript runtime), N
uncached drawings of each chart as SVG and as PNG (the baseline: what every request would cost
without the cache), and N drawings through ``chart_render`` with the cache warm. Prints p50/p95
in milliseconds and the ratio of cached to uncached.

    .venv/bin/python -m bench.chart_render_bench [--n 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _series_chart():
    import numpy as np
    import pandas as pd

    from evaluations.analyses import charts

    rng = np.random.default_rng(3)
    rows = []
    for i, month in enumerate(pd.date_range("2020-01-01", periods=60, freq="MS")):
        post = i >= 36
        rows.append(
            {
                "month": month.strftime("%Y-%m"),
                "treatment": float(rng.poisson(18 if post else 25)),
                "comparison": float(rng.poisson(24)),
                "fitted": 25.0 - (7.0 if post else 0.0),
                "counterfactual": 25.0,
            }
        )
    return charts.series_chart(
        slug="bench-series",
        title="Non-fatal shootings by month, Zone 3",
        description="Line chart of non-fatal shootings by month.",
        rows=rows,
        intervention="2023-01",
        value_label="Non-fatal shootings",
        fitted=True,
        comparison=True,
    )


def _forest_chart():
    from evaluations.analyses import charts

    rows = []
    for i in range(12):
        estimate = 0.7 + 0.05 * i
        rows.append(
            {
                "label": f"Site {i + 1}, MO · ITS · #{i + 1}",
                "estimate": estimate,
                "ci_low": estimate * 0.7,
                "ci_high": estimate * 1.4,
                "weight": 8.0,
                "pooled": False,
            }
        )
    return charts.forest_chart(
        slug="bench-forest",
        title="Non-fatal shootings: results by site",
        description="Forest plot of 12 results.",
        rows=rows,
        scale_label="Rate ratio",
        null_value=1.0,
    )


def _times(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="drawings per measurement")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
    import django

    django.setup()
    from evaluations.analyses import chart_render

    charts = {"series": _series_chart(), "forest": _forest_chart()}
    start = time.perf_counter()
    chart_render._render(chart_render.static_spec(charts["series"].spec), "svg")
    first_ms = (time.perf_counter() - start) * 1000
    print(f"first drawing in the process (runtime start): {first_ms:.0f} ms")
    print(f"{'chart':8} {'format':6} {'uncached p50':>12} {'p95':>8} {'cached p50':>11} {'p95':>8}")
    for name, chart in charts.items():
        spec = chart_render.static_spec(chart.spec)
        for fmt in ("svg", "png"):
            uncached = _times(lambda: chart_render._render(spec, fmt), args.n)  # noqa: B023
            chart_render.chart_render(chart, fmt)
            cached = _times(lambda: chart_render.chart_render(chart, fmt), args.n)  # noqa: B023
            print(
                f"{name:8} {fmt:6} {statistics.median(uncached):10.1f} ms {_p95(uncached):6.1f} ms"
                f" {statistics.median(cached):9.2f} ms {_p95(cached):6.2f} ms"
                f"  (cached/uncached p50 = "
                f"{statistics.median(cached) / statistics.median(uncached):.3f})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
