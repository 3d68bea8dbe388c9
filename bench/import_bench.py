"""Outcome-data import benchmark: the portal's validated bulk import against a bulk floor and
django-import-export's default row-by-row import, on the same generated file.

    .venv/bin/python -m bench.import_bench [--rows 100000] [--baseline-rows 5000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.import_bench

On PostgreSQL the bench creates and drops its own database (``ips_bench``); on SQLite it uses
a temporary file. Each path starts from an empty observations table. The row-by-row path is
timed on a subset (``--baseline-rows``) and its rows/s extrapolated, because 100,000 rows one
by one take many minutes. ``--rows 1000000`` also reports peak memory of the portal path.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.database import bench_database_create, bench_database_drop

BENCH_DB = "ips_bench"
METRICS = ("nonfatal_shootings", "homicides", "shots_fired_calls", "gun_recoveries")


def generate_csv(path: Path, rows: int, site_slug: str, seed: int = 7) -> None:
    """Monthly counts for many areas: valid rows with unique natural keys."""
    # Imported here: the bench module loads before it configures Django.
    from evaluations.uploads.validation import TEMPLATE_COLUMNS

    rng = random.Random(seed)
    months = [(2000 + m // 12, m % 12 + 1) for m in range(300)]  # 25 years
    import calendar

    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TEMPLATE_COLUMNS)
        written = 0
        area_index = 0
        while written < rows:
            area = f"Beat {area_index:05d}"
            group = "treatment" if area_index % 2 == 0 else "comparison"
            for metric in METRICS:
                for year, month in months:
                    if written >= rows:
                        break
                    last = calendar.monthrange(year, month)[1]
                    writer.writerow(
                        [
                            site_slug,
                            metric,
                            area,
                            group,
                            f"{year}-{month:02d}-01",
                            f"{year}-{month:02d}-{last}",
                            rng.randint(0, 12),
                            "",
                            "",
                            "",
                            "",
                        ]
                    )
                    written += 1
            area_index += 1


def _reset() -> None:
    from evaluations.models import ObservationHistory, OutcomeObservation, UploadBatch

    ObservationHistory.objects.all().delete()
    OutcomeObservation.objects.all().delete()
    UploadBatch.objects.all().delete()


def time_portal(path: Path, site) -> tuple[float, int]:
    from evaluations.services import outcome_upload

    _reset()
    start = time.perf_counter()
    with path.open("rb") as stream:
        outcome = outcome_upload(site=site, user=None, stream=stream, file_name=path.name)
    elapsed = time.perf_counter() - start
    if not outcome.written:
        raise SystemExit(f"portal import did not write: {outcome.report['errors'][:3]}")
    return elapsed, outcome.report["counts"]["new"]


def time_floor(path: Path, site) -> tuple[float, int]:
    """pandas read + bulk_create of the same rows, no validation or diff."""
    import pandas as pd
    from django.db import transaction

    from evaluations.models import OutcomeMetric, OutcomeObservation

    _reset()
    start = time.perf_counter()
    metrics = dict(OutcomeMetric.objects.values_list("code", "id"))
    total = 0
    with transaction.atomic():
        for frame in pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=100_000):
            starts = pd.to_datetime(frame["period_start"]).dt.date.tolist()
            ends = pd.to_datetime(frame["period_end"]).dt.date.tolist()
            ids = frame["metric"].map(metrics).tolist()
            values = frame["value"].astype(float).tolist()
            objs = [
                OutcomeObservation(
                    site_id=site.pk,
                    metric_id=m,
                    area=a,
                    group=g,
                    period_start=s,
                    period_end=e,
                    value=v,
                )
                for m, a, g, s, e, v in zip(
                    ids, frame["area"], frame["group"], starts, ends, values, strict=True
                )
            ]
            OutcomeObservation.objects.bulk_create(objs, batch_size=5000)
            total += len(objs)
    return time.perf_counter() - start, total


def time_row_by_row(path: Path, rows: int) -> tuple[float, int]:
    """django-import-export's default import (a Resource with default settings)."""
    import tablib

    from evaluations.resources import OutcomeObservationResource

    _reset()
    with path.open() as handle:
        head = [next(handle) for _ in range(rows + 1)]
    dataset = tablib.Dataset().load(io.StringIO("".join(head)).read(), format="csv")
    start = time.perf_counter()
    result = OutcomeObservationResource().import_data(dataset, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - start
    return elapsed, result.totals.get("new", 0)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=5000)
    parser.add_argument(
        "--skip-baselines",
        action="store_true",
        help="Time only the portal path (e.g. for the memory run).",
    )
    args = parser.parse_args(argv)
    original_url = os.environ.get("DATABASE_URL", "")
    postgres_url = original_url if original_url.startswith("postgres") else None
    label = bench_database_create(BENCH_DB, postgres_url=postgres_url)
    try:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from tests.factories import GranteeSiteFactory

        site = GranteeSiteFactory(slug="bench-site", name="Bench site")
        workdir = Path(tempfile.mkdtemp())
        path = workdir / "bench.csv"
        generate_csv(path, args.rows, site.slug)
        size = path.stat().st_size / 1e6
        print(f"Database: {label}; file: {args.rows:,} rows, {size:.1f} MB")
        rss_before = _peak_rss_mib()
        portal_s, portal_n = time_portal(path, site)
        rss_after = _peak_rss_mib()
        portal_rate = portal_n / portal_s
        print(
            f"portal import        : {portal_n:>9,} rows in {portal_s:7.2f} s = "
            f"{portal_rate:>9,.0f} rows/s"
        )
        print(
            f"peak memory (max RSS): {rss_after:,.0f} MiB (before the import: "
            f"{rss_before:,.0f} MiB); target < 1024 MiB"
        )
        if args.skip_baselines:
            return 0 if rss_after < 1024 else 1
        floor_s, floor_n = time_floor(path, site)
        floor_rate = floor_n / floor_s
        print(
            f"bulk floor           : {floor_n:>9,} rows in {floor_s:7.2f} s = "
            f"{floor_rate:>9,.0f} rows/s"
        )
        base_rows = min(args.baseline_rows, args.rows)
        rbr_s, rbr_n = time_row_by_row(path, base_rows)
        rbr_rate = rbr_n / rbr_s
        print(
            f"import-export default: {rbr_n:>9,} rows in {rbr_s:7.2f} s = "
            f"{rbr_rate:>9,.0f} rows/s (timed on the first {base_rows:,} rows; "
            f"extrapolated {args.rows / rbr_rate:,.0f} s for all {args.rows:,})"
        )
        speedup = portal_rate / rbr_rate
        floor_ratio = floor_rate / portal_rate
        print(f"portal vs row-by-row : {speedup:5.1f}× faster (target ≥ 10×)")
        print(f"bulk floor vs portal : {floor_ratio:5.2f}× (target ≤ 3×)")
        ok = speedup >= 10 and floor_ratio <= 3
        print("targets met" if ok else "TARGETS NOT MET")
        return 0 if ok else 1
    finally:
        bench_database_drop(BENCH_DB, postgres_url=postgres_url)


if __name__ == "__main__":
    sys.exit(main())
