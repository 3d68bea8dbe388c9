"""Seasonality options checked when an analysis is saved, and weekly and quarterly series
end to end through ``POST /api/v1/analyses/``: the words on the result page and in lists
name the series' own periods."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from django.test import Client

from evaluations.analyses import presentation
from evaluations.models import Analysis, AnalysisResult
from evaluations.stats.errors import SingularDesignError
from evaluations.stats.its import check_seasonal_design
from portal.api_auth import api_token_create
from tests.evaluations.analyses_backend_helpers import upload_rows, upload_standard

QUARTERS = [("01-01", "03-31"), ("04-01", "06-30"), ("07-01", "09-30"), ("10-01", "12-31")]


def bearer(user) -> dict:
    _, plaintext = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def post(user, **fields):
    body = {
        "site": "site-a",
        "design": "its",
        "metric": "nonfatal_shootings",
        "treatment_area": "Zone 3",
        "comparison_areas": [],
        "intervention_date": "2022-01-01",
        "options": {},
    } | fields
    return Client().post("/api/v1/analyses/", body, content_type="application/json", **bearer(user))


# --- The one window month indicators cannot take -------------------------------------------


def _month_dummy_design(pidx: pd.PeriodIndex, t0: int) -> np.ndarray:
    """The segmented regression with month indicators, built independently of the portal:
    pandas dummies for the calendar month, January dropped."""
    n = len(pidx)
    time = np.arange(n, dtype=float)
    post = (time >= t0).astype(float)
    months = pd.get_dummies(pd.Categorical(pidx.month, categories=range(1, 13)), drop_first=True)
    return np.column_stack([np.ones(n), time, post, (time - t0) * post, months.to_numpy(float)])


@pytest.mark.parametrize("start", ["2021-01", "2021-07"])
def test_month_indicators_are_refused_exactly_when_the_design_is_rank_deficient(start):
    """Refused with the reason when, and only when, the regression cannot be estimated: for
    month indicators that is exactly one year on each side of the start, whatever month the
    series starts in (12 + 13 or 13 + 12 is fine)."""
    for t0, n_post in [(12, 12), (12, 13), (13, 12), (24, 12), (12, 24), (18, 18)]:
        pidx = pd.period_range(start, periods=t0 + n_post, freq="M")
        design = _month_dummy_design(pidx, t0)
        deficient = np.linalg.matrix_rank(design) < design.shape[1]
        assert deficient == ((t0, n_post) == (12, 12))
        if deficient:
            with pytest.raises(SingularDesignError) as caught:
                check_seasonal_design(pidx, t0, "month")
            message = str(caught.value)
            assert "12 periods before and 12 after" in message
            assert "exactly once on each side" in message and "Widen the window" in message
        else:
            check_seasonal_design(pidx, t0, "month")


def test_quarter_indicators_on_four_and_four_quarters_are_refused_but_fourier_one_pair_runs():
    pidx = pd.period_range("2021Q1", periods=8, freq="Q")
    with pytest.raises(SingularDesignError, match="fewer than 2 harmonic pairs"):
        check_seasonal_design(pidx, 4, "quarter")
    check_seasonal_design(pidx, 4, "fourier", harmonics=1)


# --- Checked on save, in plain words --------------------------------------------------------


@pytest.mark.django_db
def test_quarter_seasonality_on_monthly_data_is_refused_on_save(site_a, research_user):
    """Used to be saved, then fail when it ran with pandas' own frequency code ('M')."""
    upload_standard(site_a)
    response = post(research_user, options={"seasonality": "quarter"})
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert "needs a quarterly series; this series is monthly" in detail
    assert "'M'" not in detail and "freq" not in detail
    assert not Analysis.objects.exists()


