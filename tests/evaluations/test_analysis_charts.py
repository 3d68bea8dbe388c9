"""Chart specs are Vega-Lite v6 and draw exactly the rows of the table under them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from evaluations.analyses import charts, presentation
from tests.evaluations.analysis_helpers import INTERVENTION, compute, make_rows


def fake_analysis(design, unit_kind="count", suppress=False):
    metric = SimpleNamespace(
        name="Non-fatal shootings",
        unit_kind=unit_kind,
        desired_direction="decrease",
        suppress_small_counts=suppress,
    )
    return SimpleNamespace(
        pk=5,
        design=design,
        metric=metric,
        treatment_area="Zone 3",
        comparison_areas=["Zone 1", "Zone 2"],
        intervention_date=INTERVENTION,
        options={},
    )


@pytest.mark.parametrize(
    ("design", "kind"),
    [
        ("its", "count"),
        ("its_with_comparison", "continuous"),
        ("did", "count"),
        ("pre_post", "continuous"),
    ],
)
def test_every_chart_data_is_its_table(design, kind):
    rows = make_rows(design=design, kind=kind, effect=-0.3 if kind == "count" else -3.0)
    result = compute(design, kind, rows)
    analysis = fake_analysis(design, "count" if kind == "count" else "days")
    tables = presentation.chart_tables(analysis, result, rows, suppress=False)
    assert tables
    for table in tables:
        assert table.spec["$schema"].endswith("/v6.json")
        assert table.spec["data"]["values"] is table.rows
        assert table.spec["description"] == table.description
        keys = [k for k, _h in table.columns]
        assert all(list(row) == keys for row in table.rows)
        assert table.cells == [[row[k] for k in keys] for row in table.rows]


def test_its_series_has_fitted_counterfactual_and_rule():
    rows = make_rows(design="its", kind="count")
    result = compute("its", "count", rows)
    table = presentation.chart_tables(fake_analysis("its"), result, rows, suppress=False)[0]
    assert [r["fitted"] for r in table.rows] == [round(v, 4) for v in result["fitted"]["values"]]
    assert [r["counterfactual"] for r in table.rows] == [
        round(v, 4) for v in result["counterfactual"]["values"]
    ]
    observed = sum(r["value"] for r in rows if r["period_start"].startswith("2020-01"))
    assert table.rows[0]["treatment"] == observed
    rules = [layer for layer in table.spec["layer"] if layer["mark"]["type"] == "rule"]
    assert len(rules) == 1
    assert rules[0]["data"]["values"] == [{"month": "2022-01", "label": "Start"}]


def test_did_means_table_is_the_2x2():
    rows = make_rows(design="did", kind="count")
    result = compute("did", "count", rows)
    tables = presentation.chart_tables(fake_analysis("did"), result, rows, suppress=False)
    means = tables[1]
    assert means.rows[0]["before"] == pytest.approx(result["means"]["treated"]["pre"], abs=1e-4)
    assert means.rows[1]["after"] == pytest.approx(result["means"]["comparison"]["post"], abs=1e-4)
    series = tables[0]
    assert {"treatment", "comparison"} <= set(series.rows[0])


def test_suppressed_values_reach_chart_and_table_alike():
    rows = make_rows(design="its", kind="count", base=3.0)
    result = compute("its", "count", rows)
    table = presentation.chart_tables(
        fake_analysis("its", suppress=True), result, rows, suppress=True
    )[0]
    assert any(r["treatment"] == "<10" for r in table.rows)
    assert table.spec["data"]["values"] is table.rows


def test_forest_chart_log_scale_for_ratios():
    rows = [
        {
            "label": "A",
            "estimate": 0.8,
            "ci_low": 0.6,
            "ci_high": 1.0,
            "weight": 50.0,
            "pooled": False,
        },
        {
            "label": "Pooled",
            "estimate": 0.85,
            "ci_low": 0.7,
            "ci_high": 1.0,
            "weight": 100.0,
            "pooled": True,
        },
    ]
    table = charts.forest_chart(
        slug="x", title="t", description="d", rows=rows, scale_label="Rate ratio", null_value=1.0
    )
    assert table.spec["layer"][0]["encoding"]["x"]["scale"] == {"type": "log"}
    assert table.spec["layer"][2]["data"]["values"] == [{"reference": 1.0}]
    assert table.spec["data"]["values"] == rows
