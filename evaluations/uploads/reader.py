"""Turn what analysts actually send into tables of text cells.

Files exported from case-management systems and Excel carry byte-order marks, semicolons or
tabs instead of commas, UTF-16 or Windows-1252 text, title rows above the header, an
instructions sheet before the data, blank lines, real date cells and trailing empty columns.
The reader copes with all of that and keeps the spreadsheet row number next to each row so
every error can point at the line the analyst sees. It reads in chunks so a million-row file
never sits in memory as text all at once, and it checks the limits (size, columns, header
length, uncompressed XLSX size, rows, JSON nesting) before reading everything, so a hostile
file is refused in milliseconds instead of filling the server's memory.

Anything it cannot read raises ``UnreadableFile`` with a message and a fix in the analyst's
terms; nothing else escapes for bad input.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError as XMLParseError

import pandas as pd

ROW_COLUMN = "__row__"
DEFAULT_CHUNK_ROWS = 100_000
XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEAD_BYTES = 65536
SAVE_AS = "Save the data as CSV UTF-8 (or as an Excel .xlsx workbook) and upload that."

# Content that is plainly not a table, named so the analyst knows what they picked.
NOT_A_TABLE: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"{\\rtf", "a Rich Text (RTF) document"),
)

# Byte-order marks, longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)

# The upload template's columns, in order; the header search recognises these names.
TEMPLATE_COLUMNS = (
    "site",
    "metric",
    "area",
    "group",
    "period_start",
    "period_end",
    "value",
    "denominator",
    "notes",
    "dimension",
    "category",
)
HEADER_WORDS = frozenset(TEMPLATE_COLUMNS)
HEADER_MIN_KNOWN = 3


@dataclass(frozen=True)
class UploadLimits:
    """How big an upload may be; the settings ``PORTAL_UPLOAD_*`` fill it (see services)."""

    max_bytes: int = 50 * 1024 * 1024
    max_columns: int = 50
    max_header_chars: int = 4000
    max_cell_chars: int = 2000
    max_rows: int = 1_000_000
    xlsx_max_uncompressed_bytes: int = 300 * 1024 * 1024
    json_max_depth: int = 3
    header_search_rows: int = 20


class UnreadableFile(ValueError):
    """The bytes cannot be read as an upload table; ``fix`` says what to do instead."""

    def __init__(self, message: str, fix: str = SAVE_AS, *, row: int = 1, column: str = ""):
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.row = row
        self.column = column


class LimitExceeded(UnreadableFile):
    """The upload is larger than a configured limit (named in the message)."""


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
    counted in ``blank_rows``. ``delimiter`` is the CSV separator ("" for XLSX and JSON),
    which decides how "1,204" is read when the file itself does not say.
    """

    file_format: str
    headers: list[str]
    chunks: Iterator[pd.DataFrame]
    original_headers: list[str] = field(default_factory=list)
    blank_rows: int = 0
    delimiter: str = ""
    header_row: int = 1
    sheet: str = ""


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


def stream_size(stream: BinaryIO) -> int:
    """Length in bytes without reading the content."""
    position = stream.tell()
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(position)
    return size


def size_check(size: int, limits: UploadLimits) -> None:
    if size > limits.max_bytes:
        raise LimitExceeded(
            f"The file is {size / 1048576:.1f} MB; the limit is "
            f"{limits.max_bytes / 1048576:.0f} MB (PORTAL_UPLOAD_MAX_BYTES).",
            "Split the file by year or by metric and upload the parts one after another.",
        )


def not_a_table(head: bytes, file_name: str) -> str | None:
    """What the bytes are when they are plainly not a CSV, XLSX or JSON table."""
    for magic, label in NOT_A_TABLE:
        if head.startswith(magic):
            return label
    if head.startswith(OLE2_MAGIC):
        return "an old Excel 97–2003 workbook (.xls) or another Office 97 file"
    return None


