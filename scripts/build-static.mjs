// Copies the pinned front-end packages from node_modules into Django static files
// and bundles the chart module, so the portal never loads anything from a CDN.
// Output goes to portal/static/vendor and portal/static/portal/js (both git-ignored).
import { build } from "esbuild";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "portal", "static", "vendor");
const uswds = join(root, "node_modules", "@uswds", "uswds", "dist");

rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor, { recursive: true });
for (const part of ["css", "js", "fonts", "img"]) {
  cpSync(join(uswds, part), join(vendor, "uswds", part), { recursive: true });
}
cpSync(
  join(root, "node_modules", "htmx.org", "dist", "htmx.min.js"),
  join(vendor, "htmx", "htmx.min.js"),
);

// Charts: vega + vega-lite + vega-embed with the expression interpreter, bundled into one
// file so pages can keep a Content-Security-Policy without 'unsafe-eval'.
await build({
  entryPoints: [join(root, "assets", "charts.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  outfile: join(root, "portal", "static", "portal", "js", "charts.bundle.js"),
  logLevel: "warning",
});
console.log("static assets built into portal/static");
