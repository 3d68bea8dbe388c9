"""/compare/: published results for a metric and their random-effects pooled estimate."""

from __future__ import annotations

import csv
import io
import math

import pytest
from django.utils.html import escape

from evaluations import stats
from evaluations.analyses.compare import compare_metric, result_label
from evaluations.analyses.disclosure import public_analysis
from tests import factories
from tests.evaluations.analysis_helpers import make_analysis

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_sites(site_a, site_b):
    site_c = factories.GranteeSiteFactory(slug="site-c", name="Site C Prosecutor")
    return [
        make_analysis(site=site_a, design="did", seed=1, title="A did"),
        make_analysis(site=site_b, design="its", seed=2, effect=-0.1, title="B its"),
        make_analysis(site=site_c, design="pre_post", seed=3, effect=-0.45, title="C pre/post"),
    ]


def test_pooled_estimate_matches_random_effects(three_sites, site_a):
    make_analysis(site=site_a, published=False, title="Unpublished")
    comparison = compare_metric("nonfatal_shootings")
    # /compare/ is public: it pools each analysis's public version (hidden small counts
    # imputed from published figures), never the exact results
    public = [public_analysis(a, a.current_result).result for a in three_sites]
    effects = [stats.effect_size_from_result(result) for result in public]
    expected = stats.random_effects([e[0] for e in effects], [e[1] for e in effects], method="REML")
    pooled = comparison.pooled
    assert pooled["k"] == 3
    assert pooled["estimate"] == pytest.approx(round(math.exp(expected.estimate), 4))
    assert pooled["ci_low"] == pytest.approx(round(math.exp(expected.ci_low), 4))
    assert pooled["pi_high"] == pytest.approx(round(math.exp(expected.pi_high), 4))
    assert pooled["tau2"] == pytest.approx(expected.tau2)
    assert pooled["i2_percent"] == pytest.approx(round(100 * expected.i2, 1))
    assert pooled["q"] == pytest.approx(expected.q)
    labels = [r["label"] for r in comparison.table_rows]
    assert labels[-1] == "Pooled (random effects)" and not any("Unpublished" in x for x in labels)
    assert comparison.chart.spec["data"]["values"] is comparison.table_rows