def encoding_detect(head: bytes) -> tuple[str, str]:
    """The codec and its name for messages: a byte-order mark decides; else UTF-8 when the
    start decodes as UTF-8, else Windows-1252, which is what Excel on Windows writes."""
    for bom, codec, label in BOMS:
        if head.startswith(bom):
            return codec, label
    if head[:4096].count(b"\x00") > len(head[:4096]) // 10:
        raise UnreadableFile(
            "The file contains NUL bytes: it is either a binary file or UTF-16 text saved "
            "without a byte-order mark, which cannot be told apart reliably.",
            SAVE_AS,
        )
    # Cut at the last newline so a multi-byte character split by the sample is not an error.
    cut = head.rfind(b"\n")
    sample = head if cut < 0 or len(head) < HEAD_BYTES else head[:cut]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8-sig", "UTF-8"
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"The text is neither UTF-8 nor Windows-1252: byte 0x{sample[exc.start]:02x} at "
            f"position {exc.start} cannot be read in either encoding.",
            SAVE_AS,
        ) from exc
    return "cp1252", "Windows-1252"


def delimiter_detect(header_line: str) -> str:
    """Comma, semicolon or tab: whichever splits the header line into the most cells."""
    counts = {}
    for delimiter in (",", ";", "\t"):
        try:
            counts[delimiter] = len(next(csv.reader([header_line], delimiter=delimiter)))
        except (csv.Error, StopIteration):
            counts[delimiter] = 0
    return max(counts, key=lambda d: (counts[d], d == ","))


def _trim(cells: list[str]) -> list[str]:
    cells = list(cells)
    while cells and not str(cells[-1]).strip():
        cells.pop()
    return cells


def _known_count(cells: list[str]) -> int:
    return len({header_normalise(c) for c in cells} & HEADER_WORDS)


def columns_check(cells: list[str], limits: UploadLimits, where: str) -> None:
    if len(_trim(cells)) > limits.max_columns:
        raise LimitExceeded(
            f"The header ({where}) has {len(_trim(cells)):,} columns; the limit is "
            f"{limits.max_columns} (PORTAL_UPLOAD_MAX_COLUMNS).",
            "Keep only the template's columns: site, metric, area, group, period_start, "
            "period_end, value, denominator, notes, dimension, category.",
        )


def header_pick(rows: list[list[str]], where: str) -> int:
    """Index of the header among the first rows: the first naming at least three upload
    columns (so a title or notes row above it is skipped); else the first non-blank row,
    whose names the header check then reports column by column."""
    for index, cells in enumerate(rows):
        if _known_count(cells) >= HEADER_MIN_KNOWN:
            return index
    for index, cells in enumerate(rows):
        if any(str(c).strip() for c in cells):
            return index
    raise UnreadableFile(f"The {where} is empty.", "Upload a file with a header row and data.")


def two_row_header_check(header: list[str], following: list[str] | None, row: int) -> None:
    """A header split over two rows ("period" above "start" and "end") is named as such."""
    if following is None:
        return
    blanks = {i for i, h in enumerate(header) if not str(h).strip()}
    below = [str(c).strip() for c in following]
    filled = {i for i, c in enumerate(below) if c}
    named_blanks = blanks & filled
    textual = all(not re.search(r"\d", below[i]) for i in filled)
    if named_blanks and textual and _known_count(header) < HEADER_MIN_KNOWN + 3:
        raise UnreadableFile(
            f"The header seems to span two rows (rows {row} and {row + 1}): row {row + 1} "
            f"names columns that row {row} leaves blank.",
            "Merge the two rows into one header row with one name per column, e.g. "
            '"period_start" and "period_end" instead of "period" over "start" and "end".',
            row=row + 1,
        )


def on_distinct(cells: pd.Series, compute: Callable[[pd.Series], Any]) -> Any:
    """``compute`` run on the distinct cells only, its result spread back to every row.

    A column of 100,000 rows holds a few hundred distinct dates or numbers, so the regular
    expressions run a few hundred times instead of 100,000; a column of all-different cells
    costs one extra factorisation.
    """
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    result = compute(pd.Series(uniques, dtype=object))
    spread = result.iloc[codes]
    spread.index = cells.index
    return spread


