"""Build the exact inputs of each analysis design from stored outcome observations.

Kept apart from the services so that the admin form, the validation and the run all agree on
what the data supports, and so tests can rebuild the same inputs and call the statistics
library directly. Each comparison area stays its own series (``comparison_units``); the
pooled series (counts and denominators summed per period, continuous values averaged) is kept
for charts and for the older error model. Every series must use one period length (weekly
series are keyed by the first day of each week), and the areas are compared over the months
they all have.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from evaluations.models import Analysis, OutcomeMetric, OutcomeObservation
from evaluations.periods import (
    CALENDAR_LENGTHS,
    LENGTH_ADJECTIVES,
    calendar_lengths,
    length_class,
)
from evaluations.selectors import observation_series
from evaluations.stats import IrregularTimeIndexError, MissingValueError
from evaluations.stats.calibration import frequency_note, is_length_note
from portal.models import GranteeSite

DESIGNS_NEEDING_COMPARISON = (Analysis.Design.DID, Analysis.Design.ITS_WITH_COMPARISON)
# The stats library's minimum per segment is 3 for ITS; pre/post and DiD need 2 each side.
MIN_PERIODS_EACH_SIDE = {
    Analysis.Design.PRE_POST: 2,
    Analysis.Design.DID: 2,
    Analysis.Design.ITS: 3,
    Analysis.Design.ITS_WITH_COMPARISON: 3,
}
TREATMENT, COMPARISON = "treatment", "comparison"


@dataclass(frozen=True)
class AreaOption:
    """One area a site reports a metric for: what the create form may offer."""

    area: str
    group: str
    first: dt.date
    last: dt.date
    periods: int
    # The first day of every period with data, and the period length ("W", "M", "Q" or "Y").
    starts: tuple[dt.date, ...] = ()
    length: str = "M"
    # Whether every period is a 7-day week or a whole calendar month, quarter or year
    # (evaluations.periods); analyses refuse a series that is not.
    calendar: bool = True


@dataclass(frozen=True)
class AnalysisInputs:
    """Everything one run of an analysis feeds to the statistics library.

    ``treatment``/``comparison`` are pooled series indexed by a PeriodIndex with columns
    ``value`` and ``exposure`` (None-free floats; 1.0 when the metric has no denominator).
    ``rows`` are the observations used, as stored in ``AnalysisResult.data``.
    """

    design: str
    kind: str
    freq: str
    treatment: pd.DataFrame
    comparison: pd.DataFrame | None
    intervention: pd.Period
    has_exposure: bool
    rows: list[dict[str, Any]]
    spec: dict[str, Any]
    comparison_units: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def metric_kind(metric: OutcomeMetric) -> str:
    """Counts are modelled as Poisson rates; everything else as a continuous outcome."""
    return "count" if metric.unit_kind == OutcomeMetric.UnitKind.COUNT else "continuous"


def metrics_with_data(site: GranteeSite) -> list[OutcomeMetric]:
    """Metrics this site has observations for (whole-area totals), by name."""
    ids = (
        OutcomeObservation.objects.filter(site=site, dimension="", category="")
        .values_list("metric_id", flat=True)
        .distinct()
    )
    return list(OutcomeMetric.objects.filter(pk__in=ids).order_by("name"))


def area_options(
    site: GranteeSite, metric: OutcomeMetric, *, dimension: str = "", category: str = ""
) -> list[AreaOption]:
    """The areas of this site with data for the metric, with their group and date range."""
    frame = observation_series(site=site, metric=metric, dimension=dimension, category=category)
    options = []
    for (area, group), part in frame.groupby(["area", "group"], sort=True):
        options.append(
            AreaOption(
                area=str(area),
                group=str(group),
                first=part["period_start"].min().date(),
                last=part["period_start"].max().date(),
                periods=int(part["period_start"].nunique()),
                starts=tuple(sorted(d.date() for d in part["period_start"].unique())),
                length=length_class(
                    int(((part["period_end"] - part["period_start"]).dt.days + 1).median())
                ),
                calendar=bool(
                    calendar_lengths(part["period_start"], part["period_end"]).notna().all()
                ),
            )
        )
    return options


_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
# What one period of each length is called in a sentence ("the 15 weeks before").
PERIOD_NOUNS = {"W": "week", "M": "month", "Q": "quarter", "Y": "year"}


def series_length(starts: list[dt.date]) -> str | None:
    """The period length ("W", "M", "Q", "Y") of a series whose periods start on ``starts``
    (sorted, distinct), from the median spacing; ``None`` with fewer than two periods."""
    if len(starts) < 2:
        return None
    gaps = sorted((b - a).days for a, b in zip(starts, starts[1:], strict=False))
    return length_class(gaps[len(gaps) // 2])


def check_one_frequency(frame: pd.DataFrame) -> None:
    """Refuse a series (one area) whose rows mix period lengths, naming the rows; and areas
    whose lengths (or, for weeks, start days) differ from each other, naming the areas."""
    if frame.empty:
        return
    days = (frame["period_end"] - frame["period_start"]).dt.days + 1
    calendar = calendar_lengths(frame["period_start"], frame["period_end"])
    odd = calendar.isna()
    if odd.any():
        first_area = sorted(frame.loc[odd, "area"].astype(str).unique())[0]
        rows = frame.loc[odd & (frame["area"].astype(str) == first_area)]
        row_days = sorted({int(d) for d in days[rows.index]})
        raise IrregularTimeIndexError(
            f"The {first_area} series has {len(rows)} period(s) that are not weeks, calendar "
            f"months, quarters or years: {', '.join(str(d) for d in row_days[:3])} day(s) long "
            f"(from {rows['period_start'].min():%Y-%m-%d} to "
            f"{rows['period_end'].max():%Y-%m-%d}). The analyses compare 7-day weeks or whole "
            f"calendar months, quarters or years; a 28-day or two-week period is not a month "
            f"(counting it as one would add two periods into one month), and a month from the "
            f"15th straddles the 1st the analyses key months by. Re-aggregate the data into "
            f"calendar months (or 7-day weeks) and upload them again."
        )
    classes = days.map(length_class)
    for area, part in classes.groupby(frame["area"], sort=True):
        kinds = list(dict.fromkeys(part.tolist()))
        if len(kinds) < 2:
            continue
        starts = frame.loc[part.index, "period_start"]
        described = []
        for kind in kinds:
            these = starts[part == kind]
            described.append(
                f"{these.size} {LENGTH_ADJECTIVES[kind]} row(s) from {these.min():%Y-%m-%d} to "
                f"{these.max():%Y-%m-%d}"
            )
        raise IrregularTimeIndexError(
            f"The {area} series mixes period lengths: {'; '.join(described)}. One series must "
            f"use one period length. Re-aggregate the shorter periods (for example sum the "
            f"months into quarters) or upload them as a separate metric."
        )
    lengths = {area: part.iloc[0] for area, part in classes.groupby(frame["area"], sort=True)}
    if len(set(lengths.values())) > 1:
        # Each area has one length, but they differ (a monthly treatment area and a quarterly
        # comparison area, say): periods cannot be matched, and aligning them would read as
        # missing months.
        described = ", ".join(
            f"{area} is {LENGTH_ADJECTIVES[kind]}" for area, kind in lengths.items()
        )
        raise IrregularTimeIndexError(
            f"The chosen areas use different period lengths ({described}), so their periods "
            f"cannot be compared one to one. Choose areas with the same period length, or "
            f"re-aggregate the shorter periods (for example sum the months into quarters) and "
            f"upload them as a separate metric."
        )
    if set(lengths.values()) == {"W"}:
        weekdays = {
            area: sorted({f"{d:%A}" for d in frame.loc[part.index, "period_start"]})
            for area, part in classes.groupby(frame["area"], sort=True)
        }
        if len({tuple(d) for d in weekdays.values()}) > 1:
            # pandas would key each area's weeks by the first area's week, pairing weeks
            # that start days apart without a word.
            described = ", ".join(f"{area} from {'/'.join(d)}" for area, d in weekdays.items())
            raise IrregularTimeIndexError(
                f"The chosen areas' weeks start on different days ({described}), so their "
                f"weeks cannot be paired. Upload every area's weeks starting on the same "
                f"weekday, or re-aggregate them into months."
            )


def _freq(frame: pd.DataFrame) -> str:
    """The pandas frequency of the series: monthly, quarterly, yearly, or weekly anchored so
    that each week starts on the day its rows start."""
    if frame.empty:
        return "M"
    days = int((frame["period_end"] - frame["period_start"]).dt.days.median()) + 1
    kind = length_class(days)
    if kind == "W":
        start_day = int(frame["period_start"].iloc[0].day_of_week)
        return f"W-{_WEEKDAYS[(start_day + 6) % 7]}"
    return kind


def analysis_spec(analysis: Analysis) -> dict[str, Any]:
    """The canonical, JSON-safe specification: part of the input hash."""
    return {
        "site": analysis.site.slug if analysis.site_id else None,
        "design": analysis.design,
        "metric": analysis.metric.code,
        "kind": metric_kind(analysis.metric),
        "treatment_area": analysis.treatment_area,
        "comparison_areas": list(analysis.comparison_areas or []),
        "dimension": analysis.dimension,
        "category": analysis.category,
        "intervention_date": analysis.intervention_date.isoformat(),
        "pre_start": analysis.pre_start.isoformat() if analysis.pre_start else None,
        "post_end": analysis.post_end.isoformat() if analysis.post_end else None,
        "options": dict(sorted((analysis.options or {}).items())),
    }


def _window(frame: pd.DataFrame, analysis: Analysis) -> pd.DataFrame:
    if analysis.pre_start:
        frame = frame.loc[frame["period_start"] >= pd.Timestamp(analysis.pre_start)]
    if analysis.post_end:
        frame = frame.loc[frame["period_start"] <= pd.Timestamp(analysis.post_end)]
    return frame


def pool_series(frame: pd.DataFrame, *, kind: str, freq: str) -> pd.DataFrame:
    """One value per period for a set of areas: counts and denominators summed, continuous
    values averaged. ``exposure`` is the summed denominator when every row has one, else 1."""
    periods = frame["period_start"].dt.to_period(freq)
    grouped = frame.assign(period=periods).groupby("period", sort=True)
    value = grouped["value"].sum() if kind == "count" else grouped["value"].mean()
    has_den = bool(frame["denominator"].notna().all()) and not frame.empty
    exposure = grouped["denominator"].sum() if has_den else pd.Series(1.0, index=value.index)
    out = pd.DataFrame({"value": value.astype(float), "exposure": exposure.astype(float)})
    out.index = pd.PeriodIndex(out.index, freq=freq)
    return out


def analysis_observations(analysis: Analysis) -> pd.DataFrame:
    """The observation rows an analysis uses (treatment and comparison areas, in window).

    A run uses the site's current figures, so a re-run after a correction can be reviewed
    by BJA before the correction is published. What the public reads never rests on figures
    the site has not released or has withdrawn: a version is shown publicly only while every
    row it used is published with that value (``disclosure.public_analysis``), and BJA
    approves a re-run of a published analysis only once its rows are published.
    """
    frame = observation_series(
        site=analysis.site,
        metric=analysis.metric,
        dimension=analysis.dimension,
        category=analysis.category,
        # without a site there is no per-row check on what the public reads
        published_only=analysis.is_published and analysis.site_id is None,
    )
    areas = {analysis.treatment_area, *(analysis.comparison_areas or [])}
    if analysis.design not in DESIGNS_NEEDING_COMPARISON:
        areas = {analysis.treatment_area}
    frame = frame.loc[frame["area"].isin(areas)]
    if analysis.is_published and frame.empty:
        from evaluations.stats import AnalysisError

        raise AnalysisError(
            "The site has withdrawn the data this analysis used, so it no longer has a public "
            "result; it is re-run when the data are published again."
        )
    return _window(frame, analysis).reset_index(drop=True)


def _rows(frame: pd.DataFrame, treatment_area: str) -> list[dict[str, Any]]:
    rows = []
    for rec in frame.sort_values(["area", "period_start"]).itertuples(index=False):
        rows.append(
            {
                "period_start": rec.period_start.date().isoformat(),
                "area": rec.area,
                "group": TREATMENT if rec.area == treatment_area else COMPARISON,
                "value": float(rec.value),
                "denominator": None if pd.isna(rec.denominator) else float(rec.denominator),
            }
        )
    return rows


def rows_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Stored ``AnalysisResult.data`` rows back as the frame ``build_inputs`` takes (period
    ends follow from the spacing of the period starts: weeks of 7 days, else months, quarters
    or years)."""
    frame = pd.DataFrame(rows, columns=["period_start", "area", "group", "value", "denominator"])
    frame["period_start"] = pd.to_datetime(frame["period_start"])
    starts = sorted({stamp.date() for stamp in frame["period_start"]})
    kind = series_length(starts) or "M"
    if kind == "W":
        # weekly rows: each week ends six days after the day it starts
        frame["period_end"] = frame["period_start"] + pd.Timedelta(days=6)
    else:
        months = CALENDAR_LENGTHS[kind]
        frame["period_end"] = frame["period_start"] + pd.DateOffset(months=months, days=-1)
    frame["value"] = frame["value"].astype("float64")
    frame["denominator"] = frame["denominator"].astype("float64")
    return frame


