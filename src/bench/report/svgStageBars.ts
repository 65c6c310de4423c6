/**
 * The p50/p95 chart of the HTML bench report: two bars per stage (and for the whole end of speech
 * → first audio) on one scale, with the budget's limit drawn across the bar it applies to.
 */
import { BENCH_STAGES, BENCH_TOTALS, type BenchReport, type BudgetCheck, type MetricStats } from '../BenchReport.js';
import { formatLimit, formatMetricValue } from './budgetSection.js';
import { escapeHtml, formatMs, formatMsUnit } from './html.js';
import { STAGE_COLOURS, TOTAL_COLOUR, swatch } from './stagePalette.js';

const WIDTH = 820;
const LABEL_WIDTH = 200;
const VALUE_WIDTH = 110;
const ROW_HEIGHT = 38;
const BAR_HEIGHT = 12;
const TOP = 6;

interface ChartRow {
  name: string;
  label: string;
  colour: string;
  stats: MetricStats;
}

const PERCENTILES = ['p50', 'p95'] as const;

function rowsOf(report: BenchReport): ChartRow[] {
  const none: MetricStats = { p50: null, p95: null, max: null, n: 0 };
  const total = BENCH_TOTALS.find((t) => t.name === 'endOfSpeechToFirstAudio')!;
  return [
    ...BENCH_STAGES.map((stage) => ({ name: stage.name, label: stage.label, colour: STAGE_COLOURS[stage.name], stats: report.stages[stage.name] ?? none })),
    { name: total.name, label: total.label, colour: TOTAL_COLOUR, stats: report.stages[total.name] ?? none },
  ];
}

const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/** A round end for the scale and the step of its ticks: at most eight ticks of a round number of ms. */
function scaleFor(value: number): { end: number; step: number } {
  const top = value > 0 ? value : 100;
  const step = STEPS.find((s) => top / s <= 8) ?? STEPS[STEPS.length - 1]!;
  return { end: Math.ceil(top / step) * step, step };
}

/** The chart as one inline SVG; a `budget-marker` per limit in report.budget on a shown bar. */
export function renderStageBars(report: BenchReport): string {
  const rows = rowsOf(report);
  const checks = new Map<string, BudgetCheck>((report.budget?.checks ?? []).map((check) => [check.metric, check]));
  const values = rows.flatMap((row) => PERCENTILES.map((p) => row.stats[p]));
  const limits = rows.flatMap((row) => PERCENTILES.map((p) => checks.get(`${row.name}.${p}`)?.limit));
  const { end: scaleMax, step } = scaleFor(Math.max(0, ...[...values, ...limits].filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v))));
  const plotLeft = LABEL_WIDTH + 10;
  const plotWidth = WIDTH - plotLeft - VALUE_WIDTH - 10;
  const x = (ms: number) => plotLeft + (Math.min(Math.max(ms, 0), scaleMax) / scaleMax) * plotWidth;
  const height = TOP + rows.length * ROW_HEIGHT + 20;

  const body = rows.map((row, i) => {
    const y = TOP + i * ROW_HEIGHT;
    const parts = [`<text class="label" x="${LABEL_WIDTH}" y="${y + BAR_HEIGHT + 5}" text-anchor="end">${escapeHtml(row.label)}</text>`];
    PERCENTILES.forEach((p, k) => {
      const barY = y + k * (BAR_HEIGHT + 2);
      const value = row.stats[p];
      if (value !== null && Number.isFinite(value)) {
        parts.push(
          `<rect class="stage-bar" data-stage="${row.name}" data-percentile="${p}" x="${plotLeft}" y="${barY}" width="${(Math.max(1, x(value) - plotLeft)).toFixed(1)}" height="${BAR_HEIGHT}" fill="${row.colour}" fill-opacity="${p === 'p50' ? 1 : 0.45}"><title>${escapeHtml(row.label)} ${p}: ${formatMsUnit(value)} (n = ${row.stats.n})</title></rect>`,
        );
      }
      parts.push(`<text class="value" x="${WIDTH - VALUE_WIDTH}" y="${barY + BAR_HEIGHT - 2}">${p} ${formatMsUnit(value)}</text>`);
      const check = checks.get(`${row.name}.${p}`);
      if (check) {
        const at = x(check.limit).toFixed(1);
        parts.push(
          `<g class="budget-marker ${check.ok ? 'pass' : 'fail'}" data-metric="${escapeHtml(check.metric)}"><title>budget ${escapeHtml(check.metric)} ${formatLimit(check)}: measured ${formatMetricValue(check.metric, check.value)}, ${check.ok ? 'pass' : 'FAIL'}</title>` +
            `<line x1="${at}" x2="${at}" y1="${barY - 2}" y2="${barY + BAR_HEIGHT + 2}"/><path d="M${at} ${barY - 2} l-3 -4 h6 z"/></g>`,
        );
      }
    });
    return parts.join('');
  });
  const axisY = TOP + rows.length * ROW_HEIGHT;
  const ticks: string[] = [];
  for (let t = 0; t <= scaleMax; t += step) {
    const at = x(t).toFixed(1);
    ticks.push(`<line class="grid" x1="${at}" x2="${at}" y1="${TOP - 4}" y2="${axisY}"/><text class="tick" x="${at}" y="${axisY + 13}" text-anchor="middle">${formatMs(t)}${t + step > scaleMax ? ' ms' : ''}</text>`);
  }
  return `<svg class="stage-bars" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="p50 and p95 per stage in ms">${ticks.join('')}${body.join('')}</svg>`;
}

/** Explains the chart's marks: solid p50, light p95, and the budget marker when there is a budget. */
export function renderStageBarsLegend(hasBudget: boolean): string {
  const marker = hasBudget
    ? `<li><svg class="swatch" width="12" height="12" viewBox="0 0 12 12" aria-hidden="true"><g class="budget-key"><line x1="6" x2="6" y1="2" y2="12"/><path d="M6 4 l-3 -4 h6 z"/></g></svg> budget limit (red when not met)</li>`
    : '';
  return `<ul class="legend"><li>${swatch(TOTAL_COLOUR)} p50</li><li>${swatch(TOTAL_COLOUR, 0.45)} p95</li>${marker}</ul>`;
}