def _frame_finish(frame: pd.DataFrame, first_row: int, upload: RawUpload) -> pd.DataFrame:
    frame = frame.fillna("")
    frame.columns = upload.headers
    frame[ROW_COLUMN] = range(first_row, first_row + len(frame))
    cells = frame.drop(columns=[ROW_COLUMN])
    if len(cells.columns):
        blank = cells.apply(
            lambda c: on_distinct(c, lambda d: d.astype(str).str.strip() == "")
        ).all(axis=1)
    else:
        blank = pd.Series(True, index=frame.index)
    upload.blank_rows += int(blank.sum())
    return frame.loc[~blank].reset_index(drop=True)


def _rows_limit(rows: int, limits: UploadLimits) -> None:
    if rows > limits.max_rows:
        raise LimitExceeded(
            f"The file has more than {limits.max_rows:,} rows (PORTAL_UPLOAD_MAX_ROWS).",
            "Split the file by year or by metric and upload the parts one after another.",
        )


def _parser_error(exc: Exception, first_data_row: int) -> UnreadableFile:
    text = str(exc)
    quote = re.search(r"EOF inside string starting (?:at|on) (?:row|line) (\d+)", text)
    if quote:
        row = int(quote.group(1)) + 1  # pandas counts lines from 0, skipped ones included
        return UnreadableFile(
            f'A quotation mark (") opened near row {row} is never closed, so the rest of the '
            "file reads as one cell.",
            "Close the quote, or remove the stray quotation mark, then save again.",
            row=row,
        )
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if fields:
        row = int(fields.group(2))
        return UnreadableFile(
            f"Row {row} has {fields.group(3)} cells but the header has {fields.group(1)}.",
            "Check for an unquoted delimiter inside a cell (put the cell in quotes) or a "
            "missing header name.",
            row=row,
        )
    return UnreadableFile(
        f"The rows cannot be split into cells ({text}).",
        "Check the quotes and delimiters, or save the file again as CSV UTF-8.",
    )


