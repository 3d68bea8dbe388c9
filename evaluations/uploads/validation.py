"""Every rule an outcome-data file must meet, checked in one pass with vectorised pandas.

Nothing here touches the database: the caller passes a ``Catalogue`` (metric codes and units,
site slugs, the site the upload is for) so the rules are easy to test and fast on 100,000
rows. Each problem names the spreadsheet row (header = row 1), the column, the value, what is
wrong and how to fix it. Errors stop the import; warnings are shown and do not.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from evaluations.models import OBSERVATION_NATURAL_KEY
from evaluations.uploads.reader import ROW_COLUMN, RawUpload

REQUIRED_COLUMNS = ("metric", "area", "group", "period_start", "period_end", "value")
OPTIONAL_COLUMNS = ("site", "denominator", "notes", "dimension", "category")
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
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
    originals = upload.original_headers or upload.headers
    seen: set[str] = set()
    for header, original in zip(upload.headers, originals, strict=False):
        if not header:
            continue  # an empty trailing column; its cells are checked below
        if header in seen:
            problems.append(
                Problem(
                    1,
                    original,
                    original,
                    f'The column "{original}" appears twice.',
                    "Delete one of the two columns.",
                )
            )
        seen.add(header)
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
        problems.append(Problem(1, original, original, f'Unknown column "{original}".', fix))
    required = REQUIRED_COLUMNS + (("site",) if site_required else ())
    missing = [c for c in required if c not in seen]
    for column in missing:
        problems.append(
            Problem(
                1,
                column,
                "",
                f'The required column "{column}" is missing.',
                f'Add a column headed "{column}" (see the template).',
            )
        )
    return problems, not missing


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
            self.problems.append(
                Problem(
                    int(row),
                    column,
                    value,
                    message(value) if callable(message) else message,
                    fix(value) if callable(fix) else fix,
                    level,
                )
            )


def dates_parse(cells: pd.Series) -> pd.Series:
    """ISO dates, M/D/YYYY and the date text the reader writes for Excel date cells."""
    text = cells.astype(str).str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    for fmt in ("%m/%d/%Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        missing = parsed.isna() & (text != "")
        if not missing.any():
            break
        parsed = parsed.where(
            ~missing, pd.to_datetime(text.where(missing), format=fmt, errors="coerce")
        )
    return parsed.dt.normalize()


def numbers_parse(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers with thousands separators ("1,204") and percentages ("45%" → 0.45).

    Returns the values (NaN where unreadable or blank) and a mask of cells written as %.
    """
    text = cells.astype(str).str.strip().str.replace("\u00a0", "", regex=False)
    percent = text.str.endswith("%")
    core = text.str.rstrip("%").str.strip()
    thousands = core.str.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
    core = core.where(~thousands.fillna(False).astype(bool), core.str.replace(",", "", regex=False))
    values = pd.to_numeric(core.where(core != ""), errors="coerce").astype("float64")
    values = values.where(~percent, values / 100.0)
    return values, percent


