import type { ConfigWarning } from '../config/loadConfig.js';
import type { KioskConfig } from '../config/schema.js';
import type { Logger } from '../logging/createLogger.js';

/** `ok`: nothing to do. `warn`: the kiosk works, but something deserves attention. `fail`: something the kiosk needs does not work. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

/** What one check found. */
export interface CheckOutcome {
  status: CheckStatus;
  /** What was found, in a few words a person reads on one line. */
  detail: string;
  /** What to do about it; given for every warn and fail. */
  advice?: string;
}

/** One line of the report. */
export interface CheckResult extends CheckOutcome {
  name: string;
}

/** The configuration as `run` would load it, or why it did not load. */
export type LoadedRuntimeConfig =
  | { ok: true; config: KioskConfig; modelsDir: string; warnings: ConfigWarning[] }
  | { ok: false; error: unknown };

/** What every check may look at. */
export interface DoctorContext {
  load: LoadedRuntimeConfig;
  /** The config file given with --config, if any (named in the config line). */
  configFile: string | undefined;
  /** The model set given with --models, if any (named in fetch advice). */
  modelSet: string | undefined;
  /** Environment for child processes (ALSA reads `$HOME/.asoundrc`; PATH finds the tools). */
  env: NodeJS.ProcessEnv;
  /** Backends log here; doctor is silent unless --log-level says otherwise. */
  logger: Logger;
}

/** The part of the context a check that needs a loaded configuration sees. */
export interface ConfiguredContext extends DoctorContext {
  config: KioskConfig;
  modelsDir: string;
}

/**
 * One check. `run` gets an AbortSignal that fires when its time is up: a check that opened a
 * device or started a process must then close it, so doctor never leaves a child behind. A check
 * that throws is reported as a `fail` line with the error's message and hint.
 */
export interface DoctorCheck {
  /** Short and stable: it is the second column of the report and the `name` in --json. */
  readonly name: string;
  /** Checks that need the configuration are left out when it does not load (the config line fails instead). */
  readonly needsConfig: boolean;
  /** How long the check may take before it is cut off and reported as a fail. */
  timeoutMs(context: DoctorContext): number;
  /** What to do when the check ran out of time (usually: what hangs, and how to look at it by hand). */
  readonly timeoutAdvice: string;
  run(context: DoctorContext, signal: AbortSignal): Promise<CheckOutcome>;
}

/** The usual budget of a check: a hung device or tool must not hang doctor. */
export const DEFAULT_CHECK_TIMEOUT_MS = 5000;

/** The loaded configuration of a check that declared `needsConfig` (the runner only runs it with one). */
export function configured(context: DoctorContext): ConfiguredContext {
  if (!context.load.ok) throw new Error('this check needs a configuration that loads');
  return { ...context, config: context.load.config, modelsDir: context.load.modelsDir };
}
