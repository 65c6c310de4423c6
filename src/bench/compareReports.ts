import { BENCH_STAGES, BENCH_TOTALS, type BenchReport } from './BenchReport.js';
import { metricValue } from './budget.js';
import { percentile } from './percentile.js';

/** How a metric moved between two runs, or why that cannot be said. */
export type Verdict = 'slower' | 'faster' | 'worse' | 'better' | 'changed' | 'noise' | 'too few turns' | 'not measured';

export interface ComparisonRow {
  /** A budget metric name: `<stage>.p50`, `<stage>.p95`, `gluePercent`, `wer`, an engine figure. */
  metric: string;
  before: number | null;
  after: number | null;
  /** after − before. */
  delta: number | null;
  /** The delta in percent of before; null when before is 0 or a side was not measured. */
  deltaPercent: number | null;
  verdict: Verdict;
  /** Two-sided Mann–Whitney p-value of the per-turn values, for the stage metrics. */
  p?: number;
}

/** Two runs side by side: what differs about how they ran, then each figure with its verdict. */
export interface Comparison {
  /** What differs between the runs besides the figures (board, version, config hash, models). */
  differences: string[];
  rows: ComparisonRow[];
}

/** Fewer per-turn values than this on either side and no verdict is given. */
const MIN_TURNS = 5;
const SIGNIFICANCE = 0.05;
/** A stage change smaller than this is not worth a verdict, however certain. */
const MIN_STAGE_CHANGE = { percent: 5, ms: 2 };
/** One-per-run figures have no spread to test against: a change of this much is reported. */
const SCALAR_CHANGE_PERCENT = 10;
const SCALARS = ['gluePercent', 'wer', 'asrRealTimeFactor', 'ttsRealTimeFactor', 'llmPromptTokensPerSecond', 'llmGenerationTokensPerSecond'] as const;
const HIGHER_IS_BETTER = new Set<string>(['llmPromptTokensPerSecond', 'llmGenerationTokensPerSecond']);

/** The standard normal CDF (Abramowitz and Stegun 7.1.26 for erf; absolute error < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The result of a Mann–Whitney U test of `a` against `b`. */
export interface MannWhitney {
  /** U of `a`: the pairs (x from a, y from b) with x > y, ties counting ½. */
  u: number;
  /** (U − n₁n₂/2) / σ, σ with the tie correction; 0 when every value is the same. */
  z: number;
  /** Two-sided p-value, 2 · (1 − Φ(|z|)). */
  p: number;
}

/**
 * Two-sided Mann–Whitney U test: do the values of `a` tend to be larger or smaller than those of
 * `b`? Rank-based, so a few slow outliers (a cold first turn) do not decide it, and no normal
 * distribution of latencies is assumed. Uses the normal approximation of U (fine from about 5
 * values a side, which the comparison requires) with the tie correction
 * σ² = n₁n₂/12 · ((n + 1) − Σ(t³ − t) / (n(n − 1))), and no continuity correction.
 * With an empty side there is nothing to test: z 0, p 1.
 */
export function mannWhitney(a: number[], b: number[]): MannWhitney {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: 0, z: 0, p: 1 };
  const all = [...a.map((value) => ({ value, fromA: true })), ...b.map((value) => ({ value, fromA: false }))].sort((x, y) => x.value - y.value);
  const n = all.length;
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.value === all[i]!.value) j++;
    // Tied values share the mean of the ranks they span (1-based).
    const rank = (i + j) / 2 + 1;
    const tied = j - i + 1;
    tieTerm += tied ** 3 - tied;
    for (let k = i; k <= j; k++) if (all[k]!.fromA) rankSumA += rank;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, z: 0, p: 1 };
  const z = (u - (n1 * n2) / 2) / Math.sqrt(variance);
  return { u, z, p: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) };
}

function change(before: number | null, after: number | null): { delta: number | null; deltaPercent: number | null } {
  if (before === null || after === null) return { delta: null, deltaPercent: null };
  return { delta: after - before, deltaPercent: before === 0 ? null : ((after - before) / Math.abs(before)) * 100 };
}

const turnValues = (report: BenchReport, stage: string) => report.turns.flatMap((turn) => (turn.latencies[stage] === undefined ? [] : [turn.latencies[stage]!]));

/**
 * A stage's p50 or p95 row. The verdict is the same for both: it tests the per-turn distributions
 * (Mann–Whitney) and the shift of their median, so a change of the tail alone shows as a delta on
 * the p95 row with the verdict "noise" — 20 turns say little about a p95.
 */
function stageRow(before: BenchReport, after: BenchReport, stage: string, which: 'p50' | 'p95'): ComparisonRow {
  const metric = `${stage}.${which}`;
  const b = metricValue(before, metric);
  const a = metricValue(after, metric);
  const row = { metric, before: b, after: a, ...change(b, a) };
  const xs = turnValues(before, stage);
  const ys = turnValues(after, stage);
  if (xs.length < MIN_TURNS || ys.length < MIN_TURNS) return { ...row, verdict: 'too few turns' };
  const { p } = mannWhitney(xs, ys);
  const medianBefore = percentile(xs, 50);
  const shift = percentile(ys, 50) - medianBefore;
  const big = Math.abs(shift) >= MIN_STAGE_CHANGE.ms && Math.abs(shift) >= (Math.abs(medianBefore) * MIN_STAGE_CHANGE.percent) / 100;
  const verdict: Verdict = p < SIGNIFICANCE && big ? (shift > 0 ? 'slower' : 'faster') : 'noise';
  return { ...row, verdict, p };
}

