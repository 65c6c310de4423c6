/**
 * The bench report as one self-contained HTML page: inline CSS and inline SVG charts drawn here,
 * no script, font, image or link to load, so that it opens offline from a file or an e-mail and
 * prints as it shows. Every text from the report is escaped.
 */
import { BENCH_STAGES, BENCH_TOTALS, type BenchReport, type BenchTurn, type DeviceFacts, type FileWordErrorRate, type ThermalState } from '../BenchReport.js';
import { formatLimit, renderBudgetBanner, renderBudgetTable } from './budgetSection.js';
import { MISSING, escapeHtml, formatMsUnit, formatRatioPercent, withUnit } from './html.js';
import { REPORT_CSS } from './reportStyle.js';
import { renderStageBars, renderStageBarsLegend } from './svgStageBars.js';
import { renderStageLegend, renderWaterfall } from './svgWaterfall.js';

const text = (value: unknown) => escapeHtml(String(value));

/** The page's title: what ran where and when. */
function reportTitle(report: BenchReport): string {
  return `kiosk-voice bench — ${report.device.board} — ${report.startedAt}`;
}

function header(report: BenchReport): string {
  const models = Object.entries(report.models)
    .map(([role, id]) => `${text(role)}: <code>${text(id)}</code>`)
    .join(', ');
  const turns = report.options.turns === report.turns.length ? `${report.turns.length}` : `${report.turns.length} (${report.options.turns} asked)`;
  const meta: [string, string][] = [
    ['version', text(report.version)],
    ['models', models || MISSING],
    ['config hash', `<code>${text(report.configHash)}</code>`],
    ['corpus', `<code>${text(report.corpus.dir)}</code> (${text(report.corpus.files)} files)`],
    ['turns', `${text(turns)}, ${report.options.throughAlsa ? 'played aloud through ALSA' : 'fed from the files'}`],
    ['finished', text(report.finishedAt)],
  ];
  return (
    `<header><h1>${escapeHtml(reportTitle(report))}</h1><p class="sub">${text(report.schema)}</p>` +
    `<dl class="meta">${meta.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join('')}</dl>` +
    `${report.budget ? renderBudgetBanner(report.budget) : ''}</header>`
  );
}

