"""Small helpers the outcome-data tests share: build upload files and run imports."""

from __future__ import annotations

import calendar
import io
from pathlib import Path

from evaluations.services import outcome_upload

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
HEADER = "metric,area,group,period_start,period_end,value,denominator,notes,dimension,category"


def month_rows(metric: str, area: str, group: str, values: list, year: int = 2023) -> list[str]:
    rows = []
    for i, value in enumerate(values):
        last = calendar.monthrange(year, i + 1)[1]
        rows.append(
            f'{metric},"{area}",{group},{year}-{i + 1:02d}-01,{year}-{i + 1:02d}-{last},{value},,,,'
        )
    return rows


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def upload(site, data: bytes, user=None, name: str = "upload.csv", dry_run: bool = False):
    return outcome_upload(
        site=site, user=user, stream=io.BytesIO(data), file_name=name, dry_run=dry_run
    )
