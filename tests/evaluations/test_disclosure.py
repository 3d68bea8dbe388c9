"""Disclosure control: the attacks an anonymous visitor could make, and the audit.

Each attack is run the way an outsider would: from what the public pages, downloads and API
serve, with an attacker written here (scipy.optimize.milp or linprog over the figures read
back from the public CSV), not with the portal's own audit code.
"""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from evaluations.analyses.services import (
    analysis_create,
    analysis_publish,
    analysis_run,
    analysis_version_review,
)
from evaluations.disclosure import Relation, attacker_intervals, audit_cells, protect_cells
from evaluations.models import OutcomeObservation
from evaluations.selectors import public_cells_as_approved
from evaluations.services import observations_publish, observations_unpublish
from tests.cache_helpers import cache_clear
from tests.evaluations.helpers import csv_bytes, month_rows, upload

pytestmark = pytest.mark.django_db

QUARTER = 'homicides,"Zone 3",treatment,2023-01-01,2023-03-31,{value},,,,'


def public_rows(client) -> list[dict[str, str]]:
    response = client.get("/evaluations/data/export.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def outsider_interval(rows, target, relations, above=()) -> tuple[float, float]:
    """What an outsider derives for row ``target`` from the public CSV rows alone, assuming
    each relation (total index, part indexes) holds, and each of ``above`` as "the total is
    at least the sum of its parts": "<10" is 1..9, "suppressed" is 10 or more, shown numbers
    are exact, and counts are whole numbers (``scipy.optimize.milp``)."""
    hidden = [i for i, r in enumerate(rows) if not r["value"].replace(".", "").isdigit()]
    col = {i: k for k, i in enumerate(hidden)}

    def linear(total, parts):
        row, rhs = np.zeros(len(hidden)), 0.0
        for i, sign in [(total, 1.0)] + [(p, -1.0) for p in parts]:
            if i in col:
                row[col[i]] += sign
            else:
                rhs -= sign * float(rows[i]["value"])
        return row, rhs

    constraints = []
    for total, parts in relations:
        row, rhs = linear(total, parts)
        constraints.append(LinearConstraint(row, rhs, rhs))
    for total, parts in above:
        row, rhs = linear(total, parts)
        constraints.append(LinearConstraint(row, rhs, np.inf))
    low = [1 if rows[i]["value"] == "<10" else 10 for i in hidden]
    high = [9 if rows[i]["value"] == "<10" else np.inf for i in hidden]
    ends = []
    for sign in (1, -1):
        cost = np.zeros(len(hidden))
        cost[col[target]] = sign
        res = milp(
            cost,
            constraints=constraints,
            integrality=np.ones(len(hidden)),
            bounds=Bounds(low, high),
        )
        assert res.status == 0
        ends.append(sign * res.fun)
    return ends[0], ends[1]


def find(rows, **match) -> int:
    return next(i for i, r in enumerate(rows) if all(r[k] == v for k, v in match.items()))


@pytest.fixture
def quarter_beside_months(site_a, bja_user):
    data = csv_bytes(*month_rows("homicides", "Zone 3", "treatment", [4, 12, 15]), QUARTER)
    assert upload(site_a, data.replace(b"{value}", b"31"), bja_user).report["ok"]
    observations_publish(site=site_a, user=bja_user)


def test_quarter_beside_its_months_gives_nothing_away(client, quarter_beside_months):
    rows = public_rows(client)
    jan = find(rows, period_start="2023-01-01", period_end="2023-01-31")
    quarter = find(rows, period_end="2023-03-31", period_start="2023-01-01")
    months = [
        find(rows, period_start=f"2023-0{m}-01", period_end=e)
        for m, e in ((1, "2023-01-31"), (2, "2023-02-28"), (3, "2023-03-31"))
    ]
    assert rows[jan]["value"] == "<10"
    assert outsider_interval(rows, jan, [(quarter, months)]) == (1.0, 9.0)
    call_command("disclosure_audit", "--site", "site-a")  # exit 0: nothing exposed


def test_without_secondary_suppression_the_quarter_leaks_and_the_audit_fails(
    client, settings, quarter_beside_months, capsys
):
    settings.PORTAL_DISCLOSURE = {**settings.PORTAL_DISCLOSURE, "SECONDARY_SUPPRESSION": False}
    rows = public_rows(client)
    jan = find(rows, period_start="2023-01-01", period_end="2023-01-31")
    quarter = find(rows, period_end="2023-03-31", period_start="2023-01-01")
    months = [jan, find(rows, period_start="2023-02-01"), find(rows, period_start="2023-03-01")]
    assert outsider_interval(rows, jan, [(quarter, months)]) == (4.0, 4.0)  # the old leak
    with pytest.raises(SystemExit) as exit_info:
        call_command("disclosure_audit", "--site", "site-a")
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "EXPOSED site-a homicides Zone 3 (treatment) 2023-01-01..2023-01-31" in out


def test_area_total_beside_its_parts_gives_nothing_away(client, site_a, bja_user, settings):
    rows = month_rows("homicides", "Zone 3", "treatment", [4, 20])
    rows += month_rows("homicides", "Zone 5", "comparison", [25, 30])
    rows += month_rows("homicides", "All zones", "comparison", [29, 50])
    assert upload(site_a, csv_bytes(*rows), bja_user).report["ok"]
    observations_publish(site=site_a, user=bja_user)
    shown = public_rows(client)
    z3 = find(shown, area="Zone 3", period_start="2023-01-01")
    relation = (
        find(shown, area="All zones", period_start="2023-01-01"),
        [z3, find(shown, area="Zone 5", period_start="2023-01-01")],
    )
    assert shown[z3]["value"] == "<10"
    assert outsider_interval(shown, z3, [relation]) == (1.0, 9.0)
    call_command("disclosure_audit", "--site", "site-a")
    settings.PORTAL_DISCLOSURE = {**settings.PORTAL_DISCLOSURE, "SECONDARY_SUPPRESSION": False}
    assert outsider_interval(public_rows(client), z3, [relation]) == (4.0, 4.0)
    with pytest.raises(SystemExit):
        call_command("disclosure_audit", "--site", "site-a")


def test_a_cell_hidden_to_protect_another_is_never_labelled_small(client, site_a, bja_user):
    header = "metric,area,group,period_start,period_end,value,dimension,category"
    rows = [
        "homicides,Zone 3,treatment,2023-01-01,2023-01-31,40,,",
        "homicides,Zone 3,treatment,2023-01-01,2023-01-31,37,sex,male",
        "homicides,Zone 3,treatment,2023-01-01,2023-01-31,3,sex,female",
    ]
    assert upload(site_a, csv_bytes(*rows, header=header), bja_user).report["ok"]
    observations_publish(site=site_a, user=bja_user)
    shown = public_rows(client)
    exact = {(o.dimension, o.category): o.value for o in OutcomeObservation.objects.all()}
    for row in shown:
        value = exact[(row["dimension"], row["category"])]
        if row["value"] == "<10":
            assert 1 <= value <= 9
        elif row["value"] == "suppressed":
            assert value >= 10
        else:
            assert float(row["value"]) == value
    assert sorted(r["value"] for r in shown).count("suppressed") == 1
    html = client.get("/evaluations/data/").content.decode()
    assert "is 10 or more and is hidden only because" in html  # the marker explained


# --- Analyses -------------------------------------------------------------------------------

HIDDEN_MONTH = 29  # months from 2022-01: 2024-06, in the post period


def series(hidden_value: int) -> list[int]:
    rng = np.random.default_rng(7)
    values = [int(v) for v in rng.poisson(25, 60).clip(min=12)]
    values[HIDDEN_MONTH] = hidden_value
    return values


def load_series(site, user, values) -> None:
    rows = []
    for year, chunk in ((2022, values[:12]), (2023, values[12:24]), (2024, values[24:36])):
        rows += month_rows("nonfatal_shootings", "Zone 3", "treatment", chunk, year=year)
    for year, chunk in ((2025, values[36:48]), (2026, values[48:60])):
        rows += month_rows("nonfatal_shootings", "Zone 3", "treatment", chunk, year=year)
    assert upload(site, csv_bytes(*rows), user).report["ok"]
    observations_publish(site=site, user=user)


@pytest.fixture
def published_analysis(site_a, bja_user):
    import datetime as dt

    load_series(site_a, bja_user, series(8))
    analysis = analysis_create(
        user=bja_user,
        site=site_a,
        design="pre_post",
        metric="nonfatal_shootings",
        treatment_area="Zone 3",
        comparison_areas=[],
        intervention_date=dt.date(2024, 1, 1),
    )
    analysis_run(analysis=analysis)
    analysis_publish(user=bja_user, analysis=analysis)
    return analysis


def public_outputs(client, analysis) -> dict[str, str]:
    """Everything an anonymous visitor can fetch about the analysis (timestamps dropped)."""
    api = client.get(f"/api/v1/analyses/{analysis.pk}/").json()
    api.pop("finished_at", None)
    out = {"api": json.dumps(api, sort_keys=True)}
    page = client.get(f"/evaluations/analyses/{analysis.pk}/")
    assert "Run finished" in page.content.decode()
    # the run's finish time moves with the clock (a re-run a minute later), not with the data
    out["page"] = re.sub(
        r'<dt class="text-bold">Run finished</dt><dd[^>]*>[^<]*</dd>', "", page.content.decode()
    )
    out["data.csv"] = client.get(f"/evaluations/analyses/{analysis.pk}/data.csv").content.decode()
    for chart in page.context["page"].charts:
        url = f"/evaluations/analyses/{analysis.pk}/chart-{chart.slug}"
        out[chart.slug] = client.get(url + ".csv").content.decode()
        # the drawn charts too: an image must not reveal what the CSV hides
        out[chart.slug + ".svg"] = client.get(url + ".svg").content.decode()
        out[chart.slug + ".png"] = client.get(url + ".png").content.hex()
    out["list"] = client.get("/evaluations/", {"format": "csv"}).content.decode()
    out["data"] = client.get("/evaluations/data/export.csv").content.decode()
    return out


def test_analysis_outputs_do_not_depend_on_a_hidden_count(
    client, site_a, bja_user, published_analysis
):
    before = public_outputs(client, published_analysis)
    public_result = json.loads(before["api"])["result"]
    assert public_result["post_mean"] is None and public_result["pre_mean"] is None
    assert "<10" in before["data.csv"]
    # the same world with the hidden month at 2 instead of 8: every public byte is the same
    hidden = OutcomeObservation.objects.get(period_start="2024-06-01")
    OutcomeObservation.objects.filter(pk=hidden.pk).update(value=2)
    rerun = analysis_run(analysis=published_analysis)
    # a re-run of a published analysis is public once BJA approves it
    analysis_version_review(user=bja_user, result=rerun, approve=True)
    after = public_outputs(client, published_analysis)
    assert rerun.input_hash[:8] not in after["page"]
    # the list of approved versions gains a row; everything else is byte for byte the same
    before["page"], after["page"] = (
        re.sub(r'<section aria-labelledby="versions-heading">.*?</section>', "", out, flags=re.S)
        for out in (before["page"], after["page"])
    )
    assert set(before) == set(after)
    for name in before:
        assert before[name] == after[name], name


@pytest.mark.parametrize("role", ["bja_user", "research_user", "contributor_a"])
def test_entitled_users_see_exact_values(client, published_analysis, role, request):
    client.force_login(request.getfixturevalue(role))
    text = client.get(f"/evaluations/analyses/{published_analysis.pk}/data.csv").content.decode()
    assert ",8.0," in text or ",8," in text
    assert "<10" not in text
    api = client.get(f"/api/v1/analyses/{published_analysis.pk}/").json()
    assert api["result"]["post_mean"] is not None


def test_withdrawn_data_leaves_every_public_output(
    client, site_a, bja_user, published_analysis, django_capture_on_commit_callbacks
):
    pk = published_analysis.pk
    with django_capture_on_commit_callbacks(execute=True):
        observations_unpublish(site=site_a, user=bja_user)
    page = client.get(f"/evaluations/analyses/{pk}/")
    assert b"withdrawn" in page.content
    assert client.get(f"/evaluations/analyses/{pk}/data.csv").status_code in (404, 410)
    api = client.get(f"/api/v1/analyses/{pk}/")
    assert api.status_code == 410 or api.json()["result"] is None
    assert client.get("/api/v1/analyses/").json()["items"] == [] or all(
        item["id"] != pk or item["status"] == "failed"
        for item in client.get("/api/v1/analyses/").json()["items"]
    )
    assert "Zone 3" not in client.get("/evaluations/", {"format": "csv"}).content.decode()
    assert len(public_rows(client)) == 0
    search = client.get("/api/v1/search/", {"type": "analysis"}).json()["results"]
    assert search == []


def test_withdrawn_data_withdraws_an_analysis_not_yet_rerun(
    client, site_a, bja_user, published_analysis
):
    """Between the withdrawal and the re-run, the stored result is not shown either."""
    OutcomeObservation.objects.filter(site=site_a).update(is_published=False)
    pk = published_analysis.pk
    assert client.get(f"/evaluations/analyses/{pk}/").status_code == 410
    assert client.get(f"/evaluations/analyses/{pk}/data.csv").status_code == 410
    assert client.get(f"/api/v1/analyses/{pk}/").status_code == 410
    ids = [item["id"] for item in client.get("/api/v1/analyses/").json()["items"]]
    assert pk not in ids


# --- The audit on the demo data and on adversarial tables -----------------------------------

from tests.evaluations.test_analyses_demo import demo_loaded  # noqa: E402, F401

BREAKDOWN_HEADER = "metric,area,group,period_start,period_end,value,dimension,category"


def cells(*specs: str) -> bytes:
    """Rows "area|start|end|value|dimension|category" of homicides."""
    rows = []
    for spec in specs:
        area, start, end, value, dimension, category = (spec.split("|") + ["", ""])[:6]
        group = "comparison" if area.startswith("All") else "treatment"
        rows.append(f"homicides,{area},{group},{start},{end},{value},{dimension},{category}")
    return csv_bytes(*rows, header=BREAKDOWN_HEADER)


M = {1: ("2023-01-01", "2023-01-31"), 2: ("2023-02-01", "2023-02-28")}
M |= {3: ("2023-03-01", "2023-03-31"), 4: ("2023-04-01", "2023-04-30")}
M |= {5: ("2023-05-01", "2023-05-31"), 6: ("2023-06-01", "2023-06-30")}
Q1, Q2, H1 = (
    ("2023-01-01", "2023-03-31"),
    ("2023-04-01", "2023-06-30"),
    ("2023-01-01", "2023-06-30"),
)


def at(area, period, value, dimension="", category=""):
    return f"{area}|{period[0]}|{period[1]}|{value}|{dimension}|{category}"


ADVERSARIAL = {
    "half-year beside quarters beside months": [
        *(at("Zone 3", M[m], v) for m, v in zip(range(1, 7), [3, 14, 15, 20, 11, 12], strict=True)),
        at("Zone 3", Q1, 32),
        at("Zone 3", Q2, 43),
        at("Zone 3", H1, 75),
    ],
    "two small categories with a shown total and a shown third": [
        at("Zone 3", M[1], 40),
        at("Zone 3", M[1], 4, "race", "A"),
        at("Zone 3", M[1], 5, "race", "B"),
        at("Zone 3", M[1], 31, "race", "C"),
    ],
    "breakdown and area total linked": [
        at("Zone 3", M[1], 30),
        at("Zone 3", M[1], 6, "sex", "female"),
        at("Zone 3", M[1], 24, "sex", "male"),
        at("Zone 5", M[1], 40),
        at("All zones", M[1], 70),
        at("Zone 3", M[2], 20),
        at("Zone 5", M[2], 22),
        at("All zones", M[2], 42),
    ],
    "area total that also holds unallocated counts in another month": [
        at("Zone 3", M[1], 4),
        at("Zone 3", M[2], 20),
        at("Zone 5", M[1], 25),
        at("Zone 5", M[2], 30),
        at("All zones", M[1], 29),
        at("All zones", M[2], 51),
    ],
    "two breakdowns of one month without a total row": [
        at("Zone 3", M[1], 37, "sex", "male"),
        at("Zone 3", M[1], 3, "sex", "female"),
        at("Zone 3", M[1], 30, "race", "A"),
        at("Zone 3", M[1], 10, "race", "B"),
    ],
    "area total below its parts in another month (a correction)": [
        at("Zone 3", M[1], 4),
        at("Zone 3", M[2], 20),
        at("Zone 5", M[1], 25),
        at("Zone 5", M[2], 30),
        at("All zones", M[1], 29),
        at("All zones", M[2], 49),
    ],
    "incomplete breakdown (categories below their total)": [
        at("Zone 3", M[1], 40),
        at("Zone 3", M[1], 35, "sex", "male"),
        at("Zone 3", M[1], 3, "sex", "female"),
    ],
    "area row above its zones' sum in every month": [
        at("Zone 3", M[1], 4),
        at("Zone 3", M[2], 20),
        at("Zone 5", M[1], 25),
        at("Zone 5", M[2], 30),
        at("All zones", M[1], 31),
        at("All zones", M[2], 52),
    ],
    "quarter beside two of its months (March not published)": [
        at("Zone 3", M[1], 1),
        at("Zone 3", M[2], 10),
        at("Zone 3", Q1, 11),
        at("Zone 3", M[4], 20),
        at("Zone 3", M[5], 22),
    ],
    "quarter beside its months and a stray week": [
        at("Zone 3", M[1], 4),
        at("Zone 3", M[2], 12),
        at("Zone 3", M[3], 15),
        at("Zone 3", Q1, 31),
        at("Zone 3", ("2023-01-01", "2023-01-07"), 0),
    ],
    "area total beside thirteen zones": [
        *(
            at(f"Zone {k}", M[m], 4 if (k, m) == (1, 1) else 20)
            for k in range(1, 14)
            for m in (1, 2)
        ),
        at("All zones", M[1], 4 + 20 * 12),
        at("All zones", M[2], 20 * 13),
    ],
    "two hidden months in one quarter": [
        at("Zone 3", M[1], 2),
        at("Zone 3", M[2], 7),
        at("Zone 3", M[3], 30),
        at("Zone 3", Q1, 39),
    ],
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_audit_passes_on_adversarial_tables_and_fails_without_protection(
    name, site_a, bja_user, settings, capsys
):
    assert upload(site_a, cells(*ADVERSARIAL[name]), bja_user).report["ok"]
    observations_publish(site=site_a, user=bja_user)
    call_command("disclosure_audit", "--site", "site-a")
    assert "No hidden small count can be narrowed" in capsys.readouterr().out
    settings.PORTAL_DISCLOSURE = {**settings.PORTAL_DISCLOSURE, "SECONDARY_SUPPRESSION": False}
    with pytest.raises(SystemExit) as exit_info:
        call_command("disclosure_audit", "--site", "site-a")
    assert exit_info.value.code == 1
    assert "EXPOSED site-a homicides" in capsys.readouterr().out


def test_audit_passes_on_the_demo_data(demo_loaded, capsys):  # noqa: F811
    call_command("disclosure_audit")
    out = capsys.readouterr().out
    assert "harlow-county-mo" in out and "EXPOSED" not in out


def test_audit_names_an_unknown_site():
    with pytest.raises(Exception, match="No grantee site"):
        call_command("disclosure_audit", "--site", "nowhere")


def test_a_quarter_filed_under_the_other_group_is_still_linked_to_its_months(
    site_a, bja_user, settings, capsys
):
    """The group label does not change an area's count: Zone 3's quarter uploaded as a
    comparison row beside its months as treatment rows gave January back (31 - 12 - 15)."""
    rows = [
        "homicides,Zone 3,treatment,2023-01-01,2023-01-31,4,,",
        "homicides,Zone 3,treatment,2023-02-01,2023-02-28,12,,",
        "homicides,Zone 3,treatment,2023-03-01,2023-03-31,15,,",
        "homicides,Zone 3,comparison,2023-01-01,2023-03-31,31,,",
    ]
    assert upload(site_a, csv_bytes(*rows, header=BREAKDOWN_HEADER), bja_user).report["ok"]
    observations_publish(site=site_a, user=bja_user)
    call_command("disclosure_audit", "--site", "site-a")
    assert "No hidden small count can be narrowed" in capsys.readouterr().out
    settings.PORTAL_DISCLOSURE = {**settings.PORTAL_DISCLOSURE, "SECONDARY_SUPPRESSION": False}
    with pytest.raises(SystemExit) as exit_info:
        call_command("disclosure_audit", "--site", "site-a")
    assert exit_info.value.code == 1
    assert "EXPOSED site-a homicides Zone 3 (treatment) 2023-01-01..2023-01-31" in (
        capsys.readouterr().out
    )


def test_an_incomplete_breakdown_is_protected_and_caught_without_protection(
    client, site_a, bja_user, settings, capsys
):
    """Categories that add up to less than their total (published with a warning) still
    never exceed it: 40 total and 35 male leave female at most 5. Secondary suppression
    protects that inequality; without it the audit names the cell."""
    rows = [
        at("Zone 3", M[1], 40),
        at("Zone 3", M[1], 35, "sex", "male"),
        at("Zone 3", M[1], 3, "sex", "female"),
    ]
    assert upload(site_a, cells(*rows), bja_user).report["ok"]
    observations_publish(site=site_a, user=bja_user)
    shown = public_rows(client)
    female = find(shown, category="female")
    total, male = find(shown, dimension=""), find(shown, category="male")
    assert shown[female]["value"] == "<10"
    assert outsider_interval(shown, female, [], above=[(total, [male, female])]) == (1.0, 9.0)
    call_command("disclosure_audit", "--site", "site-a")
    settings.PORTAL_DISCLOSURE = {**settings.PORTAL_DISCLOSURE, "SECONDARY_SUPPRESSION": False}
    shown = public_rows(client)
    assert outsider_interval(shown, female, [], above=[(total, [male, female])]) == (1.0, 5.0)
    with pytest.raises(SystemExit) as exit_info:
        call_command("disclosure_audit", "--site", "site-a")
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "EXPOSED site-a homicides Zone 3 (treatment) 2023-01-01..2023-01-31 [sex=female]" in out
    assert "1 to 5" in out


def test_an_area_row_above_its_zones_is_protected_and_caught_without_protection(
    client, site_a, bja_user, settings, capsys
):
    """An "all zones" row above the zones' sum in every month (unallocated counts) still bounds each
    zone from above: 31 - 25 leaves Zone 3 at most 6 in January."""
    rows = ADVERSARIAL["area row above its zones' sum in every month"]
    assert upload(site_a, cells(*rows), bja_user).report["ok"]
    observations_publish(site=site_a, user=bja_user)
    shown = public_rows(client)
    z3 = find(shown, area="Zone 3", period_start="2023-01-01")
    bound = (
        find(shown, area="All zones", period_start="2023-01-01"),
        [z3, find(shown, area="Zone 5", period_start="2023-01-01")],
    )
    assert outsider_interval(shown, z3, [], above=[bound]) == (1.0, 9.0)
    settings.PORTAL_DISCLOSURE = {**settings.PORTAL_DISCLOSURE, "SECONDARY_SUPPRESSION": False}
    assert outsider_interval(public_rows(client), z3, [], above=[bound]) == (1.0, 6.0)
    with pytest.raises(SystemExit):
        call_command("disclosure_audit", "--site", "site-a")
    assert "Zone 3 (treatment) 2023-01-01..2023-01-31: an outsider can work out 1 to 6" in (
        capsys.readouterr().out
    )


def _outsider_on_frame(out: pd.DataFrame, target: int, equal=(), above=()) -> tuple[float, float]:
    """``outsider_interval`` over a protected frame (``protect_cells`` output)."""
    rows = [
        {"value": number if not hidden else label}
        for number, hidden, label in zip(
            out["value"].map(lambda v: f"{v:g}"),
            out["suppressed"],
            out["display_value"],
            strict=True,
        )
    ]
    return outsider_interval(rows, target, list(equal), above=list(above))


def _month_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site": "s",
            "metric": "homicides",
            "area": [r[0] for r in rows],
            "group": "treatment",
            "period_start": [pd.Timestamp(r[1][0]).date() for r in rows],
            "period_end": [pd.Timestamp(r[1][1]).date() for r in rows],
            "dimension": "",
            "category": "",
            "value": [float(r[2]) for r in rows],
            "suppressible": True,
        }
    )


