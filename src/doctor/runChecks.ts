import { KioskVoiceError } from '../errors.js';
import type { CheckOutcome, CheckResult, DoctorCheck, DoctorContext } from './DoctorCheck.js';

/** Options for {@link runChecks}. */
export interface RunChecksOptions {
  /** Called with each result as soon as it is known, in order (the text report prints as it goes). */
  onResult?: (result: CheckResult) => void;
  /**
   * How long a check that ran out of time gets to close what it opened after its signal fired,
   * before the next check starts anyway. Default 3 s: a capture process gets SIGKILL after 1 s.
   */
  cleanupGraceMs?: number;
}

const DEFAULT_CLEANUP_GRACE_MS = 3000;

/**
 * Runs the checks one after another (so two checks never fight over a device, and a small board
 * is not loaded by all of them at once), each within its time budget. A check that throws or runs
 * out of time is a `fail` result, never an exception. Checks that need the configuration are left
 * out when it did not load.
 */
export async function runChecks(checks: readonly DoctorCheck[], context: DoctorContext, options: RunChecksOptions = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    if (check.needsConfig && !context.load.ok) continue;
    const result = { name: check.name, ...(await runOne(check, context, options.cleanupGraceMs ?? DEFAULT_CLEANUP_GRACE_MS)) };
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}

async function runOne(check: DoctorCheck, context: DoctorContext, cleanupGraceMs: number): Promise<CheckOutcome> {
  const controller = new AbortController();
  let timeoutMs: number;
  try {
    timeoutMs = check.timeoutMs(context);
  } catch (error) {
    return failureOf(error);
  }
  let timer: NodeJS.Timeout | undefined;
  const running = Promise.resolve()
    .then(() => check.run(context, controller.signal))
    .catch(failureOf);
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const first = await Promise.race([running, timedOut]);
  clearTimeout(timer);
  if (first !== 'timeout') return oneLineOutcome(first);

  controller.abort(new CheckTimeoutError(check.name, timeoutMs));
  // Give the check the chance to close its device or child before anything else runs.
  let graceTimer: NodeJS.Timeout | undefined;
  await Promise.race([running, new Promise((resolve) => (graceTimer = setTimeout(resolve, cleanupGraceMs)))]);
  clearTimeout(graceTimer);
  return { status: 'fail', detail: `no result within ${formatSeconds(timeoutMs)}`, advice: check.timeoutAdvice };
}

/** The reason a check's signal fires when its time is up. */
export class CheckTimeoutError extends KioskVoiceError {
  constructor(name: string, timeoutMs: number) {
    super(`the ${name} check ran out of time (${formatSeconds(timeoutMs)})`);
  }
}

/** Every result is one line: a backend's multi-line message (Node's addon errors are) is folded. */
function oneLineOutcome(outcome: CheckOutcome): CheckOutcome {
  const { status, detail, advice } = outcome;
  return advice === undefined ? { status, detail: oneLine(detail) } : { status, detail: oneLine(detail), advice: oneLine(advice) };
}

/** A check that threw: its message and hint, on one line, never a stack trace. */
export function failureOf(error: unknown): CheckOutcome {
  if (error instanceof KioskVoiceError) {
    return { status: 'fail', detail: oneLine(error.message), advice: oneLine(error.hint ?? 'run `kiosk-voice doctor --log-level debug` for more') };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 'fail', detail: `the check itself failed: ${oneLine(message)}`, advice: 'run `kiosk-voice doctor --log-level debug` for more, and report it if it persists' };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
