"""Every validation rule, through the real reader and the seeded catalogue."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from evaluations.models import OutcomeObservation
from evaluations.services import upload_plan
from tests.evaluations.helpers import FIXTURES, HEADER, csv_bytes, month_rows

pytestmark = pytest.mark.django_db


def plan(site, data: bytes, name: str = "f.csv"):
    return upload_plan(site=site, stream=io.BytesIO(data), file_name=name)


def problems(result, level="error"):
    items = result.result.errors if level == "error" else result.result.warnings
    return [(p.row, p.column, p.message) for p in items]


def test_seeded_catalogue_has_the_issue_metrics():
    from evaluations.models import OutcomeMetric

    codes = set(OutcomeMetric.objects.values_list("code", flat=True))
    assert len(codes) >= 20
    for code in (
        "homicides",
        "nonfatal_shootings",
        "dismissals_witness_nonappearance",
        "days_violation_to_hearing",
        "victim_contacts_within_7_days",
        "violent_felony_conviction_rate",
        "attorney_caseload",
    ):
        assert code in codes


def test_clean_fixture_is_valid(site_a):
    result = plan(site_a, (FIXTURES / "outcomes_clean.csv").read_bytes())
    assert result.ok, result.result.errors
    assert len(result.new) == 28
    assert result.report["counts"]["new"] == 28


def test_messy_fixture_reports_every_problem_in_one_pass(site_a):
    data = (FIXTURES / "outcomes_messy.csv").read_bytes().replace(b"harlow-county-mo", b"site-a")
    result = plan(site_a, data)
    errors = {(row, column) for row, column, _ in problems(result)}
    assert errors == {
        (5, "metric"),  # nonfatal_shooting → suggestion
        (6, "group"),
        (7, "period_end"),
        (8, "value"),  # negative count
        (9, "value"),  # n/a
        (12, "period_start"),  # duplicate of row 2
        (13, "period_end"),  # 2024-08-32
    }
    by_row = {p.row: p for p in result.result.errors}
    assert 'Did you mean "nonfatal_shootings"' in by_row[5].fix
    assert 'Did you mean "treatment"' in by_row[6].fix
    assert "row 2" in by_row[12].message
    assert by_row[9].value == "n/a"
    # the totals row is reported and skipped; blank lines are skipped silently
    assert (14, "metric") in {(p.row, p.column) for p in result.result.warnings}
    assert result.result.rows_skipped == 1
    assert result.result.blank_rows >= 1
    # BOM, semicolons, M/D/YYYY, "1,204" and "45%" were all read
    values = dict(zip(result.result.frame["row"], result.result.frame["value"], strict=True))
    assert values[10] == 1204
    assert values[11] == pytest.approx(0.45)
    assert result.result.frame.loc[result.result.frame["row"] == 2, "period_start"].iloc[
        0
    ].date() == dt.date(2024, 1, 1)


def test_unknown_and_missing_columns(site_a):
    data = csv_bytes(
        "homicides,A,treatment,2023-01-01,2023-01-31,1",
        header="metric,area,grup,period_start,period_end,valeu",
    )
    result = plan(site_a, data)
    messages = problems(result)
    assert (1, "grup", 'Unknown column "grup".') in messages
    assert any(c == "group" and "missing" in m for _, c, m in messages)
    assert any(c == "value" and "missing" in m for _, c, m in messages)
    fixes = [p.fix for p in result.result.errors if p.column == "valeu"]
    assert 'Rename it to "value"' in fixes[0]


@pytest.mark.parametrize(
    "column", ["Defendant Name", "DOB", "SSN", "Street Address", "case_number", "Docket"]
)
def test_personal_data_columns_are_refused(site_a, column):
    data = csv_bytes(*month_rows("homicides", "A", "treatment", [1]), header=HEADER + f",{column}")
    data = data.replace(b",,,,\n", b",,,,,x\n")
    result = plan(site_a, data)
    assert not result.ok
    refused = [p for p in result.result.errors if p.column == column]
    assert refused and "aggregate" in refused[0].message


def test_unknown_site_with_suggestion_and_other_site(site_a, site_b):
    header = "site," + HEADER
    rows = [
        "site-aa," + month_rows("homicides", "A", "treatment", [1])[0],
        "site-b," + month_rows("homicides", "A", "treatment", [1, 2])[1],
        "," + month_rows("homicides", "A", "treatment", [1, 2, 3])[2],
    ]
    result = plan(site_a, csv_bytes(*rows, header=header))
    by_row = {p.row: p for p in result.result.errors}
    assert set(by_row) == {2, 3}
    assert 'Did you mean "site-a"' in by_row[2].fix
    assert "This upload is for" in by_row[3].message


def test_number_rules(site_a):
    rows = [
        "homicides,A,treatment,2023-01-01,2023-01-31,2.5,,,,",  # count not whole
        "violent_felony_conviction_rate,A,treatment,2023-01-01,2023-01-31,1.4,,,,",
        "violent_felony_conviction_rate,A,treatment,2023-02-01,2023-02-28,45%,,,,",
        "median_days_arrest_to_disposition,A,treatment,2023-01-01,2023-01-31,-1,,,,",
        "homicides,A,treatment,2023-02-01,2023-02-28,3%,,,,",
        "homicides,A,treatment,2023-03-01,2023-03-31,,,,,",
        "cases_filed,A,treatment,2023-01-01,2023-01-31,10,abc,,,",
        "cases_filed,A,treatment,2023-02-01,2023-02-28,10,,,severity,",
    ]
    result = plan(site_a, csv_bytes(*rows))
    by_row = {(p.row, p.column): p.message for p in result.result.errors}
    assert "whole number" in by_row[(2, "value")]
    assert "between 0 and 1" in by_row[(3, "value")]
    assert (4, "value") not in by_row  # 45% of a proportion is 0.45
    assert "negative" in by_row[(5, "value")]
    assert "percentages" in by_row[(6, "value")]
    assert "empty" in by_row[(7, "value")]
    assert "not a number" in by_row[(8, "denominator")]
    assert "without a category" in by_row[(9, "category")]


def test_dates_rules(site_a):
    rows = [
        "homicides,A,treatment,2023-13-01,2023-01-31,1,,,,",
        "homicides,A,treatment,,2023-01-31,1,,,,",
        "homicides,A,treatment,2023-03-31,2023-03-01,1,,,,",
        "homicides,A,treatment,4/1/2023,4/30/2023,1,,,,",
    ]
    result = plan(site_a, csv_bytes(*rows))
    assert {(p.row, p.column) for p in result.result.errors} == {
        (2, "period_start"),
        (3, "period_start"),
        (4, "period_end"),
    }


def test_warnings_outlier_overlap_gap_and_breakdown(site_a):
    values = [3, 4, 3, 5, 4, 40, 3, 4, 3, 4, 3, 4]
    rows = month_rows("homicides", "A", "treatment", values)
    del rows[8]  # September missing → gap
    rows.append("homicides,A,treatment,2023-12-15,2024-01-14,3,,,,")  # overlaps December
    rows += [
        "cases_filed,A,treatment,2023-01-01,2023-12-31,100,,,,",
        "cases_filed,A,treatment,2023-01-01,2023-12-31,60,,,severity,felony",
        "cases_filed,A,treatment,2023-01-01,2023-12-31,30,,,severity,misdemeanor",
    ]
    result = plan(site_a, csv_bytes(*rows))
    assert result.ok, result.result.errors
    messages = " | ".join(p.message for p in result.result.warnings)
    assert "more than 5× the median" in messages
    assert "overlaps" in messages
    assert "No data for 2023-09" in messages
    assert "add up to 90" in messages


def test_xlsx_with_real_date_cells(site_a):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Metric", "Area", "Group", "Period_Start", "Period_End", "Value"])
    sheet.append(["homicides", "A", "Treatment", dt.datetime(2023, 1, 1), dt.date(2023, 1, 31), 4])
    sheet.append([None, None, None, None, None, None])
    sheet.append(
        ["homicides", "A", "treatment", dt.datetime(2023, 2, 1), dt.datetime(2023, 2, 28), 5.0]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = plan(site_a, buffer.getvalue(), name="f.xlsx")
    assert result.ok, result.result.errors
    assert result.file_format == "xlsx"
    assert list(result.result.frame["row"]) == [2, 4]
    assert list(result.result.frame["value"]) == [4, 5]


def test_tab_delimited_and_cp1252(site_a):
    data = "metric\tarea\tgroup\tperiod_start\tperiod_end\tvalue\tnotes\n"
    data += "homicides\tCañon\ttreatment\t2023-01-01\t2023-01-31\t2\tcafé\n"
    result = plan(site_a, data.encode("cp1252"))
    assert result.ok, result.result.errors
    assert result.result.frame["area"].iloc[0] == "Cañon"


def test_validation_writes_nothing(site_a):
    plan(site_a, (FIXTURES / "outcomes_clean.csv").read_bytes())
    assert OutcomeObservation.objects.count() == 0


def test_100k_rows_validate_quickly(site_a):
    import time

    rows = []
    for area in range(100):
        for metric in ("homicides", "nonfatal_shootings", "gun_recoveries", "shots_fired_calls"):
            for year in range(2000, 2021):
                rows += month_rows(metric, f"Beat {area}", "treatment", [1] * 12, year=year)
    data = csv_bytes(*rows[:100_000])
    start = time.perf_counter()
    result = plan(site_a, data)
    elapsed = time.perf_counter() - start
    assert result.ok
    assert len(result.new) == 100_000
    assert elapsed < 20, elapsed


def test_a_series_mixing_months_and_quarters_is_warned_by_rows(site_a):
    rows = month_rows("homicides", "Mixed T", "treatment", [31] * 12)
    rows += [
        "homicides,Mixed T,treatment,2024-01-01,2024-03-31,83,,,,",
        "homicides,Mixed T,treatment,2024-04-01,2024-06-30,106,,,,",
    ]
    result = plan(site_a, csv_bytes(*rows))
    assert result.ok, result.result.errors
    mixed = [p for p in result.result.warnings if "mixes period lengths" in p.message]
    assert len(mixed) == 1
    assert mixed[0].row == 14 and "rows 14 and 15 are quarterly" in mixed[0].message
    assert "starts monthly" in mixed[0].message


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        # one row two years long
        (["2025-01-01,2026-12-31,83"], "row 14 is longer than a year"),
        # one day
        (["2025-01-01,2025-01-01,3"], "row 14 is shorter than a week"),
        # a quarter, then a fiscal year: each length is named
        (["2025-01-01,2025-03-31,83", "2025-04-01,2026-03-31,300"], "rows 14 and 15 are "
         "quarterly or yearly"),
    ],
)  # fmt: skip
def test_the_mixed_length_warning_names_every_length_it_found(site_a, extra, words):
    rows = month_rows("homicides", "Mixed T", "treatment", [31] * 12)
    rows += [f"homicides,Mixed T,treatment,{cells},,,," for cells in extra]
    result = plan(site_a, csv_bytes(*rows))
    mixed = [p for p in result.result.warnings if "mixes period lengths" in p.message]
    assert len(mixed) == 1 and words in mixed[0].message, mixed[0].message


def test_alternating_months_and_quarters_name_their_own_rows_and_true_gaps(site_a):
    rows = [
        "homicides,Alt X,treatment,2023-01-01,2023-01-31,5,,,,",  # row 2: a month
        "homicides,Alt X,treatment,2023-04-01,2023-06-30,15,,,,",  # row 3: a quarter
        "homicides,Alt X,treatment,2023-07-01,2023-07-31,5,,,,",  # row 4: a month
        "homicides,Alt X,treatment,2023-10-01,2023-12-31,15,,,,",  # row 5: a quarter
    ]
    result = plan(site_a, csv_bytes(*rows))
    messages = [p.message for p in result.result.warnings]
    mixed = [m for m in messages if "mixes period lengths" in m]
    assert len(mixed) == 1 and "rows 3 and 5 are quarterly" in mixed[0], mixed
    # February-March and August-September are missing; the quarters' months are not
    gaps = [m for m in messages if m.startswith("No data for")]
    assert gaps == [
        "No data for 2023-02 to 2023-03 in this series.",
        "No data for 2023-08 to 2023-09 in this series.",
    ], gaps


def test_gaps_are_the_months_no_row_covers_whatever_the_rows_lengths(site_a):
    # Z: months of 2020, the first quarter of 2021, then July to December 2021: April to June
    # 2021 are missing although the series has a quarter in it
    z = month_rows("homicides", "Z", "treatment", [5] * 12, year=2020)
    z.append("homicides,Z,treatment,2021-01-01,2021-03-31,15,,,,")
    z += month_rows("homicides", "Z", "treatment", [5] * 12, year=2021)[6:]
    # Y: months of 2020 with July and August as one two-month row: nothing is missing
    y = month_rows("homicides", "Y", "treatment", [5] * 12, year=2020)
    y = y[:6] + ["homicides,Y,treatment,2020-07-01,2020-08-31,10,,,,"] + y[8:]
    result = plan(site_a, csv_bytes(*z, *y))
    gaps = [p.message for p in result.result.warnings if p.message.startswith("No data for")]
    assert gaps == ["No data for 2021-04 to 2021-06 in this series."], gaps
