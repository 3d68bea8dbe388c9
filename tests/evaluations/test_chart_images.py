"""Charts drawn on the server (vl-convert): the start rule once and in the right place, every
layer's data right, the SVG and PNG downloads, their disclosure and their cache."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from evaluations.analyses import chart_render, charts, presentation
from tests.evaluations.analysis_helpers import INTERVENTION, compute, make_analysis, make_rows
from tests.evaluations.test_analysis_charts import fake_analysis
from tests.svg_marks import SVG_NS, marks, start_rule_position

DESIGNS = [("its", "count"), ("its_with_comparison", "continuous"), ("did", "count")]


def series_table(design: str, kind: str) -> charts.ChartTable:
    rows = make_rows(design=design, kind=kind, effect=-0.3 if kind == "count" else -3.0)
    result = compute(design, kind, rows)
    analysis = fake_analysis(design, "count" if kind == "count" else "days")
    return presentation.chart_tables(analysis, result, rows, suppress=False)[0]


def _layers_without_own_data(spec: dict) -> list[dict]:
    """Layers that would inherit the chart's rows while encoding no field of them: each would
    draw its mark once per row, all on top of each other."""
    bad = []
    for layer in spec.get("layer", []):
        if "data" in layer:
            continue
        fields = [
            channel.get("field")
            for channel in layer.get("encoding", {}).values()
            if isinstance(channel, dict)
        ]
        if not any(fields):
            bad.append(layer)
    return bad


@pytest.mark.parametrize(("design", "kind"), DESIGNS)
def test_start_rule_has_one_datum_at_the_intervention(design, kind):
    table = series_table(design, kind)
    start = INTERVENTION.isoformat()[:7]
    own = [layer for layer in table.spec["layer"] if "data" in layer]
    assert {layer["mark"]["type"] for layer in own} == {"rule", "text"}
    for layer in own:
        assert layer["data"]["values"] == [{"month": start, "label": "Start"}]
    # no transform at the top: it would run on the rule's own row too
    assert "transform" not in table.spec
    assert _layers_without_own_data(table.spec) == []


def test_forest_and_means_layers_do_not_inherit_rows():
    rows = [
        {"label": "A", "estimate": 0.8, "ci_low": 0.6, "ci_high": 1.0, "weight": 50.0},
        {"label": "B", "estimate": 1.1, "ci_low": 0.9, "ci_high": 1.3, "weight": 50.0},
    ]
    forest = charts.forest_chart(
        slug="f", title="t", description="d", rows=rows, scale_label="Rate ratio", null_value=1.0
    )
    assert _layers_without_own_data(forest.spec) == []
    assert [layer["data"]["values"] for layer in forest.spec["layer"] if "data" in layer] == [
        [{"reference": 1.0}]
    ]
    # the means chart is a single view: nothing to inherit
    means = charts.means_chart(
        slug="m",
        title="t",
        description="d",
        rows=[{"group": "T", "before": 1.0, "after": 2.0}],
        value_label="v",
    )
    assert "layer" not in means.spec


@pytest.mark.parametrize(("design", "kind"), DESIGNS)
def test_drawn_start_rule_is_drawn_once_at_the_intervention_month(design, kind):
    table = series_table(design, kind)
    svg = chart_render.chart_render(table, "svg")
    months = [row["month"] for row in table.rows]
    labels, rule_x, start_x = start_rule_position(svg, months, INTERVENTION.isoformat()[:7])
    assert labels == 1
    assert rule_x == pytest.approx(start_x, abs=0.01)


def test_svg_names_the_chart_for_assistive_technology():
    table = series_table("its", "count")
    svg = chart_render.chart_render(table, "svg")
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-title chart-desc"
    title, desc = root.find(f"{SVG_NS}title"), root.find(f"{SVG_NS}desc")
    assert (title.get("id"), title.text) == ("chart-title", table.title)
    assert (desc.get("id"), desc.text) == ("chart-desc", table.description)
    # markup in a title is text, not elements
    hostile = chart_render.accessible_svg("<svg a='1'></svg>", title="<script>x", description="&")
    assert "<script>" not in hostile and "&lt;script&gt;x" in hostile


@pytest.mark.django_db
def test_result_page_shows_the_drawn_chart_and_links_every_download(client, site_a):
    analysis = make_analysis(site=site_a, design="its")
    html = client.get(analysis.get_absolute_url()).content.decode()
    base = f"/evaluations/analyses/{analysis.pk}/chart-{analysis.pk}-series"
    assert f'<img class="portal-chart__static" src="{base}.svg"' in html
    for suffix in (".csv", ".svg", ".png"):
        assert f'href="{base}{suffix}"' in html
    assert "<figcaption>" in html
    svg = client.get(base + ".svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<svg")
    png = client.get(base + ".png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert client.get(f"/evaluations/analyses/{analysis.pk}/chart-nope.svg").status_code == 404


@pytest.mark.django_db
def test_public_image_draws_exactly_the_public_csv(client, site_a, monkeypatch):
    """The spec handed to the renderer carries the same rows, cell for cell, as the public CSV
    of that chart; exact small counts never reach it."""
    analysis = make_analysis(site=site_a, design="its", base=3.0)
    drawn = []

    def capture(spec, fmt):
        drawn.append(spec)
        return "<svg/>" if fmt == "svg" else b"png"

    monkeypatch.setattr(chart_render, "_render", capture)
    monkeypatch.setattr(chart_render.cache, "get", lambda key: None)
    base = f"/evaluations/analyses/{analysis.pk}/chart-{analysis.pk}-series"
    client.get(base + ".svg")
    public_csv = client.get(base + ".csv").content.decode()
    assert "<10" in public_csv
    table = list(csv.reader(io.StringIO(public_csv)))
    values = drawn[0]["data"]["values"]
    keys = list(values[0])
    drawn_cells = [[_cell(row[k]) for k in keys] for row in values]
    # The CSV writes numbers for readers (0.0 as "0"); compare values, and text exactly.
    assert drawn_cells == [[_cell(v) for v in row] for row in table[1:]]


def _cell(value) -> str | float:
    if value is None or value == "":
        return ""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


@pytest.mark.django_db
def test_compare_chart_images(client, site_a, site_b):
    make_analysis(site=site_a, design="did", title="A did")
    make_analysis(site=site_b, design="its", seed=2, title="B its")
    query = {"metric": "nonfatal_shootings"}
    html = client.get("/compare/", query).content.decode()
    assert "format=svg" in html and "format=png" in html
    svg = client.get("/compare/", {**query, "format": "svg"})
    assert svg["Content-Type"] == "image/svg+xml"
    labels = [t.text for t in marks(svg.content.decode(), "text", data_only=False)]
    # each result's short label appears on the plot's axis
    for row in client.get("/compare/", query).context["comparison"].table_rows:
        assert row["label"] in labels
    assert client.get("/compare/", {**query, "format": "png"}).content[:4] == b"\x89PNG"
    # No metric: nothing to draw, and the answer says which parameter is missing.
    missing = client.get("/compare/", {"format": "svg"})
    assert missing.status_code == 400 and b"metric" in missing.content


def test_rendering_is_cached(monkeypatch):
    table = series_table("did", "count")
    first = chart_render.chart_render(table, "svg")
    monkeypatch.setattr(chart_render, "_render", lambda spec, fmt: pytest.fail("not cached"))
    assert chart_render.chart_render(table, "svg") == first
    with pytest.raises(ValueError, match="Unknown chart format"):
        chart_render.chart_render(table, "gif")


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_renders_with_no_network():
    """vl-convert brings Vega, Vega-Lite and fonts with it: drawing needs no network."""
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot create a network namespace here: " + probe.stderr.decode())
    table = series_table("its", "count")
    code = (
        "import json, sys, django, vl_convert\n"
        "django.setup()\n"
        "from evaluations.analyses.chart_render import static_spec\n"
        "spec = static_spec(json.load(sys.stdin))\n"
        "print(vl_convert.vegalite_to_svg(spec)[:4]);"
        "print(len(vl_convert.vegalite_to_png(spec)) > 1000)"
    )
    done = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", code],
        input=json.dumps(table.spec),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["<svg", "True"]
