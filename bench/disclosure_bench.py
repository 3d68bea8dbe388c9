"""Benchmark: the first public view of a heavily linked table, with and without the stored
protection.

Sets up Django on a temporary SQLite database (or PostgreSQL with ``--postgres``), publishes
one synthetic 400-cell table of homicides (60 months and their 20 quarters, for four zones
and an "all zones" row equal to their sum; 62 small counts), then times:

- baseline: the first request of the public data CSV with nothing stored (the view works the
  protection out itself, as it did when the pattern lived in the per-process cache);
- the background task (``protected_tables_refresh``), which now does that work when data
  are published;
- the first request after the task ran (per-process cache cleared, so the view reads the
  stored pattern).

    .venv/bin/python -m bench.disclosure_bench [--postgres]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import (  # noqa: E402 - needs the project root on sys.path first
    DEFAULT_POSTGRES_URL,
    bench_database_create,
    bench_database_drop,
)

BENCH_DB = "ips_disclosure_bench"
MONTHS = 60
ZONES = ("Zone 1", "Zone 2", "Zone 3", "Zone 4")
SEED = 11


def synthetic_cells() -> list[dict]:
    """Rows of the 400-cell table: (4 zones + "All zones") x (60 months + 20 quarters)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(SEED)
    months = pd.date_range("2020-01-01", periods=MONTHS, freq="MS")
    values = {
        zone: rng.poisson(mean, MONTHS) for zone, mean in zip(ZONES, (7, 14, 22, 30), strict=True)
    }
    values["All zones"] = sum(values[zone] for zone in ZONES)
    rows = []
    for area, series in values.items():
        for i, month in enumerate(months):
            end = (month + pd.offsets.MonthEnd(0)).date()
            rows.append((area, month.date(), end, float(series[i])))
        for q in range(MONTHS // 3):
            start, end = months[3 * q].date(), (months[3 * q + 2] + pd.offsets.MonthEnd(0)).date()
            rows.append((area, start, end, float(series[3 * q : 3 * q + 3].sum())))
    return [
        {"area": area, "period_start": start, "period_end": end, "value": value}
        for area, start, end, value in rows
    ]


def _publish() -> tuple:
    from django.utils import timezone

    from evaluations.models import OutcomeMetric, OutcomeObservation
    from portal.models import GranteeSite, Jurisdiction

    jurisdiction = Jurisdiction.objects.create(name="Bench County", state="MO", kind="county")
    site = GranteeSite.objects.create(name="Bench County", slug="bench", jurisdiction=jurisdiction)
    metric = OutcomeMetric.objects.get(code="homicides")
    now = timezone.now()
    cells = synthetic_cells()
    OutcomeObservation.objects.bulk_create(
        OutcomeObservation(
            site=site,
            metric=metric,
            group="comparison" if cell["area"] == "All zones" else "treatment",
            is_published=True,
            published_at=now,
            **cell,
        )
        for cell in cells
    )
    small = sum(1 <= cell["value"] <= 9 for cell in cells)
    return site, metric, len(cells), small


def _first_view(client, url: str) -> float:
    from django.core.cache import cache

    cache.clear()
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    original = os.environ.get("DATABASE_URL", "")
    postgres_url = (
        (original if original.startswith("postgres") else DEFAULT_POSTGRES_URL)
        if args.postgres
        else None
    )
    label = bench_database_create(BENCH_DB, postgres_url=postgres_url)
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import setup_test_environment

    from evaluations.models import ProtectedTable
    from evaluations.services import protected_tables_refresh

    setup_test_environment()
    try:
        site, metric, count, small = _publish()
        url = "/evaluations/data/export.csv?site=bench&metric=homicides"
        client = Client()
        before = _first_view(client, url)
        ProtectedTable.objects.all().delete()
        cache.clear()
        start = time.perf_counter()
        protected_tables_refresh(site=site, metric_codes=[metric.code])
        task = time.perf_counter() - start
        after = _first_view(client, url)
        stored = ProtectedTable.objects.get(site=site, metric=metric)
        hidden = sum(1 for s in stored.status if s)
        assert stored.seconds > 0  # the task, not a view, worked it out
        print(
            f"Disclosure, {label}: {count} published cells, {small} small counts, {hidden} hidden"
        )
        print(f"  first view, nothing stored (baseline): {before:8.2f} s")
        print(f"  background task (on publication):      {task:8.2f} s")
        print(f"  first view, pattern stored:            {after:8.2f} s")
        return 0
    finally:
        bench_database_drop(BENCH_DB, postgres_url=postgres_url)


if __name__ == "__main__":
    raise SystemExit(main())
