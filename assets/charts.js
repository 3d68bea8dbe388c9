// Renders every <div data-vega-spec="id-of-json-script"> with vega-embed.
// The data table beside each chart stays the accessible source; the chart is an enhancement.
import embed from "vega-embed";
import { expressionInterpreter } from "vega-interpreter";

function renderAll() {
  document.querySelectorAll("[data-vega-spec]").forEach((el) => {
    const source = document.getElementById(el.dataset.vegaSpec);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    embed(el, spec, {
      ast: true,
      expr: expressionInterpreter,
      actions: { export: true, source: false, compiled: false, editor: false },
      renderer: "svg",
    })
      .then(() => el.setAttribute("data-rendered", "true"))
      .catch((err) => {
        el.setAttribute("data-render-error", String(err));
      });
  });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", renderAll);
} else {
  renderAll();
}
