"""Write the small hostile-upload corpus next to this file: ``python generate.py``.

One file per kind of messy or hostile upload an office may send. The expected answer for
each lives in ``tests/evaluations/hostile_corpus.py``; the large "bombs" are not stored here
but generated small at test time.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADER = "metric,area,group,period_start,period_end,value,notes"
JAN = "homicides,Zone 3,treatment,2024-01-01,2024-01-31,4,"
FEB = "homicides,Zone 3,treatment,2024-02-01,2024-02-29,5,"


def text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


ROWS = [
    ["metric", "area", "group", "period_start", "period_end", "value"],
    ["homicides", "Zone 3", "treatment", dt.date(2024, 1, 1), dt.date(2024, 1, 31), 4],
]

FILES: dict[str, bytes] = {
    # Encodings
    "utf8_bom.csv": b"\xef\xbb\xbf" + text(HEADER, JAN, FEB).encode(),
    "utf16_unicode_text.txt": text(HEADER, JAN, FEB).replace(",", "\t").encode("utf-16"),
    "utf32.csv": text(HEADER, JAN).encode("utf-32"),
    "windows1252.csv": text(HEADER, JAN.replace("Zone 3", "Cañon City") + "café").encode("cp1252"),
    "unknown_encoding.csv": text(HEADER).encode() + b"homicides,Zone \x81\x8d,treatment\n",
    # File types
    "png_named.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(32),
    "old_excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
    "pdf_named.csv": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
    "empty.csv": b"",
    "header_only.csv": text(HEADER).encode(),
    # Layout
    "title_row_above_header.csv": text(
        "Harlow County outcome data,,,,,,", "exported 2024-03-02,,,,,,", HEADER, JAN
    ).encode(),
    "two_row_header.csv": text(
        "metric,area,group,period,,value,notes", ",,,start,end,,", JAN
    ).encode(),
    "trailing_empty.csv": text(
        HEADER + ",,", JAN + ",,", FEB + ",,", ",,,,,,,,", ",,,,,,,,"
    ).encode(),
    "cr_only.csv": text(HEADER, JAN, FEB).replace("\n", "\r").encode(),
    "extra_cells.csv": text(HEADER, JAN + ",surprise,cell").encode(),
    "unbalanced_quote.csv": text(
        HEADER, 'homicides,"Zone 3,treatment,2024-01-01,2024-01-31,4,', FEB
    ).encode(),
    "duplicate_header_case.csv": text(HEADER + ",Value", JAN + ",5").encode(),
    # Numbers
    "semicolon_decimal_comma.csv": text(
        "metric;area;group;period_start;period_end;value",
        "median_days_arrest_to_disposition;Countywide;treatment;2024-01-01;2024-01-31;112,500",
        "median_days_arrest_to_disposition;Countywide;treatment;2024-02-01;2024-02-29;98,5",
    ).encode(),
    "semicolon_ambiguous_comma.csv": text(
        "metric;area;group;period_start;period_end;value",
        "median_days_arrest_to_disposition;Countywide;treatment;2024-01-01;2024-01-31;112,500",
    ).encode(),
    "mixed_decimal_separators.csv": text(
        "metric;area;group;period_start;period_end;value",
        "median_days_arrest_to_disposition;Countywide;treatment;2024-01-01;2024-01-31;12,5",
        "median_days_arrest_to_disposition;Countywide;treatment;2024-02-01;2024-02-29;12.25",
        "median_days_arrest_to_disposition;Countywide;treatment;2024-03-01;2024-03-31;13,5",
    ).encode(),
    "nbsp_thousands_percent.csv": text(
        HEADER,
        'cases_filed,Countywide,treatment,2024-01-01,2024-01-31,"1\u00a0204",',
        "violent_felony_conviction_rate,Countywide,treatment,2024-01-01,2024-01-31,45%,",
    ).encode(),
    "infinity.csv": text(
        HEADER, JAN.replace(",4,", ",inf,"), FEB.replace(",5,", ",Infinity,")
    ).encode(),
    "number_too_large.csv": text(HEADER, JAN.replace(",4,", ",1e300,")).encode(),
    "suppression_markers.csv": text(
        HEADER,
        JAN.replace(",4,", ",<10,"),
        FEB.replace(",5,", ",*,"),
        "homicides,Zone 3,treatment,2024-03-01,2024-03-31,N/A,",
        "homicides,Zone 3,treatment,2024-04-01,2024-04-30,-,",
    ).encode(),
    "public_export_reupload.csv": text(
        "site,metric,area,group,period_start,period_end,dimension,category,value,denominator,notes",
        "site-a,homicides,Zone 3,treatment,2024-01-01,2024-01-31,,,<10,,",
    ).encode(),
    # Dates
    "dates_month_first.csv": text(
        HEADER, "homicides,Zone 3,treatment,1/1/2024,1/31/2024,4,"
    ).encode(),
    "dates_day_first_end_only.csv": text(
        HEADER,
        "homicides,Zone 3,treatment,01/04/2024,30/04/2024,4,",
        "homicides,Zone 3,treatment,01/05/2024,31/05/2024,5,",
    ).encode(),
    "dates_mixed_order.csv": text(
        HEADER,
        "homicides,Zone 3,treatment,01/04/2024,30/04/2024,4,",
        "homicides,Zone 3,treatment,5/1/2024,5/31/2024,5,",
    ).encode(),
    "dates_out_of_range.csv": text(
        HEADER,
        "homicides,Zone 3,treatment,0001-01-01,0001-01-31,4,",
        "homicides,Zone 3,treatment,9999-12-01,9999-12-31,5,",
    ).encode(),
    "excel_serial_dates.csv": text(HEADER, "homicides,Zone 3,treatment,45292,45322,4,").encode(),
    # Text
    "nul_in_note.csv": text(HEADER, JAN + "see\x00memo").encode(),
    "cell_too_long.csv": text(HEADER, JAN + "x" * 5000).encode(),
    # XLSX
    "instructions_sheet_first.xlsx": xlsx(
        {"Instructions": [["How to fill this workbook"], ["One row per month"]], "Data": ROWS}
    ),
    "excel_date_cells_and_title.xlsx": xlsx({"outcomes": [["Outcome data for Zone 3"], [], *ROWS]}),
    "no_header_anywhere.xlsx": xlsx({"Sheet1": [["hello", "world"], [1, 2]]}),
    "zip_not_workbook.xlsx": b"",  # filled below
    # JSON
    "json_malformed.json": b'[{"metric": "homicides", "value": 4,,}]',
    "json_deep.json": b"[" * 2000 + b"]" * 2000,
    "json_big_integer.json": (
        '[{"metric": "homicides", "area": "A", "group": "treatment", "period_start": '
        '"2024-01-01", "period_end": "2024-01-31", "value": ' + "9" * 5000 + "}]"
    ).encode(),
    "json_nan.json": (
        b'[{"metric": "homicides", "area": "A", "group": "treatment", "period_start": '
        b'"2024-01-01", "period_end": "2024-01-31", "value": NaN}]'
    ),
}


def zip_not_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


def formula_workbook() -> bytes:
    """A formula cell with no cached result, as written by tools that never calculate."""
    return xlsx(
        {
            "Data": [
                ROWS[0],
                ["homicides", "Zone 3", "treatment", "2024-01-01", "2024-01-31", "=SUM(1,3)"],
            ]
        }
    )


def main() -> None:
    FILES["zip_not_workbook.xlsx"] = zip_not_workbook()
    FILES["formula_without_result.xlsx"] = formula_workbook()
    for name, data in FILES.items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
