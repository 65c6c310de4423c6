import type { LevelWithSilent } from 'pino';
import type { Logger } from '../logging/createLogger.js';

/** A repeat of the stop signal within this time is the same request, not an insistence. */
const DUPLICATE_SIGNAL_MS = 1000;

/**
 * Calls `stop` once on SIGINT or SIGTERM. `timeout` and some supervisors signal the process and
 * then its group, so a second signal within a second is the same request; a later one means
 * "now", and the process exits at once.
 */
export function onStopSignal(logger: Logger, stop: (signal: NodeJS.Signals) => void): () => void {
  let stoppingSince: number | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < DUPLICATE_SIGNAL_MS) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stoppingSince = Date.now();
    logger.info({ signal }, 'stopping');
    stop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** From quietest to most verbose: SIGUSR1 moves one step right. */
const VERBOSITY: readonly LevelWithSilent[] = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/**
 * Changes the log level at run time without a restart: SIGUSR1 makes it one step more verbose
 * (info → debug → trace), SIGUSR2 returns to the configured level. Under systemd:
 * `systemctl kill -s USR1 kiosk-voice`.
 */
export function onLogLevelSignals(logger: Logger, configured: LevelWithSilent, setLevel: (level: LevelWithSilent) => void): () => void {
  const more = () => {
    const next = VERBOSITY[Math.min(VERBOSITY.length - 1, VERBOSITY.indexOf(logger.level as LevelWithSilent) + 1)]!;
    setLevel(next);
    logger.info({ level: next, signal: 'SIGUSR1' }, 'log level raised (SIGUSR2 restores the configured level)');
  };
  const back = () => {
    logger.info({ level: configured, signal: 'SIGUSR2' }, 'log level back to the configured one');
    setLevel(configured);
  };
  process.on('SIGUSR1', more);
  process.on('SIGUSR2', back);
  return () => {
    process.off('SIGUSR1', more);
    process.off('SIGUSR2', back);
  };
}
