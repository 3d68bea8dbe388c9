"""CSV and XLSX downloads of any filtered set of observations.

Cells starting with = + - @, a tab or a carriage return are prefixed with an apostrophe so
no spreadsheet treats text someone typed into "notes" or "area" as a formula (CSV
injection). Public exports show suppressed small counts exactly as the public page does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tablib
from django.db.models import QuerySet

from evaluations.resources import OutcomeObservationResource
from evaluations.selectors import observations_dataframe, suppress_small_counts

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Export:
    content: bytes
    content_type: str
    file_name: str


def cell_escape(value: object) -> object:
    """Neutralise a text cell a spreadsheet would otherwise evaluate, and drop control
    characters (a NUL stored before uploads refused them would make the XLSX unwritable for
    every visitor); numbers pass through."""
    if isinstance(value, str):
        value = CONTROL_CHARACTERS.sub("", value)
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def observations_dataset(queryset: QuerySet, *, public: bool) -> tablib.Dataset:
    """The rows as a tablib Dataset (via the import-export resource), escaped and, for the
    public, with small counts suppressed."""
    dataset = OutcomeObservationResource().export(queryset=queryset)
    if public and len(dataset):
        shown = suppress_small_counts(observations_dataframe(queryset))["display_value"].tolist()
        index = dataset.headers.index("value")
        rows = [list(row) for row in dataset]
        for row, text in zip(rows, shown, strict=True):
            row[index] = text
        headers = dataset.headers
        dataset = tablib.Dataset(*rows, headers=headers)
    escaped = tablib.Dataset(headers=dataset.headers, title="observations")
    for row in dataset:
        escaped.append([cell_escape(cell) for cell in row])
    return escaped


def observations_export(queryset: QuerySet, *, file_format: str, public: bool) -> Export:
    """Render the filtered observations as CSV or XLSX."""
    if file_format not in CONTENT_TYPES:
        raise ValueError(f"Unknown export format {file_format!r}")
    dataset = observations_dataset(queryset, public=public)
    content = dataset.export(file_format)
    if isinstance(content, str):
        content = content.encode("utf-8")
    name = "outcome-observations-public" if public else "outcome-observations"
    return Export(content, CONTENT_TYPES[file_format], f"{name}.{file_format}")


def upload_template(file_format: str) -> Export:
    """An empty upload file with the expected columns and one example row; the XLSX version
    has a second sheet listing every metric code with its unit, so analysts can look codes up
    without leaving the spreadsheet."""
    from evaluations.models import OutcomeMetric
    from evaluations.uploads.validation import TEMPLATE_COLUMNS

    example = [
        "",
        "nonfatal_shootings",
        "Zone 3",
        "treatment",
        "2024-01-01",
        "2024-01-31",
        "7",
        "",
        "",
        "",
        "",
    ]
    data = tablib.Dataset(example, headers=list(TEMPLATE_COLUMNS), title="outcomes")
    if file_format == "csv":
        return Export(data.export("csv").encode(), CONTENT_TYPES["csv"], "outcome-template.csv")
    metrics = tablib.Dataset(
        headers=["code", "name", "category", "unit", "aggregation", "desired direction"],
        title="metric codes",
    )
    for metric in OutcomeMetric.objects.order_by("category", "code"):
        metrics.append(
            [
                metric.code,
                metric.name,
                metric.get_category_display(),
                metric.unit_label,
                metric.aggregation,
                metric.desired_direction,
            ]
        )
    book = tablib.Databook([data, metrics])
    return Export(book.export("xlsx"), CONTENT_TYPES["xlsx"], "outcome-template.xlsx")