def test_a_quarter_beside_two_of_its_months_does_not_pin_the_small_one():
    """Quarter 11 beside January "<10" and February 10 (March not published): months never
    exceed their quarter, so January was exactly 1. The quarter is not tiled by the months,
    and was not linked to them at all."""
    from portal.disclosure import disclosure_policy

    frame = _month_frame([("Zone 3", M[1], 1), ("Zone 3", M[2], 10), ("Zone 3", Q1, 11)])
    out = protect_cells(frame, disclosure_policy())
    assert out["display_value"][0] == "<10"
    assert _outsider_on_frame(out, 0, above=[(2, [0, 1])]) == (1.0, 9.0)
    assert audit_cells(out, disclosure_policy()) == []


def test_a_stray_week_does_not_unlink_a_quarter_from_its_months():
    """A week inside January stopped the months from "tiling" the quarter, so the quarter
    (31) was shown beside 12 and 15 and January's "<10" was 4."""
    from portal.disclosure import disclosure_policy

    week = ("2023-01-01", "2023-01-07")
    frame = _month_frame(
        [("Zone 3", M[1], 4), ("Zone 3", M[2], 12), ("Zone 3", M[3], 15), ("Zone 3", Q1, 31)]
        + [("Zone 3", week, 0)]
    )
    out = protect_cells(frame, disclosure_policy())
    assert _outsider_on_frame(out, 0, equal=[(3, [0, 1, 2])]) == (1.0, 9.0)