def _next_quietly(reader) -> pd.DataFrame | None:
    """The next chunk, without pandas' warning about the spare column (checked instead)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        return next(reader, None)


def _extra_cells_check(frame: pd.DataFrame, width: int, first_row: int) -> None:
    spare = frame[width].fillna("").astype(str).str.strip() != ""
    if spare.any():
        row = first_row + int(spare.to_numpy().argmax())
        raise UnreadableFile(
            f"Row {row} has more cells than the header has columns ({width}).",
            "Check for an unquoted delimiter inside a cell (put the cell in quotes) or a "
            "missing header name.",
            row=row,
        )


def _csv_head_lines(head: bytes, codec: str, label: str, limits: UploadLimits) -> list[str]:
    if not head.strip():
        raise UnreadableFile("The file is empty.", "Upload a file with a header row and data.")
    cut = max(head.rfind(b"\n"), head.rfind(b"\r"))
    sample = head if len(head) < HEAD_BYTES or cut < 0 else head[: cut + 1]
    try:
        text = sample.decode(codec)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"The file is not valid {label} text (byte {exc.start}).", SAVE_AS
        ) from exc
    lines = text.lstrip("\ufeff").splitlines()
    if len(lines) <= 1 and len(head) >= HEAD_BYTES:
        header_length_check(lines[0] if lines else "", 1, limits)
    return lines[: limits.header_search_rows]


def header_length_check(line: str, row: int, limits: UploadLimits) -> None:
    if len(line) > limits.max_header_chars:
        raise LimitExceeded(
            f"The header (row {row}) is longer than {limits.max_header_chars:,} characters "
            "(PORTAL_UPLOAD_MAX_HEADER_CHARS); a header that long is not an upload template.",
            "Keep only the template's columns in the header row.",
            row=row,
        )


class _WideRowGuard:
    """The decoded CSV text, refusing a row with far more cells than the header.

    pandas spends seconds and gigabytes on one line of a million empty cells (",,,,...", a few
    MB), so such a row is refused before pandas sees it. Delimiters inside quoted cells, even
    across lines, do not count.
    """

    def __init__(
        self, text: io.TextIOBase, delimiter: str, width: int, max_cells: int, first_row: int
    ):
        self.first_row = first_row
        self.lines = iter(text)
        self.delimiter = delimiter
        self.width = width
        self.max_cells = max_cells
        self.row = 1
        self.in_quote = False
        self.pending = ""

    def _line_check(self, line: str) -> None:
        quotes = line.count('"')
        if line.count(self.delimiter) >= self.max_cells:
            outside = re.sub(r'"[^"]*(?:"|$)', "", ('"' if self.in_quote else "") + line)
            if outside.count(self.delimiter) >= self.max_cells:
                raise LimitExceeded(
                    f"Row {self.row} has more than {self.max_cells:,} cells, far more than the "
                    "header has columns (PORTAL_UPLOAD_MAX_COLUMNS).",
                    "Delete the empty columns to the right of the data, or check for unquoted "
                    "delimiters in that row.",
                    row=self.row,
                )
        if (
            self.row >= self.first_row
            and line.count(self.delimiter) > self.width
            and not (self.in_quote or quotes % 2)
        ):
            # pandas silently drops the cells past the spare column on the first data row.
            cells = next(csv.reader([line], delimiter=self.delimiter), [])
            if any(cell.strip() for cell in cells[self.width :]):
                raise UnreadableFile(
                    f"Row {self.row} has more cells than the header has columns ({self.width}).",
                    "Check for an unquoted delimiter inside a cell (put the cell in quotes) or "
                    "a missing header name.",
                    row=self.row,
                )
        if quotes % 2:
            self.in_quote = not self.in_quote
        self.row += 1

    def read(self, size: int = -1) -> str:
        parts = [self.pending]
        length = len(self.pending)
        while size < 0 or length < size:
            line = next(self.lines, None)
            if line is None:
                break
            self._line_check(line)
            parts.append(line)
            length += len(line)
        text = "".join(parts)
        if size < 0 or length <= size:
            self.pending = ""
            return text
        self.pending = text[size:]
        return text[:size]


def _csv_read(stream: BinaryIO, chunk_rows: int, limits: UploadLimits) -> RawUpload:
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    codec, label = encoding_detect(head)
    lines = _csv_head_lines(head, codec, label, limits)
    # Only the header itself is limited; a long title or data row is cut for the search only.
    lines = [line[: limits.max_header_chars + 1] for line in lines]
    delimiters = [delimiter_detect(line) for line in lines]
    rows = [
        next(csv.reader([line], delimiter=d), []) for line, d in zip(lines, delimiters, strict=True)
    ]
    index = header_pick(rows, "file")
    delimiter = delimiters[index]
    original = rows[index]
    header_length_check(lines[index], index + 1, limits)
    columns_check(original, limits, f"row {index + 1}")
    following = next(
        (
            next(csv.reader([line], delimiter=delimiter), [])
            for line in lines[index + 1 : index + 2]
        ),
        None,
    )
    two_row_header_check(original, following, index + 1)
    upload = RawUpload(
        "csv", [header_normalise(h) for h in original], iter(()), original,
        delimiter=delimiter, header_row=index + 1,
    )  # fmt: skip
    text = io.TextIOWrapper(stream, encoding=codec, errors="strict", newline="")
    first_data_row = index + 2
    guarded = _WideRowGuard(
        text, delimiter, len(original), len(original) + limits.max_columns, first_data_row
    )

    def chunks() -> Iterator[pd.DataFrame]:
        next_row = first_data_row
        try:
            reader = pd.read_csv(
                guarded,
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                header=None,
                skiprows=index + 1,
                # One spare column catches rows with more cells than the header, which pandas
                # would otherwise turn into an index or cut off silently.
                names=list(range(len(original) + 1)),
                index_col=False,
                chunksize=chunk_rows,
                engine="c",
                on_bad_lines="error",
            )
            while (frame := _next_quietly(reader)) is not None:
                size = len(frame)
                _extra_cells_check(frame, len(original), next_row)
                frame = frame.drop(columns=[len(original)])
                _rows_limit(next_row + size - first_data_row, limits)
                yield _frame_finish(frame, next_row, upload)
                next_row += size
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                f"The file starts as {label} text but has bytes further on (after row "
                f"{next_row - 1}) that are not {label}: it mixes encodings.",
                SAVE_AS,
                row=next_row,
            ) from exc
        except (pd.errors.ParserError, csv.Error) as exc:
            raise _parser_error(exc, first_data_row) from exc

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


def xlsx_archive_check(stream: BinaryIO, limits: UploadLimits) -> None:
    """Refuse a damaged archive, a ZIP that is not a workbook and a "zip bomb" before
    openpyxl expands anything: the sizes come from the archive's own directory."""
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(
            "This looks like an Excel workbook but it is damaged (not a readable ZIP archive).",
            "Open it in Excel and save it again as .xlsx, or save it as CSV UTF-8.",
        ) from exc
    finally:
        stream.seek(0)
    if "xl/workbook.xml" not in names:
        what = (
            "an OpenDocument spreadsheet (.ods)"
            if "content.xml" in names
            else "a Word document"
            if "word/document.xml" in names
            else "a ZIP archive, not an Excel workbook"
        )
        raise UnreadableFile(f"This file is {what}.", SAVE_AS)
    expanded = sum(info.file_size for info in infos)
    if expanded > limits.xlsx_max_uncompressed_bytes:
        raise LimitExceeded(
            f"The workbook expands to {expanded / 1048576:,.0f} MB when opened; the limit is "
            f"{limits.xlsx_max_uncompressed_bytes / 1048576:,.0f} MB "
            "(PORTAL_UPLOAD_XLSX_MAX_UNCOMPRESSED_BYTES).",
            "Delete unused sheets, formatting and empty rows, or save the data as CSV UTF-8.",
        )


