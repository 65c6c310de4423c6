import type { CheckResult, CheckStatus } from './DoctorCheck.js';

/** What `kiosk-voice doctor --json` prints: exactly this object. */
export interface DoctorReport {
  checks: CheckResult[];
  worst: CheckStatus;
  exitCode: DoctorExitCode;
}

/** 0: every check ok; 1: the worst is a warning; 2: something failed. */
export type DoctorExitCode = 0 | 1 | 2;

const RANK: Record<CheckStatus, number> = { ok: 0, warn: 1, fail: 2 };

/** The worst status among the results; `ok` for none. */
export function worstStatus(results: readonly { status: CheckStatus }[]): CheckStatus {
  let worst: CheckStatus = 'ok';
  for (const { status } of results) if (RANK[status] > RANK[worst]) worst = status;
  return worst;
}

export function exitCodeFor(status: CheckStatus): DoctorExitCode {
  return RANK[status] as DoctorExitCode;
}

export function buildReport(checks: CheckResult[]): DoctorReport {
  const worst = worstStatus(checks);
  // `advice` only where there is some, so the JSON holds no empty fields.
  const clean = checks.map(({ name, status, detail, advice }) => (advice ? { name, status, detail, advice } : { name, status, detail }));
  return { checks: clean, worst, exitCode: exitCodeFor(worst) };
}

/** The width of the status column: the longest status word. */
const STATUS_WIDTH = 4;

/**
 * One line of the human report: `status  name  detail[ — advice]`, the status and name padded so
 * the details line up in a terminal. `nameWidth` is the longest name that will be printed.
 */
export function formatCheckLine(result: CheckResult, nameWidth: number): string {
  const text = result.advice ? `${result.detail} — ${result.advice}` : result.detail;
  return `${result.status.padEnd(STATUS_WIDTH)}  ${result.name.padEnd(nameWidth)}  ${text}`;
}
