"""Stored results read back into their typed classes, whatever version stored them.

The fixtures under ``fixtures/stored_results/`` were written by ``to_dict()`` in the current
format (one per design and outcome kind, plus a random-effects pool); results stored before
``result_type`` and ``schema_version`` were recorded are the same payloads without those keys.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from evaluations.stats import (
    RESULT_SCHEMA_VERSION,
    DiDResult,
    EstimateResult,
    ITSResult,
    MetaResult,
    PrePostResult,
    result_from_dict,
)

FIXTURES = Path(__file__).parent / "fixtures" / "stored_results"
EXPECTED = {
    "pre_post_count": PrePostResult,
    "pre_post_continuous": PrePostResult,
    "did_count": DiDResult,
    "did_continuous": DiDResult,
    "its_count": ITSResult,
    "its_continuous": ITSResult,
    "its_with_comparison_count": ITSResult,
    "its_with_comparison_continuous": ITSResult,
    "meta_random": MetaResult,
}


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def same_stored_fields(stored, data) -> bool:
    """Every field ``data`` stored comes back unchanged (nested results too); the schema
    version is the current one, and fields added since carry their defaults."""
    if isinstance(data, dict):
        if not isinstance(stored, dict):
            return False
        if "schema_version" in data and stored.get("schema_version") != RESULT_SCHEMA_VERSION:
            return False
        return all(
            same_stored_fields(stored.get(k), v) for k, v in data.items() if k != "schema_version"
        )
    return stored == data


def test_a_fixture_for_every_design():
    assert sorted(p.stem for p in FIXTURES.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_stored_result_reads_back_typed_and_round_trips(name):
    data = load(name)
    assert data["schema_version"] <= RESULT_SCHEMA_VERSION
    result = result_from_dict(data)
    assert type(result) is EXPECTED[name]
    assert isinstance(result.warnings, tuple)
    assert result.estimate == pytest.approx(data["estimate"])
    assert same_stored_fields(result.to_dict(), data)
    assert result_from_dict(result.to_dict()).to_dict() == result.to_dict()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_result_stored_before_schema_version_still_reads(name):
    data = load(name)
    legacy = {k: v for k, v in data.items() if k not in {"schema_version", "result_type"}}
    for key in ("pre_trend", "level_change", "slope_change"):
        if isinstance(legacy.get(key), dict):
            legacy[key] = {
                k: v for k, v in legacy[key].items() if k not in {"schema_version", "result_type"}
            }
    result = result_from_dict(legacy)
    assert type(result) is EXPECTED[name]
    assert same_stored_fields(result.to_dict(), data)


def test_version_one_results_read_with_the_former_error_model():
    result = result_from_dict(load("its_continuous"))
    assert result.errors == "independent" and result.approximate is False
    assert result.ar1_rho is None and result.calibrated_coverage is None


def test_nested_results_and_series_come_back_as_their_types():
    result = result_from_dict(load("its_with_comparison_count"))
    assert isinstance(result.level_change, EstimateResult)
    assert isinstance(result.level_change_difference, EstimateResult)
    assert isinstance(result.fitted, pd.Series)
    assert result.fitted.index[0] == "2020-01"
    assert result.level_change.estimate == pytest.approx(result.estimate)


def test_missing_numbers_come_back_as_nan():
    data = load("did_count")
    data["p_value"] = None
    assert math.isnan(result_from_dict(data).p_value)


def test_result_from_a_newer_version_is_refused_not_misread():
    data = load("did_count")
    data["schema_version"] = RESULT_SCHEMA_VERSION + 1
    with pytest.raises(ValueError, match="schema_version"):
        result_from_dict(data)


@pytest.mark.parametrize("payload", [{}, {"result_type": "bayesian", "estimate": 1.0}])
def test_empty_or_unknown_payload_is_refused(payload):
    with pytest.raises(ValueError):
        result_from_dict(payload)


@pytest.mark.parametrize(("alpha", "label"), [(0.05, "95%"), (0.1, "90%"), (0.01, "99%")])
def test_confidence_label_comes_from_alpha(alpha, label):
    data = load("did_count")
    data["alpha"] = alpha
    assert result_from_dict(data).confidence_percent == label