/**
 * A one-per-run figure's row. These have no run-to-run noise estimate (one value a run), so a
 * change of ≥ 10 % of before is reported and a smaller one is called noise. Real-time factors:
 * higher is slower; tokens/s: higher is faster; WER: higher is worse. Glue % is only "changed":
 * it rises when the engines get faster with the glue unchanged, so up is not simply worse.
 */
function scalarRow(before: BenchReport, after: BenchReport, metric: (typeof SCALARS)[number]): ComparisonRow {
  const b = metricValue(before, metric);
  const a = metricValue(after, metric);
  const { delta, deltaPercent } = change(b, a);
  const row = { metric, before: b, after: a, delta, deltaPercent };
  if (delta === null) return { ...row, verdict: 'not measured' };
  const changed = deltaPercent === null ? delta !== 0 : Math.abs(deltaPercent) >= SCALAR_CHANGE_PERCENT;
  if (!changed) return { ...row, verdict: 'noise' };
  const up = delta > 0;
  if (metric === 'gluePercent') return { ...row, verdict: 'changed' };
  if (metric === 'wer') return { ...row, verdict: up ? 'worse' : 'better' };
  if (HIGHER_IS_BETTER.has(metric)) return { ...row, verdict: up ? 'faster' : 'slower' };
  return { ...row, verdict: up ? 'slower' : 'faster' };
}

/** Abbreviated for the header: a config hash is 12 hex digits, 4 tell two apart. */
const short = (hash: string) => (hash.length > 4 ? `${hash.slice(0, 4)}…` : hash);

function differences(before: BenchReport, after: BenchReport): string[] {
  const out: string[] = [];
  const differ = (what: string, b: string, a: string) => out.push(b === a ? `same ${what} (${a})` : `${what} ${b} → ${a}`);
  differ('board', before.device.board, after.device.board);
  differ('version', before.version, after.version);
  if (before.configHash === after.configHash) out.push(`same config hash (${before.configHash})`);
  else out.push(`config hash ${short(before.configHash)} → ${short(after.configHash)}`);
  const parts = [...new Set([...Object.keys(before.models), ...Object.keys(after.models)])];
  const changed = parts.filter((part) => before.models[part] !== after.models[part]);
  if (changed.length === 0) out.push('same models');
  else out.push(...changed.map((part) => `model ${part} ${before.models[part] ?? 'none'} → ${after.models[part] ?? 'none'}`));
  return out;
}

/**
 * Two runs side by side, `after` against `before`. A stage is "slower" or "faster" only when its
 * per-turn values differ beyond run-to-run noise — a two-sided Mann–Whitney U test at p < 0.05 —
 * and the median moved by ≥ 5 % and ≥ 2 ms; with fewer than 5 turns a side no verdict is given.
 * One-per-run figures (glue, WER, engine speed) have no noise estimate: ≥ 10 % is reported.
 */
export function compareReports(before: BenchReport, after: BenchReport): Comparison {
  const stages = [...BENCH_STAGES, ...BENCH_TOTALS].map((stage) => stage.name);
  return {
    differences: differences(before, after),
    rows: [...stages.flatMap((stage) => [stageRow(before, after, stage, 'p50'), stageRow(before, after, stage, 'p95')]), ...SCALARS.map((metric) => scalarRow(before, after, metric))],
  };
}

const WIDTH = 110;
const METRIC_WIDTH = 30;
const COLUMN_WIDTH = 11;

/** Decimals per metric: ms and tokens/s to 0.1, real-time factors to 0.01, WER (a ratio) to 0.001. */
const digitsOf = (metric: string) => (metric === 'wer' ? 3 : metric.endsWith('RealTimeFactor') ? 2 : 1);
const num = (value: number | null, digits: number) => (value === null ? '–' : value.toFixed(digits));
const signed = (value: number | null, digits: number) => (value === null ? '–' : `${value > 0 ? '+' : ''}${value.toFixed(digits)}`);
const clip = (text: string) => (text.length <= WIDTH ? text : `${text.slice(0, WIDTH - 1)}…`);

/** The comparison as a plain-text table of ≤ 110 columns: metric, before, after, delta, delta %, verdict (p). */
export function formatComparison(comparison: Comparison): string {
  const lines = ['comparison, before → after:', ...comparison.differences.map((d) => clip(`  ${d}`)), ''];
  const header = ['before', 'after', 'delta', 'delta %'].map((h) => h.padStart(COLUMN_WIDTH)).join('');
  lines.push(`${'metric'.padEnd(METRIC_WIDTH)}${header}  verdict`);
  for (const row of comparison.rows) {
    const digits = digitsOf(row.metric);
    const figures = [num(row.before, digits), num(row.after, digits), signed(row.delta, digits), row.deltaPercent === null ? '–' : `${signed(row.deltaPercent, 1)} %`];
    const p = row.p === undefined ? '' : ` (p ${row.p < 0.001 ? '< 0.001' : row.p.toFixed(3)})`;
    lines.push(`${row.metric.padEnd(METRIC_WIDTH)}${figures.map((f) => f.padStart(COLUMN_WIDTH)).join('')}  ${row.verdict}${p}`);
  }
  lines.push('', 'stages: Mann–Whitney over the per-turn values, p < 0.05 and a median shift ≥ 5 % and ≥ 2 ms;', 'glue, WER and engines: one figure a run, no noise estimate, a change ≥ 10 % is reported');
  return lines.join('\n');
}
