import { BENCH_STAGES, BENCH_TOTALS, type BenchTurn, type MetricStats } from './BenchReport.js';
import { percentile } from './percentile.js';

export const tenth = (ms: number) => Math.round(ms * 10) / 10;

/** p50/p95/max (to 0.1) over the values that are finite numbers, and how many there were. */
export function metricStats(values: (number | undefined)[]): MetricStats {
  const present = values.filter((value): value is number => value !== undefined && Number.isFinite(value));
  if (present.length === 0) return { p50: null, p95: null, max: null, n: 0 };
  return { p50: tenth(percentile(present, 50)), p95: tenth(percentile(present, 95)), max: tenth(Math.max(...present)), n: present.length };
}

/** A report's `stages`: each stage and total over the turns that have it. */
export function stageStats(turns: BenchTurn[]): Record<string, MetricStats> {
  return Object.fromEntries([...BENCH_STAGES, ...BENCH_TOTALS].map(({ name }) => [name, metricStats(turns.map((turn) => turn.latencies[name]))]));
}

/** Glue over end of speech → first audio, summed over the turns (long turns weigh more), in percent. */
export function gluePercent(turns: BenchTurn[]): number | null {
  const total = turns.reduce((n, turn) => n + (turn.latencies.endOfSpeechToFirstAudio ?? 0), 0);
  const glue = turns.reduce((n, turn) => n + (turn.latencies.glue ?? 0), 0);
  return total > 0 ? tenth((glue / total) * 100) : null;
}
