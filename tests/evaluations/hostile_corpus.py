"""What the portal must answer for each file of ``tests/data/hostile/``.

``OK`` files import (the optional check looks at what was stored); ``REFUSED`` files change
nothing and their message contains every listed word. Add a line here whenever a new kind of
file turns up (and the file itself via ``tests/data/hostile/generate.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hostile"


@dataclass(frozen=True)
class Case:
    name: str
    imports: bool
    words: tuple[str, ...] = ()
    rows: int = 0  # observations stored after an import
    stored: dict = field(default_factory=dict)  # {(period_start, field): value}

    @property
    def path(self) -> Path:
        return CORPUS / self.name


def ok(name: str, rows: int, **stored) -> Case:
    return Case(name, True, rows=rows, stored=stored)


def refused(name: str, *words: str) -> Case:
    return Case(name, False, words)


CASES = [
    ok("utf8_bom.csv", 2),
    ok("utf16_unicode_text.txt", 2),
    ok("utf32.csv", 1),
    ok("windows1252.csv", 1, area="Cañon City", notes="café"),
    refused("unknown_encoding.csv", "neither UTF-8 nor Windows-1252"),
    refused("png_named.csv", "PNG image"),
    refused("old_excel.xls", "Excel 97–2003", "Save As"),
    refused("pdf_named.csv", "PDF document"),
    refused("empty.csv", "empty"),
    refused("header_only.csv", "no data rows"),
    ok("title_row_above_header.csv", 1),
    refused("two_row_header.csv", "two rows", "Merge"),
    ok("trailing_empty.csv", 2),
    ok("cr_only.csv", 2),
    refused("extra_cells.csv", "more cells than the header"),
    refused("unbalanced_quote.csv", "quotation mark", "never closed"),
    refused("duplicate_header_case.csv", "appears twice", "not case-sensitive"),
    ok("semicolon_decimal_comma.csv", 2, value=112.5),
    refused("semicolon_ambiguous_comma.csv", "could be 112500 or 112.500"),
    refused("mixed_decimal_separators.csv", "other decimal separator"),
    ok("nbsp_thousands_percent.csv", 2),
    refused("infinity.csv", "not a finite number"),
    refused("number_too_large.csv", "too large"),
    refused("suppression_markers.csv", "suppression", "exact number"),
    refused("public_export_reupload.csv", "suppression", "hides small counts"),
    ok("dates_month_first.csv", 1, period_start=dt.date(2024, 1, 1)),
    ok("dates_day_first_end_only.csv", 2, period_start=dt.date(2024, 4, 1)),
    refused("dates_mixed_order.csv", "cannot be read that way"),
    refused("dates_out_of_range.csv", "plausible range"),
    ok("excel_serial_dates.csv", 1, period_start=dt.date(2024, 1, 1)),
    refused("nul_in_note.csv", "control character", "<U+0000>"),
    refused("cell_too_long.csv", "more than 2,000 characters"),
    ok("instructions_sheet_first.xlsx", 1),
    ok("excel_date_cells_and_title.xlsx", 1, period_end=dt.date(2024, 1, 31)),
    refused("no_header_anywhere.xlsx", "No header row found", "Sheet1"),
    refused("zip_not_workbook.xlsx", "ZIP archive"),
    refused("formula_without_result.xlsx", "formula", "Paste Special"),
    refused("json_malformed.json", "not valid JSON"),
    refused("json_deep.json", "nested"),
    refused("json_big_integer.json", "too long for a number"),
    refused("json_nan.json", "not a finite number"),
]
