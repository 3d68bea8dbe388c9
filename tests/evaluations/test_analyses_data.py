"""Inputs of each design built from real imported observations: selection, pooling, window,
kind, DiD panel, ITS series and the pre/post split."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from evaluations.analyses import data
from evaluations.models import Analysis, OutcomeMetric, OutcomeObservation
from evaluations.stats import IrregularTimeIndexError, MissingValueError
from tests.evaluations.analyses_backend_helpers import (
    INTERVENTION,
    series_rows,
    upload_rows,
    upload_standard,
)

pytestmark = pytest.mark.django_db


def spec(site, design="did", metric="nonfatal_shootings", **fields) -> Analysis:
    values = {
        "title": "t",
        "site": site,
        "design": design,
        "metric": OutcomeMetric.objects.get(code=metric),
        "treatment_area": "Zone 3",
        "comparison_areas": ["Zone 1", "Zone 2"],
        "intervention_date": INTERVENTION,
    } | fields
    return Analysis(**values)


def values(site, area, metric="nonfatal_shootings") -> np.ndarray:
    rows = OutcomeObservation.objects.filter(site=site, area=area, metric__code=metric)
    return np.array(list(rows.order_by("period_start").values_list("value", flat=True)))


def test_comparison_counts_are_summed_per_period(site_a):
    upload_standard(site_a)
    inputs = data.build_inputs(spec(site_a))
    assert inputs.kind == "count" and inputs.freq == "M"
    assert isinstance(inputs.treatment.index, pd.PeriodIndex) and len(inputs.treatment) == 48
    np.testing.assert_array_equal(inputs.treatment["value"], values(site_a, "Zone 3"))
    np.testing.assert_array_equal(
        inputs.comparison["value"], values(site_a, "Zone 1") + values(site_a, "Zone 2")
    )
    assert (inputs.treatment["exposure"] == 1).all() and not inputs.has_exposure
    assert len(inputs.rows) == 3 * 48
    assert {r["group"] for r in inputs.rows} == {"treatment", "comparison"}


def test_continuous_comparison_is_averaged(site_a):
    upload_standard(site_a)
    rows = series_rows("days_violation_to_hearing", "Rural", "comparison", [50.0] * 48)
    upload_rows(site_a, rows, name="rural.csv")
    analysis = spec(
        site_a, metric="days_violation_to_hearing", comparison_areas=["County", "Rural"]
    )
    inputs = data.build_inputs(analysis)
    assert inputs.kind == "continuous"
    np.testing.assert_allclose(
        inputs.comparison["value"],
        (values(site_a, "County", "days_violation_to_hearing") + 50.0) / 2,
    )


def test_denominators_become_exposure(site_a):
    counts = [10, 12, 9, 11, 8, 7, 6, 7]
    dens = [1000, 1100, 1000, 1050, 1200, 1150, 1100, 1000]
    rows = series_rows("nonfatal_shootings", "Zone 3", "treatment", counts, denominators=dens)
    upload_rows(site_a, rows)
    analysis = spec(
        site_a, design="pre_post", comparison_areas=[], intervention_date=dt.date(2020, 5, 1)
    )
    inputs = data.build_inputs(analysis)
    args = data.prepost_arguments(inputs)
    np.testing.assert_array_equal(args["pre"], counts[:4])
    np.testing.assert_array_equal(args["post"], counts[4:])
    np.testing.assert_array_equal(args["post_exposure"], dens[4:])


def test_window_limits_periods(site_a):
    upload_standard(site_a)
    analysis = spec(
        site_a,
        design="its",
        comparison_areas=[],
        pre_start=dt.date(2021, 1, 1),
        post_end=dt.date(2022, 12, 1),
    )
    inputs = data.build_inputs(analysis)
    assert inputs.comparison is None
    assert (
        str(inputs.treatment.index[0]) == "2021-01" and str(inputs.treatment.index[-1]) == "2022-12"
    )
    args = data.its_arguments(inputs, {"seasonality": "month"})
    assert args["seasonality"] == "month" and args["intervention"] == pd.Period("2022-01", "M")


def test_did_panel_keeps_each_comparison_area_as_a_unit(site_a):
    upload_standard(site_a)
    inputs = data.build_inputs(spec(site_a))
    panel = data.did_panel(inputs)
    assert len(panel) == 144  # 48 periods x (treatment + two comparison areas)
    assert panel.groupby(["treated", "post"]).size().to_dict() == {
        (0, 0): 48,
        (0, 1): 48,
        (1, 0): 24,
        (1, 1): 24,
    }
    assert sorted(panel.loc[panel["treated"] == 0, "area"].unique()) == ["Zone 1", "Zone 2"]
    assert panel["period"].min() == 0 and panel["period"].max() == 47


def test_a_comparison_area_missing_inner_months_refuses_by_name(site_a):
    upload_standard(site_a)
    OutcomeObservation.objects.filter(
        site=site_a, area="Zone 2", period_start__in=[dt.date(2021, 3, 1), dt.date(2021, 4, 1)]
    ).delete()
    with pytest.raises(MissingValueError) as caught:
        data.build_inputs(spec(site_a))
    message = str(caught.value)
    assert "Zone 2" in message and "2021-03" in message and "2021-04" in message


def test_months_outside_the_shared_span_are_dropped_with_a_note(site_a):
    upload_standard(site_a)
    OutcomeObservation.objects.filter(
        site=site_a, area="Zone 1", period_start=dt.date(2020, 1, 1)
    ).delete()
    inputs = data.build_inputs(spec(site_a, comparison_areas=["Zone 1"]))
    assert len(inputs.treatment) == len(inputs.comparison) == 47
    assert any("2020-01" in note for note in inputs.notes)


def test_choices_reflect_the_data(site_a, site_b):
    upload_standard(site_a)
    codes = [m.code for m in data.metrics_with_data(site_a)]
    assert sorted(codes) == ["days_violation_to_hearing", "nonfatal_shootings"]
    assert data.metrics_with_data(site_b) == []
    options = data.area_options(site_a, OutcomeMetric.objects.get(code="nonfatal_shootings"))
    assert [(o.area, o.group, o.periods) for o in options] == [
        ("Zone 1", "comparison", 48),
        ("Zone 2", "comparison", 48),
        ("Zone 3", "treatment", 48),
    ]
    assert options[0].first == dt.date(2020, 1, 1) and options[0].last == dt.date(2023, 12, 1)


def test_a_series_mixing_months_and_quarters_is_refused_with_the_fix(site_a):
    rows = series_rows("nonfatal_shootings", "Mixed T", "treatment", [31.0] * 24)
    rows += [
        'nonfatal_shootings,"Mixed T",treatment,2022-01-01,2022-03-31,83,,,,',
        'nonfatal_shootings,"Mixed T",treatment,2022-04-01,2022-06-30,106,,,,',
    ]
    upload_rows(site_a, rows)
    analysis = spec(site_a, design="pre_post", treatment_area="Mixed T", comparison_areas=[])
    with pytest.raises(IrregularTimeIndexError) as caught:
        data.build_inputs(analysis)
    message = str(caught.value)
    assert "Mixed T" in message and "mixes period lengths" in message
    assert "2 quarterly row(s) from 2022-01-01 to 2022-04-01" in message
    assert "Re-aggregate" in message


def test_weekly_rows_dated_by_monday_are_weeks_starting_that_monday(site_a):
    rows = []
    start = dt.date(2024, 1, 1)  # a Monday
    for w in range(20):
        first = start + dt.timedelta(weeks=w)
        rows.append(
            f'nonfatal_shootings,"Week T",treatment,{first},{first + dt.timedelta(days=6)},'
            f"{5 + w % 3},,,,"
        )
    upload_rows(site_a, rows)
    analysis = spec(
        site_a,
        design="its",
        treatment_area="Week T",
        comparison_areas=[],
        intervention_date=dt.date(2024, 3, 4),
    )
    inputs = data.build_inputs(analysis)
    assert str(inputs.intervention).startswith("2024-03-04")
    assert str(inputs.treatment.index[0]).startswith("2024-01-01")


def test_stored_weekly_rows_rebuild_as_weeks_not_months(site_a):
    """The disclosure re-run rebuilds inputs from stored rows (``rows_frame``); a weekly series
    must stay weekly there, not be summed into months with the intervention moved."""
    rows = []
    start = dt.date(2024, 1, 1)  # a Monday
    for w in range(20):
        first = start + dt.timedelta(weeks=w)
        rows.append(
            f'nonfatal_shootings,"Week T",treatment,{first},{first + dt.timedelta(days=6)},'
            f"{5 + w % 3},,,,"
        )
    upload_rows(site_a, rows)
    analysis = spec(
        site_a,
        design="its",
        treatment_area="Week T",
        comparison_areas=[],
        intervention_date=dt.date(2024, 3, 4),
    )
    direct = data.build_inputs(analysis)
    rebuilt = data.build_inputs(analysis, data.rows_frame(direct.rows))
    assert rebuilt.freq == direct.freq == "W-SUN"
    assert rebuilt.intervention == direct.intervention
    pd.testing.assert_frame_equal(rebuilt.treatment, direct.treatment)


def _quarter_rows(area: str, group: str, base: int, step: int = 7) -> list[str]:
    quarters = [("01-01", "03-31"), ("04-01", "06-30"), ("07-01", "09-30"), ("10-01", "12-31")]
    return [
        f"nonfatal_shootings,{area},{group},{year}-{a},{year}-{b},{base + (step * i) % 11},,,,"
        for i, (year, (a, b)) in enumerate(
            (year, q) for year in range(2016, 2024) for q in quarters
        )
    ]


@pytest.mark.parametrize("design", ["pre_post", "its", "did", "its_with_comparison"])
def test_quarterly_results_are_approximate_not_quoting_the_monthly_benchmark(site_a, design):
    """The calibration benchmark simulated monthly series only: a quarterly result (here 16
    quarters a side, long enough that a monthly one would not be labelled) is approximate,
    says its coverage is unverified and quotes no monthly coverage figure."""
    upload_rows(
        site_a,
        # the two areas vary differently, as counts of events do (the same pattern in both
        # would leave the treated share of events almost constant: labelled underdispersed)
        _quarter_rows("Q treated", "treatment", 40)
        + _quarter_rows("Q other", "comparison", 50, step=4),
    )
    analysis = spec(
        site_a,
        design=design,
        treatment_area="Q treated",
        comparison_areas=["Q other"],
        intervention_date=dt.date(2020, 1, 1),
    )
    inputs = data.build_inputs(analysis)
    assert inputs.freq.startswith("Q")
    result = data.run_statistics(inputs)
    assert result.approximate is True and result.calibrated_coverage is None
    notes = [w for w in result.warnings if w.startswith("Approximate interval")]
    assert len(notes) == 1
    assert "monthly series only" in notes[0] and "quarterly series" in notes[0]


def did_refusal(site, rows, treatment: str, comparison: str, start: dt.date) -> str:
    """Upload ``rows``, then the message with which a DiD of ``treatment`` against
    ``comparison`` is refused as irregular (the test fails if it is not refused)."""
    upload_rows(site, rows)
    analysis = spec(
        site,
        design="did",
        treatment_area=treatment,
        comparison_areas=[comparison],
        intervention_date=start,
    )
    with pytest.raises(IrregularTimeIndexError) as caught:
        data.build_inputs(analysis)
    return str(caught.value)


def test_areas_with_different_period_lengths_are_refused_as_such(site_a):
    """Monthly treatment, quarterly comparison: each series has one length, but they cannot be
    compared period by period. The refusal must say so (it blamed missing months)."""
    rows = series_rows("nonfatal_shootings", "Month T", "treatment", [31.0] * 24)
    for q in range(8):
        first = dt.date(2020 + q // 4, 3 * (q % 4) + 1, 1)
        last = (pd.Timestamp(first) + pd.offsets.QuarterEnd(0)).date()
        rows.append(f'nonfatal_shootings,"Quarter C",comparison,{first},{last},90,,,,')
    message = did_refusal(site_a, rows, "Month T", "Quarter C", dt.date(2021, 1, 1))
    assert "Month T" in message and "Quarter C" in message
    assert "monthly" in message and "quarterly" in message
    assert "no data for" not in message


def test_weekly_areas_whose_weeks_start_on_different_days_are_refused(site_a):
    """Weeks from Monday in one area and from Sunday in another would be paired with a week
    six days apart; refuse rather than shift one area silently."""
    rows = []
    for w in range(30):
        monday = dt.date(2024, 1, 1) + dt.timedelta(weeks=w)
        sunday = monday - dt.timedelta(days=1)
        rows.append(
            f'nonfatal_shootings,"Week T",treatment,{monday},{monday + dt.timedelta(days=6)},'
            f"{5 + w % 3},,,,"
        )
        rows.append(
            f'nonfatal_shootings,"Week C",comparison,{sunday},{sunday + dt.timedelta(days=6)},'
            f"{6 + w % 4},,,,"
        )
    message = did_refusal(site_a, rows, "Week T", "Week C", dt.date(2024, 3, 4))
    assert "Week T" in message and "Week C" in message
    assert "Monday" in message and "Sunday" in message


@pytest.mark.parametrize("design", ["its", "pre_post"])
def test_weekly_finding_counts_weeks_not_months(site_a, bja_user, design):
    """A weekly series' finding must not call its 15 weeks "15 months"."""
    from evaluations.analyses.presentation import finding_for
    from evaluations.analyses.services import analysis_create, analysis_run

    rows = []
    start = dt.date(2024, 1, 1)  # a Monday
    rng = np.random.default_rng(5)
    for w in range(30):
        first = start + dt.timedelta(weeks=w)
        value = rng.normal(20, 2)
        rows.append(
            f'median_days_arrest_to_disposition,"Week T",treatment,{first},'
            f"{first + dt.timedelta(days=6)},{value:.2f},,,,"
        )
    upload_rows(site_a, rows)
    analysis = analysis_create(
        user=bja_user,
        site=site_a,
        design=design,
        metric="median_days_arrest_to_disposition",
        treatment_area="Week T",
        comparison_areas=[],
        intervention_date=dt.date(2024, 4, 15),  # week 16
    )
    analysis_run(analysis=analysis)
    analysis.refresh_from_db()
    text = finding_for(analysis, analysis.current_result)
    assert "15 weeks" in text and "months" not in text, text


def test_periods_left_out_are_noted_once_naming_every_area_that_has_them():
    """The note used to be repeated once per area."""
    import pandas as pd

    from evaluations.analyses.data import _align_areas

    full = pd.period_range("2021-01", periods=14, freq="M")
    short = full[2:]
    frame = lambda index: pd.DataFrame({"value": 1.0}, index=index)  # noqa: E731
    common, notes = _align_areas(
        {"Zone 3": frame(full), "Zone 1": frame(full), "Zone 2": frame(short)}
    )
    assert list(common) == list(short)
    assert notes == [
        "2021-01, 2021-02 were left out because not every chosen area has data then "
        "(Zone 3 and Zone 1 do)."
    ]
