"""Benchmark: serving a result page from the stored result vs recomputing it per request.

Sets up Django on a temporary SQLite database (or PostgreSQL with ``--postgres``, using
``DATABASE_URL`` as the server), stores one published interrupted-time-series analysis of a
60-month count series with a comparison series, warms up, then requests its result page N
times with the Django test client and prints p50/p95 in milliseconds. The baseline, measured
in the same run, refits the model from the stored rows before each request (what the page
would cost without stored results). Target: p95 < 100 ms.

    .venv/bin/python -m bench.result_page_bench [--n 200] [--postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import (  # noqa: E402 - needs the project root on sys.path first
    DEFAULT_POSTGRES_URL,
    bench_database_create,
    bench_database_drop,
)

BENCH_DB = "ips_result_page_bench"
TARGET_P95_MS = 100.0
MONTHS = 60
POST_FROM = 36


def _rows(seed: int = 11) -> list[dict]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    months = pd.date_range("2020-01-01", periods=MONTHS, freq="MS")
    rows = []
    for area, group, effect in (("Zone 3", "treatment", 0.7), ("Zone 1", "comparison", 0.97)):
        for i, month in enumerate(months):
            mean = 25.0 * (effect if i >= POST_FROM else 1.0)
            rows.append(
                {
                    "period_start": month.date().isoformat(),
                    "area": area,
                    "group": group,
                    "value": float(rng.poisson(mean)),
                    "denominator": None,
                }
            )
    return rows


def _fit(rows: list[dict], intervention: dt.date) -> dict:
    """The analysis itself, from the stored rows (the baseline does this per request)."""
    import pandas as pd

    from evaluations import stats

    frame = pd.DataFrame(rows)
    frame["period"] = pd.to_datetime(frame["period_start"]).dt.to_period("M")
    series = {
        group: part.groupby("period")["value"].sum() for group, part in frame.groupby("group")
    }
    return stats.interrupted_time_series(
        series["treatment"],
        intervention=pd.Period(intervention, freq="M"),
        kind="count",
        comparison=series["comparison"],
    ).to_dict()


def _store():
    from evaluations.analyses.services import library_versions
    from evaluations.models import Analysis, AnalysisResult, OutcomeMetric
    from portal.models import GranteeSite, Jurisdiction

    jurisdiction = Jurisdiction.objects.create(name="Bench County", state="MO", kind="county")
    site = GranteeSite.objects.create(name="Bench County", slug="bench", jurisdiction=jurisdiction)
    intervention = dt.date(2023, 1, 1)
    rows = _rows()
    analysis = Analysis.objects.create(
        title="Bench: shootings ITS",
        site=site,
        design=Analysis.Design.ITS_WITH_COMPARISON,
        metric=OutcomeMetric.objects.get(code="nonfatal_shootings"),
        treatment_area="Zone 3",
        comparison_areas=["Zone 1"],
        intervention_date=intervention,
        status=Analysis.Status.SUCCEEDED,
        is_published=True,
    )
    AnalysisResult.objects.create(
        analysis=analysis,
        status=Analysis.Status.SUCCEEDED,
        is_current=True,
        result=_fit(rows, intervention),
        data=rows,
        input_hash="0" * 64,
        library_versions=library_versions(),
    )
    return analysis, rows, intervention


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return statistics.median(ordered), p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    original = os.environ.get("DATABASE_URL", "")
    postgres_url = (
        (original if original.startswith("postgres") else DEFAULT_POSTGRES_URL)
        if args.postgres
        else None
    )
    label = bench_database_create(BENCH_DB, postgres_url=postgres_url)
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    try:
        analysis, rows, intervention = _store()
        url = analysis.get_absolute_url()
        client = Client()
        for _ in range(10):  # warm-up: templates, URL resolver, connections
            assert client.get(url).status_code == 200
        stored = []
        for _ in range(args.n):
            start = time.perf_counter()
            response = client.get(url)
            stored.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        baseline = []
        for _ in range(args.n):
            start = time.perf_counter()
            _fit(rows, intervention)
            response = client.get(url)
            baseline.append((time.perf_counter() - start) * 1000)
        s50, s95 = _percentiles(stored)
        b50, b95 = _percentiles(baseline)
        print(f"Result page, {label}, {MONTHS}-month series, N={args.n} requests after warm-up")
        print(f"  stored result:        p50 {s50:7.1f} ms   p95 {s95:7.1f} ms")
        print(f"  recompute per request: p50 {b50:7.1f} ms   p95 {b95:7.1f} ms")
        print(f"  ratio (baseline p95 / stored p95): {b95 / s95:.2f}x")
        verdict = "PASS" if s95 < TARGET_P95_MS else "FAIL"
        print(f"  target p95 < {TARGET_P95_MS:.0f} ms: {verdict}")
        return 0 if s95 < TARGET_P95_MS else 1
    finally:
        bench_database_drop(BENCH_DB, postgres_url=postgres_url)


if __name__ == "__main__":
    raise SystemExit(main())
