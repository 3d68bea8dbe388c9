"""Every rule an outcome-data file must meet, checked in one pass with vectorised pandas.

Nothing here touches the database: the caller passes a ``Catalogue`` (metric codes and units,
site slugs, the site the upload is for) so the rules are easy to test and fast on 100,000
rows. Each problem names the spreadsheet row (header = row 1), the column, the value, what is
wrong and how to fix it. Errors stop the import; warnings are shown and do not.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from evaluations.models import OBSERVATION_NATURAL_KEY
from evaluations.periods import LENGTH_ADJECTIVES, calendar_lengths, length_class
from evaluations.uploads.reader import ROW_COLUMN, TEMPLATE_COLUMNS, RawUpload, on_distinct

REQUIRED_COLUMNS = ("metric", "area", "group", "period_start", "period_end", "value")
OPTIONAL_COLUMNS = ("site", "denominator", "notes", "dimension", "category")
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
GROUPS = ("treatment", "comparison")
TOTAL_MARKERS = frozenset({"total", "totals", "grand total"})
# The natural key within one site's upload, with the metric as its resolved id.
KEY_COLUMNS = tuple(
    "metric_id" if c == "metric" else c for c in OBSERVATION_NATURAL_KEY if c != "site"
)
SERIES_COLUMNS = ("metric_id", "area", "group", "dimension", "category")
AREA_MAX = 100
DIMENSION_MAX = 60
CATEGORY_MAX = 100
OUTLIER_FACTOR = 5

# Header words that mean a column holds data about a person. The portal stores aggregates only
# (DOMAIN: privacy), so such a column is refused even if every other cell is fine.
PERSONAL_DATA_MARKERS: dict[str, str] = {
    "name": "names",
    "surname": "names",
    "defendant": "names of defendants",
    "victim": "details of victims",
    "offender": "details of offenders",
    "dob": "dates of birth",
    "birth": "dates of birth",
    "ssn": "Social Security numbers",
    "social_security": "Social Security numbers",
    "address": "addresses",
    "street": "addresses",
    "zip": "addresses",
    "phone": "phone numbers",
    "email": "email addresses",
    "case_number": "case numbers",
    "case_no": "case numbers",
    "case_id": "case numbers",
    "docket": "docket (case) numbers",
    "booking": "booking numbers",
    "inmate": "inmate numbers",
    "sid": "state identification numbers",
    "fbi": "FBI numbers",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a look) in the file, in the analyst's terms."""

    row: int
    column: str
    value: str
    message: str
    fix: str
    level: str = "error"

    def as_line(self) -> str:
        if not self.row:  # about the whole upload, not a cell
            return self.message
        if not self.column:
            return f"row {self.row}: {self.message}"
        return f"row {self.row}, column {self.column}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class MetricInfo:
    id: int
    code: str
    unit_kind: str
    aggregation: str


@dataclass(frozen=True)
class Catalogue:
    """What validation needs to know from the database, passed in so it stays pure."""

    metrics: dict[str, MetricInfo]
    site_slug: str
    site_id: int
    all_site_slugs: tuple[str, ...] = ()
    date_min: dt.date = dt.date(1990, 1, 1)
    date_max: dt.date = dt.date(2100, 12, 31)
    value_max: float = 1e12
    cell_max_chars: int = 2000

    @property
    def metric_units(self) -> dict[int, str]:
        return {m.id: m.unit_kind for m in self.metrics.values()}


@dataclass
class ValidationResult:
    """Valid rows as typed columns (``frame``) plus every problem found."""

    frame: pd.DataFrame
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rows_total: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    blank_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def closest(value: str, choices: Iterable[str]) -> str | None:
    """The catalogue entry a typo most likely meant (difflib ratio ≥ 0.6)."""
    matches = difflib.get_close_matches(value.strip().lower(), list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _personal_reason(header: str) -> str | None:
    parts = header.split("_")
    for marker, reason in PERSONAL_DATA_MARKERS.items():
        if "_" in marker:
            if marker in header:
                return reason
        elif marker in parts:
            return reason
    return None


def headers_check(upload: RawUpload, site_required: bool = False) -> tuple[list[Problem], bool]:
    """Unknown, missing and personal-data columns. Returns problems and whether rows can be
    checked at all (every required column present)."""
    problems: list[Problem] = []
    originals = [shown_value(str(o)) for o in (upload.original_headers or upload.headers)]
    row = upload.header_row
    seen: dict[str, str] = {}
    duplicated = False
    for header, original in zip(upload.headers, originals, strict=False):
        if not header:
            continue  # an empty trailing column; its cells are checked below
        if header in seen:
            duplicated = True
            first = seen[header]
            same = f'"{original}"' if first == original else f'"{first}" and "{original}"'
            problems.append(
                Problem(
                    row,
                    original,
                    original,
                    f"The column {same} appears twice (column names are not case-sensitive, "
                    "and spaces count as underscores).",
                    "Delete one of the two columns, or merge them into one.",
                )
            )
            continue
        seen[header] = original
        if header in KNOWN_COLUMNS:
            continue
        reason = _personal_reason(header)
        if reason:
            problems.append(
                Problem(
                    1,
                    original,
                    original,
                    f'The column "{original}" looks like it holds {reason}. The portal stores '
                    "aggregate counts only, never data about individual people, so the file is "
                    "refused.",
                    "Delete this column (and any other person-level detail) and upload totals "
                    "per area and period only.",
                )
            )
            continue
        suggestion = closest(header, KNOWN_COLUMNS)
        fix = (
            f'Rename it to "{suggestion}" if that is what it holds, or delete the column.'
            if suggestion
            else "Delete the column. Allowed columns: " + ", ".join(TEMPLATE_COLUMNS) + "."
        )
        problems.append(Problem(row, original, original, f'Unknown column "{original}".', fix))
    required = REQUIRED_COLUMNS + (("site",) if site_required else ())
    missing = [c for c in required if c not in seen]
    for column in missing:
        problems.append(
            Problem(
                row,
                column,
                "",
                f'The required column "{column}" is missing.',
                f'Add a column headed "{column}" (see the template); the portal read row {row}'
                + (f' of sheet "{upload.sheet}"' if upload.sheet else "")
                + " as the header.",
            )
        )
    return problems, not missing and not duplicated


SHOWN_VALUE_MAX = 200


def shown_value(text: str, limit: int = SHOWN_VALUE_MAX) -> str:
    """Text as the report shows it: control characters spelled out (PostgreSQL's JSON cannot
    even store a NUL) and long cells cut."""
    text = CONTROL_CHARACTER.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)
    return text if len(text) <= limit else text[:limit] + "…"