def test_an_all_zones_row_beside_thirteen_zones_is_linked():
    """Past 12 areas the search for area totals was skipped, so "All zones" (244) beside 12
    zones of 20 gave Zone 1's "<10" back as 4."""
    from portal.disclosure import disclosure_policy

    rows = [(f"Zone {k}", M[1], 4 if k == 1 else 20) for k in range(1, 14)]
    rows.append(("All zones", M[1], 4 + 20 * 12))
    out = protect_cells(_month_frame(rows), disclosure_policy())
    assert _outsider_on_frame(out, 0, equal=[(13, list(range(13)))]) == (1.0, 9.0)


def test_a_category_filed_under_both_groups_keeps_its_breakdown_linked():
    """Female "<10" filed as treatment and again as comparison made the categories add up to
    43, not the total 40, so the breakdown was not linked and 40 - 37 gave 3 back."""
    from portal.disclosure import disclosure_policy

    frame = _month_frame([("Zone 3", M[1], 40), ("Zone 3", M[1], 37), ("Zone 3", M[1], 3)])
    frame["dimension"] = ["", "sex", "sex"]
    frame["category"] = ["", "male", "female"]
    copy = frame.iloc[[2]].assign(group="comparison")
    out = protect_cells(pd.concat([frame, copy], ignore_index=True), disclosure_policy())
    assert list(out["display_value"][2:]) == ["<10", "<10"]
    assert _outsider_on_frame(out, 2, equal=[(0, [1, 2]), (3, [2])]) == (1.0, 9.0)


