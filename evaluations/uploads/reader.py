"""Turn what analysts actually send into tables of text cells.

Files exported from case-management systems and Excel carry byte-order marks, semicolons or
tabs instead of commas, Windows-1252 text, blank lines, real date cells and trailing empty
columns. The reader copes with all of that and keeps the spreadsheet row number (header = row
1) next to each row so every error can point at the line the analyst sees. It reads in chunks
so a million-row file never sits in memory as text all at once.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

ROW_COLUMN = "__row__"
DEFAULT_CHUNK_ROWS = 100_000
XLSX_MAGIC = b"PK\x03\x04"


class UnreadableFile(ValueError):
    """The bytes are not a CSV, XLSX or JSON table we can read at all."""


def header_normalise(name: Any) -> str:
    """'Period Start ' → 'period_start': header names are case-insensitive, order free."""
    text = "" if name is None else str(name)
    text = text.replace("\ufeff", "").strip().lower()
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


@dataclass
class RawUpload:
    """The header as written (normalised) and an iterator of row chunks.

    Each chunk is a DataFrame of text cells with normalised column names and a ``__row__``
    column holding the row number the user sees; wholly blank rows are already dropped and
    counted in ``blank_rows``.
    """

    file_format: str
    headers: list[str]
    chunks: Iterator[pd.DataFrame]
    original_headers: list[str] = field(default_factory=list)
    blank_rows: int = 0


def file_format_detect(file_name: str, head: bytes) -> str:
    """Pick csv, xlsx or json from the content first and the file name second."""
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{"):
        return "json"
    suffix = Path(file_name or "").suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    return "csv"


def sha256_of(stream: BinaryIO) -> str:
    """SHA-256 of the whole stream, read in blocks, then rewound."""
    digest = hashlib.sha256()
    stream.seek(0)
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


def encoding_detect(head: bytes) -> str:
    """UTF-8 (with or without BOM) when the start decodes as UTF-8, else Windows-1252,
    which is what Excel on Windows writes for "CSV"."""
    # Cut at the last newline so a multi-byte character split by the sample is not an error.
    cut = head.rfind(b"\n")
    sample = head if cut < 0 or len(head) < 65536 else head[:cut]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def delimiter_detect(header_line: str) -> str:
    """Comma, semicolon or tab: whichever splits the header line into the most cells."""
    counts = {}
    for delimiter in (",", ";", "\t"):
        try:
            counts[delimiter] = len(next(csv.reader([header_line], delimiter=delimiter)))
        except (csv.Error, StopIteration):
            counts[delimiter] = 0
    return max(counts, key=lambda d: (counts[d], d == ","))


def _frame_finish(frame: pd.DataFrame, first_row: int, upload: RawUpload) -> pd.DataFrame:
    frame = frame.fillna("")
    frame.columns = upload.headers
    frame[ROW_COLUMN] = range(first_row, first_row + len(frame))
    cells = frame.drop(columns=[ROW_COLUMN])
    if len(cells.columns):
        blank = (cells.astype(str).apply(lambda c: c.str.strip()) == "").all(axis=1)
    else:
        blank = pd.Series(True, index=frame.index)
    upload.blank_rows += int(blank.sum())
    return frame.loc[~blank].reset_index(drop=True)


def _csv_read(stream: BinaryIO, chunk_rows: int) -> RawUpload:
    head = stream.read(65536)
    stream.seek(0)
    encoding = encoding_detect(head)
    text_head = head.decode(encoding, errors="replace").lstrip("\ufeff")
    lines = text_head.splitlines()
    if not lines or not lines[0].strip():
        raise UnreadableFile("The file is empty or its first line (the header) is blank.")
    delimiter = delimiter_detect(lines[0])
    original = next(csv.reader([lines[0]], delimiter=delimiter))
    upload = RawUpload("csv", [header_normalise(h) for h in original], iter(()), original)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")

    def chunks() -> Iterator[pd.DataFrame]:
        reader = pd.read_csv(
            text,
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            header=None,
            skiprows=1,
            names=list(range(len(original))),
            chunksize=chunk_rows,
            engine="c",
            on_bad_lines="error",
        )
        next_row = 2  # the header is row 1
        try:
            for frame in reader:
                size = len(frame)
                yield _frame_finish(frame, next_row, upload)
                next_row += size
        except pd.errors.ParserError as exc:
            # e.g. "Expected 9 fields in line 7, saw 10": a row with more cells than the header.
            raise UnreadableFile(
                f"A row has more cells than the header ({exc}). Check for an unquoted "
                "delimiter inside a cell or a missing header name."
            ) from exc

    upload.chunks = chunks()
    return upload


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_read(stream: BinaryIO, chunk_rows: int) -> RawUpload:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise UnreadableFile(f"This is not a readable XLSX workbook ({exc}).") from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = next(rows)
    except StopIteration as exc:
        raise UnreadableFile("The first sheet is empty.") from exc
    original = [_xlsx_cell(h) for h in header]
    while original and not original[-1].strip():
        original.pop()
    width = len(original)
    upload = RawUpload("xlsx", [header_normalise(h) for h in original], iter(()), original)

    def chunks() -> Iterator[pd.DataFrame]:
        buffer: list[list[str]] = []
        next_row = 2
        for values in rows:
            cells = [_xlsx_cell(v) for v in values[:width]]
            cells += [""] * (width - len(cells))
            buffer.append(cells)
            if len(buffer) >= chunk_rows:
                yield _frame_finish(pd.DataFrame(buffer, dtype=object), next_row, upload)
                next_row += len(buffer)
                buffer = []
        if buffer:
            yield _frame_finish(pd.DataFrame(buffer, dtype=object), next_row, upload)
        workbook.close()

    upload.chunks = chunks()
    return upload


def rows_read(rows: Iterable[dict[str, Any]], chunk_rows: int = DEFAULT_CHUNK_ROWS) -> RawUpload:
    """JSON rows (a list of objects): row numbers are 1-based positions in the list."""
    records = list(rows)
    if not all(isinstance(r, dict) for r in records):
        raise UnreadableFile("Send a list of objects, one per row.")
    original: list[str] = []
    for record in records:
        for key in record:
            if key not in original:
                original.append(key)
    upload = RawUpload("json", [header_normalise(h) for h in original], iter(()), original)

    def chunks() -> Iterator[pd.DataFrame]:
        for start in range(0, len(records), chunk_rows):
            part = records[start : start + chunk_rows]
            table = [[_xlsx_cell(r.get(k)) for k in original] for r in part]
            frame = pd.DataFrame(table, columns=range(len(original)), dtype=object)
            yield _frame_finish(frame, start + 1, upload)

    upload.chunks = chunks()
    return upload


def upload_read(
    stream: BinaryIO, *, file_name: str = "", chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> RawUpload:
    """Open an uploaded file of any supported kind; see the module docstring."""
    import json

    head = stream.read(65536)
    stream.seek(0)
    kind = file_format_detect(file_name, head)
    if kind == "xlsx":
        return _xlsx_read(stream, chunk_rows)
    if kind == "json":
        try:
            payload = json.load(codecs.getreader("utf-8-sig")(stream))
        except (ValueError, UnicodeDecodeError) as exc:
            raise UnreadableFile(f"This is not valid JSON ({exc}).") from exc
        if isinstance(payload, dict):
            payload = payload.get("rows", [])
        return rows_read(payload, chunk_rows)
    return _csv_read(stream, chunk_rows)


def data_rows_estimate(stream: BinaryIO, *, file_name: str = "") -> int:
    """A cheap upper bound of data rows, to decide whether to run the import in the background."""
    head = stream.read(65536)
    stream.seek(0)
    kind = file_format_detect(file_name, head)
    if kind == "xlsx":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(stream, read_only=True)
            rows = (workbook.worksheets[0].max_row or 1) - 1
            workbook.close()
        except Exception:  # an unreadable file is reported properly by validation
            rows = 0
        stream.seek(0)
        return rows
    lines = 0
    for block in iter(lambda: stream.read(1 << 20), b""):
        lines += block.count(b"\n")
    stream.seek(0)
    return max(lines - 1, 0)
