/** The HTML bench report's stylesheet, inlined into the page: it must open offline, so nothing is linked. */
export const REPORT_CSS = `
:root { color-scheme: light; --ink: #1f2328; --muted: #656d76; --line: #d8dee4; --soft: #f6f8fa; --fail: #b42318; --pass: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; color: var(--ink); background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
main { max-width: 1180px; margin: 0 auto; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 16px 0 6px; }
p { margin: 6px 0; }
.sub { color: var(--muted); margin: 0 0 12px; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12.5px; }
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12.5px; background: var(--soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.overall td { font-weight: 600; border-top: 2px solid var(--line); }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 0; margin: 6px 0; font-size: 12.5px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { flex: none; }
.note { color: var(--muted); font-size: 12.5px; }
.verdict { display: inline-block; padding: 6px 12px; border-radius: 6px; margin: 8px 0; }
.verdict.pass { background: #dafbe1; color: var(--pass); }
.verdict.fail { background: #ffebe9; color: var(--fail); }
.budget-check.fail td { color: var(--fail); }
.budget-check .result { font-weight: 600; }
.budget-check.pass .result { color: var(--pass); }
table.waterfall td { padding-top: 2px; padding-bottom: 2px; vertical-align: middle; }
table.waterfall td.chart, table.waterfall th.chart { padding: 0 6px; }
table.waterfall th.chart { vertical-align: bottom; }
table.waterfall .file { max-width: 240px; overflow-wrap: break-word; }
/* The bars keep a readable scale on a narrow screen or paper: the file names wrap first. */
table.waterfall svg.bar, table.waterfall svg.axis { min-width: 460px; }
table.waterfall th.total { white-space: nowrap; }
.path { color: var(--muted); font-size: 11.5px; }
.missing { display: block; color: var(--fail); font-size: 11.5px; }
svg { max-width: 100%; height: auto; display: block; }
svg .swatch, .legend svg { display: inline; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif; fill: var(--ink); }
svg .tick, svg text.tick { fill: var(--muted); stroke: var(--muted); stroke-width: 1; }
svg text.tick { stroke: none; }
svg.axis text { fill: var(--muted); }
svg .grid { stroke: #eaeef2; stroke-width: 1; }
svg .speech-end { stroke: var(--ink); stroke-width: 1.5; stroke-dasharray: 3 2; }
svg .speech-label { font-size: 10px; fill: #444; }
svg .stage-segment { stroke: #fff; stroke-width: 0.5; }
svg .label { font-size: 12px; }
svg .value { font-size: 11px; font-variant-numeric: tabular-nums; }
.budget-marker line, .budget-key line { stroke: var(--ink); stroke-width: 2; }
.budget-marker path, .budget-key path { fill: var(--ink); }
.budget-marker.fail line { stroke: var(--fail); }
.budget-marker.fail path { fill: var(--fail); }
.wer-bar rect.track { fill: var(--soft); stroke: var(--line); }
.wer-bar rect.fill { fill: #8250df; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 0 32px; }
table.turns { width: 100%; }
.turns td.text { overflow-wrap: anywhere; }
.turns td.nowrap { white-space: nowrap; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { padding: 0; font-size: 11.5px; }
  h2 { break-after: avoid; }
  section, tr, svg { break-inside: avoid; }
}
`;