def test_a_quarter_under_another_spelling_of_its_area_is_linked_to_its_months():
    """A quarter filed for "ZONE 3" beside the months of "Zone 3" (31 beside 12 and 15) gave
    January's "<10" back as 4: area names were compared letter for letter."""
    from portal.disclosure import disclosure_policy

    frame = _month_frame(
        [("Zone 3", M[1], 4), ("Zone 3", M[2], 12), ("Zone 3", M[3], 15), ("ZONE  3", Q1, 31)]
    )
    out = protect_cells(frame, disclosure_policy())
    assert _outsider_on_frame(out, 0, equal=[(3, [0, 1, 2])]) == (1.0, 9.0)


def test_the_attacker_uses_that_counts_are_whole_numbers():
    """x1 + x2 + x3 = 18 with x2 = x3 (two one-category breakdowns of a month without a
    total) makes x1 even: 2 to 8, although the linear relaxation allows 1 to 9. Checked
    against enumerating every whole-number solution."""
    values = np.array([4.0, 7.0, 7.0, 18.0])
    relations = [
        Relation("period", 3, (0, 1, 2)),
        Relation("breakdown", 1, (2,)),
    ]
    status = ["primary", "primary", "primary", "shown"]
    found = {
        c.position: (c.low, c.high)
        for c in attacker_intervals(values, status, relations, threshold=10)
    }
    possible = [
        x1
        for x1 in range(1, 10)
        for x2 in range(1, 10)
        for x3 in range(1, 10)
        if x1 + x2 + x3 == 18 and x2 == x3
    ]
    assert found[0] == (min(possible), max(possible)) == (2.0, 8.0)
    relaxed = linprog([-1, 0, 0], A_eq=[[1, 1, 1], [0, 1, -1]], b_eq=[18, 0], bounds=[(1, 9)] * 3)
    assert -relaxed.fun == pytest.approx(9.0)  # what the relaxation alone would allow


