// Enhances every <div data-vega-spec="id-of-json-script"> with a live vega-embed chart.
// The server already drew the chart as an SVG image inside the element (what readers without
// JavaScript, and printers, get); it is replaced only once the live chart has rendered, so a
// failure leaves the drawn chart in place. The table beside each chart stays the accessible
// source of its numbers.
import embed from "vega-embed";
import { expressionInterpreter } from "vega-interpreter";

// The live SVG takes the place of the server-drawn image, so it takes its accessible name (the
// chart's heading) and description too; its marks stay out of the way of screen readers,
// which read the table under the chart instead.
function labelSvg(el) {
  const svg = el.querySelector("svg");
  if (!svg) return;
  svg.setAttribute("role", "img");
  if (el.dataset.labelledby) svg.setAttribute("aria-labelledby", el.dataset.labelledby);
  if (el.dataset.describedby) svg.setAttribute("aria-describedby", el.dataset.describedby);
  svg.removeAttribute("aria-label");
  svg.removeAttribute("aria-roledescription");
}

function renderAll() {
  document.querySelectorAll("[data-vega-spec]").forEach((el) => {
    const source = document.getElementById(el.dataset.vegaSpec);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const target = document.createElement("div");
    target.className = "portal-chart__live";
    el.appendChild(target);
    embed(target, spec, {
      ast: true,
      expr: expressionInterpreter,
      actions: false,
      renderer: "svg",
    })
      .then(() => {
        el.querySelectorAll(".portal-chart__static").forEach((img) => img.remove());
        labelSvg(el);
        el.setAttribute("data-rendered", "true");
      })
      .catch((err) => {
        target.remove();
        el.setAttribute("data-render-error", String(err));
      });
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", renderAll);
} else {
  renderAll();
}
