/**
 * HTML helpers and the page shell of the report: one self-contained file — inline CSS, inline
 * SVG, a few lines of inline script, no fetch, no font or image from the network.
 */

/** Escapes text for HTML element content and attribute values. */
export function esc(value: unknown): string {
    return String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export interface PageSection {
    readonly id: string;
    readonly title: string;
    readonly html: string;
}

const CSS = `
:root { --ok:#2e8540; --risk:#d9a300; --over:#c0392b; --open:#6c7fa0; --na:#b8bec6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2630; background: #f5f7fa; }
header { background: #1f3550; color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; opacity: .85; font-size: 13px; }
nav { background: #fff; border-bottom: 1px solid #d8dee6; padding: 6px 24px; }
nav a { margin-right: 16px; color: #1f5fa8; text-decoration: none; font-weight: 600; }
main { padding: 8px 24px 40px; }
section { background: #fff; border: 1px solid #d8dee6; border-radius: 8px; padding: 14px 18px; margin: 16px 0; }
section h2 { margin: 0 0 8px; font-size: 17px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d8dee6; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef2f7; }
.summary { display: flex; gap: 10px; flex-wrap: wrap; margin: 6px 0 10px; }
.chip { border-radius: 12px; padding: 2px 10px; font-weight: 600; font-size: 12px; color: #fff; }
.s-within { background: var(--ok); } .s-at-risk { background: var(--risk); color: #222; } .s-over { background: var(--over); }
.s-open { background: var(--open); } .s-na { background: var(--na); color: #222; }
.s-pass { background: var(--ok); } .s-fail { background: var(--over); } .s-not-applicable, .s-disabled { background: var(--na); color: #222; } .s-warn { background: var(--risk); color: #222; }
table.heatmap td { padding: 3px; min-width: 150px; }
table.heatmap td.empty { background: #f3f4f6; }
.cell { border-radius: 5px; margin: 2px 0; color: #fff; }
.cell.s-at-risk, .cell.s-na { color: #222; }
.cell summary { cursor: pointer; padding: 3px 6px; display: flex; justify-content: space-between; gap: 8px; list-style: none; }
.cell summary::-webkit-details-marker { display: none; }
.cell .metric { font-weight: 700; width: 44px; }
.cell .margin { font-variant-numeric: tabular-nums; font-weight: 700; }
.cell .terms { background: #fff; color: #1d2630; padding: 6px 8px; border: 1px solid #ccd; border-radius: 0 0 5px 5px; font-size: 12px; max-width: 520px; }
.cell .terms ul { margin: 4px 0; padding-left: 18px; }
.basis { font-size: 11px; color: #555; }
.legend-note { font-size: 12px; color: #444; }
.drills { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px; }
.drill-chart { border: 1px solid #e1e5ea; border-radius: 6px; padding: 6px 8px; }
.drill-chart h4 { margin: 0 0 2px; font-size: 12.5px; font-weight: 600; }
.drill-chart .last { font-size: 12px; color: #333; }
pre.json { background: #f6f8fa; border: 1px solid #e1e5ea; padding: 8px; overflow: auto; max-height: 360px; font-size: 12px; }
.muted { color: #666; }
`;

/** Toggles every cell of the heat map open or closed at once. */
const SCRIPT = `
document.querySelectorAll("[data-toggle-all]").forEach(function (b) {
  b.addEventListener("click", function () {
    var box = document.getElementById(b.getAttribute("data-toggle-all"));
    var open = b.getAttribute("data-open") !== "1";
    box.querySelectorAll("details").forEach(function (d) { d.open = open; });
    b.setAttribute("data-open", open ? "1" : "0");
    b.textContent = open ? "collapse all" : "expand all";
  });
});
`;

export function page(title: string, subtitle: string, sections: readonly PageSection[]): string {
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><p>${esc(subtitle)}</p></header>
<nav>${sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join("")}</nav>
<main>
${sections.map((s) => `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>\n${s.html}\n</section>`).join("\n")}
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
