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
