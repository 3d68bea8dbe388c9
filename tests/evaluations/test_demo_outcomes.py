"""Demo outcome data: deterministic, idempotent, published, and with the known effects."""

from __future__ import annotations

import io

import pytest

from evaluations.demo import DEMO_SCENARIOS, demo_frame
from evaluations.models import OutcomeObservation, UploadBatch
from evaluations.selectors import observation_series

pytestmark = pytest.mark.django_db


def change(frame, metric, area, cut):
    rows = frame[(frame["metric"] == metric) & (frame["area"] == area)]
    values = rows["value"].astype(float)
    before = values[rows["period_start"] < cut].mean()
    after = values[rows["period_start"] >= cut].mean()
    return after / before - 1


def test_scenarios_have_the_known_effects():
    harlow = DEMO_SCENARIOS["harlow-county-mo"]
    assert (harlow.treatment_area, harlow.comparison_area) == ("Zone 3", "Zones 1, 2 and 4")
    frame = demo_frame("harlow-county-mo")
    assert len(frame[(frame.metric == "nonfatal_shootings") & (frame.area == "Zone 3")]) == 60
    assert change(frame, "nonfatal_shootings", "Zone 3", "2022-07-01") < -0.2
    assert abs(change(frame, "nonfatal_shootings", "Zones 1, 2 and 4", "2022-07-01")) < 0.1
    ashford = demo_frame("ashford-county-ga")
    treated = ashford[
        (ashford.metric == "violent_felony_incidents") & (ashford.group == "treatment")
    ]
    first, last = (
        treated["value"].astype(float).iloc[:12].mean(),
        treated["value"].astype(float).iloc[-12:].mean(),
    )
    assert last < first * 0.8  # a steady pre-existing decline
    assert demo_frame("lakemont-oh").equals(demo_frame("lakemont-oh"))  # seeded


def test_load_is_idempotent_and_published(site_a):
    from evaluations.demo import load
    from portal.demo import load as portal_load

    portal_load(stdout=io.StringIO(), verbosity=0)
    load(stdout=io.StringIO(), verbosity=0)
    count = OutcomeObservation.objects.count()
    assert count > 8 * 60 * 2
    assert not OutcomeObservation.objects.filter(is_published=False).exists()
    load(stdout=io.StringIO(), verbosity=0)
    assert OutcomeObservation.objects.count() == count
    assert UploadBatch.objects.filter(status="imported").count() == len(DEMO_SCENARIOS)
    series = observation_series(site="harlow-county-mo", metric="nonfatal_shootings")
    assert set(series["group"]) == {"treatment", "comparison"} and len(series) == 120