def xlsx_has_formulas(stream: BinaryIO) -> bool:
    """Whether any sheet holds a formula (an ``<f>`` element), found by scanning the
    decompressed XML, which costs far less than parsing it. Only then does the reader read the
    workbook a second time for the formulas whose results were never saved."""
    try:
        with zipfile.ZipFile(stream) as archive:
            for info in archive.infolist():
                if not info.filename.startswith("xl/worksheets/"):
                    continue
                tail = b""
                with archive.open(info) as part:
                    for block in iter(lambda: part.read(1 << 20), b""):
                        if re.search(rb"<(?:\w+:)?f[ >/]", tail + block):
                            return True
                        tail = block[-16:]
    finally:
        stream.seek(0)
    return False


def _sheet_header(sheet, limits: UploadLimits) -> tuple[int, list[str]] | None:
    rows = [
        [_xlsx_cell(v) for v in values]
        for values in sheet.iter_rows(
            max_row=limits.header_search_rows, max_col=limits.max_columns + 1, values_only=True
        )
    ]
    for index, cells in enumerate(rows):
        if _known_count(cells) >= HEADER_MIN_KNOWN:
            return index, rows[index : index + 2]
    return None


# What openpyxl raises for a sheet whose XML or cell values are damaged.
_SHEET_DAMAGE = (XMLParseError, ValueError, TypeError, KeyError, OverflowError)


def _damaged_sheet(exc: Exception, sheet_title: str, row: int = 1) -> UnreadableFile:
    return UnreadableFile(
        f'The sheet "{sheet_title}" of this workbook is damaged and cannot be read '
        f"({type(exc).__name__}, near row {row}).",
        "Open it in Excel and save it again as .xlsx, or save it as CSV UTF-8.",
        row=row,
    )