def _version_frame(values: list[int], version: int) -> pd.DataFrame:
    periods = [M[1], M[2], M[3], Q1]
    return pd.DataFrame(
        {
            "site": "s",
            "metric": "homicides",
            "area": "Zone 3",
            "group": "treatment",
            "period_start": [pd.Timestamp(p[0]).date() for p in periods],
            "period_end": [pd.Timestamp(p[1]).date() for p in periods],
            "dimension": "",
            "category": "",
            "value": [float(v) for v in values],
            "suppressible": True,
            "version": version,
            "cell": [1, 2, 3, 4],
        }
    )


def _pinned(tables: list[pd.DataFrame]) -> tuple[float, float]:
    """January's interval to an outsider who reads both tables, knows that each quarter is
    its months and that March did not change between them (written here with linprog)."""
    hidden = [(t, i) for t, table in enumerate(tables) for i in range(4) if table["suppressed"][i]]
    col = {cell: k for k, cell in enumerate(hidden)}

    def term(t, i):
        return (col[(t, i)], None) if (t, i) in col else (None, float(tables[t]["value"][i]))

    rows = [[(t, 3, 1.0), (t, 0, -1.0), (t, 1, -1.0), (t, 2, -1.0)] for t in range(2)]
    rows += [[(0, 2, 1.0), (1, 2, -1.0)], [(0, 0, 1.0), (1, 0, -1.0)]]
    a_eq, b_eq = [], []
    for row in rows:
        coefs, rhs = np.zeros(len(hidden)), 0.0
        for t, i, sign in row:
            k, value = term(t, i)
            if k is None:
                rhs -= sign * value
            else:
                coefs[k] += sign
        a_eq.append(coefs)
        b_eq.append(rhs)
    bounds = [(1, 9) if tables[t]["display_value"][i] == "<10" else (10, None) for t, i in hidden]
    ends = []
    for sign in (1, -1):
        cost = np.zeros(len(hidden))
        cost[col[(0, 0)]] = sign
        res = linprog(cost, A_eq=np.array(a_eq), b_eq=b_eq, bounds=bounds, method="highs")
        ends.append(sign * res.fun)
    return ends[0], ends[1]


