import { percentile } from './percentile.js';

/** One look at the daemon from outside (/proc) and, when it has said so, from inside (its health line). */
export interface SoakSample {
  /** ms since the soak started. */
  atMs: number;
  /** Turns the daemon had logged when the sample was taken. */
  turns: number;
  /** The daemon's own RSS. */
  rssBytes: number;
  /** RSS of the daemon and the processes below it (engines and players run as child processes). */
  treeRssBytes: number;
  /** RSS of each child process, by what it runs (e.g. `brainWorker`, `pocketsphinx-stream`, `aplay`). Children count here, in `treeRssBytes` and in `processes` once they have run a few seconds: not a phrase's espeak-ng. */
  childRssBytes: Record<string, number>;
  openFds: number;
  /** Processes below the daemon (any depth). */
  processes: number;
  threads: number;
}

/** What a daemon `health` line said about its own process. */
export interface SoakHealth {
  atMs: number;
  turns: number;
  heapUsedBytes: number | undefined;
  eventLoopLagP99Ms: number | undefined;
  eventLoopLagMaxMs: number | undefined;
  /** Sum of `workers[].restarts`. */
  workerRestarts: number;
}

export interface SoakTurn {
  outcome: string | undefined;
  path: string | undefined;
  transcript: string;
  endOfSpeechToFirstAudioMs: number | undefined;
}

export interface SoakTargets {
  /** Largest RSS (and heap) growth after warm-up, in %. */
  maxMemoryGrowthPct: number;
  maxEventLoopLagP99Ms: number;
}

export const SOAK_TARGETS: SoakTargets = { maxMemoryGrowthPct: 10, maxEventLoopLagP99Ms: 50 };

export interface SoakInput {
  asked: number;
  warmUpTurns: number;
  samples: SoakSample[];
  health: SoakHealth[];
  turns: SoakTurn[];
  /** `worker crashed; restarting` lines seen in the log. */
  workerRestartLines: number;
  /** Capture reopen count from the last `capture state` line. */
  captureRestarts: number;
  durationMs: number;
  targets?: SoakTargets;
}

/** A figure after warm-up and at the end. */
export interface Span {
  warmUp: number | undefined;
  end: number | undefined;
  /** (end − warmUp) / warmUp, in %. */
  growthPct: number | undefined;
}

export interface SoakCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SoakReport {
  asked: number;
  turnsLogged: number;
  answered: number;
  outcomes: Record<string, number>;
  paths: Record<string, number>;
  warmUpTurns: number;
  /** Turns each memory window spans (median over the samples taken during them). */
  windowTurns: number;
  rssBytes: Span;
  treeRssBytes: Span;
  childRssBytes: Record<string, Span>;
  heapUsedBytes: Span;
  /** Least-squares slope of RSS over turns after warm-up, bytes per turn. */
  rssSlopeBytesPerTurn: number | undefined;
  /** Median RSS in each tenth of the turns, warm-up included (the curve). */
  rssCurveBytes: (number | undefined)[];
  openFds: Span;
  processes: Span;
  threads: Span;
  eventLoopLagP99Ms: number | undefined;
  eventLoopLagMaxMs: number | undefined;
  workerRestarts: number;
  captureRestarts: number;
  latencyMs: { p50: number | undefined; p95: number | undefined; max: number | undefined; count: number };
  durationMs: number;
  samples: number;
  checks: SoakCheck[];
  pass: boolean;
}

const median = (values: number[]) => {
  const v = percentile(values, 50);
  return Number.isFinite(v) ? v : undefined;
};

function span(warmUp: number | undefined, end: number | undefined): Span {
  const growthPct = warmUp !== undefined && end !== undefined && warmUp > 0 ? ((end - warmUp) / warmUp) * 100 : undefined;
  return { warmUp, end, growthPct };
}

/** Values of the samples taken while the turn count was in [from, to]. */
function during<T extends { turns: number }>(items: T[], from: number, to: number, value: (item: T) => number | undefined): number[] {
  return items.filter((i) => i.turns >= from && i.turns <= to).map(value).filter((v): v is number => v !== undefined && Number.isFinite(v));
}

function slope(points: { x: number; y: number }[]): number | undefined {
  if (points.length < 3) return undefined;
  const mx = points.reduce((s, p) => s + p.x, 0) / points.length;
  const my = points.reduce((s, p) => s + p.y, 0) / points.length;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  if (sxx === 0) return undefined;
  return points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
}

const count = (values: (string | undefined)[]) =>
  values.reduce<Record<string, number>>((acc, v) => {
    const key = v ?? 'none';
    acc[key] = (acc[key] ?? 0) + 1;
    return acc;
  }, {});