def period_list(periods: list[pd.Period]) -> str:
    """The first six periods, comma-separated, then "and N more"."""
    shown = ", ".join(str(p) for p in periods[:6])
    return shown + (f" and {len(periods) - 6} more" if len(periods) > 6 else "")


def _align_areas(
    series: dict[str, pd.DataFrame],
) -> tuple[pd.PeriodIndex, list[str]]:
    """The periods every area has. Periods missing inside the shared span refuse the run
    (naming the area and periods); periods only some areas have at the ends are dropped with
    a note naming them."""
    indexes = {area: frame.index for area, frame in series.items()}
    common = None
    for index in indexes.values():
        common = index if common is None else common.intersection(index)
    if common is None or len(common) == 0:
        raise MissingValueError(
            "The treatment and comparison areas have no periods in common; choose areas that "
            "cover the same months."
        )
    span = pd.period_range(common.min(), common.max(), freq=common.freq)
    left_out: dict[tuple[pd.Period, ...], list[str]] = {}
    for area, index in indexes.items():
        missing = [p for p in span if p not in index]
        if missing:
            raise MissingValueError(
                f"{area} has no data for {period_list(missing)}, inside the period the other "
                f"areas cover. Upload those periods for {area} (0 if there were no events), "
                f"leave {area} out, or narrow the window so that every chosen area has every "
                f"period."
            )
        extra = tuple(p for p in index if p not in common)
        if extra:
            left_out.setdefault(extra, []).append(area)
    # one note per set of periods left out, naming every area that has them
    notes = [
        f"{period_list(list(extra))} {'was' if len(extra) == 1 else 'were'} left out because "
        f"not every chosen area has data then ({_and_list(areas)} "
        f"{'does' if len(areas) == 1 else 'do'})."
        for extra, areas in left_out.items()
    ]
    return common, notes


