"""Exports: formula escaping, CSV/XLSX, public suppression (primary and complementary)."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from evaluations.exports import cell_escape, observations_export, upload_template
from evaluations.models import OutcomeObservation
from evaluations.selectors import observations_dataframe, suppress_small_counts
from evaluations.services import observations_publish
from tests.evaluations.helpers import csv_bytes, month_rows, upload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", ['=HYPERLINK("x")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rx"])
def test_cell_escape_neutralises_formulas(text):
    assert cell_escape(text) == "'" + text
    assert cell_escape("Zone 3") == "Zone 3"
    assert cell_escape(12.0) == 12.0


def test_csv_and_xlsx_exports_escape_cells(site_a, bja_user):
    rows = ['homicides,"=cmd|\' /C calc\'!A0",treatment,2023-01-01,2023-01-31,3,,"@SUM(1)",,']
    upload(site_a, csv_bytes(*rows), bja_user)
    queryset = OutcomeObservation.objects.all()
    exported = observations_export(queryset, file_format="csv", public=False)
    parsed = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert parsed[0]["area"].startswith("'=")
    assert parsed[0]["notes"] == "'@SUM(1)"
    assert parsed[0]["site"] == "site-a" and parsed[0]["metric"] == "homicides"
    xlsx = observations_export(queryset, file_format="xlsx", public=False)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert all(not (isinstance(c, str) and c.startswith(("=", "@"))) for c in cells)


def test_public_export_suppresses_small_counts(site_a, bja_user):
    upload(site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [0, 3, 12])), bja_user)
    upload(site_a, csv_bytes(*month_rows("cases_filed", "A", "treatment", [3])), bja_user)
    observations_publish(site=site_a, user=bja_user)
    exported = observations_export(
        OutcomeObservation.objects.order_by("metric__code", "period_start"),
        file_format="csv",
        public=True,
    )
    values = [
        (r["metric"], r["value"]) for r in csv.DictReader(io.StringIO(exported.content.decode()))
    ]
    assert ("homicides", "<10") in values
    assert ("homicides", "0") in values and ("homicides", "12") in values
    assert ("cases_filed", "3") in values  # not a suppressible metric


def frame(rows):
    base = {
        "site": "s",
        "metric": "m",
        "area": "A",
        "group": "treatment",
        "period_start": "2023-01-01",
        "period_end": "2023-01-31",
        "suppressible": True,
    }
    return pd.DataFrame([{**base, **r} for r in rows])


def test_complementary_suppression_hides_a_second_category():
    data = frame(
        [
            {"dimension": "", "category": "", "value": 40},
            {"dimension": "race", "category": "A", "value": 4},
            {"dimension": "race", "category": "B", "value": 15},
            {"dimension": "race", "category": "C", "value": 21},
        ]
    )
    shown = suppress_small_counts(data, threshold=10)
    assert list(shown["display_value"]) == ["40", "<10", "<10", "21"]
    # with two suppressed cells already, nothing more needs hiding
    data.loc[2, "value"] = 5
    data.loc[3, "value"] = 31
    shown = suppress_small_counts(data, threshold=10)
    assert list(shown["display_value"]) == ["40", "<10", "<10", "31"]


def test_complementary_suppression_hides_total_when_no_other_category():
    data = frame(
        [
            {"dimension": "", "category": "", "value": 6},
            {"dimension": "sex", "category": "F", "value": 6},
            {"dimension": "sex", "category": "M", "value": 0},
        ]
    )
    shown = suppress_small_counts(data, threshold=10)
    assert list(shown["display_value"]) == ["<10", "<10", "0"]
    data.loc[0, "value"] = 16
    data.loc[2, "value"] = 0
    data.loc[1, "value"] = 6
    data = pd.concat([data, frame([{"dimension": "sex", "category": "X", "value": 10}])])
    data = data.reset_index(drop=True)
    shown = suppress_small_counts(data, threshold=10)
    assert shown["suppressed"].sum() == 2 and shown.loc[0, "display_value"] == "16"


def test_suppression_uses_the_setting(settings, site_a, bja_user):
    settings.PORTAL_SMALL_COUNT_THRESHOLD = 5
    upload(site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [4, 6])), bja_user)
    shown = suppress_small_counts(
        observations_dataframe(OutcomeObservation.objects.order_by("period_start"))
    )
    assert list(shown["display_value"]) == ["<5", "6"]


def test_templates_csv_and_xlsx_with_metric_sheet():
    text = upload_template("csv").content.decode()
    assert text.splitlines()[0].startswith("site,metric,area,group,period_start,period_end,value")
    workbook = load_workbook(io.BytesIO(upload_template("xlsx").content))
    assert workbook.sheetnames == ["outcomes", "metric codes"]
    codes = [row[0] for row in workbook["metric codes"].iter_rows(min_row=2, values_only=True)]
    assert "nonfatal_shootings" in codes and len(codes) >= 20


def test_values_stored_before_uploads_refused_them_do_not_break_exports_or_the_api(
    client, site_a, bja_user
):
    """A NUL in a note and an infinite value, as older uploads could store them."""
    from portal.api_auth import api_token_create

    upload(site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1, 2])), bja_user)
    first, second = OutcomeObservation.objects.order_by("period_start")
    from django.db import connection

    # PostgreSQL cannot store a NUL at all; SQLite could, before uploads refused it.
    nul = "\x00" if connection.vendor == "sqlite" else ""
    OutcomeObservation.objects.filter(pk=first.pk).update(notes=f"see{nul}memo")
    OutcomeObservation.objects.filter(pk=second.pk).update(value=float("inf"))
    queryset = OutcomeObservation.objects.order_by("period_start")
    xlsx = observations_export(queryset, file_format="xlsx", public=False)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert "seememo" in [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    _, token = api_token_create(user=bja_user, name="t")
    response = client.get("/api/v1/outcomes/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert [item["value"] for item in response.json()["items"]] == [1.0, None]