/**
 * The soak's figures and verdict. Memory after warm-up is the median over the samples taken while
 * the daemon served turns warmUp…warmUp+w, and at the end over the last w turns (w = 2 % of the
 * turns, at least 2), so one GC sawtooth does not decide the result. Counts (fds, processes,
 * threads) compare the medians of the same windows: a descriptor open for a moment (a pipe to a
 * phrase's synthesiser) is not growth, one that stays is.
 */
export function summariseSoak(input: SoakInput): SoakReport {
  const targets = input.targets ?? SOAK_TARGETS;
  const { asked, warmUpTurns, samples, health, turns } = input;
  const last = Math.max(turns.length, asked);
  const windowTurns = Math.max(2, Math.round(asked * 0.02));
  const warm = (f: (s: SoakSample) => number) => during(samples, warmUpTurns, warmUpTurns + windowTurns, f);
  const tail = (f: (s: SoakSample) => number) => during(samples, last - windowTurns, Number.POSITIVE_INFINITY, f);
  const maxOf = (v: number[]) => (v.length > 0 ? Math.max(...v) : undefined);

  const healthWarm = during(health, warmUpTurns, warmUpTurns + windowTurns * 3, (h) => h.heapUsedBytes);
  const healthTail = during(health, last - windowTurns * 3, Number.POSITIVE_INFINITY, (h) => h.heapUsedBytes);
  const afterWarmUp = health.filter((h) => h.turns >= warmUpTurns);
  const lagP99 = maxOf(afterWarmUp.map((h) => h.eventLoopLagP99Ms).filter((v): v is number => v !== undefined));
  const lagMax = maxOf(afterWarmUp.map((h) => h.eventLoopLagMaxMs).filter((v): v is number => v !== undefined));
  const healthRestarts = maxOf(health.map((h) => h.workerRestarts)) ?? 0;

  const rssCurveBytes = Array.from({ length: 10 }, (_, i) =>
    median(during(samples, Math.floor((asked * i) / 10), Math.floor((asked * (i + 1)) / 10), (s) => s.rssBytes)),
  );
  const latencies = turns.map((t) => t.endOfSpeechToFirstAudioMs).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const answered = turns.filter((t) => t.outcome === 'answered').length;

  const report: Omit<SoakReport, 'checks' | 'pass'> = {
    asked,
    turnsLogged: turns.length,
    answered,
    outcomes: count(turns.map((t) => t.outcome)),
    paths: count(turns.map((t) => t.path)),
    warmUpTurns,
    windowTurns,
    rssBytes: span(median(warm((s) => s.rssBytes)), median(tail((s) => s.rssBytes))),
    treeRssBytes: span(median(warm((s) => s.treeRssBytes)), median(tail((s) => s.treeRssBytes))),
    childRssBytes: Object.fromEntries(
      [...new Set(samples.flatMap((s) => Object.keys(s.childRssBytes)))].map((name) => [
        name,
        span(median(warm((s) => s.childRssBytes[name] ?? Number.NaN)), median(tail((s) => s.childRssBytes[name] ?? Number.NaN))),
      ]),
    ),
    heapUsedBytes: span(median(healthWarm), median(healthTail)),
    rssSlopeBytesPerTurn: slope(samples.filter((s) => s.turns >= warmUpTurns).map((s) => ({ x: s.turns, y: s.rssBytes }))),
    rssCurveBytes,
    openFds: span(median(warm((s) => s.openFds)), median(tail((s) => s.openFds))),
    processes: span(median(warm((s) => s.processes)), median(tail((s) => s.processes))),
    threads: span(median(warm((s) => s.threads)), median(tail((s) => s.threads))),
    eventLoopLagP99Ms: lagP99,
    eventLoopLagMaxMs: lagMax,
    workerRestarts: Math.max(healthRestarts, input.workerRestartLines),
    captureRestarts: input.captureRestarts,
    latencyMs: {
      p50: median(latencies),
      p95: latencies.length > 0 ? percentile(latencies, 95) : undefined,
      max: maxOf(latencies),
      count: latencies.length,
    },
    durationMs: input.durationMs,
    samples: samples.length,
  };
  const checks = soakChecks(report, targets);
  return { ...report, checks, pass: checks.every((c) => c.ok) };
}

