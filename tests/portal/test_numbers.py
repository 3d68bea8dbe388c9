"""Numbers for readers (portal.numbers) and the template filters that use them."""

from __future__ import annotations

import math

import pytest
from django.template import Context, Template

from portal import numbers


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (20.0, "20"),
        (0, "0"),
        (1204.0, "1,204"),
        ("<10", "<10"),
        (None, ""),
        (2.5, "2.50"),
    ],
)
def test_counts_read_as_whole_numbers(value, text):
    assert numbers.format_count(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (59.1333, "59.1"),
        (0.639922633128505, "0.640"),
        (5.0321, "5.03"),
        (412.49, "412.5"),
        (1234.5, "1,234"),  # round half to even at the units
        (1235.5, "1,236"),
        (9.996, "10.0"),
        (-2.5, "−2.50"),
        (0.0512, "0.0512"),
        (20.0, "20"),
        (float("nan"), ""),
    ],
)
def test_measures_keep_three_significant_figures(value, text):
    assert numbers.format_measure(value) == text


@pytest.mark.parametrize(
    ("ratio", "text"),
    [
        (1.0653, "a 6.5% rise"),
        (0.69, "a 31% fall"),
        (1.08, "an 8.0% rise"),
        (0.82, "an 18% fall"),
        (1.0, "no change"),
        (1.0002, "no change"),
    ],
)
def test_ratios_read_as_percentage_changes(ratio, text):
    assert numbers.ratio_change(ratio) == text


def test_ratio_with_interval_reads_like_the_issue_asks():
    text = numbers.format_ratio_with_interval(
        label="Rate ratio", estimate=1.0653, ci_low=0.4107, ci_high=2.7631, confidence="95%"
    )
    assert text == "Rate ratio 1.07 (95% CI 0.41 to 2.76), a 6.5% rise"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (0.1 + 0.2, 0.3),  # 0.30000000000000004 in binary floating point
        (0.639922633128505, 0.6399226331),
        (20.0, 20),
        (1e-12 / 3, 3.333333333e-13),
        ("Zone 3", "Zone 3"),
        (None, None),
    ],
)
def test_csv_numbers_have_no_float_noise(value, cell):
    assert numbers.csv_number(value) == cell
    if isinstance(cell, float):
        digits = repr(numbers.csv_number(value)).lstrip("0.").split("e")[0].replace(".", "")
        assert len(digits) <= numbers.CSV_SIGNIFICANT_DIGITS


def test_csv_number_keeps_ten_significant_digits():
    value = math.pi * 1e5
    assert numbers.csv_number(value) == 314159.2654


def test_template_filters_use_the_same_rules():
    template = Template(
        "{% load portal_tags %}{{ c|reader_number }} {{ m|reader_number }} {{ m|measure }} "
        "{{ r|ratio }} {{ r|ratio_change }} {{ label|reader_number }}"
    )
    text = template.render(Context({"c": 20.0, "m": 59.1333, "r": 0.69, "label": "<10"}))
    assert text == "20 59.1 59.1 0.69 a 31% fall &lt;10"