def missing_periods(index: pd.PeriodIndex) -> list[pd.Period]:
    """The periods between the first and the last of ``index`` that it lacks."""
    if len(index) < 2:
        return []
    present = set(index)
    return [
        p for p in pd.period_range(index.min(), index.max(), freq=index.freq) if p not in present
    ]


def _and_list(items: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def build_inputs(analysis: Analysis, frame: pd.DataFrame | None = None) -> AnalysisInputs:
    """Select, check and align the series for the analysis's design (from the stored
    observations, or from ``frame`` when given, e.g. ``rows_frame`` of a stored result).

    Every series must have one period length. With comparison areas, each area is its own
    series and only the periods all of them have are used (see :func:`_align_areas`).
    """
    kind = metric_kind(analysis.metric)
    frame = analysis_observations(analysis) if frame is None else frame
    check_one_frequency(frame)
    freq = _freq(frame)
    treated_rows = frame.loc[frame["area"] == analysis.treatment_area]
    treatment = pool_series(treated_rows, kind=kind, freq=freq)
    comparison = None
    units: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    has_exposure = bool(treated_rows["denominator"].notna().all()) and not treated_rows.empty
    if analysis.design in DESIGNS_NEEDING_COMPARISON:
        areas = [a for a in (analysis.comparison_areas or []) if a != analysis.treatment_area]
        comp_rows = frame.loc[frame["area"].isin(areas)]
        units = {
            area: pool_series(comp_rows.loc[comp_rows["area"] == area], kind=kind, freq=freq)
            for area in areas
            if (comp_rows["area"] == area).any()
        }
        if units:
            common, notes = _align_areas({analysis.treatment_area: treatment, **units})
            treatment = treatment.loc[common]
            units = {area: unit.loc[common] for area, unit in units.items()}
            comparison = pool_series(
                comp_rows.loc[comp_rows["period_start"].dt.to_period(freq).isin(common)],
                kind=kind,
                freq=freq,
            )
            frame = frame.loc[frame["period_start"].dt.to_period(freq).isin(common)]
        else:
            comparison = pool_series(comp_rows, kind=kind, freq=freq)
        has_exposure = has_exposure and bool(comp_rows["denominator"].notna().all())
    gaps = missing_periods(treatment.index)
    if gaps and analysis.design == Analysis.Design.PRE_POST:
        notes.append(
            f"{analysis.treatment_area} has no data for {period_list(gaps)}: the comparison "
            f"uses the periods with data, and its autocorrelation model treats the periods "
            f"either side of a gap as neighbours. Upload the missing periods (0 if there "
            f"were no events) for a complete series."
        )
    intervention = pd.Period(analysis.intervention_date, freq=freq)
    return AnalysisInputs(
        design=analysis.design,
        kind=kind,
        freq=freq,
        treatment=treatment,
        comparison=comparison,
        intervention=intervention,
        has_exposure=has_exposure,
        rows=_rows(frame, analysis.treatment_area),
        spec=analysis_spec(analysis),
        comparison_units=units,
        notes=tuple(notes),
    )


def seasonality_option(options: dict[str, Any]) -> str | None:
    """The stored seasonality option: "none" (or the older empty value) means none; missing
    means the default, "auto"."""
    value = options.get("seasonality", "auto")
    if value in ("", "none", None):
        return None
    return value


def prepost_arguments(
    inputs: AnalysisInputs, options: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Keyword arguments of ``stats.pre_post``: the treatment series split at the intervention."""
    options = options or {}
    series = inputs.treatment
    before = series.index < inputs.intervention
    args: dict[str, Any] = {
        "pre": series.loc[before, "value"].to_numpy(),
        "post": series.loc[~before, "value"].to_numpy(),
        "kind": inputs.kind,
        "errors": options.get("errors") or "ar1",
        "periods": series.index,
        "seasonality": seasonality_option(options),
        "harmonics": int(options.get("harmonics") or 2),
    }
    if inputs.kind == "count" and inputs.has_exposure:
        args["pre_exposure"] = series.loc[before, "exposure"].to_numpy()
        args["post_exposure"] = series.loc[~before, "exposure"].to_numpy()
    return args


def did_panel(inputs: AnalysisInputs) -> pd.DataFrame:
    """One row per area and period: outcome, treated, post, period (periods from the first, so
    gaps keep their spacing), exposure and area. Each comparison area is its own unit."""
    if inputs.comparison is None:
        raise ValueError("A difference-in-differences needs a comparison series.")
    first = inputs.treatment.index.min()
    units = inputs.comparison_units or {
        ", ".join(inputs.spec["comparison_areas"]): inputs.comparison
    }
    parts = []
    for treated, label, series in (
        (1, inputs.spec["treatment_area"], inputs.treatment),
        *((0, area, unit) for area, unit in units.items()),
    ):
        parts.append(
            pd.DataFrame(
                {
                    "outcome": series["value"].to_numpy(),
                    "treated": treated,
                    "post": (series.index >= inputs.intervention).astype(int),
                    "period": np.array([(p - first).n for p in series.index], dtype=float),
                    "exposure": series["exposure"].to_numpy(),
                    "area": label,
                    "period_start": series.index.to_timestamp(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def did_arguments(inputs: AnalysisInputs, options: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of ``stats.difference_in_differences`` besides the data."""
    cov = options.get("cov") or "ar1"
    args: dict[str, Any] = {"kind": inputs.kind, "cov": cov, "time": "period"}
    if cov == "cluster":
        args["cluster"] = "area"
    if cov == "ar1":
        args["unit"] = "area"
    if inputs.kind == "count" and inputs.has_exposure:
        args["exposure"] = "exposure"
    return args


def its_arguments(inputs: AnalysisInputs, options: dict[str, Any]) -> dict[str, Any]:
    """Arguments of ``stats.interrupted_time_series``: Series on a PeriodIndex, comparison
    units (one column each) and exposures."""
    errors = options.get("errors") or "ar1"
    args: dict[str, Any] = {
        "series": inputs.treatment["value"],
        "intervention": inputs.intervention,
        "kind": inputs.kind,
        "seasonality": seasonality_option(options),
        "harmonics": int(options.get("harmonics") or 2),
        "impact": options.get("impact") or "level_and_slope",
        "errors": errors,
        "hac_lags": options.get("hac_lags") if errors == "independent" else None,
    }
    if inputs.kind == "count" and inputs.has_exposure:
        args["exposure"] = inputs.treatment["exposure"]
    if inputs.design == Analysis.Design.ITS_WITH_COMPARISON and inputs.comparison is not None:
        if inputs.comparison_units:
            args["comparison"] = pd.DataFrame(
                {area: unit["value"] for area, unit in inputs.comparison_units.items()}
            )
        else:
            args["comparison"] = inputs.comparison["value"]
        if inputs.kind == "count" and inputs.has_exposure:
            args["comparison_exposure"] = inputs.comparison["exposure"]
    return args


def run_statistics(inputs: AnalysisInputs, options: dict[str, Any] | None = None):
    """Call the statistics library for the design; raises ``stats.AnalysisError`` on bad data.
    Notes from aligning the areas (periods left out) are added to the result's warnings."""
    from evaluations import stats

    options = options or {}
    if inputs.design == Analysis.Design.PRE_POST:
        result = stats.pre_post(**prepost_arguments(inputs, options))
    elif inputs.design == Analysis.Design.DID:
        result = stats.difference_in_differences(
            did_panel(inputs), **did_arguments(inputs, options)
        )
    else:
        args = its_arguments(inputs, options)
        series = args.pop("series")
        result = stats.interrupted_time_series(series, **args)
    if inputs.notes:
        result = replace(result, warnings=tuple(result.warnings) + inputs.notes)
    return _frequency_label(result, inputs.freq)


def _frequency_label(result, freq: str):
    """Weekly and quarterly results are approximate: the benchmark measured monthly series
    only, so the monthly coverage figure (and its length note) is replaced by a note that the
    interval is unverified for this period length."""
    note = frequency_note(freq)
    if note is None:
        return result
    kept = tuple(w for w in result.warnings if not is_length_note(w))
    return replace(result, warnings=(*kept, note), approximate=True, calibrated_coverage=None)