def test_a_pending_correction_is_protected_together_with_the_approved_table():
    """While a correction (February 15 -> 30, quarter 39 -> 54) awaits publication, the
    approved table (in a published analysis) and the current one are both public. Protected
    one at a time, the approved table hides February beside January and the current one
    March; March's unchanged value, shown in the approved table, gives January back
    (54 - 30 - 20 = 4). Protected as one union, they agree."""
    from portal.disclosure import disclosure_policy

    policy = disclosure_policy()
    approved, current = _version_frame([4, 15, 20, 39], 1), _version_frame([4, 30, 20, 54], 0)
    apart = [protect_cells(current, policy), protect_cells(approved, policy)]
    assert _pinned(apart) == (4.0, 4.0)
    together = protect_cells(pd.concat([current, approved], ignore_index=True), policy)
    joint = [together.loc[together["version"] == v].reset_index(drop=True) for v in (0, 1)]
    assert _pinned(joint) == (1.0, 9.0)
    assert audit_cells(together, policy) == []


def test_the_audit_covers_a_pending_correction(
    client,
    site_a,
    contributor_a,
    bja_user,
    published_analysis,
    capsys,
    django_capture_on_commit_callbacks,
):
    """A corrected month waits for publication: the analysis keeps showing the approved
    table, the data page the current one, and the audit checks both together."""
    corrected = month_rows("nonfatal_shootings", "Zone 3", "treatment", [40], year=2022)
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(site_a, csv_bytes(*corrected), contributor_a).report["ok"]
    assert public_cells_as_approved(site_a.pk, published_analysis.metric_id) is not None
    assert client.get(f"/evaluations/analyses/{published_analysis.pk}/").status_code == 200
    call_command("disclosure_audit", "--site", "site-a")
    out = capsys.readouterr().out
    assert "a correction awaits publication" in out and "EXPOSED" not in out