function stagesTable(report: BenchReport): string {
  const limitsOf = (name: string) =>
    (report.budget?.checks ?? [])
      .filter((check) => check.metric.startsWith(`${name}.`))
      .map((check) => `${escapeHtml(check.metric.slice(name.length + 1))} ${formatLimit(check)}`)
      .join(', ');
  const rows = [...BENCH_STAGES, ...BENCH_TOTALS].map(({ name, label }) => {
    const stats = report.stages[name];
    const limits = report.budget ? `<td>${limitsOf(name) || MISSING}</td>` : '';
    return `<tr data-stage="${name}"><td>${escapeHtml(label)}</td><td class="num">${formatMsUnit(stats?.p50)}</td><td class="num">${formatMsUnit(stats?.p95)}</td><td class="num">${formatMsUnit(stats?.max)}</td><td class="num">${text(stats?.n ?? 0)}</td>${limits}</tr>`;
  });
  return `<table class="stages"><thead><tr><th>stage</th><th class="num">p50</th><th class="num">p95</th><th class="num">max</th><th class="num">n</th>${report.budget ? '<th>budget</th>' : ''}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A WER as a bar 0…100 % (beyond 100 % it stays full; the figure beside it says how far). */
function werBar(wer: number | null): string {
  const width = 120;
  const filled = wer === null || !Number.isFinite(wer) ? 0 : Math.min(1, Math.max(0, wer)) * width;
  return `<svg class="wer-bar" width="${width}" height="10" viewBox="0 0 ${width} 10" aria-hidden="true"><rect class="track" x="0.5" y="0.5" width="${width - 1}" height="9"/><rect class="fill" x="0.5" y="0.5" width="${filled.toFixed(1)}" height="9"/></svg>`;
}

function werTable(report: BenchReport): string {
  const row = (file: FileWordErrorRate) => {
    const e = file.errors;
    return (
      `<tr class="wer-file"><td>${text(file.file)}</td><td class="text">${text(file.reference)}</td><td class="num">${text(file.turns)}</td>` +
      `<td class="num">${text(e.substitutions)}</td><td class="num">${text(e.deletions)}</td><td class="num">${text(e.insertions)}</td><td class="num">${text(e.referenceWords)}</td>` +
      `<td class="num">${formatRatioPercent(file.wer)}</td><td>${werBar(file.wer)}</td></tr>`
    );
  };
  const overall = `<tr class="overall"><td colspan="7">overall</td><td class="num">${formatRatioPercent(report.wer.overall)}</td><td>${werBar(report.wer.overall)}</td></tr>`;
  return (
    `<table class="wer"><thead><tr><th>file</th><th>reference</th><th class="num">turns</th><th class="num" title="substitutions">S</th><th class="num" title="deletions">D</th><th class="num" title="insertions">I</th><th class="num" title="reference words">N</th><th class="num">WER</th><th></th></tr></thead>` +
    `<tbody>${report.wer.perFile.map(row).join('')}${overall}</tbody></table>`
  );
}

function throttle(state: ThermalState): string {
  if (!state.throttled) return MISSING;
  const flags = state.throttled.flags.length > 0 ? state.throttled.flags.map(text).join(', ') : 'none';
  return `<code>${text(state.throttled.raw)}</code> (${flags})`;
}

function figures(report: BenchReport): string {
  const { engines, system } = report;
  const rss = system.rssMb;
  const growth = Number.isFinite(rss.end - rss.start) ? ` (${rss.end - rss.start >= 0 ? '+' : ''}${(rss.end - rss.start).toFixed(0)} MB)` : '';
  const table = (rows: [string, string][]) => `<table class="figure-table"><tbody>${rows.map(([k, v]) => `<tr><td>${k}</td><td class="num">${v}</td></tr>`).join('')}</tbody></table>`;
  const engineRows: [string, string][] = [
    ['glue (not engine compute)', withUnit(report.gluePercent, 1, '%')],
    ['ASR real-time factor', withUnit(engines.asrRealTimeFactor, 2, '×')],
    ['TTS real-time factor', withUnit(engines.ttsRealTimeFactor, 2, '×')],
    ['LLM prompt', withUnit(engines.llmPromptTokensPerSecond, 1, 'tokens/s')],
    ['LLM generation', withUnit(engines.llmGenerationTokensPerSecond, 1, 'tokens/s')],
  ];
  const machineRows: [string, string][] = [
    ['CPU temperature', `${withUnit(system.before.cpuTemperatureC, 1, '°C')} → ${withUnit(system.after.cpuTemperatureC, 1, '°C')}`],
    ['throttled (before)', throttle(system.before)],
    ['throttled (after)', throttle(system.after)],
    ['RSS', `${withUnit(rss.start, 0, 'MB')} → ${withUnit(rss.end, 0, 'MB')}${growth}`],
  ];
  return `<div class="figures"><div><h3>Engines</h3>${table(engineRows)}<p class="note">Real-time factor: compute over audio duration (below 1× is faster than real time).</p></div><div><h3>The machine, before → after</h3>${table(machineRows)}</div></div>`;
}

/** "complete after 234 of 220 ms, speculated": the verdict, the silence had and asked for, and whether the reply was made at the pause. */
function endOfTurn(turn: BenchTurn): string {
  const endpoint = turn.endpoint;
  if (!endpoint) return 'fixed silence';
  const spoken = `${endpoint.verdict} after ${Math.round(endpoint.silenceMs)} of ${Math.round(endpoint.requiredSilenceMs)} ms`;
  return turn.speculation?.hits ? `${spoken}, speculated` : spoken;
}

function turnsTable(report: BenchReport): string {
  const rows = report.turns.map((turn) => {
    const w = turn.words;
    const errors = w.substitutions + w.deletions + w.insertions;
    return (
      `<tr data-turn="${text(turn.index)}"><td class="num">${text(turn.index)}</td><td>${text(turn.file)}</td><td class="nowrap">${text(turn.path)}${turn.outcome ? `, ${text(turn.outcome)}` : ''}</td>` +
      `<td class="text transcript">${text(turn.transcript)}</td><td class="text reply">${text(turn.reply)}</td><td class="num">${text(errors)} / ${text(w.referenceWords)}</td><td class="text">${text(endOfTurn(turn))}</td><td class="num">${formatMsUnit(turn.latencies.endOfSpeechToFirstAudio)}</td></tr>`
    );
  });
  return `<table class="turns"><thead><tr><th class="num">#</th><th>file</th><th>path</th><th>heard</th><th>reply</th><th class="num">word errors</th><th>end of turn</th><th class="num">speech end → first audio</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const DEVICE_LABELS: Record<keyof DeviceFacts, string> = {
  hostname: 'hostname',
  board: 'board',
  kernel: 'kernel',
  os: 'OS',
  arch: 'architecture',
  cpu: 'CPU',
  cpus: 'CPUs',
  memoryMb: 'memory (MB)',
  node: 'Node.js',
};

function deviceTable(device: DeviceFacts): string {
  // Every field, the known ones labelled: a newer report's extra facts still show.
  const rows = Object.entries(device).map(([key, value]) => `<tr><th scope="row">${text(DEVICE_LABELS[key as keyof DeviceFacts] ?? key)}</th><td>${value === null || value === undefined ? MISSING : text(value)}</td></tr>`);
  return `<table class="device"><tbody>${rows.join('')}</tbody></table>`;
}

const section = (id: string, title: string, body: string) => `<section id="${id}"><h2>${title}</h2>${body}</section>`;

/** The whole report as one HTML5 document that needs nothing else to open, show or print. */
export function renderHtmlReport(report: BenchReport): string {
  const sections = [
    section('waterfall', 'Per-turn waterfall', renderStageLegend() + renderWaterfall(report.turns)),
    section('stages', 'Latency per stage (p50 / p95)', renderStageBarsLegend(Boolean(report.budget)) + renderStageBars(report) + stagesTable(report)),
    report.budget ? section('budget', 'Budget checks', renderBudgetTable(report.budget)) : '',
    section('wer', `Recognition: WER ${formatRatioPercent(report.wer.overall)} overall`, werTable(report)),
    section('figures', 'Glue, engines and the machine', figures(report)),
    section('turns', 'Turns', turnsTable(report)),
    section('device', 'Device', deviceTable(report.device)),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing may load: say so to the browser too, so that a future edit that links something fails visibly.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(reportTitle(report))}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    `<body><main>${header(report)}${sections.join('')}</main></body>`,
    '</html>',
    '',
  ].join('\n');
}