const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`);

function soakChecks(r: Omit<SoakReport, 'checks' | 'pass'>, targets: SoakTargets): SoakCheck[] {
  const grew = (s: Span) => s.warmUp === undefined || s.end === undefined || s.end > s.warmUp;
  const memory = (name: string, s: Span): SoakCheck => ({
    name,
    ok: s.growthPct !== undefined && s.growthPct <= targets.maxMemoryGrowthPct,
    detail: s.growthPct === undefined ? 'not measured' : `${pct(s.growthPct)} (target ≤ ${targets.maxMemoryGrowthPct} %)`,
  });
  return [
    {
      name: 'every turn answered',
      ok: r.answered === r.asked && r.turnsLogged === r.asked,
      detail: `${r.answered} answered of ${r.asked} asked (${r.turnsLogged} turns logged)`,
    },
    memory('daemon RSS growth after warm-up', r.rssBytes),
    memory('daemon + children RSS growth after warm-up', r.treeRssBytes),
    memory('heap growth after warm-up', r.heapUsedBytes),
    { name: 'no fd growth', ok: !grew(r.openFds), detail: `${r.openFds.warmUp ?? 'n/a'} → ${r.openFds.end ?? 'n/a'}` },
    { name: 'no process growth', ok: !grew(r.processes), detail: `${r.processes.warmUp ?? 'n/a'} → ${r.processes.end ?? 'n/a'}` },
    {
      name: 'event-loop lag p99',
      ok: r.eventLoopLagP99Ms !== undefined && r.eventLoopLagP99Ms <= targets.maxEventLoopLagP99Ms,
      detail: r.eventLoopLagP99Ms === undefined ? 'not reported by the daemon' : `${r.eventLoopLagP99Ms.toFixed(1)} ms (target ≤ ${targets.maxEventLoopLagP99Ms} ms)`,
    },
    { name: 'no worker restarts', ok: r.workerRestarts === 0, detail: String(r.workerRestarts) },
  ];
}

const mb = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${(bytes / 2 ** 20).toFixed(1)} MB`);
const ms = (v: number | undefined) => (v === undefined ? 'n/a' : `${Math.round(v)} ms`);
const num = (v: number | undefined) => (v === undefined ? 'n/a' : String(v));

/** The report as a table, the RSS curve and one PASS/FAIL line per target, then the verdict. */
export function formatSoakReport(r: SoakReport): string {
  const rows: [string, string, string, string][] = [
    ['RSS, daemon', mb(r.rssBytes.warmUp), mb(r.rssBytes.end), pct(r.rssBytes.growthPct)],
    ['RSS, daemon + children', mb(r.treeRssBytes.warmUp), mb(r.treeRssBytes.end), pct(r.treeRssBytes.growthPct)],
    ...Object.entries(r.childRssBytes).map(([name, s]): [string, string, string, string] => [`  RSS, ${name}`, mb(s.warmUp), mb(s.end), pct(s.growthPct)]),
    ['heap used (main thread)', mb(r.heapUsedBytes.warmUp), mb(r.heapUsedBytes.end), pct(r.heapUsedBytes.growthPct)],
    ['open file descriptors', num(r.openFds.warmUp), num(r.openFds.end), ''],
    ['child processes (alive ≥ 5 s)', num(r.processes.warmUp), num(r.processes.end), ''],
    ['threads', num(r.threads.warmUp), num(r.threads.end), ''],
  ];
  const width = [32, 12, 12, 10];
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
  const out = [
    line(['', `after ${r.warmUpTurns}`, `end (${r.turnsLogged})`, 'growth']),
    ...rows.map(line),
    '',
    `daemon RSS slope after warm-up: ${r.rssSlopeBytesPerTurn === undefined ? 'n/a' : `${(r.rssSlopeBytesPerTurn / 1024).toFixed(1)} KB per turn`}`,
    `daemon RSS by tenths of the turns (MB): ${r.rssCurveBytes.map((b) => (b === undefined ? '-' : (b / 2 ** 20).toFixed(1))).join(' ')}`,
    `event-loop lag after warm-up: p99 ${ms(r.eventLoopLagP99Ms)}, max ${ms(r.eventLoopLagMaxMs)} (worst health interval)`,
    `worker restarts: ${r.workerRestarts}; capture restarts: ${r.captureRestarts}`,
    `turns: ${r.answered} answered of ${r.asked} asked; outcomes ${JSON.stringify(r.outcomes)}; paths ${JSON.stringify(r.paths)}`,
    `end of speech → first audio: p50 ${ms(r.latencyMs.p50)}, p95 ${ms(r.latencyMs.p95)}, max ${ms(r.latencyMs.max)} (${r.latencyMs.count} turns)`,
    `memory windows: median of the samples taken during turns ${r.warmUpTurns}–${r.warmUpTurns + r.windowTurns} and the last ${r.windowTurns}; ${r.samples} samples in ${Math.round(r.durationMs / 1000)} s`,
    '',
    ...r.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`),
    '',
    r.pass ? 'PASS' : `FAIL: ${r.checks.filter((c) => !c.ok).map((c) => c.name).join(', ')}`,
  ];
  return out.join('\n');
}