@pytest.mark.django_db
def test_month_seasonality_on_one_year_each_side_is_refused_on_save(site_a, research_user):
    upload_standard(site_a)
    response = post(
        research_user,
        pre_start="2021-01-01",
        post_end="2022-12-31",
        options={"seasonality": "month"},
    )
    assert response.status_code == 400, response.content
    assert "12 periods before and 12 after" in response.json()["detail"]
    assert not Analysis.objects.exists()
    # One more month before the start and the same request runs.
    response = post(
        research_user,
        pre_start="2020-12-01",
        post_end="2022-12-31",
        options={"seasonality": "month"},
    )
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_pre_post_month_seasonality_on_weekly_data_is_refused_on_save(site_a, research_user):
    _upload_weekly(site_a)
    response = post(
        research_user,
        design="pre_post",
        treatment_area="Weekly zone",
        intervention_date="2023-02-27",
        options={"seasonality": "month"},
    )
    assert response.status_code == 400, response.content
    assert "this series is weekly" in response.json()["detail"]


# --- Weekly and quarterly series end to end -------------------------------------------------


def _upload_weekly(site) -> None:
    monday = dt.date(2022, 1, 3)
    rng = np.random.default_rng(4)
    rows = []
    for i in range(120):
        value = int(rng.poisson(20 + 6 * np.sin(2 * np.pi * i / 52)))
        first = monday + dt.timedelta(weeks=i)
        rows.append(
            f"nonfatal_shootings,Weekly zone,treatment,{first},{first + dt.timedelta(days=6)},"
            f"{value},,,,"
        )
    upload_rows(site, rows, name="weekly.csv")


def _upload_quarterly(site) -> None:
    rng = np.random.default_rng(5)
    rows = [
        f"nonfatal_shootings,Quarterly zone,treatment,{year}-{a},{year}-{b},"
        f"{int(rng.poisson(90 + 15 * (q == 2)))},,,,"
        for year in (2020, 2021, 2022, 2023)
        for q, (a, b) in enumerate(QUARTERS)
    ]
    upload_rows(site, rows, name="quarterly.csv")


def _run(user, django_capture_on_commit_callbacks, **fields) -> Analysis:
    with django_capture_on_commit_callbacks(execute=True):
        response = post(user, **fields)
    assert response.status_code == 201, response.content
    analysis = Analysis.objects.get(pk=response.json()["id"])
    assert analysis.current_result.status == Analysis.Status.SUCCEEDED, (
        analysis.current_result.error
    )
    return analysis


def _page(analysis: Analysis) -> presentation.ResultPage:
    return presentation.result_page(analysis, analysis.current_result, suppress=False)


@pytest.mark.django_db
def test_weekly_fourier_seasonality_runs_through_the_api(
    site_a, research_user, django_capture_on_commit_callbacks
):
    _upload_weekly(site_a)
    analysis = _run(
        research_user,
        django_capture_on_commit_callbacks,
        treatment_area="Weekly zone",
        intervention_date="2023-02-27",  # week 60
        options={"seasonality": "fourier", "harmonics": 2},
    )
    result = analysis.current_result.result
    assert result["n_pre"] == 60 and result["n_post"] == 60
    assert "2 Fourier harmonic pair(s) of the 52-period year" in result["method"]
    labels = [row.label for row in _page(analysis).estimates]
    assert "Slope change per week (treatment area)" in labels
    assert not any("per month" in label for label in labels)
    assert "60 weeks" in _page(analysis).finding


@pytest.mark.django_db
@pytest.mark.parametrize("design", ["its", "pre_post"])
def test_quarterly_quarter_seasonality_runs_through_the_api(
    site_a, research_user, django_capture_on_commit_callbacks, design
):
    _upload_quarterly(site_a)
    analysis = _run(
        research_user,
        django_capture_on_commit_callbacks,
        design=design,
        treatment_area="Quarterly zone",
        options={"seasonality": "quarter"},
    )
    stored = analysis.current_result
    assert "3 quarter-of-year indicators" in stored.result["method"]
    page = _page(analysis)
    assert "8 quarters" in page.finding
    if design == "its":
        labels = [row.label for row in page.estimates]
        assert "Slope change per quarter (treatment area)" in labels
    # A list reads the run without its rows: eight quarters are 24 months, never "8 months".
    assert (stored.months_before, stored.months_after) == (24, 24)
    listed = AnalysisResult.objects.defer("data").get(pk=stored.pk)
    sentence = presentation.finding_for(analysis, listed)
    assert "8 months" not in sentence
    assert "8 quarters" in sentence or "24 months" in sentence