def test_page_and_csv(client, three_sites):
    html = client.get("/compare/", {"metric": "nonfatal_shootings"}).content.decode()
    assert "Pooled estimate of 3 results" in html and "What pooling means" in html
    assert "prediction interval" in html and "I²" in html
    for analysis in three_sites:
        assert analysis.get_absolute_url() in html
    response = client.get("/compare/", {"metric": "nonfatal_shootings", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Result" and len(rows) == 1 + 3 + 1


def test_single_result_is_not_pooled(client, site_a):
    make_analysis(site=site_a, design="did")
    comparison = compare_metric("nonfatal_shootings")
    assert comparison.pooled is None
    assert "at least 2" in comparison.not_pooled_reason
    html = client.get("/compare/", {"metric": "nonfatal_shootings", "design": "did"}).content
    assert b"at least 2" in html


def test_design_filter(three_sites):
    comparison = compare_metric("nonfatal_shootings", design="its")
    b_its = three_sites[1]
    jurisdiction = b_its.site.jurisdiction
    assert [r["label"] for r in comparison.table_rows] == [
        f"{jurisdiction.name}, {jurisdiction.state} · ITS · #{b_its.pk}"
    ]


def test_one_result_per_site_in_the_pool(three_sites, site_a):
    treated = [r for r in three_sites[0].current_result.data if r["group"] == "treatment"]
    weaker = make_analysis(site=site_a, design="pre_post", rows=treated, title="A pre/post")
    comparison = compare_metric("nonfatal_shootings")
    rows = {r["url"]: r for r in comparison.table_rows}
    assert rows[weaker.get_absolute_url()]["in_pool"].startswith("no")
    assert rows[three_sites[0].get_absolute_url()]["in_pool"] == "yes"
    assert comparison.pooled["k"] == 3
    headings = [h for _k, h in comparison.chart.columns]
    assert {"Strategy", "Jurisdiction kind", "Census region", "Direction"} <= set(headings)
    # the label names the place, state and design; no column repeats them
    assert not {"Site", "State", "Design"} & set(headings)


def test_forest_labels_are_short_and_unique_and_key_columns_lead(three_sites, site_a):
    # two results from one office on one metric: their labels must still differ
    make_analysis(site=site_a, design="its", title="Site A Prosecutor: shootings (ITS)")
    comparison = compare_metric("nonfatal_shootings")
    labels = [r["label"] for r in comparison.table_rows]
    assert len(set(labels)) == len(labels)
    assert not any("Prosecutor" in label for label in labels)
    assert max(len(label) for label in labels) <= 40
    keys = [key for key, _heading in comparison.columns]
    assert keys[:5] == ["label", "estimate", "ci_low", "ci_high", "direction"]
    # the plot's rows are the table's rows, in the table's order
    y = comparison.chart.spec["layer"][0]["encoding"]["y"]
    assert y["sort"] == labels


def test_compare_page_links_each_result_once_by_its_label(client, three_sites):
    html = client.get("/compare/", {"metric": "nonfatal_shootings"}).content.decode()
    for analysis in three_sites:
        link = f'href="{analysis.get_absolute_url()}">{escape(result_label(analysis))}</a>'
        assert html.count(link) == 1
        # the title (office, metric, design) would name the site and design a second time
        assert analysis.title not in html
    assert "Site A Prosecutor: A did" not in html


def test_knapp_hartung_pooling_matches_statsmodels_wls(client, three_sites):
    """``pooling=HKSJ``: REML tau^2, then the Knapp-Hartung interval, which is statsmodels WLS
    of the effects on a constant with weights 1/(v + tau^2) and t on k - 1 df."""
    import numpy as np
    import statsmodels.api as sm

    comparison = compare_metric("nonfatal_shootings", pooling="HKSJ")
    public = [public_analysis(a, a.current_result).result for a in three_sites]
    effects = np.array([stats.effect_size_from_result(result)[:2] for result in public])
    tau2 = stats.random_effects(effects[:, 0], effects[:, 1], method="REML").tau2
    ref = sm.WLS(effects[:, 0], np.ones((3, 1)), weights=1 / (effects[:, 1] + tau2)).fit()
    low, high = ref.conf_int(alpha=0.05)[0]
    pooled = comparison.pooled
    assert pooled["estimate"] == pytest.approx(round(math.exp(ref.params[0]), 4))
    assert pooled["ci_low"] == pytest.approx(round(math.exp(low), 4))
    assert pooled["ci_high"] == pytest.approx(round(math.exp(high), 4))
    assert "Knapp-Hartung" in pooled["method"]
    ok = client.get("/compare/", {"metric": "nonfatal_shootings", "pooling": "HKSJ"})
    assert ok.status_code == 200 and b"Knapp-Hartung" in ok.content
    bad = client.get("/compare/", {"metric": "nonfatal_shootings", "pooling": "bayes"})
    assert bad.status_code == 400 and b"REML, DL, HKSJ" in bad.content
    with pytest.raises(ValueError, match="REML, DL, HKSJ"):
        compare_metric("nonfatal_shootings", pooling="bayes")


def test_pooling_approximate_results_gives_no_confident_badge(client, three_sites):
    """Count results with 24 months before the start are labelled approximate (coverage
    measured below 93%); pooling their too-narrow intervals must not turn them into a
    confident Improved badge."""
    comparison = compare_metric("nonfatal_shootings")
    # each site's public version (small counts hidden, re-run on imputed inputs) keeps the
    # approximate label, so no site row claims an improvement either
    assert {row["direction"] for row in comparison.table_rows[:-1]} == {"approximate: no claim"}
    pooled = comparison.pooled
    # the interval alone would read as a clear fall of a metric where lower is better
    assert pooled["ci_high"] < 1
    assert comparison.pooled_direction == "approximate"
    assert "Approximate: 3 of the 3 pooled results" in comparison.pooled_note
    html = client.get("/compare/", {"metric": "nonfatal_shootings"}).content.decode()
    assert "Approximate: 3 of the 3 pooled results" in html


def test_a_slope_only_result_is_not_pooled_with_level_effects(three_sites, site_a):
    """An ITS with impact="slope" estimates a change a month in the trend, not an effect of
    the strategy's size: pooling it with DiD and level-change results would mix estimands."""
    site_d = factories.GranteeSiteFactory(slug="site-d", name="Site D Prosecutor")
    slope = make_analysis(
        site=site_d, design="its", seed=4, options={"impact": "slope"}, title="D slope"
    )
    comparison = compare_metric("nonfatal_shootings")
    assert comparison.pooled["k"] == 3
    assert slope.get_absolute_url() not in {r["url"] for r in comparison.table_rows}
    assert f"{result_label(slope)} (a slope change a month)" in comparison.excluded