class _Collector:
    """Gathers row problems from boolean masks without a Python loop over good rows."""

    def __init__(self, chunk: pd.DataFrame) -> None:
        self.chunk = chunk
        self.problems: list[Problem] = []
        self.bad = pd.Series(False, index=chunk.index)

    def add(self, mask: pd.Series, column: str, message, fix, level: str = "error") -> None:
        """``message``/``fix`` are strings or callables of the cell value (for suggestions)."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        if level == "error":
            self.bad |= mask
        rows = self.chunk.loc[mask, ROW_COLUMN].tolist()
        values = (
            self.chunk.loc[mask, column].astype(str).tolist()
            if column in self.chunk
            else [""] * len(rows)
        )
        for row, value in zip(rows, values, strict=True):
            message_text = message(value) if callable(message) else message
            fix_text = fix(value) if callable(fix) else fix
            self.problems.append(
                Problem(
                    int(row),
                    column,
                    shown_value(value),
                    shown_value(message_text, limit=1000),
                    shown_value(fix_text, limit=1000),
                    level,
                )
            )


# --- Per-file conventions ------------------------------------------------------------------


@dataclass
class FileConventions:
    """Decisions taken once per file from the cells themselves and kept across chunks: how
    decimals are written and whether slash dates put the day first. A cell contradicting a
    decision already taken is an error naming the row that decided it."""

    delimiter: str = ""
    decimal: str | None = None  # "point" or "comma"
    decimal_row: int = 0
    day_first: bool | None = None
    day_first_row: int = 0
    # In XLSX a text cell reading "=..." is a formula Excel never calculated; in CSV it is
    # text someone typed (exports neutralise it), so only XLSX text cells are refused.
    formulas_in_text: bool = False


NUMBER_SPACES = re.compile(r"[\u00a0\u202f\u2009 ]")
SIGN = r"[+-]?"
INTEGER = re.compile(SIGN + r"\d+")
POINT_DECIMAL = re.compile(SIGN + r"(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
COMMA_DECIMAL = re.compile(SIGN + r"\d*,\d+")
COMMA_THOUSANDS = re.compile(SIGN + r"\d{1,3}(,\d{3})+(\.\d+)?")
DOT_THOUSANDS = re.compile(SIGN + r"\d{1,3}(\.\d{3})+(,\d+)?")
AMBIGUOUS_COMMA = re.compile(SIGN + r"\d{1,3},\d{3}")
AMBIGUOUS_DOT = re.compile(SIGN + r"\d{1,3}\.\d{3}")
NON_FINITE = re.compile(r"[+-]?(inf|infinity|nan)", re.IGNORECASE)
SUPPRESSION_MARKER = re.compile(
    r"(<|≤|<=|&lt;)\s*\d+|\*+|n/?a|#n/a|-+|–|—|\.|\?|s|x|suppressed|redacted|masked|"
    r"null|none|missing|unknown|not available",
    re.IGNORECASE,
)
# C0 and C1 controls, and the invisible format characters (zero-width spaces and joiners,
# bidirectional overrides, a stray byte-order mark): "Zone 3" and "Zone 3" plus a zero-width
# space would look like one area but be two series.
CONTROL_CHARACTER = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)
STORED_TEXT_COLUMNS = ("site", "metric", "area", "group", "notes", "dimension", "category")
NUMBER_MAX_CHARS = 40


def _full(series: pd.Series, pattern: re.Pattern) -> pd.Series:
    return series.str.fullmatch(pattern.pattern, flags=pattern.flags).fillna(False).astype(bool)


def _number_text_distinct(cells: pd.Series) -> pd.DataFrame:
    text = cells.astype(str).str.strip().str.replace(NUMBER_SPACES, "", regex=True)
    return pd.DataFrame({"core": text.str.rstrip("%"), "percent": text.str.endswith("%")})


def number_text(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Cells without spaces (incl. non-breaking ones) and "%"; and the mask of "%" cells."""
    facts = on_distinct(cells, _number_text_distinct)
    return facts["core"], facts["percent"]


def _decimal_evidence_distinct(core: pd.Series) -> pd.DataFrame:
    ambiguous = _full(core, AMBIGUOUS_COMMA) | _full(core, AMBIGUOUS_DOT)
    comma = (_full(core, COMMA_DECIMAL) | _full(core, DOT_THOUSANDS)) & ~ambiguous
    point = ((_full(core, POINT_DECIMAL) & core.str.contains(".", regex=False))
             | _full(core, COMMA_THOUSANDS)) & ~ambiguous  # fmt: skip
    return pd.DataFrame({"comma": comma, "point": point})


