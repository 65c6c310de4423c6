import { existsSync, readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { KioskVoiceError } from '../errors.js';
import { BENCH_STAGES, BENCH_TOTALS, type BenchReport, type BudgetCheck, type BudgetVerdict } from './BenchReport.js';

/** A budget file that cannot be used: missing, not YAML/JSON, or a limit that is not one. */
export class BudgetFileError extends KioskVoiceError {}

/** One limit of a budget: the metric's value must be ≤ (max) or ≥ (min) `limit`. */
export interface BudgetLimit {
  metric: string;
  kind: 'max' | 'min';
  limit: number;
}

/** A loaded budget file; `file` is the path it was read from, for the report and the messages. */
export interface Budget {
  file: string;
  name?: string;
  limits: BudgetLimit[];
}

const STAGE_NAMES = [...BENCH_STAGES, ...BENCH_TOTALS].map((stage) => stage.name);
const PERCENTILES = ['p50', 'p95', 'max'] as const;

/** The metrics that are one figure per run, and where the report keeps them. */
const SCALARS: Record<string, (report: BenchReport) => number | null | undefined> = {
  gluePercent: (r) => r.gluePercent,
  wer: (r) => r.wer.overall,
  asrRealTimeFactor: (r) => r.engines.asrRealTimeFactor,
  ttsRealTimeFactor: (r) => r.engines.ttsRealTimeFactor,
  llmPromptTokensPerSecond: (r) => r.engines.llmPromptTokensPerSecond,
  llmGenerationTokensPerSecond: (r) => r.engines.llmGenerationTokensPerSecond,
  cpuTemperatureC: (r) => r.system.after.cpuTemperatureC,
  rssMb: (r) => r.system.rssMb.end,
};

/** Every metric a budget may limit: `<stage>.p50|p95|max` for each stage and total, then the one-per-run figures. */
export function knownMetricNames(): string[] {
  return [...STAGE_NAMES.flatMap((stage) => PERCENTILES.map((p) => `${stage}.${p}`)), ...Object.keys(SCALARS)];
}

const KNOWN = new Set(knownMetricNames());
const KNOWN_SUMMARY = `<stage>.p50|p95|max for ${STAGE_NAMES.join(', ')}; ${Object.keys(SCALARS).join(', ')}`;

/** The report's value of a metric; null when the run did not measure it or the name is not a known metric. */
export function metricValue(report: BenchReport, metric: string): number | null {
  // Own names only: "constructor" or "toString.p50" must not reach a prototype.
  if (!KNOWN.has(metric)) return null;
  const scalar = SCALARS[metric];
  if (scalar) return scalar(report) ?? null;
  const [stage, percentile] = metric.split('.') as [string, (typeof PERCENTILES)[number]];
  return report.stages[stage]?.[percentile] ?? null;
}

const limitSchema = z.union([z.number(), z.strictObject({ max: z.number() }), z.strictObject({ min: z.number() })]);
const budgetSchema = z.strictObject({ name: z.string().optional(), limits: z.record(z.string(), z.unknown()) });

const HINT = 'a budget is `limits:` with `<metric>: <maximum>` or `<metric>: { min: <minimum> }` per line (see scripts/bench/budgets/pi5.yaml)';

/** What is wrong with the file's shape, from the first schema issue, in words a budget's author knows. */
function shapeProblem(data: unknown, issue: z.core.$ZodIssue | undefined): string {
  if (!issue || issue.path.length === 0) {
    if (issue?.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')} (a budget has \`name\` and \`limits\`)`;
    return 'expected a mapping with `limits:` (and an optional `name:`)';
  }
  if (issue.path[0] === 'name') return '`name` must be text';
  if ((data as { limits?: unknown }).limits === undefined) return 'no `limits:`';
  return '`limits` must be a mapping of metric names to limits';
}

/** A value as the author would recognise it; NaN and Infinity (`.nan`, `.inf`) are not JSON. */
const shown = (raw: unknown) => (typeof raw === 'number' ? String(raw) : (JSON.stringify(raw) ?? String(raw)));

/** Reads and checks a budget file (YAML or JSON: YAML is a superset); every problem is one BudgetFileError line. */
export function loadBudget(file: string): Budget {
  if (!existsSync(file)) throw new BudgetFileError(`no budget file at ${file}`, 'give an existing file, e.g. scripts/bench/budgets/pi5.yaml');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new BudgetFileError(`cannot read the budget file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 'give a readable YAML or JSON file', { cause: error });
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { prettyErrors: false, lineCounter });
  const problem = document.errors[0];
  if (problem) {
    const { line } = lineCounter.linePos(problem.pos[0]);
    throw new BudgetFileError(`${file} is not valid YAML or JSON (line ${line}): ${problem.message.split('\n')[0]}`, HINT);
  }
  const data: unknown = document.toJS();
  const parsed = budgetSchema.safeParse(data);
  if (!parsed.success) throw new BudgetFileError(`${file}: ${shapeProblem(data, parsed.error.issues[0])}`, HINT);
  const limits: BudgetLimit[] = [];
  for (const [metric, raw] of Object.entries(parsed.data.limits)) {
    if (!KNOWN.has(metric)) throw new BudgetFileError(`${file}: unknown metric "${metric}"`, `known metrics: ${KNOWN_SUMMARY}`);
    const limit = limitSchema.safeParse(raw);
    if (!limit.success) throw new BudgetFileError(`${file}: the limit of ${metric} must be a number, { max: N } or { min: N }, not ${shown(raw)}`, HINT);
    const value = limit.data;
    limits.push(typeof value === 'number' ? { metric, kind: 'max', limit: value } : 'max' in value ? { metric, kind: 'max', limit: value.max } : { metric, kind: 'min', limit: value.min });
  }
  return { file, ...(parsed.data.name !== undefined && { name: parsed.data.name }), limits };
}

/** Each limit against the report; a metric the run did not measure fails (not measured is not met). */
export function checkBudget(report: BenchReport, budget: Budget): BudgetVerdict {
  const checks: BudgetCheck[] = budget.limits.map(({ metric, kind, limit }) => {
    const value = metricValue(report, metric);
    const ok = value !== null && (kind === 'max' ? value <= limit : value >= limit);
    return { metric, limit, kind, value, ok };
  });
  return { file: budget.file, ...(budget.name !== undefined && { name: budget.name }), checks, passed: checks.every((check) => check.ok) };
}

const round = (value: number) => String(Math.round(value * 100) / 100);

/** One line per failed check, for stderr: `budget: endOfSpeechToFirstAudio.p95 912.3 > 850`. */
export function budgetFailureLines(verdict: BudgetVerdict): string[] {
  return verdict.checks
    .filter((check) => !check.ok)
    .map((check) =>
      check.value === null
        ? `budget: ${check.metric} not measured (limit ${check.limit})`
        : check.kind === 'max'
          ? `budget: ${check.metric} ${round(check.value)} > ${check.limit}`
          : `budget: ${check.metric} ${round(check.value)} < ${check.limit} (minimum)`,
    );
}
