"""The Methods snippet must reproduce the stored estimate from the CSV the page serves."""

from __future__ import annotations

import csv
import math

import pytest

from evaluations.analyses.methods import CSV_COLUMNS, csv_filename, methods_for
from tests.evaluations.analysis_helpers import INTERVENTION, VERSIONS, compute, make_rows

CASES = [
    ("did", "count", {}, {}),
    ("did", "count", {}, {"exposure": True}),
    ("did", "continuous", {}, {"effect": -3.0}),
    ("did", "continuous", {"cov": "classical"}, {"effect": -3.0}),
    ("did", "count", {"cov": "HC1"}, {}),
    ("its", "continuous", {}, {"effect": -3.0}),
    ("its", "continuous", {"seasonality": "month", "impact": "level"}, {"effect": -3.0}),
    (
        "its",
        "continuous",
        {"hac_lags": 2, "seasonality": "month", "errors": "independent"},
        {"effect": -3.0},
    ),
    ("its", "count", {"errors": "independent", "seasonality": "none"}, {}),
    ("its", "count", {}, {}),
    ("pre_post", "count", {}, {}),
    ("pre_post", "count", {}, {"exposure": True}),
    ("pre_post", "continuous", {}, {"effect": 2.0}),
    ("pre_post", "count", {"errors": "exact"}, {"exposure": True}),
    ("its_with_comparison", "continuous", {}, {"effect": -3.0}),
    ("its_with_comparison", "count", {}, {}),
    ("its_with_comparison", "continuous", {"impact": "slope"}, {"effect": -3.0}),
    ("its_with_comparison", "count", {"impact": "slope"}, {}),
]


def write_csv(path, rows):
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row[k] is None else row[k]) for k in CSV_COLUMNS})


@pytest.mark.parametrize(("design", "kind", "options", "row_kwargs"), CASES)
def test_snippet_reproduces_estimate(tmp_path, monkeypatch, design, kind, options, row_kwargs):
    rows = make_rows(design=design, kind=kind, seed=7, **row_kwargs)
    result = compute(design, kind, rows, options)
    methods = methods_for(
        analysis_id=12,
        design=design,
        kind=kind,
        intervention=INTERVENTION,
        options=options,
        result=result,
        rows=rows,
        library_versions=VERSIONS,
        input_hash="f" * 64,
    )
    write_csv(tmp_path / csv_filename(12), rows)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(methods.snippet, "snippet", "exec"), namespace)  # noqa: S102 - the point
    expected = result
    if design == "its_with_comparison":
        # The finding's estimate: the level change difference, or the slope change
        # difference when the impact model has no level change.
        expected = result["level_change_difference"] or result["slope_change_difference"]
    assert math.isclose(namespace["estimate"], expected["estimate"], rel_tol=1e-6)
    assert math.isclose(namespace["se"], expected["se"], rel_tol=1e-6)


def test_methods_text_names_model_errors_versions_and_hash():
    rows = make_rows(design="its", kind="continuous", effect=-3.0)
    result = compute("its", "continuous", rows)
    methods = methods_for(
        analysis_id=3,
        design="its",
        kind="continuous",
        intervention=INTERVENTION,
        options={},
        result=result,
        rows=rows,
        library_versions=VERSIONS,
        input_hash="b" * 64,
    )
    assert methods.model == result["method"]
    assert "first-order autoregressive" in methods.standard_errors
    assert ("pandas", VERSIONS["pandas"]) in methods.versions
    assert methods.input_hash == "b" * 64
    assert 'pd.read_csv("analysis-3-data.csv"' in methods.snippet
    assert "ar1_gls(X" in methods.snippet


@pytest.mark.parametrize("impact", ["level_and_slope", "slope"])
def test_comparative_its_methods_names_the_comparative_model_of_the_headline(impact):
    """The finding of a comparative ITS is the treatment-minus-comparison change; the Methods
    section must describe that model, not only the treatment area's own segmented regression."""
    rows = make_rows(design="its_with_comparison", kind="count", effect=-0.4, seed=8)
    result = compute("its_with_comparison", "count", rows, options={"impact": impact})
    methods = methods_for(
        analysis_id=3,
        design="its_with_comparison",
        kind="count",
        intervention=INTERVENTION,
        options={"impact": impact},
        result=result,
        rows=rows,
        library_versions=VERSIONS,
        input_hash="b" * 64,
    )
    assert methods.model.startswith("Comparative interrupted time series")
    assert result["method"] in methods.model  # the treatment area's own rows are explained too


def test_coverage_note_says_when_options_were_not_those_benchmarked():
    """The benchmark ran the default impact model and seasonality; a result with other ones
    must not read as if its own method had been measured."""
    rows = make_rows(design="its", kind="continuous", effect=-3.0)
    options = {"impact": "level", "seasonality": "month"}
    result = compute("its", "continuous", rows, options=options)
    assert result["calibrated_coverage"] is not None
    kwargs = {
        "analysis_id": 3,
        "design": "its",
        "kind": "continuous",
        "intervention": INTERVENTION,
        "rows": rows,
        "library_versions": VERSIONS,
        "input_hash": "b" * 64,
    }
    notes = " ".join(methods_for(options=options, result=result, **kwargs).notes)
    assert "default" in notes and "impact" in notes and "seasonality" in notes
    assert "not measured" in notes
    plain = " ".join(methods_for(options={}, result=result, **kwargs).notes)
    assert "not measured" not in plain
