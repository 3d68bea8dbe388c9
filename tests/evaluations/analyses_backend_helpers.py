"""Outcome series for the analysis backend tests, imported through the real upload service."""

from __future__ import annotations

import calendar
import datetime as dt
import io

import numpy as np

from evaluations.services import outcome_upload

HEADER = "metric,area,group,period_start,period_end,value,denominator,notes,dimension,category"
START = dt.date(2020, 1, 1)
INTERVENTION = dt.date(2022, 1, 1)


def months(n: int, start: dt.date = START) -> list[tuple[dt.date, dt.date]]:
    out = []
    for m in range(n):
        year, month = start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1
        out.append(
            (dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]))
        )
    return out


def series_rows(metric: str, area: str, group: str, values, *, denominators=None, start=START):
    rows = []
    for i, ((first, last), value) in enumerate(
        zip(months(len(values), start), values, strict=True)
    ):
        den = "" if denominators is None else f"{denominators[i]:g}"
        rows.append(f'{metric},"{area}",{group},{first},{last},{value:g},{den},,,')
    return rows


def counts(level: float, n: int = 48, *, effect: float = 0.0, seed: int = 1, post_from: int = 24):
    rng = np.random.default_rng(seed)
    lam = np.full(n, level) * np.where(np.arange(n) >= post_from, 1 + effect, 1.0)
    return rng.poisson(lam).astype(float)


def upload_rows(site, rows: list[str], user=None, name: str = "series.csv"):
    data = ("\n".join([HEADER, *rows]) + "\n").encode()
    outcome = outcome_upload(site=site, user=user, stream=io.BytesIO(data), file_name=name)
    assert outcome.report["ok"], outcome.report["errors"][:3]
    return outcome


def upload_standard(site, *, seed: int = 1, effect: float = -0.3):
    """48 months of non-fatal shootings: Zone 3 (treatment, drop from 2022) and two
    comparison zones, plus a continuous metric (days) for Zone 3 and a comparison."""
    rows = series_rows(
        "nonfatal_shootings", "Zone 3", "treatment", counts(30, effect=effect, seed=seed)
    )
    rows += series_rows("nonfatal_shootings", "Zone 1", "comparison", counts(25, seed=seed + 1))
    rows += series_rows("nonfatal_shootings", "Zone 2", "comparison", counts(35, seed=seed + 2))
    rng = np.random.default_rng(seed + 3)
    days_t = np.round(45 + rng.normal(0, 3, 48) - np.where(np.arange(48) >= 24, 8, 0), 1)
    days_c = np.round(44 + rng.normal(0, 3, 48), 1)
    rows += series_rows("days_violation_to_hearing", "Zone 3", "treatment", days_t)
    rows += series_rows("days_violation_to_hearing", "County", "comparison", days_c)
    return upload_rows(site, rows)
