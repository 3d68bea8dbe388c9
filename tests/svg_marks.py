"""Reading Vega's SVG output (server-drawn or live in the browser): its mark groups and where
each item sits, so tests can check what a chart actually draws."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG_NS = "{http://www.w3.org/2000/svg}"


def marks(svg: str, kind: str, *, data_only: bool = True) -> list[ET.Element]:
    """The items of every Vega mark group of ``kind`` ("rule", "symbol", "text"...): only the
    chart's own marks, or with ``data_only=False`` also axes, grid lines and legends."""
    root = ET.fromstring(svg)
    found = []
    for group in root.iter(f"{SVG_NS}g"):
        classes = (group.get("class") or "").split()
        if f"mark-{kind}" in classes and (not data_only or "role-mark" in classes):
            found.extend(list(group))
    return found


def translate_x(element: ET.Element) -> float:
    """The x of an item Vega places with ``transform="translate(x,y)"``."""
    match = re.search(r"translate\(([-\d.e]+)", element.get("transform", ""))
    if match is None:
        raise AssertionError(f"no translate() on {element.tag} {element.attrib}")
    return float(match.group(1))


def start_rule_position(svg: str, months: list[str], start: str) -> tuple[int, float, float]:
    """(how many "Start" labels, the rule's x, the x of the start month's point) on a series
    chart whose observed points are drawn one per month of ``months``."""
    labels = [t for t in marks(svg, "text") if (t.text or "").strip() == "Start"]
    rules = marks(svg, "rule")
    if len(rules) != 1:
        raise AssertionError(f"expected one rule, found {len(rules)}")
    point_x = sorted({round(translate_x(p), 3) for p in marks(svg, "symbol")})
    if len(point_x) != len(months):
        raise AssertionError(f"{len(point_x)} point positions for {len(months)} months")
    return len(labels), translate_x(rules[0]), point_x[sorted(months).index(start)]
