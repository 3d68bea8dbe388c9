"""The reader and the per-file conventions, without a database: what each odd input becomes."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest

from evaluations.uploads.reader import (
    LimitExceeded,
    UnreadableFile,
    UploadLimits,
    upload_read,
    xlsx_has_formulas,
)
from evaluations.uploads.validation import Catalogue, MetricInfo, upload_validate

CATALOGUE = Catalogue(
    metrics={
        "homicides": MetricInfo(1, "homicides", "count", "sum"),
        "median_days": MetricInfo(2, "median_days", "days", "median"),
    },
    site_slug="site-a",
    site_id=1,
)
HEADER = "metric;area;group;period_start;period_end;value\n"


def validate(data: bytes, chunk_rows: int = 100_000, name: str = "f.csv"):
    raw = upload_read(io.BytesIO(data), file_name=name, chunk_rows=chunk_rows)
    return upload_validate(raw, CATALOGUE)


def test_utf16_without_bom_is_named_not_misread():
    data = "metric,area\nhomicides,A\n".encode("utf-16-le")
    with pytest.raises(UnreadableFile, match="UTF-16 text saved without a byte-order mark"):
        upload_read(io.BytesIO(data), file_name="f.csv")


def test_encoding_changing_after_the_first_64_kb_is_named():
    rows = "".join(f"homicides;A{i};treatment;2024-01-01;2024-01-31;1\n" for i in range(2000))
    data = (HEADER + rows).encode() + "homicides;Cañon;treatment;2024-02-01;2024-02-29;1\n".encode(
        "cp1252"
    )
    assert len(data) > 65536
    with pytest.raises(UnreadableFile, match="mixes encodings"):
        validate(data)


def test_decimal_comma_decided_in_one_chunk_holds_in_the_next():
    data = (
        HEADER
        + "median_days;A;treatment;2024-01-01;2024-01-31;98,5\n"
        + "median_days;A;treatment;2024-02-01;2024-02-29;112,500\n"
    ).encode()
    result = validate(data, chunk_rows=1)
    assert result.ok, result.errors
    assert list(result.frame["value"]) == [98.5, 112.5]


def test_decimal_point_then_comma_in_a_later_chunk_is_refused_naming_the_deciding_row():
    data = (
        HEADER
        + "median_days;A;treatment;2024-01-01;2024-01-31;98.25\n"
        + "median_days;A;treatment;2024-02-01;2024-02-29;98,5\n"
    ).encode()
    result = validate(data, chunk_rows=1)
    assert [(p.row, p.column) for p in result.errors] == [(3, "value")]
    assert "decided at row 2" in result.errors[0].message


def test_counts_in_a_semicolon_file_read_thousands():
    data = (HEADER + "homicides;A;treatment;2024-01-01;2024-01-31;1,204\n").encode()
    result = validate(data)
    assert result.ok and list(result.frame["value"]) == [1204]


def test_day_first_decided_by_the_end_date_applies_to_the_start_across_chunks():
    data = (
        HEADER
        + "homicides;A;treatment;01/04/2024;30/04/2024;1\n"
        + "homicides;A;treatment;01/05/2024;01/06/2024;1\n"
    ).encode()
    result = validate(data, chunk_rows=1)
    assert result.ok, result.errors
    assert list(result.frame["period_start"].dt.date) == [dt.date(2024, 4, 1), dt.date(2024, 5, 1)]
    assert list(result.frame["period_end"].dt.date) == [dt.date(2024, 4, 30), dt.date(2024, 6, 1)]


def test_dotted_dates_and_excel_day_numbers():
    data = (
        HEADER
        + "homicides;A;treatment;01.03.2024;31.03.2024;1\n"
        + "homicides;A;treatment;45383;45412;1\n"
    ).encode()
    result = validate(data)
    assert result.ok, result.errors
    assert list(result.frame["period_start"].dt.date) == [dt.date(2024, 3, 1), dt.date(2024, 4, 1)]


def test_json_value_that_is_a_list_is_named():
    data = b'[{"metric": "homicides", "value": [1, 2]}]'
    with pytest.raises(UnreadableFile, match='key "value": a list or object'):
        validate(data, name="rows.json")


def test_limits_name_their_setting():
    limits = UploadLimits(max_bytes=10)
    with pytest.raises(UnreadableFile, match="PORTAL_UPLOAD_MAX_BYTES"):
        upload_read(io.BytesIO(b"metric,area,group\n" * 2), limits=limits)
    wide = ",".join(f"c{i}" for i in range(60)).encode() + b"\n"
    with pytest.raises(UnreadableFile, match="PORTAL_UPLOAD_MAX_COLUMNS"):
        upload_read(io.BytesIO(b"metric,area,group," + wide))


def test_workbook_without_formulas_is_read_once():
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["metric", "area", "group"])
    plain = io.BytesIO()
    book.save(plain)
    book.active.append(["=1+1"])
    with_formula = io.BytesIO()
    book.save(with_formula)
    assert not xlsx_has_formulas(plain)
    assert xlsx_has_formulas(with_formula)


def test_a_row_of_a_million_empty_cells_is_refused_in_bounded_time():
    # pandas tokenises every spare cell: 5 MB of commas in one row took minutes and gigabytes.
    data = (HEADER + "homicides;A;treatment;2024-01-01;2024-01-31;3" + ";" * 1_000_000).encode()
    start = time.monotonic()
    with pytest.raises(LimitExceeded, match=r"Row 2 has more than .*PORTAL_UPLOAD_MAX_COLUMNS"):
        validate(data)
    assert time.monotonic() - start < 5


def test_delimiters_inside_quoted_cells_and_a_few_spare_cells_still_read():
    note = '"' + ";" * 300 + "\n" + ";" * 300 + '"'
    data = (
        "metric;area;group;period_start;period_end;value;notes\n"
        + f"homicides;A;treatment;2024-01-01;2024-01-31;3;{note}\n"
        + "homicides;A;treatment;2024-02-01;2024-02-29;4;;\n"
    ).encode()
    result = validate(data)
    assert result.ok, result.errors
    assert list(result.frame["value"]) == [3, 4]


def _xlsx_with_sheet_xml(edit) -> bytes:
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["metric", "area", "group", "period_start", "period_end", "value"])
    for month in range(1, 26):  # past the rows searched for the header
        sheet.append(["homicides", f"A{month}", "treatment", "2024-01-01", "2024-01-31", 3])
    plain = io.BytesIO()
    book.save(plain)
    damaged = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(damaged, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, edit(data) if name == "xl/worksheets/sheet1.xml" else data)
    return damaged.getvalue()


@pytest.mark.parametrize(
    "edit, row",
    [
        (lambda xml: xml.replace(b"<sheetData>", b"<sheetData>&undefined;"), 1),
        (
            lambda xml: xml.replace(
                b"</sheetData>", b'<row r="27"><c r="A27"><v>1</c></sheetData>'
            ),
            27,
        ),
    ],
    ids=["before the header", "in the data rows"],
)
def test_damaged_sheet_xml_is_named_not_a_traceback(edit, row):
    with pytest.raises(UnreadableFile, match='sheet "Sheet" of this workbook is damaged') as caught:
        validate(_xlsx_with_sheet_xml(edit), name="f.xlsx")
    assert caught.value.row == row


def test_a_cell_far_past_the_header_on_the_first_data_row_is_not_dropped():
    # pandas keeps one spare column and silently drops the rest on the first data row.
    data = (HEADER + "homicides;A;treatment;2024-01-01;2024-01-31;3;;;;;;12\n").encode()
    with pytest.raises(UnreadableFile, match=r"Row 2 has more cells than the header has columns"):
        validate(data)


def test_json_key_given_twice_in_a_row_is_refused_not_last_one_wins():
    row = '"metric": "homicides", "area": "A", "group": "treatment", "period_start": "2024-01-01"'
    data = f'[{{{row}, "period_end": "2024-01-31", "value": 3, "value": 4}}]'.encode()
    with pytest.raises(UnreadableFile, match='the key "value" appears twice'):
        validate(data, name="rows.json")


@pytest.mark.parametrize("invisible", ["\u200b", "\u202e", "\ufeff", "\x85"])
def test_invisible_format_characters_in_text_are_refused(invisible):
    data = (HEADER + f"homicides;Zone{invisible} 3;treatment;2024-01-01;2024-01-31;3\n").encode()
    result = validate(data)
    assert not result.ok
    assert any("invisible control character" in e.message for e in result.errors), result.errors
