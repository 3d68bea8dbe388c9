"""Demo outcome data: five years of monthly figures per demo site with KNOWN effects, so the
analyses built on them show real findings (see ``DEMO_SCENARIOS``).

Generated with a seeded RNG (Poisson counts around a seasonal baseline), imported through the
same service as real uploads (one batch per site) and published so public pages have content.
Idempotent: a second run finds the identical file already imported and changes nothing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
from dataclasses import dataclass
from typing import TextIO

import numpy as np
import pandas as pd

from portal.models import GranteeSite

START = dt.date(2020, 1, 1)
MONTHS = 60  # 2020-01 .. 2024-12
SEED = 20260401


@dataclass(frozen=True)
class DemoScenario:
    """One site's evaluated outcome: where the strategy ran, when, and what truly happened.

    ``effect`` is the true relative change in the treatment area after ``intervention``
    (-0.30 = a 30% drop); ``trend`` a monthly relative drift in the treatment area from the
    start (a pre-existing trend); ``expected_rating`` the CrimeSolutions-style finding a
    sound analysis should reach.
    """

    site: str
    metric: str
    intervention: dt.date
    treatment_area: str
    comparison_area: str
    baseline: float
    comparison_baseline: float
    effect: float
    trend: float
    expected_rating: str
    strategy: str


DEMO_SCENARIOS: dict[str, DemoScenario] = {
    "harlow-county-mo": DemoScenario(
        "harlow-county-mo",
        "nonfatal_shootings",
        dt.date(2022, 7, 1),
        "Zone 3",
        "Zones 1, 2 and 4",
        24.0,
        60.0,
        -0.30,
        0.0,
        "effective",
        "Gun violence crime analysis (GunStat)",
    ),
    "port-meridian-va": DemoScenario(
        "port-meridian-va",
        "nonfatal_shootings",
        dt.date(2022, 4, 1),
        "Downtown zone",
        "Rest of city",
        3.0,
        9.0,
        -0.05,
        0.0,
        "inconclusive",
        "Zone / geographic prosecution",
    ),
    "ashford-county-ga": DemoScenario(
        "ashford-county-ga",
        "violent_felony_incidents",
        dt.date(2022, 1, 1),
        "North precincts",
        "South precincts",
        80.0,
        75.0,
        0.0,
        -0.025,  # strong enough for the DiD pre-trend test to detect in 24 pre months
        "no_effects",
        "Violent repeat offender identification",
    ),
    "bayridge-county-md": DemoScenario(
        "bayridge-county-md",
        "dismissals_witness_nonappearance",
        dt.date(2021, 10, 1),
        "Countywide",
        "Neighbouring counties (pooled)",
        18.0,
        20.0,
        -0.40,
        0.0,
        "promising",
        "Witness intimidation unit",
    ),
    "lakemont-oh": DemoScenario(
        "lakemont-oh",
        "days_violation_to_hearing",
        dt.date(2022, 3, 1),
        "Citywide",
        "County probation (non-city)",
        45.0,
        44.0,
        -0.35,
        0.0,
        "promising",
        "Probation and parole violations",
    ),
    "nevada-statewide": DemoScenario(
        "nevada-statewide",
        "gun_violent_felony_cases_filed",
        dt.date(2022, 10, 1),
        "Clark region",
        "Washoe region",
        40.0,
        22.0,
        0.15,
        0.0,
        "promising",
        "Gun-violence crime analysis",
    ),
    "red-cedar-nation": DemoScenario(
        "red-cedar-nation",
        "victim_service_contacts",
        dt.date(2022, 6, 1),
        "Reservation",
        "Neighbouring county",
        30.0,
        26.0,
        0.20,
        0.0,
        "promising",
        "Victim-centred practices",
    ),
    "third-district-co": DemoScenario(
        "third-district-co",
        "homicides",
        dt.date(2021, 7, 1),
        "Aurora sector",
        "Rest of district",
        2.0,
        4.0,
        -0.10,
        0.0,
        "inconclusive",
        "Homicide investigations",
    ),
    "kessler-county-il": DemoScenario(
        "kessler-county-il",
        "nonfatal_shootings",
        dt.date(2022, 3, 1),
        "Districts 2 and 5",
        "Other districts",
        14.0,
        30.0,
        -0.22,
        0.0,
        "promising",
        "Gun-violence crime analysis (GunStat)",
    ),
    "dunmore-county-tx": DemoScenario(
        "dunmore-county-tx",
        "nonfatal_shootings",
        dt.date(2021, 9, 1),
        "East side",
        "West side",
        20.0,
        26.0,
        -0.04,
        0.0,
        "no_effects",
        "Gun crime intelligence (GunStat)",
    ),
}

# Other metrics each site reports alongside its evaluated one (plausible, no effect).
BACKGROUND_METRICS: dict[str, tuple[str, float]] = {
    "homicides": ("count", 2.0),
    "shots_fired_calls": ("count", 45.0),
    "gun_recoveries": ("count", 30.0),
    "cases_referred": ("count", 400.0),
    "cases_filed": ("count", 250.0),
    "violent_felony_conviction_rate": ("proportion", 0.68),
    "median_days_arrest_to_disposition": ("days", 210.0),
}


def _months() -> list[tuple[dt.date, dt.date]]:
    out = []
    for m in range(MONTHS):
        year, month = START.year + m // 12, m % 12 + 1
        out.append(
            (dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]))
        )
    return out


def _series(rng: np.random.Generator, kind: str, level: np.ndarray) -> np.ndarray:
    if kind == "count":
        return rng.poisson(np.clip(level, 0.05, None)).astype(float)
    if kind == "proportion":
        return np.clip(rng.normal(level, 0.03), 0, 1).round(3)
    return np.clip(rng.normal(level, level * 0.06), 0, None).round(1)


def demo_frame(site_slug: str, seed: int = SEED) -> pd.DataFrame:
    """The demo rows for one site, as an upload table (deterministic for a seed)."""
    scenario = DEMO_SCENARIOS[site_slug]
    rng = np.random.default_rng(seed + sum(map(ord, site_slug)))
    periods = _months()
    t = np.arange(MONTHS)
    season = 1 + 0.15 * np.sin(2 * np.pi * (t - 3) / 12)  # summer peak, as violence has
    after = np.array([start >= scenario.intervention for start, _ in periods])
    rows = []

    def add(metric: str, area: str, group: str, values: np.ndarray) -> None:
        for (start, end), value in zip(periods, values, strict=True):
            rows.append(
                {
                    "site": site_slug,
                    "metric": metric,
                    "area": area,
                    "group": group,
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                    "value": f"{value:g}",
                }
            )

    kind = "days" if scenario.metric == "days_violation_to_hearing" else "count"
    treated = scenario.baseline * season * (1 + scenario.trend) ** t
    treated = treated * np.where(after, 1 + scenario.effect, 1.0)
    compared = scenario.comparison_baseline * season
    add(scenario.metric, scenario.treatment_area, "treatment", _series(rng, kind, treated))
    add(scenario.metric, scenario.comparison_area, "comparison", _series(rng, kind, compared))
    for metric, (metric_kind, level) in BACKGROUND_METRICS.items():
        if metric == scenario.metric:
            continue
        seasonal = season if metric_kind == "count" else np.ones(MONTHS)
        add(
            metric,
            scenario.treatment_area,
            "treatment",
            _series(rng, metric_kind, level * seasonal),
        )
        add(
            metric,
            scenario.comparison_area,
            "comparison",
            _series(rng, metric_kind, level * seasonal),
        )
    return pd.DataFrame(rows)


def load(*, stdout: TextIO, verbosity: int = 1) -> None:
    """Import and publish each demo site's data (idempotent)."""
    from evaluations.models import UploadBatch
    from evaluations.services import observations_publish, outcome_upload

    sites = {s.slug: s for s in GranteeSite.objects.filter(slug__in=DEMO_SCENARIOS)}
    for slug in DEMO_SCENARIOS:
        site = sites.get(slug)
        if site is None:
            continue
        data = demo_frame(slug).to_csv(index=False).encode()
        outcome = outcome_upload(
            site=site,
            user=None,
            stream=io.BytesIO(data),
            file_name=f"demo-{slug}.csv",
            source=UploadBatch.Source.COMMAND,
        )
        if not outcome.report["ok"]:
            raise RuntimeError(
                f"Demo data for {slug} failed validation: {outcome.report['errors'][:3]}"
            )
        published = _publish_as_operator(site, observations_publish)
        if verbosity:
            counts = outcome.report["counts"]
            stdout.write(
                f"Outcome data for {slug}: {counts['new']} new, {counts['unchanged']} unchanged, "
                f"{published} published."
            )
    from evaluations.analyses import demo as analyses_demo  # analyses run on the data above

    analyses_demo.load(stdout=stdout, verbosity=verbosity)


def _publish_as_operator(site: GranteeSite, publish) -> int:
    """Demo data is published by the (fictional) BJA account that load_demo_data creates."""
    from django.contrib.auth import get_user_model

    operator = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    if operator is None:
        from django.utils import timezone

        from evaluations.models import OutcomeObservation

        return OutcomeObservation.objects.filter(site=site, is_published=False).update(
            is_published=True, published_at=timezone.now()
        )
    return publish(site=site, user=operator)