def test_months_around_start_counts_the_months_each_period_covers():
    rows = [
        {"period_start": f"{year}-{a}", "group": "treatment"}
        for year in (2021, 2022)
        for a, _ in QUARTERS
    ]
    assert presentation.months_around_start(dt.date(2022, 1, 1), rows) == (12, 12)
    weeks = [
        {
            "period_start": (dt.date(2022, 1, 3) + dt.timedelta(weeks=i)).isoformat(),
            "group": "treatment",
        }
        for i in range(9)
    ]
    # Weeks fall in the month they start in: January (5 Mondays), then February.
    assert presentation.months_around_start(dt.date(2022, 2, 7), weeks) == (1, 1)


# --- A comparative ITS quotes the right benchmark for each row ------------------------------


@pytest.mark.django_db
def test_comparative_its_methods_quote_the_single_series_figure_for_its_own_rows(
    site_a, research_user, django_capture_on_commit_callbacks
):
    from evaluations.stats.calibration import LOWEST

    upload_standard(site_a)
    analysis = _run(
        research_user,
        django_capture_on_commit_callbacks,
        design="its_with_comparison",
        comparison_areas=["Zone 1", "Zone 2"],
    )
    notes = " ".join(_page(analysis).methods.notes)
    comparative = LOWEST["its_with_comparison"]["count"][24]
    own = LOWEST["its"]["count"][24]
    assert (
        f"the 95% intervals of the treatment-minus-comparison changes covered the truth in "
        f"{100 * comparative:.0f}%"
    ) in notes
    assert f"covering the truth in {100 * own:.0f}% or more" in notes
    if own < 0.93:
        assert "read those rows as approximate" in notes


@pytest.mark.django_db
@pytest.mark.parametrize("frequency", ["weekly", "quarterly"])
def test_its_chart_has_one_row_per_period_with_its_own_observed_value(
    site_a, research_user, django_capture_on_commit_callbacks, frequency
):
    """The chart table used to key every period by its month: weeks were summed into months
    beside one week's fitted value, and quarters ('2022Q1') matched no observed value."""
    if frequency == "weekly":
        _upload_weekly(site_a)
        fields = {"treatment_area": "Weekly zone", "intervention_date": "2023-02-27"}
        periods, heading, start = 120, "Week starting", "2023-02-27"
    else:
        _upload_quarterly(site_a)
        fields = {"treatment_area": "Quarterly zone"}
        periods, heading, start = 16, "Quarter starting", "2022-01"
    analysis = _run(research_user, django_capture_on_commit_callbacks, **fields)
    chart = _page(analysis).charts[0]
    assert len(chart.rows) == periods
    assert chart.columns[0] == ("month", heading)
    stored = {
        r["period_start"]: r["value"]
        for r in analysis.current_result.data
        if r["group"] == "treatment"
    }
    observed = [row["treatment"] for row in chart.rows]
    assert observed == [stored[key] for key in sorted(stored)]
    assert all(row["fitted"] is not None for row in chart.rows)
    rule = chart.spec["layer"][-1]["data"]["values"][0]
    assert rule["month"] == start


