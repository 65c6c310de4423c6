import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Logs go to stderr so stdout stays clean for `--json` reports and piping.
 * Worker threads build their own logger with the same options and a `worker` binding.
 */
export function createLogger(level: LevelWithSilent = 'info', bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { ...bindings } }, pino.destination({ fd: 2, sync: true }));
}
