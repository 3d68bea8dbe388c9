"""``effect_direction``: the CI decides; the metric's desired direction says which way is good."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluations.directions import effect_direction


@pytest.mark.parametrize(
    ("estimate", "low", "high", "scale", "desired", "expected"),
    [
        (-0.28, -0.45, -0.10, "percent", "decrease", "improved"),
        (-0.28, -0.45, -0.10, "percent", "increase", "worsened"),
        (0.30, 0.10, 0.50, "difference", "increase", "improved"),
        (0.30, 0.10, 0.50, "difference", "decrease", "worsened"),
        (0.05, -0.10, 0.20, "difference", "decrease", "no_clear_change"),
        (0.80, 0.70, 0.95, "ratio", "decrease", "improved"),
        (1.30, 1.10, 1.50, "ratio", "decrease", "worsened"),
        (0.90, 0.75, 1.05, "ratio", "decrease", "no_clear_change"),
        (0.90, 0.50, 1.00, "ratio", "decrease", "no_clear_change"),  # touching 1 is not clear
        (0.5, None, None, "difference", "increase", "no_clear_change"),
    ],
)
def test_effect_direction(estimate, low, high, scale, desired, expected):
    assert effect_direction(estimate, low, high, scale=scale, desired=desired) == expected


def test_rejects_unknown_scale_and_direction():
    with pytest.raises(ValueError):
        effect_direction(1, 0, 2, scale="odds", desired="decrease")
    with pytest.raises(ValueError):
        effect_direction(1, 0, 2, scale="ratio", desired="down")


@given(
    st.floats(-100, 100, allow_nan=False),
    st.floats(0.001, 50, allow_nan=False),
    st.floats(0.001, 50, allow_nan=False),
)
def test_flipping_desired_flips_a_clear_result(estimate, below, above):
    low, high = estimate - below, estimate + above
    down = effect_direction(estimate, low, high, scale="difference", desired="decrease")
    up = effect_direction(estimate, low, high, scale="difference", desired="increase")
    if down == "no_clear_change":
        assert up == "no_clear_change" and low <= 0 <= high
    else:
        assert {down, up} == {"improved", "worsened"}
