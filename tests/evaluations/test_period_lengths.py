"""Periods that are neither 7-day weeks nor whole calendar months, quarters or years (28-day
CompStat periods, fortnights) used to be read as months: two periods starting in one month
were summed, and noise became "rose 238%, Improved". The upload warns; analyses refuse."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from django.test import Client

from evaluations.models import Analysis
from evaluations.periods import calendar_lengths
from portal.api_auth import api_token_create
from tests.evaluations.analyses_backend_helpers import upload_rows

pytestmark = pytest.mark.django_db


def _rows(days: int, count: int) -> list[str]:
    first = dt.date(2023, 1, 2)
    rng = np.random.default_rng(3)
    rows = []
    for i in range(count):
        start = first + dt.timedelta(days=days * i)
        end = start + dt.timedelta(days=days - 1)
        rows.append(f"cases_diverted,P{days},treatment,{start},{end},{rng.integers(40, 61)},,,,")
    return rows


def _mid_month_rows(count: int) -> list[str]:
    """Months from the 15th to the 14th: a month long, but straddling the 1st."""
    rng = np.random.default_rng(4)
    rows = []
    for i in range(count):
        start = (pd.Timestamp("2022-01-15") + pd.DateOffset(months=i)).date()
        end = (pd.Timestamp(start) + pd.DateOffset(months=1) - pd.Timedelta(days=1)).date()
        rows.append(f"cases_diverted,P15,treatment,{start},{end},{rng.integers(40, 61)},,,,")
    return rows


@pytest.mark.parametrize(
    ("days", "date"),
    [
        (28, "2024-01-01"),
        (28, "2023-12-04"),  # a period start of the 28-day series (2023-01-02 + 13 x 28 days)
        (14, "2024-01-01"),
        (15, "2023-01-01"),
        (15, "2023-01-15"),  # a period start of the mid-month series
    ],
)
def test_non_calendar_periods_are_warned_on_upload_and_refused_by_analyses(
    site_a, research_user, days, date
):
    """Refused for the period length in plain words, whether or not the start date is one
    of the series' own period starts (it used to be refused for the date instead, with a
    suggestion of the very date it refused)."""
    rows = _mid_month_rows(30) if days == 15 else _rows(days, 26 if days == 28 else 52)
    outcome = upload_rows(site_a, rows, name="p.csv")
    warnings = [w for w in outcome.report["warnings"] if "calendar months" in w["message"]]
    assert len(warnings) == 1
    shown = "28, 29, 30" if days == 15 else str(days)
    assert f"periods of {shown} day(s)" in warnings[0]["message"]
    assert "re-aggregate" in warnings[0]["fix"].lower()

    _, token = api_token_create(user=research_user, name="t")
    response = Client().post(
        "/api/v1/analyses/",
        {
            "site": "site-a",
            "design": "its",
            "metric": "cases_diverted",
            "treatment_area": f"P{days}",
            "comparison_areas": [],
            "intervention_date": date,
            "options": {},
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert f"P{days} series has" in detail and "day(s) long" in detail
    assert "not weeks, calendar months, quarters or years" in detail
    assert not Analysis.objects.exists()


def test_calendar_lengths_against_hand_checked_periods():
    cases = [
        ("2023-01-01", "2023-01-31", "M"),
        ("2023-02-01", "2023-02-28", "M"),
        ("2024-02-01", "2024-02-29", "M"),
        ("2023-01-15", "2023-02-14", None),  # a month from the 15th straddles the 1st
        ("2023-02-01", "2023-04-30", None),  # three months, not a calendar quarter
        ("2022-07-01", "2023-06-30", "Y"),  # a fiscal year
        ("2023-01-02", "2023-01-08", "W"),
        ("2023-04-01", "2023-06-30", "Q"),
        ("2023-01-01", "2023-12-31", "Y"),
        ("2023-01-02", "2023-01-29", None),  # 28 days
        ("2023-01-02", "2023-01-15", None),  # 14 days
        ("2023-01-02", "2023-01-02", None),  # a day
        ("2023-01-01", "2023-01-30", None),  # a month short by a day
    ]
    starts = pd.to_datetime(pd.Series([c[0] for c in cases]))
    ends = pd.to_datetime(pd.Series([c[1] for c in cases]))
    assert calendar_lengths(starts, ends).tolist() == [c[2] for c in cases]
