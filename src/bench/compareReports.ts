import { BENCH_STAGES, BENCH_TOTALS, type BenchReport } from './BenchReport.js';
import { metricValue } from './budget.js';
import { percentile } from './percentile.js';
import { wordErrorRate } from './wordErrorRate.js';

/** How a metric moved between two runs, or why that cannot be said. */
export type Verdict = 'slower' | 'faster' | 'worse' | 'better' | 'changed' | 'noise' | 'too few samples' | 'not measured';

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
  /** Two-sided Mann–Whitney p-value of the two runs' samples (per turn, or per engine item). */
  p?: number;
}

/** Two runs side by side: what differs about how they ran, then each figure with its verdict. */
export interface Comparison {
  /** What differs between the runs besides the figures (board, version, config hash, models). */
  differences: string[];
  rows: ComparisonRow[];
}

/** Fewer samples than this on either side and no verdict is given. */
const MIN_SAMPLES = 5;
const SIGNIFICANCE = 0.05;
/** A change smaller than this is not worth a verdict, however certain: 5 % of the median, and 2 ms for a stage. */
const MIN_CHANGE_PERCENT = 5;
const MIN_STAGE_CHANGE_MS = 2;
const ENGINE_FIGURES = ['asrRealTimeFactor', 'ttsRealTimeFactor', 'llmPromptTokensPerSecond', 'llmGenerationTokensPerSecond'] as const;
const SCALARS = ['gluePercent', 'wer', ...ENGINE_FIGURES] as const;
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
 * The samples behind a one-per-run figure: each turn's glue share and word error rate, and each
 * item an engine was timed on (a file, a phrase, a prompt). A report without engine samples has none.
 */
function scalarSamples(report: BenchReport, metric: (typeof SCALARS)[number]): number[] {
  if (metric === 'gluePercent') {
    return report.turns.flatMap(({ latencies: { glue, endOfSpeechToFirstAudio: total } }) => (glue !== undefined && total !== undefined && total > 0 ? [(glue / total) * 100] : []));
  }
  if (metric === 'wer') return report.turns.map((turn) => wordErrorRate(turn.words));
  return report.engineSamples?.[metric] ?? [];
}

/** One metric's test: the two runs' samples and, when both have enough, the Mann–Whitney p-value. */
interface SampleTest {
  xs: number[];
  ys: number[];
  p?: number;
  /** Beyond noise once every test of the comparison is accounted for (Holm). */
  significant: boolean;
}

/**
 * Holm–Bonferroni over a family of tests: ten metrics tested at p < 0.05 each would call one of two
 * identical runs "changed" about half the time. Step-down: the k-th smallest p-value must be below
 * 0.05 / (m − k + 1), and the first that is not stops the rest. The per-turn figures and the engine
 * figures are two families: an engine has six items or so, whose smallest possible p (about 0.004)
 * could never pass a correction for all fourteen tests.
 */
function markSignificant(tests: SampleTest[]): void {
  const tested = tests.filter((test) => test.p !== undefined).sort((a, b) => a.p! - b.p!);
  for (const [k, test] of tested.entries()) {
    if (test.p! >= SIGNIFICANCE / (tested.length - k)) break;
    test.significant = true;
  }
}

function sampleTest(xs: number[], ys: number[]): SampleTest {
  if (xs.length < MIN_SAMPLES || ys.length < MIN_SAMPLES) return { xs, ys, significant: false };
  return { xs, ys, p: mannWhitney(xs, ys).p, significant: false };
}

/**
 * The shift of the median when the test says the samples differ and the shift is at least 5 % of
 * the median before (and `minShift`), so a certain but tiny change is not reported; 0 otherwise.
 */
function shiftBeyondNoise(test: SampleTest, minShift: number): number {
  if (!test.significant) return 0;
  const medianBefore = percentile(test.xs, 50);
  const shift = percentile(test.ys, 50) - medianBefore;
  const big = Math.abs(shift) >= minShift && Math.abs(shift) >= (Math.abs(medianBefore) * MIN_CHANGE_PERCENT) / 100;
  return big ? shift : 0;
}