def decimal_evidence(core: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Cells that can only be read with decimal commas ("12,5", "1.234,5") and cells that can
    only be read with decimal points ("12.5", "1,234,567"); "1,204" and "1.204" prove nothing."""
    facts = on_distinct(core, _decimal_evidence_distinct)
    return facts["comma"], facts["point"]


def numbers_parse(cells: pd.Series, decimal: str = "point") -> tuple[pd.Series, pd.Series]:
    """Numbers written with decimal points ("1,204.5") or, for ``decimal="comma"``, decimal
    commas ("1.204,5"); percentages ("45%" → 0.45). Anything else is NaN: "inf", "NaN" and
    text never become numbers. Returns the values and the mask of cells written as %."""
    facts = on_distinct(cells, lambda distinct: _numbers_parse_distinct(distinct, decimal))
    return facts["value"], facts["percent"]


def _numbers_parse_distinct(cells: pd.Series, decimal: str) -> pd.DataFrame:
    facts = _number_text_distinct(cells)
    core, percent = facts["core"], facts["percent"]
    if decimal == "comma":
        plain = _full(core, INTEGER) | _full(core, COMMA_DECIMAL) | _full(core, DOT_THOUSANDS)
        normal = core.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        plain = _full(core, POINT_DECIMAL) | _full(core, COMMA_THOUSANDS)
        normal = core.str.replace(",", "", regex=False)
    normal = normal.where(plain & (core.str.len() <= NUMBER_MAX_CHARS))
    values = pd.to_numeric(normal, errors="coerce").astype("float64")
    values = values.where(np.isfinite(values))
    return pd.DataFrame({"value": values.where(~percent, values / 100.0), "percent": percent})


def _decimal_decide(
    core: pd.Series, rows: pd.Series, conventions: FileConventions
) -> tuple[pd.Series, str]:
    """Take (or keep) the file's decimal convention; return the cells contradicting it."""
    comma, point = decimal_evidence(core)
    if conventions.decimal is None and (comma.any() or point.any()):
        conventions.decimal = "comma" if comma.sum() > point.sum() else "point"
        decided_by = comma if conventions.decimal == "comma" else point
        conventions.decimal_row = int(rows[decided_by].min())
    contradicting = point if conventions.decimal == "comma" else comma
    if conventions.decimal is None:
        contradicting = pd.Series(False, index=core.index)
    return contradicting, conventions.decimal or "point"


def _number_rules(
    out: _Collector,
    column: str,
    units: pd.Series,
    conventions: FileConventions,
    catalogue: Catalogue,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Read one numeric column under the file's conventions and report every unreadable cell
    with its reason. Returns values, the % mask and the mask of reported cells."""
    cells = out.chunk[column]
    core, percent = number_text(cells)
    given = cells != ""
    formula = on_distinct(cells, lambda d: d.str.startswith("="))
    contradicting, decimal = _decimal_decide(core, out.chunk[ROW_COLUMN], conventions)
    values, percent = numbers_parse(cells, decimal)
    ambiguous = on_distinct(core, lambda d: _full(d, AMBIGUOUS_COMMA)) & (
        conventions.decimal is None
    )
    if conventions.delimiter != ",":
        # A "," or JSON file had to quote "1,204" on purpose; in a ";" or tab file (written
        # by Excel in countries with decimal commas) it may mean 1.204. Only a count decides.
        ambiguous &= units != "count"
        out.add(
            ambiguous,
            column,
            lambda v: (
                f'"{v}" could be {v.replace(",", "")} or {v.replace(",", ".")}: the '
                "file does not show whether commas mark thousands or decimals."
            ),
            "Write the number without thousands separators (e.g. 112500) or with a decimal "
            "point (112.5).",
        )
    else:
        ambiguous &= False
    out.add(
        contradicting & ~ambiguous,
        column,
        lambda v: (
            f'"{v}" is written with the other decimal separator than the rest of the '
            f"file (decimal {conventions.decimal}s, decided at row {conventions.decimal_row})."
        ),
        "Use one convention throughout: either 112.5 and 1,204 or 112,5 and 1.204.",
    )
    too_long = given & (core.str.len() > NUMBER_MAX_CHARS)
    non_finite = given & on_distinct(core, lambda d: _full(d, NON_FINITE))
    marker = given & on_distinct(cells, lambda d: _full(d.str.strip(), SUPPRESSION_MARKER))
    reported = formula | ambiguous | contradicting | too_long | non_finite | marker
    out.add(formula, column, _formula_message, FORMULA_FIX)
    out.add(
        too_long,
        column,
        f"The cell has more than {NUMBER_MAX_CHARS} characters, too long for a number.",
        "Write the number only.",
    )
    out.add(
        non_finite,
        column,
        lambda v: f'"{v}" is not a finite number.',
        "Write the actual figure (0 if nothing happened), or delete the row if it is unknown.",
    )
    out.add(
        marker & ~formula,
        column,
        lambda v: f'"{v}" looks like a suppression or missing-data marker, not a figure.',
        "The portal needs the exact number; it hides small counts itself when the data are "
        "published. Write the exact figure (0 if nothing happened), or delete the row if the "
        "figure is unknown.",
    )
    out.add(
        given & values.isna() & ~reported,
        column,
        lambda v: f'"{v}" is not a number.',
        "Write digits only, e.g. 1204 or 1,204 (for proportions 0.45 or 45%).",
    )
    huge = values.abs() > catalogue.value_max
    out.add(
        huge,
        column,
        lambda v: (
            f'"{v}" is too large to be a real figure (the limit is {catalogue.value_max:,.0f}).'
        ),
        "Check for digits typed twice or a value in the wrong column.",
    )
    values = values.where(~(reported | huge))
    return values, percent, reported | huge | (given & values.isna())


FORMULA_FIX = (
    "The cell holds a formula whose result was never saved. Open the file in Excel, let it "
    "calculate and save it; or copy the sheet and use Paste Special > Values."
)


def _formula_message(value: str) -> str:
    return f"This cell holds a formula ({value[:60]}), not a value."


# --- Dates ---------------------------------------------------------------------------------

ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
DOT_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
EXCEL_SERIAL = re.compile(r"\d{5}(?:\.0+)?")
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _ymd(text: pd.Series, pattern: re.Pattern, order: tuple[int, int, int]) -> pd.DataFrame:
    parts = text.str.extract("^" + pattern.pattern + "$").iloc[:, :3].astype("float64")
    return pd.DataFrame({"year": parts[order[0]], "month": parts[order[1]], "day": parts[order[2]]})


def _slash_evidence_distinct(text: pd.Series) -> pd.DataFrame:
    parts = text.astype(str).str.extract("^" + SLASH_DATE.pattern + "$").astype("float64")
    return pd.DataFrame({"day": parts[0] > 12, "month": parts[1] > 12})


def slash_evidence(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Slash dates that can only be day-first (13/1/2024) and only month-first (1/13/2024)."""
    facts = on_distinct(text, _slash_evidence_distinct)
    return facts["day"], facts["month"]


def dates_parse(
    cells: pd.Series, day_first: bool = False, bounds: tuple[dt.date, dt.date] | None = None
) -> tuple[pd.Series, pd.Series]:
    """ISO dates (with or without a time), slash dates month-first (M/D/YYYY) or, with
    ``day_first``, D/M/YYYY; D.M.YYYY; Excel serial day numbers. Returns the dates (NaT where
    unreadable) and the mask of real dates outside ``bounds``."""
    facts = on_distinct(cells, lambda distinct: _dates_parse_distinct(distinct, day_first, bounds))
    return facts["date"], facts["out_of_range"]


def _dates_parse_distinct(
    cells: pd.Series, day_first: bool, bounds: tuple[dt.date, dt.date] | None
) -> pd.DataFrame:
    text = cells.astype(str).str.strip()
    ymd = _ymd(text, ISO_DATE, (0, 1, 2))
    slash = _ymd(text, SLASH_DATE, (2, 1, 0) if day_first else (2, 0, 1))
    dots = _ymd(text, DOT_DATE, (2, 1, 0))
    for other in (slash, dots):
        ymd = ymd.fillna(other)
    serial = pd.to_numeric(text.where(_full(text, EXCEL_SERIAL)), errors="coerce")
    low, high = bounds or (dt.date(1900, 1, 1), dt.date(2100, 12, 31))
    years_ok = ymd["year"].between(low.year, high.year)
    safe = ymd.where(years_ok)
    parsed = pd.to_datetime(safe.dropna(), errors="coerce").reindex(text.index)
    from_serial = EXCEL_EPOCH + pd.to_timedelta(serial.where(serial.between(1, 2958465)), unit="D")
    parsed = parsed.fillna(from_serial).dt.normalize()
    out_of_range = (ymd["year"].notna() & ~years_ok) | (
        parsed.notna() & ((parsed < pd.Timestamp(low)) | (parsed > pd.Timestamp(high)))
    )
    return pd.DataFrame({"date": parsed.where(~out_of_range), "out_of_range": out_of_range})


def _day_first_decide(
    out: _Collector, starts: pd.Series, ends: pd.Series, conventions: FileConventions
) -> None:
    """One decision for both date columns of the whole file, so a start is never read as
    January 4 because only the end showed the day comes first."""
    rows = out.chunk[ROW_COLUMN]
    day_s, month_s = slash_evidence(starts)
    day_e, month_e = slash_evidence(ends)
    day, month = day_s | day_e, month_s | month_e
    if conventions.day_first is None and (day.any() or month.any()):
        conventions.day_first = bool(day.sum() > month.sum())
        conventions.day_first_row = int(rows[day if conventions.day_first else month].min())
    if conventions.day_first is None:
        return
    contradicting = month if conventions.day_first else day
    order = "day first (D/M/YYYY)" if conventions.day_first else "month first (M/D/YYYY)"
    out.add(
        contradicting,
        "period_start",
        f"The dates in this file put the {order.split()[0]} first (decided at row "
        f"{conventions.day_first_row}), but this row cannot be read that way.",
        f"Write every date the same way, {order}, or better as YYYY-MM-DD.",
    )


def _date_rules(
    out: _Collector, catalogue: Catalogue, conventions: FileConventions
) -> tuple[pd.Series, pd.Series]:
    chunk = out.chunk
    _day_first_decide(out, chunk["period_start"], chunk["period_end"], conventions)
    bounds = (catalogue.date_min, catalogue.date_max)
    parsed = {}
    for column in ("period_start", "period_end"):
        cells = chunk[column]
        dates, out_of_range = dates_parse(cells, bool(conventions.day_first), bounds)
        parsed[column] = dates
        blank = cells == ""
        formula = cells.str.startswith("=")
        out.add(
            blank, column, "The date is empty.", "Write the date as YYYY-MM-DD, e.g. 2024-01-31."
        )
        out.add(formula, column, _formula_message, FORMULA_FIX)
        out.add(
            out_of_range,
            column,
            lambda v: (
                f'"{v}" is outside the plausible range {catalogue.date_min.isoformat()} '
                f"to {catalogue.date_max.isoformat()}."
            ),
            "Check the year; dates outside this range are typos or placeholders "
            "(PORTAL_UPLOAD_EARLIEST_DATE and PORTAL_UPLOAD_LATEST_DATE set the range).",
        )
        out.add(
            ~blank & ~formula & ~out_of_range & dates.isna(),
            column,
            lambda v: f'"{v}" is not a date we can read.',
            "Write the date as YYYY-MM-DD (e.g. 2024-01-31) or M/D/YYYY (1/31/2024).",
        )
    starts, ends = parsed["period_start"], parsed["period_end"]
    out.add(
        starts.notna() & ends.notna() & (ends < starts),
        "period_end",
        "period_end is before period_start.",
        "Swap the two dates, or correct the one that is wrong.",
    )
    return starts, ends


# --- Cells: validate, then build -----------------------------------------------------------


def _chunk_prepare(chunk: pd.DataFrame, out: _Collector) -> tuple[pd.DataFrame, int]:
    """Strip cells, report cells in unnamed columns, and drop (with a warning) totals rows."""
    for column in KNOWN_COLUMNS:
        if column not in chunk:
            chunk[column] = ""
        chunk[column] = on_distinct(chunk[column], lambda d: d.astype(str).str.strip())
    # Empty-header columns: harmless when blank, otherwise the data has no name.
    if "" in chunk.columns:
        unnamed = chunk.loc[:, chunk.columns == ""]
        filled = (unnamed.astype(str).apply(lambda c: c.str.strip()) != "").any(axis=1)
        chunk["__unnamed__"] = unnamed.astype(str).agg(" ".join, axis=1)
        out.add(
            filled,
            "__unnamed__",
            "This cell is in a column with no header.",
            "Give the column a header or delete it.",
        )
    totals = chunk["metric"].str.lower().isin(TOTAL_MARKERS) | chunk["site"].str.lower().isin(
        TOTAL_MARKERS
    )
    out.add(
        totals,
        "metric",
        "This looks like a totals row; it was skipped.",
        "Nothing to do; totals are computed by the portal. Delete the row to silence this.",
        level="warning",
    )
    keep = ~totals
    chunk = chunk.loc[keep]
    out.chunk = chunk
    out.bad = out.bad.loc[keep]
    return chunk, int(totals.sum())


def _text_rules(out: _Collector, catalogue: Catalogue, conventions: FileConventions) -> None:
    """What no stored text may hold: control characters (a NUL breaks every later export),
    formulas, and more characters than the limit."""
    chunk = out.chunk
    for column in STORED_TEXT_COLUMNS:
        cells = chunk[column]
        control = on_distinct(cells, lambda d: d.str.contains(CONTROL_CHARACTER.pattern))
        out.add(
            control,
            column,
            lambda v: (
                "The cell contains an invisible control character (shown as <U+"
                f"{ord(CONTROL_CHARACTER.search(v).group()):04X}>)."
            ),
            "Retype the cell, or remove the character (often a NUL or a page break pasted from "
            "another system).",
        )
        if conventions.formulas_in_text or column in ("metric", "group"):
            out.add(
                on_distinct(cells, lambda d: d.str.startswith("=")),
                column,
                _formula_message,
                FORMULA_FIX,
            )
        out.add(
            on_distinct(cells, lambda d: d.str.len()) > catalogue.cell_max_chars,
            column,
            f"The cell has more than {catalogue.cell_max_chars:,} characters "
            "(PORTAL_UPLOAD_MAX_CELL_CHARS).",
            "Shorten it; long explanations belong in the strategy page, not in a data cell.",
        )


def _site_rules(out: _Collector, catalogue: Catalogue) -> None:
    site = out.chunk["site"]
    wrong_site = (site != "") & (site.str.lower() != catalogue.site_slug)
    known = set(catalogue.all_site_slugs)

    def site_message(value: str) -> str:
        if value.lower() in known:
            return f'This upload is for "{catalogue.site_slug}", not "{value}".'
        return f'Unknown site "{value}".'

    def site_fix(value: str) -> str:
        if value.lower() in known:
            return "Upload each site's rows separately, or leave the site cell empty."
        hint = closest(value, known | {catalogue.site_slug})
        suggestion = f'Did you mean "{hint}"? ' if hint else ""
        return suggestion + "Use the site's slug or leave the cell empty."

    out.add(wrong_site, "site", site_message, site_fix)


def _metric_rules(out: _Collector, catalogue: Catalogue) -> pd.Series:
    """The metric id of each row (NaN when unknown)."""
    codes = list(catalogue.metrics)
    metric_lower = out.chunk["metric"].str.lower()
    metric_ids = metric_lower.map({c: m.id for c, m in catalogue.metrics.items()})
    out.add(
        metric_lower == "",
        "metric",
        "The metric is empty.",
        "Write a metric code from the catalogue (second sheet of the XLSX template).",
    )

    def metric_fix(value: str) -> str:
        hint = closest(value, codes)
        base = "Use a code from the metric catalogue (second sheet of the XLSX template)."
        return f'Did you mean "{hint}"? {base}' if hint else base

    out.add(
        (metric_lower != "") & metric_ids.isna() & ~metric_lower.str.startswith("="),
        "metric",
        lambda v: f'Unknown metric "{v}".',
        metric_fix,
    )
    return metric_ids


def _area_group_rules(out: _Collector) -> pd.Series:
    """Area and group; returns the group in lower case."""
    area = out.chunk["area"]
    out.add(
        area == "",
        "area",
        "The area is empty.",
        'Name the area observed, e.g. "Zone 3" or "Countywide".',
    )
    out.add(
        area.str.len() > AREA_MAX,
        "area",
        f"The area name is longer than {AREA_MAX} characters.",
        "Use a shorter name.",
    )
    group = out.chunk["group"].str.lower()

    def group_fix(value: str) -> str:
        hint = closest(value, GROUPS)
        return (f'Did you mean "{hint}"? ' if hint else "") + 'Write "treatment" or "comparison".'

    out.add(
        ~group.isin(GROUPS) & ~group.str.startswith("="),
        "group",
        lambda v: "The group is empty." if not v else f'"{v}" is not a group.',
        group_fix,
    )
    return group


def _value_rules(
    out: _Collector, units: pd.Series, catalogue: Catalogue, conventions: FileConventions
) -> pd.Series:
    chunk = out.chunk
    out.add(
        chunk["value"] == "",
        "value",
        "The value is empty.",
        "Write the number; write 0 when nothing happened, or delete the row if unknown.",
    )
    values, percent, _ = _number_rules(out, "value", units, conventions, catalogue)
    readable = values.notna()
    out.add(
        readable & percent & (units != "proportion") & units.notna(),
        "value",
        "Only proportions can be written as percentages.",
        "Write the number itself, without %.",
    )
    is_count = units == "count"
    out.add(
        readable & is_count & (values < 0),
        "value",
        "A count cannot be negative.",
        "Counts are zero or more: check for a stray minus sign or a value in the wrong column.",
    )
    out.add(
        readable & is_count & ~percent & (values >= 0) & (values != np.floor(values)),
        "value",
        "A count must be a whole number.",
        "Round to a whole number or check the metric.",
    )
    out.add(
        readable & (units == "proportion") & ((values < 0) | (values > 1)),
        "value",
        "A proportion must be between 0 and 1.",
        "Write 0.45 or 45% for forty-five per cent.",
    )
    out.add(
        readable & units.isin(["days", "dollars", "rate"]) & (values < 0),
        "value",
        lambda v: "This metric cannot be negative.",
        "Correct the value.",
    )
    return values


def _denominator_rules(
    out: _Collector, catalogue: Catalogue, conventions: FileConventions
) -> pd.Series:
    no_units = pd.Series("", index=out.chunk.index)
    denominators, _, _ = _number_rules(out, "denominator", no_units, conventions, catalogue)
    out.add(
        denominators < 0,
        "denominator",
        "A denominator cannot be negative.",
        "Correct the denominator or leave it empty.",
    )
    return denominators


def _breakdown_rules(out: _Collector) -> None:
    dimension, category = out.chunk["dimension"], out.chunk["category"]
    both = "Fill both dimension and category for a breakdown row, or neither for a total."
    out.add(
        (dimension != "") & (category == ""),
        "category",
        "A dimension is given without a category.",
        both,
    )
    out.add(
        (dimension == "") & (category != ""),
        "dimension",
        "A category is given without a dimension.",
        both,
    )
    out.add(
        dimension.str.len() > DIMENSION_MAX,
        "dimension",
        "The dimension name is too long.",
        f"Use at most {DIMENSION_MAX} characters.",
    )
    out.add(
        category.str.len() > CATEGORY_MAX,
        "category",
        "The category name is too long.",
        f"Use at most {CATEGORY_MAX} characters.",
    )


def _typed_build(chunk: pd.DataFrame, parts: dict[str, pd.Series], bad: pd.Series) -> pd.DataFrame:
    """The checked rows as typed columns, ready for the diff and the write."""
    typed = pd.DataFrame(
        {
            "row": chunk[ROW_COLUMN].astype("int64"),
            "metric_id": parts["metric_id"].astype("Int64"),
            "area": chunk["area"].astype(object),
            "group": parts["group"].astype(object),
            "period_start": parts["period_start"],
            "period_end": parts["period_end"],
            "dimension": chunk["dimension"].str.lower().astype(object),
            "category": chunk["category"].astype(object),
            "value": parts["value"],
            "denominator": parts["denominator"],
            "notes": chunk["notes"].astype(object),
            "bad": bad,
        }
    )
    for column in ("area", "group", "dimension", "category", "notes"):
        typed[column] = typed[column].astype("category")
    return typed


def chunk_check(
    chunk: pd.DataFrame, catalogue: Catalogue, conventions: FileConventions | None = None
) -> tuple[pd.DataFrame, list[Problem], int]:
    """Check one chunk's cells; return the typed rows (with a ``bad`` flag), the problems and
    the number of totals rows skipped. ``conventions`` carries per-file decisions (decimal
    separator, day-first dates) from one chunk to the next."""
    conventions = conventions if conventions is not None else FileConventions()
    out = _Collector(chunk)
    chunk, skipped = _chunk_prepare(chunk, out)
    _text_rules(out, catalogue, conventions)
    _site_rules(out, catalogue)
    metric_ids = _metric_rules(out, catalogue)
    group = _area_group_rules(out)
    starts, ends = _date_rules(out, catalogue, conventions)
    units = metric_ids.map(catalogue.metric_units)
    values = _value_rules(out, units, catalogue, conventions)
    denominators = _denominator_rules(out, catalogue, conventions)
    _breakdown_rules(out)
    parts = {
        "metric_id": metric_ids,
        "group": group,
        "period_start": starts,
        "period_end": ends,
        "value": values,
        "denominator": denominators,
    }
    return _typed_build(chunk, parts, out.bad), out.problems, skipped


def duplicates_check(frame: pd.DataFrame) -> list[Problem]:
    """The same natural key twice in the file: an error on each later row, naming the first."""
    keyed = frame.dropna(subset=["metric_id", "period_start", "period_end"])
    keys = list(KEY_COLUMNS)
    dup = keyed.duplicated(subset=keys, keep=False)
    if not dup.any():
        return []
    dups = keyed.loc[dup]
    first = dups.groupby(keys, observed=True, sort=False)["row"].transform("min")
    later = dups["row"] != first
    problems = []
    for row, first_row in zip(dups.loc[later, "row"], first.loc[later], strict=True):
        problems.append(
            Problem(
                int(row),
                "period_start",
                "",
                f"Same site, metric, area, group, period and breakdown as row {int(first_row)}.",
                f"Keep one of rows {int(first_row)} and {int(row)}, or correct the period or area.",
            )
        )
    return problems


def warnings_check(frame: pd.DataFrame, catalogue: Catalogue) -> list[Problem]:
    """Plausibility checks that do not stop the import: outliers, overlaps, gaps, breakdowns."""
    problems: list[Problem] = []
    if frame.empty:
        return problems
    series = list(SERIES_COLUMNS)
    data = frame.sort_values([*series, "period_start"]).reset_index(drop=True)
    grouped = data.groupby(series, observed=True, sort=False)

    median = grouped["value"].transform("median")
    outlier = (median > 0) & (data["value"] > OUTLIER_FACTOR * median)
    for row, value, med in zip(
        data.loc[outlier, "row"], data.loc[outlier, "value"], median[outlier], strict=True
    ):
        problems.append(
            Problem(
                int(row),
                "value",
                f"{value:g}",
                f"This value is more than {OUTLIER_FACTOR}× the median of its series ({med:g}).",
                "Check it is not a typo or a total typed into one period.",
                "warning",
            )
        )

    previous_end = grouped["period_end"].shift()
    previous_start = grouped["period_start"].shift()
    overlap = (
        previous_end.notna()
        & (data["period_start"] <= previous_end)
        & ~((data["period_start"] == previous_start) & (data["period_end"] == previous_end))
    )
    for row in data.loc[overlap, "row"]:
        problems.append(
            Problem(
                int(row),
                "period_start",
                "",
                "This period overlaps the previous period of the same series.",
                "Check the dates; each period of a series should follow the last.",
                "warning",
            )
        )

    # A gap is a run of calendar months no row of the series covers: each row covers the
    # months from its start to its end (a quarter its three), so a series mixing months with
    # quarters reports only the months nothing covers.
    dated = data["period_start"].notna() & data["period_end"].notna()
    first_month = data["period_start"].dt.year * 12 + data["period_start"].dt.month - 1
    last_month = data["period_end"].dt.year * 12 + data["period_end"].dt.month - 1
    keys = [data[c] for c in series]
    covered_to = last_month.where(dated).groupby(keys, observed=True, sort=False).cummax()
    previous = covered_to.groupby(keys, observed=True, sort=False).shift()
    gap = dated & previous.notna() & (first_month > previous + 1)
    for row, first, before in zip(
        data.loc[gap, "row"], first_month[gap], previous[gap], strict=True
    ):
        first_missing, last_missing = int(before) + 1, int(first) - 1
        label = _month_label(first_missing)
        if last_missing != first_missing:
            label += f" to {_month_label(last_missing)}"
        problems.append(
            Problem(
                int(row),
                "period_start",
                "",
                f"No data for {label} in this series.",
                "Add the missing months (0 if nothing happened) or ignore if not collected.",
                "warning",
            )
        )

    problems.extend(_mixed_lengths(data, grouped))
    problems.extend(_non_calendar_lengths(data, grouped))

    units = {m.id: (m.unit_kind, m.aggregation) for m in catalogue.metrics.values()}
    summable = data["metric_id"].map(lambda m: units.get(m, ("", ""))[1] == "sum")
    period_key = ["metric_id", "area", "group", "period_start", "period_end"]
    parts = data.loc[summable & (data["dimension"] != "")]
    totals = data.loc[summable & (data["dimension"] == "")]
    if not parts.empty and not totals.empty:
        sums = (
            parts.groupby([*period_key, "dimension"], observed=True)["value"]
            .sum()
            .reset_index()
            .rename(columns={"value": "parts_sum"})
        )
        sums = sums.astype({c: object for c in ("area", "group", "dimension")})
        totals = totals.astype({c: object for c in ("area", "group")})
        merged = sums.merge(totals[[*period_key, "value", "row"]], on=period_key, how="inner")
        off = (merged["parts_sum"] - merged["value"]).abs() > 1e-9
        for rec in merged.loc[off].itertuples():
            problems.append(
                Problem(
                    int(rec.row),
                    "value",
                    f"{rec.value:g}",
                    f'The "{rec.dimension}" categories add up to {rec.parts_sum:g}, not the '
                    f"total {rec.value:g}.",
                    "Check for a missing or double-counted category, or a wrong total.",
                    "warning",
                )
            )
    return problems


def _length_name(days: int) -> str:
    """A period length in words: "weekly", "monthly", "quarterly" or "yearly" for the lengths
    the analyses know (``periods.length_class``), else how it falls outside them."""
    if days < 7:
        return "shorter than a week"
    if days > 366:
        return "longer than a year"
    return LENGTH_ADJECTIVES[length_class(days)]


def _rows_words(rows: pd.Series) -> str:
    """The file rows in words, runs of consecutive rows joined: "row 14", "rows 14 to 20",
    "rows 3 and 5", "rows 3, 5 and 8 to 10"; after six runs, "and N more rows"."""
    numbers = sorted({int(r) for r in rows})
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    parts = [
        str(a) if a == b else f"{a} and {b}" if b == a + 1 else f"{a} to {b}" for a, b in runs[:6]
    ]
    rest = sum(b - a + 1 for a, b in runs[6:])
    if rest:
        parts.append(f"{rest} more row{'' if rest == 1 else 's'}")
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"rows {listed}"


def _mixed_lengths(data: pd.DataFrame, grouped) -> list[Problem]:
    """One warning per series whose rows mix period lengths (months then quarters, say),
    on the first row whose length differs from the series' first row, naming the rows."""
    lengths = ((data["period_end"] - data["period_start"]).dt.days + 1).map(_length_name)
    first = lengths.groupby([data[c] for c in SERIES_COLUMNS], observed=True, sort=False)
    first_length = first.transform("first")
    problems = []
    for _, part in data.loc[lengths != first_length].groupby(grouped.ngroup(), sort=False):
        rows = part["row"].astype(int)
        seen = list(dict.fromkeys(lengths[part.index]))
        named = seen[0] if len(seen) == 1 else ", ".join(seen[:-1]) + " or " + seen[-1]
        problems.append(
            Problem(
                int(rows.iloc[0]),
                "period_end",
                "",
                f"This series mixes period lengths: it starts {first_length[part.index[0]]} but "
                f"{_rows_words(rows)} {'is' if len(rows) == 1 else 'are'} {named}. Analyses "
                f"refuse a mixed series.",
                "Upload one period length per series: re-aggregate (for example sum the months "
                "into quarters) or load the other periods as a separate metric.",
                "warning",
            )
        )
    return problems


def _non_calendar_lengths(data: pd.DataFrame, grouped) -> list[Problem]:
    """One warning per series with periods that are not 7-day weeks or whole calendar
    months, quarters or years (28-day CompStat periods, fortnights, days), naming the rows:
    the data are kept, but analyses refuse them rather than count two periods as a month."""
    lengths = calendar_lengths(data["period_start"], data["period_end"])
    days = (data["period_end"] - data["period_start"]).dt.days + 1
    problems = []
    dated = data["period_start"].notna() & data["period_end"].notna()
    for _, part in data.loc[lengths.isna() & dated].groupby(grouped.ngroup(), sort=False):
        rows = part["row"].astype(int)
        lengths_seen = ", ".join(str(d) for d in sorted({int(d) for d in days[part.index]})[:3])
        problems.append(
            Problem(
                int(rows.iloc[0]),
                "period_end",
                "",
                f"{_rows_words(rows).capitalize()} of this series "
                f"{'is a period' if len(rows) == 1 else 'are periods'} of "
                f"{lengths_seen} day(s): not 7-day weeks or whole calendar months, quarters or "
                f"years. They are stored, but analyses refuse them (a 28-day period, or a month "
                f"from the 15th, is not a calendar month).",
                "To analyse these data, re-aggregate them into calendar months (first to last "
                "day of each month) or 7-day weeks and upload them again.",
                "warning",
            )
        )
    return problems


def _month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def upload_validate(upload: RawUpload, catalogue: Catalogue) -> ValidationResult:
    """Run every rule over the whole file: headers, each chunk's cells, then the checks that
    need all rows (duplicates, outliers, overlaps, gaps, breakdown sums)."""
    header_problems, rows_checkable = headers_check(upload)
    errors = [p for p in header_problems if p.level == "error"]
    warnings: list[Problem] = []
    frames: list[pd.DataFrame] = []
    skipped = 0
    total = 0
    conventions = FileConventions(
        delimiter=upload.delimiter or ("," if upload.file_format == "json" else ""),
        formulas_in_text=upload.file_format == "xlsx",
    )
    for chunk in upload.chunks:
        total += len(chunk)
        if not rows_checkable:
            continue
        typed, problems, chunk_skipped = chunk_check(chunk, catalogue, conventions)
        skipped += chunk_skipped
        frames.append(typed)
        for problem in problems:
            (errors if problem.level == "error" else warnings).append(problem)
    if frames:
        frame = pd.concat(frames, ignore_index=True)
        for column in ("area", "group", "dimension", "category", "notes"):
            frame[column] = frame[column].astype(object).astype("category")
    else:
        frame = pd.DataFrame(columns=["row", *KEY_COLUMNS, "value", "denominator", "notes", "bad"])
    if rows_checkable and total == 0:
        errors.append(
            Problem(
                upload.header_row + 1,
                "",
                "",
                "The file has a header but no data rows.",
                "Add one row per metric, area, group and period under the header.",
            )
        )
    duplicate_problems = duplicates_check(frame)
    if duplicate_problems:
        dup_rows = {p.row for p in duplicate_problems}
        frame.loc[frame["row"].isin(dup_rows), "bad"] = True
        errors.extend(duplicate_problems)
    good = frame.loc[~frame["bad"].astype(bool)] if len(frame) else frame
    warnings.extend(warnings_check(good, catalogue))
    errors.sort(key=lambda p: (p.row, p.column))
    warnings.sort(key=lambda p: (p.row, p.column))
    rejected = int(frame["bad"].astype(bool).sum()) if len(frame) else 0
    if not rows_checkable:
        rejected = total - skipped
    return ValidationResult(
        frame=good.drop(columns=["bad"]).reset_index(drop=True),
        errors=errors,
        warnings=warnings,
        rows_total=total,
        rows_rejected=rejected,
        rows_skipped=skipped,
        blank_rows=upload.blank_rows,
    )