@pytest.mark.django_db
def test_weekly_did_counts_weeks_and_labels_its_tables_by_week(
    site_a, research_user, django_capture_on_commit_callbacks
):
    """A difference-in-differences result has no period counts of its own: its finding used
    to count the months the weeks fell in ("8 months" for 31 weeks)."""
    monday = dt.date(2022, 1, 3)
    rng = np.random.default_rng(8)
    rows = []
    for area, group in (("Weekly zone", "treatment"), ("Weekly comparison", "comparison")):
        for i in range(60):
            first = monday + dt.timedelta(weeks=i)
            rows.append(
                f"nonfatal_shootings,{area},{group},{first},{first + dt.timedelta(days=6)},"
                f"{int(rng.poisson(25))},,,,"
            )
    upload_rows(site_a, rows, name="weekly-did.csv")
    analysis = _run(
        research_user,
        django_capture_on_commit_callbacks,
        design="did",
        treatment_area="Weekly zone",
        comparison_areas=["Weekly comparison"],
        intervention_date="2022-07-25",  # 29 weeks before, 31 from it on
    )
    page = _page(analysis)
    assert "in the 31 weeks after" in page.finding and "months" not in page.finding
    assert page.period_adjective == "weekly"
    assert [c.title for c in page.charts][1].startswith("Weekly rate before and after")
    html = Client().get(analysis.get_absolute_url()).content.decode()
    if "Weekly values used by the analysis" not in html:
        # unpublished: read it as a signed-in research partner instead
        client = Client()
        client.force_login(research_user)
        html = client.get(analysis.get_absolute_url()).content.decode()
    assert "Weekly values used by the analysis" in html and "Week starting" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "status"),
    [
        ({}, 400),  # auto picks 3 quarter indicators: 7 terms need 10 periods, 9 given
        ({"seasonality": "quarter"}, 400),
        ({"seasonality": "none"}, 201),  # 4 terms need 7
    ],
)
def test_quarterly_its_too_short_for_its_seasonal_terms_is_refused_on_save(
    site_a, research_user, options, status
):
    """Nine quarters (2020Q1-2022Q1): the run's AR(1) fit needs terms + 3 periods, seasonal
    terms included, so save refuses what the run would refuse, naming the seasonal terms."""
    _upload_quarterly(site_a)
    response = post(
        research_user,
        treatment_area="Quarterly zone",
        intervention_date="2021-01-01",
        pre_start="2020-01-01",
        post_end="2022-03-31",
        options=options,
    )
    assert response.status_code == status, response.content
    if status == 400:
        detail = response.json()["detail"]
        assert "needs at least 10 periods" in detail and "this window has 9" in detail
        assert "3 seasonal terms" in detail and "seasonality 'none'" in detail


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("design", "months", "treated", "comparison", "start", "needed", "kept"),
    [
        ("did", 10, [0, 0, 1, 0, 0, 0, 2, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
         "2021-06-01", 6, 4),
        ("its_with_comparison", 12, [0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 1],
         [0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], "2021-07-01", 7, 5),
    ],
)  # fmt: skip
def test_sparse_counts_are_refused_on_save_by_the_months_with_events(
    site_a, research_user, design, months, treated, comparison, start, needed, kept
):
    """The comparison models of counts use the treated share of each month's events, so a
    month without an event in any area is left out: save counts the months with events, as
    the run does, instead of queueing a run that can only fail."""
    rows = []
    for area, group, values in (
        ("Sparse T", "treatment", treated),
        ("Sparse C", "comparison", comparison),
    ):
        for i, value in enumerate(values):
            first = pd.Period("2021-01", "M") + i
            rows.append(
                f"nonfatal_shootings,{area},{group},{first.start_time:%Y-%m-%d},"
                f"{first.end_time:%Y-%m-%d},{value},,,,"
            )
    assert len(rows) == 2 * months
    upload_rows(site_a, rows, name="sparse.csv")
    response = post(
        research_user,
        design=design,
        treatment_area="Sparse T",
        comparison_areas=["Sparse C"],
        intervention_date=start,
    )
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert f"needs at least {needed} periods" in detail
    assert f"this window has {kept} with at least one event" in detail