/**
 * A stage's p50 or p95 row. The verdict is the same for both: it tests the per-turn distributions
 * and the shift of their median, so a change of the tail alone shows as a delta on the p95 row
 * with the verdict "noise" — 20 turns say little about a p95.
 */
function stageRow(before: BenchReport, after: BenchReport, stage: string, which: 'p50' | 'p95', test: SampleTest): ComparisonRow {
  const metric = `${stage}.${which}`;
  const b = metricValue(before, metric);
  const a = metricValue(after, metric);
  const row = { metric, before: b, after: a, ...change(b, a) };
  if (test.p === undefined) return { ...row, verdict: 'too few samples' };
  const shift = shiftBeyondNoise(test, MIN_STAGE_CHANGE_MS);
  return { ...row, verdict: shift === 0 ? 'noise' : shift > 0 ? 'slower' : 'faster', p: test.p };
}

/**
 * A one-per-run figure's row, judged on its samples like a stage. Real-time factors: higher is
 * slower; tokens/s: higher is faster; WER: higher is worse. Glue % is only "changed": it rises
 * when the engines get faster with the glue unchanged, so up is not simply worse.
 */
function scalarRow(before: BenchReport, after: BenchReport, metric: (typeof SCALARS)[number], test: SampleTest): ComparisonRow {
  const b = metricValue(before, metric);
  const a = metricValue(after, metric);
  const row = { metric, before: b, after: a, ...change(b, a) };
  if (row.delta === null) return { ...row, verdict: 'not measured' };
  if (test.p === undefined) return { ...row, verdict: 'too few samples' };
  const shift = shiftBeyondNoise(test, 0);
  if (shift === 0) return { ...row, verdict: 'noise', p: test.p };
  const up = shift > 0;
  const verdict: Verdict = metric === 'gluePercent' ? 'changed' : metric === 'wer' ? (up ? 'worse' : 'better') : HIGHER_IS_BETTER.has(metric) === up ? 'faster' : 'slower';
  return { ...row, verdict, p: test.p };
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
 * Two runs side by side, `after` against `before`. A figure is "slower" or "faster" (worse, better)
 * only when its samples differ beyond run-to-run noise — a two-sided Mann–Whitney U test, at
 * p < 0.05 over each family of tests (Holm) — and their median moved by ≥ 5 % (and ≥ 2 ms for a stage). Stages, glue and WER are
 * sampled per turn, engine speed per item timed; with fewer than 5 samples a side no verdict is given.
 */
export function compareReports(before: BenchReport, after: BenchReport): Comparison {
  const stages = [...BENCH_STAGES, ...BENCH_TOTALS].map((stage) => stage.name);
  const stageTests = new Map(stages.map((stage) => [stage, sampleTest(turnValues(before, stage), turnValues(after, stage))]));
  const scalarTests = new Map(SCALARS.map((metric) => [metric, sampleTest(scalarSamples(before, metric), scalarSamples(after, metric))]));
  markSignificant([...stageTests.values(), scalarTests.get('gluePercent')!, scalarTests.get('wer')!]);
  markSignificant(ENGINE_FIGURES.map((metric) => scalarTests.get(metric)!));
  return {
    differences: differences(before, after),
    rows: [
      ...stages.flatMap((stage) => (['p50', 'p95'] as const).map((which) => stageRow(before, after, stage, which, stageTests.get(stage)!))),
      ...SCALARS.map((metric) => scalarRow(before, after, metric, scalarTests.get(metric)!)),
    ],
  };
}

const WIDTH = 110;
const METRIC_WIDTH = 30;
const COLUMN_WIDTH = 11;

/** Decimals per metric: ms and tokens/s to 0.1, real-time factors and WER (ratios) to 0.001. */
const digitsOf = (metric: string) => (metric === 'wer' || metric.endsWith('RealTimeFactor') ? 3 : 1);
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
  lines.push(
    '',
    'verdicts: Mann–Whitney over the samples (turns; files, phrases and prompts for the engines), p < 0.05',
    'over each family of tests (Holm), and a median shift ≥ 5 % (≥ 2 ms for a stage); anything less is noise',
  );
  return lines.join('\n');
}