def _xlsx_read(stream: BinaryIO, chunk_rows: int, limits: UploadLimits) -> RawUpload:
    from openpyxl import load_workbook

    xlsx_archive_check(stream, limits)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise UnreadableFile(
            f"This is not a readable XLSX workbook ({type(exc).__name__}).",
            "Open it in Excel and save it again as .xlsx, or save it as CSV UTF-8.",
        ) from exc
    found = None
    for sheet in workbook.worksheets:
        try:
            found = _sheet_header(sheet, limits)
        except UnreadableFile:
            raise
        except _SHEET_DAMAGE as exc:
            workbook.close()
            raise _damaged_sheet(exc, sheet.title) from exc
        if found:
            break
    if found is None:
        names = ", ".join(f'"{s.title}"' for s in workbook.worksheets) or "(none)"
        workbook.close()
        raise UnreadableFile(
            f"No header row found: the portal looked at the first {limits.header_search_rows} "
            f"rows of every sheet ({names}) for a row naming the columns metric, area, group, "
            "period_start, period_end and value.",
            "Put the column names in one row (see the template) on the data sheet.",
        )
    index, (header, *following) = found
    columns_check(header, limits, f'sheet "{sheet.title}", row {index + 1}')
    original = _trim(header)
    if sheet.max_row:
        _rows_limit(sheet.max_row - index - 1, limits)
    two_row_header_check(original, following[0] if following else None, index + 1)
    width = len(original)
    upload = RawUpload(
        "xlsx", [header_normalise(h) for h in original], iter(()), original,
        header_row=index + 1, sheet=sheet.title,
    )  # fmt: skip
    first_data_row = index + 2
    formulas_book = None
    if xlsx_has_formulas(stream):
        stream.seek(0)
        formulas_book = load_workbook(stream, read_only=True, data_only=False)

    def chunks() -> Iterator[pd.DataFrame]:
        buffer: list[list[str]] = []
        next_row = first_data_row
        values_rows = sheet.iter_rows(min_row=first_data_row, max_col=width, values_only=True)
        formula_rows = (
            formulas_book[sheet.title].iter_rows(
                min_row=first_data_row, max_col=width, values_only=True
            )
            if formulas_book is not None
            else itertools.repeat(())
        )
        try:
            for values, formulas in zip(values_rows, formula_rows, strict=False):
                cells = [_xlsx_cell(v) for v in values]
                # A formula whose result Excel never saved reads as empty; show the formula.
                for i, (value, formula) in enumerate(zip(values, formulas, strict=False)):
                    if value is None and isinstance(formula, str) and formula.startswith("="):
                        cells[i] = formula
                cells += [""] * (width - len(cells))
                buffer.append(cells)
                if len(buffer) >= chunk_rows:
                    _rows_limit(next_row + len(buffer) - first_data_row, limits)
                    yield _frame_finish(pd.DataFrame(buffer, dtype=object), next_row, upload)
                    next_row += len(buffer)
                    buffer = []
            _rows_limit(next_row + len(buffer) - first_data_row, limits)
            if buffer:
                yield _frame_finish(pd.DataFrame(buffer, dtype=object), next_row, upload)
        except UnreadableFile:
            raise
        except _SHEET_DAMAGE as exc:
            raise _damaged_sheet(exc, sheet.title, next_row + len(buffer)) from exc
        finally:
            workbook.close()
            if formulas_book is not None:
                formulas_book.close()

    upload.chunks = chunks()
    return upload


def _json_depth_check(text: str, limits: UploadLimits) -> None:
    """Nesting deeper than a list of row objects is refused before parsing, so a body of
    100,000 brackets costs one scan instead of a recursion error."""
    depth = deepest = 0
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limits.json_max_depth:
                    raise LimitExceeded(
                        f"The JSON is nested {deepest} levels deep or more; the limit is "
                        f"{limits.json_max_depth} (a list of row objects, optionally inside "
                        '{"rows": [...]}).',
                        'Send [{"metric": ..., "value": ...}, ...] with plain values.',
                    )
        elif token in "]}":
            depth -= 1


def _json_cell(value: Any, row: int, key: str) -> str:
    if isinstance(value, dict | list):
        raise UnreadableFile(
            f'Row {row}, key "{key}": a list or object is not a cell value.',
            "Send plain text or numbers as values.",
            row=row,
            column=key,
        )
    if isinstance(value, bool):
        return str(value).lower()
    return _xlsx_cell(value)


def _json_object_unique(pairs: list[tuple[str, Any]]) -> dict:
    """A JSON object; a key given twice would otherwise keep only its last value, silently."""
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f'the key "{key}" appears twice in one object')
        seen[key] = value
    return seen