def chunk_check(
    chunk: pd.DataFrame, catalogue: Catalogue
) -> tuple[pd.DataFrame, list[Problem], int]:
    """Check one chunk's cells; return the typed rows (with a ``bad`` flag), the problems and
    the number of totals rows skipped."""
    out = _Collector(chunk)
    for column in KNOWN_COLUMNS:
        if column not in chunk:
            chunk[column] = ""
        chunk[column] = chunk[column].astype(str).str.strip()
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

    metric_text = chunk["metric"]
    totals = metric_text.str.lower().isin(TOTAL_MARKERS) | chunk["site"].str.lower().isin(
        TOTAL_MARKERS
    )
    out.add(
        totals,
        "metric",
        "This looks like a totals row; it was skipped.",
        "Nothing to do; totals are computed by the portal. Delete the row to silence this.",
        level="warning",
    )
    skipped = int(totals.sum())
    keep = ~totals
    chunk = chunk.loc[keep]
    out.chunk = chunk
    out.bad = out.bad.loc[keep]

    # site
    site = chunk["site"]
    site_lower = site.str.lower()
    wrong_site = (site != "") & (site_lower != catalogue.site_slug)
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

    # metric
    codes = list(catalogue.metrics)
    metric_lower = metric_text.loc[keep].str.lower()
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
        (metric_lower != "") & metric_ids.isna(),
        "metric",
        lambda v: f'Unknown metric "{v}".',
        metric_fix,
    )

    # area
    area = chunk["area"]
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

    # group
    group = chunk["group"].str.lower()
    bad_group = ~group.isin(GROUPS)

    def group_fix(value: str) -> str:
        hint = closest(value, GROUPS)
        return (f'Did you mean "{hint}"? ' if hint else "") + 'Write "treatment" or "comparison".'

    out.add(
        bad_group,
        "group",
        lambda v: "The group is empty." if not v else f'"{v}" is not a group.',
        group_fix,
    )

    # periods
    starts = dates_parse(chunk["period_start"])
    ends = dates_parse(chunk["period_end"])
    for column, parsed in (("period_start", starts), ("period_end", ends)):
        blank = chunk[column] == ""
        out.add(
            blank, column, "The date is empty.", "Write the date as YYYY-MM-DD, e.g. 2024-01-31."
        )
        out.add(
            ~blank & parsed.isna(),
            column,
            lambda v: f'"{v}" is not a date we can read.',
            "Write the date as YYYY-MM-DD (e.g. 2024-01-31) or M/D/YYYY (1/31/2024).",
        )
    reversed_ = starts.notna() & ends.notna() & (ends < starts)
    out.add(
        reversed_,
        "period_end",
        "period_end is before period_start.",
        "Swap the two dates, or correct the one that is wrong.",
    )

    # value
    values, percent = numbers_parse(chunk["value"])
    units = metric_ids.map(catalogue.metric_units)
    value_blank = chunk["value"] == ""
    out.add(
        value_blank,
        "value",
        "The value is empty.",
        "Write the number; write 0 when nothing happened, or delete the row if unknown.",
    )
    unreadable = ~value_blank & values.isna()
    out.add(
        unreadable,
        "value",
        lambda v: f'"{v}" is not a number.',
        "Write digits only, e.g. 1204 or 1,204 (for proportions 0.45 or 45%).",
    )
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
    is_prop = units == "proportion"
    out.add(
        readable & is_prop & ((values < 0) | (values > 1)),
        "value",
        "A proportion must be between 0 and 1.",
        "Write 0.45 or 45% for forty-five per cent.",
    )
    non_negative = units.isin(["days", "dollars", "rate"])
    out.add(
        readable & non_negative & (values < 0),
        "value",
        lambda v: "This metric cannot be negative.",
        "Correct the value.",
    )

    # denominator
    denominators, _ = numbers_parse(chunk["denominator"])
    den_given = chunk["denominator"] != ""
    out.add(
        den_given & denominators.isna(),
        "denominator",
        lambda v: f'"{v}" is not a number.',
        "Write digits only, or leave it empty.",
    )
    out.add(
        den_given & (denominators < 0),
        "denominator",
        "A denominator cannot be negative.",
        "Correct the denominator or leave it empty.",
    )

    # breakdown
    dimension = chunk["dimension"]
    category = chunk["category"]
    out.add(
        (dimension != "") & (category == ""),
        "category",
        "A dimension is given without a category.",
        "Fill both dimension and category for a breakdown row, or neither for a total.",
    )
    out.add(
        (dimension == "") & (category != ""),
        "dimension",
        "A category is given without a dimension.",
        "Fill both dimension and category for a breakdown row, or neither for a total.",
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

    typed = pd.DataFrame(
        {
            "row": chunk[ROW_COLUMN].astype("int64"),
            "metric_id": metric_ids.astype("Int64"),
            "area": area.astype(object),
            "group": group.astype(object),
            "period_start": starts,
            "period_end": ends,
            "dimension": dimension.str.lower().astype(object),
            "category": category.astype(object),
            "value": values,
            "denominator": denominators,
            "notes": chunk["notes"].astype(object),
            "bad": out.bad,
        }
    )
    for column in ("area", "group", "dimension", "category", "notes"):
        typed[column] = typed[column].astype("category")
    return typed, out.problems, skipped


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

    start = data["period_start"]
    end = data["period_end"]
    monthly = (start.dt.day == 1) & (end == start + pd.offsets.MonthEnd(0))
    month_index = start.dt.year * 12 + start.dt.month - 1
    # Gaps are judged among a series' monthly rows only (quarterly or odd periods are skipped).
    monthly_rows = data.loc[monthly, series].assign(month=month_index[monthly])
    previous_month = monthly_rows.groupby(series, observed=True, sort=False)["month"].shift()
    step = (monthly_rows["month"] - previous_month).reindex(data.index)
    gap = monthly & step.notna() & (step > 1)
    for row, idx, size in zip(data.loc[gap, "row"], month_index[gap], step[gap], strict=True):
        first_missing = idx - int(size) + 1
        last_missing = idx - 1
        label = _month_label(first_missing)
        if last_missing != first_missing:
            label += f" to {_month_label(last_missing)}"
        problems.append(
            Problem(
                int(row),
                "period_start",
                "",
                f"No data for {label} in this monthly series.",
                "Add the missing months (0 if nothing happened) or ignore if not collected.",
                "warning",
            )
        )

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
    for chunk in upload.chunks:
        total += len(chunk)
        if not rows_checkable:
            continue
        typed, problems, chunk_skipped = chunk_check(chunk, catalogue)
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