# --- Stored protection ----------------------------------------------------------------------


def test_protection_is_stored_when_data_are_published_and_read_by_every_view(
    client, site_a, bja_user, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    import evaluations.selectors as selectors
    from evaluations.models import ProtectedTable

    data = csv_bytes(*month_rows("homicides", "Zone 3", "treatment", [4, 12, 15]), QUARTER)
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(site_a, data.replace(b"{value}", b"31"), bja_user).report["ok"]
        observations_publish(site=site_a, user=bja_user)
    stored = ProtectedTable.objects.get(site=site_a, metric__code="homicides")
    assert sorted(stored.status) == ["", "", "primary", "secondary"]
    cache_clear(cache)

    def boom(*args, **kwargs):
        raise AssertionError("a public view worked the protection out again")

    monkeypatch.setattr(selectors, "suppression_status", boom)
    rows = public_rows(client)
    assert sorted(r["value"] for r in rows).count("<10") == 1
    assert client.get("/evaluations/data/").status_code == 200


def test_a_pattern_stored_under_older_rules_is_worked_out_again(
    client, site_a, bja_user, monkeypatch, django_capture_on_commit_callbacks
):
    """A pattern stored before the rules changed (say, before quarters beside some of their
    months were linked) must not keep serving the old, leaky table after an upgrade."""
    from django.core.cache import cache

    import evaluations.selectors as selectors
    from evaluations.models import ProtectedTable

    data = csv_bytes(*month_rows("homicides", "Zone 3", "treatment", [4, 12, 15]), QUARTER)
    monkeypatch.setattr(selectors, "RULES_VERSION", 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(site_a, data.replace(b"{value}", b"31"), bja_user).report["ok"]
        observations_publish(site=site_a, user=bja_user)
    # what older rules stored: the small count alone
    stored = ProtectedTable.objects.get(site=site_a, metric__code="homicides")
    stored.status = ["" if s == "secondary" else s for s in stored.status]
    stored.save()
    cache_clear(cache)
    assert [r["value"] for r in public_rows(client)].count("suppressed") == 0
    monkeypatch.setattr(selectors, "RULES_VERSION", 2)
    cache_clear(cache)
    assert [r["value"] for r in public_rows(client)].count("suppressed") == 1


# --- Withdrawal on /compare/ and strategy pages ---------------------------------------------


def test_withdrawn_data_leaves_compare_and_strategy_pages(
    client, site_a, site_b, bja_user, strategy_index, django_capture_on_commit_callbacks
):
    from evaluations.analyses.compare import result_label
    from tests import factories
    from tests.evaluations.analysis_helpers import make_analysis

    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Zone prosecution")
    gone = make_analysis(site=site_a, strategy=page, design="did", seed=1, title="Alpha result")
    kept = make_analysis(site=site_b, design="its", seed=2, title="Bravo result")
    compare = client.get("/compare/", {"metric": "nonfatal_shootings"}).content.decode()
    assert gone.get_absolute_url() in compare and kept.get_absolute_url() in compare
    assert "Alpha result" in client.get(page.url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        observations_unpublish(site=site_a, user=bja_user)
    compare = client.get("/compare/", {"metric": "nonfatal_shootings"}).content.decode()
    assert gone.get_absolute_url() not in compare and kept.get_absolute_url() in compare
    table = client.get("/compare/", {"metric": "nonfatal_shootings", "format": "csv"})
    labels = [row[0] for row in csv.reader(io.StringIO(table.content.decode()))]
    # the CSV labels each result by place, design and number
    assert result_label(gone) not in labels
    assert result_label(kept) in labels
    assert "Alpha result" not in client.get(page.url).content.decode()