def json_read(stream: BinaryIO, chunk_rows: int, limits: UploadLimits) -> RawUpload:
    """JSON rows (a list of objects, or {"rows": [...]}): row numbers are 1-based positions
    in the list. Numbers are kept as the text sent, so a 5,000-digit integer or a NaN is
    judged by validation like any other cell instead of crashing the parser."""
    raw = stream.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile("JSON must be UTF-8 text.", "Send the body as UTF-8.") from exc
    _json_depth_check(text, limits)
    try:
        payload = json.loads(
            text,
            parse_int=str,
            parse_float=str,
            parse_constant=str,
            object_pairs_hook=_json_object_unique,
        )
    except ValueError as exc:
        raise UnreadableFile(
            f"This is not valid JSON ({exc}).",
            'Send a JSON list of row objects, e.g. [{"metric": "homicides", ...}], or send the '
            "CSV with Content-Type text/csv.",
        ) from exc
    if isinstance(payload, dict):
        payload = payload.get("rows", [])
    if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
        raise UnreadableFile(
            "The JSON is not a list of row objects.",
            'Send [{"metric": ..., "area": ..., "value": ...}, ...] or {"rows": [...]}.',
        )
    _rows_limit(len(payload), limits)
    original: list[str] = []
    for record in payload:
        for key in record:
            if key not in original:
                original.append(key)
    columns_check(original, limits, "JSON keys")
    upload = RawUpload("json", [header_normalise(h) for h in original], iter(()), original)

    def chunks() -> Iterator[pd.DataFrame]:
        for start in range(0, len(payload), chunk_rows):
            part = payload[start : start + chunk_rows]
            table = [
                [_json_cell(r.get(k), start + i + 1, k) for k in original]
                for i, r in enumerate(part)
            ]
            frame = pd.DataFrame(table, columns=range(len(original)), dtype=object)
            yield _frame_finish(frame, start + 1, upload)

    upload.chunks = chunks()
    return upload


def upload_read(
    stream: BinaryIO,
    *,
    file_name: str = "",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    limits: UploadLimits | None = None,
) -> RawUpload:
    """Open an uploaded file of any supported kind; see the module docstring."""
    limits = limits or UploadLimits()
    size_check(stream_size(stream), limits)
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    label = not_a_table(head, file_name)
    if label:
        fix = SAVE_AS
        if head.startswith(OLE2_MAGIC):
            fix = (
                "Open it in Excel and choose File > Save As > Excel Workbook (.xlsx) or "
                "CSV UTF-8 (Comma delimited) (.csv), then upload that file."
            )
        raise UnreadableFile(f"This file is {label}, not a CSV or XLSX table.", fix)
    kind = file_format_detect(file_name, head)
    if kind == "xlsx":
        if not head.startswith(XLSX_MAGIC):
            raise UnreadableFile("The file is named .xlsx but is not an Excel workbook.", SAVE_AS)
        return _xlsx_read(stream, chunk_rows, limits)
    if kind == "json":
        return json_read(stream, chunk_rows, limits)
    return _csv_read(stream, chunk_rows, limits)


def data_rows_estimate(stream: BinaryIO, *, file_name: str = "") -> int:
    """A cheap upper bound of data rows, to decide whether to run the import in the background."""
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    kind = file_format_detect(file_name, head)
    if kind == "xlsx":
        # The expanded sheet size is a cheap proxy (about 100 bytes of XML per row) that does
        # not parse anything; an unreadable file is reported properly by validation.
        try:
            with zipfile.ZipFile(stream) as archive:
                sheets = [i for i in archive.infolist() if i.filename.startswith("xl/worksheets/")]
                rows = max((i.file_size for i in sheets), default=0) // 100
        except (zipfile.BadZipFile, OSError, ValueError):
            rows = 0
        stream.seek(0)
        return rows
    lines = 0
    for block in iter(lambda: stream.read(1 << 20), b""):
        lines += block.count(b"\n")
    stream.seek(0)
    return max(lines - 1, 0)
