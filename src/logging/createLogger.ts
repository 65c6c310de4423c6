import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { LogDestination } from './LogDestination.js';

export type { Logger };

/**
 * - `json`: one JSON object per line on stderr, so stdout stays clean for `--json` reports and piping;
 * - `journal`: JSON lines with a syslog priority prefix, on whichever of stdout/stderr journald reads;
 * - `pretty`: coloured, human lines on stderr (`--pretty`);
 * - `auto`: `journal` when started by systemd with its output going to the journal, `json` otherwise.
 */
export type LogFormat = 'auto' | 'json' | 'journal' | 'pretty';

export interface LoggerOptions {
  format?: LogFormat;
  /** Fields on every line, e.g. `{ worker: 'ears' }`. */
  bindings?: Record<string, unknown>;
}

/** The destinations of this process, for the health report's dropped-line count. */
const destinations = new Map<string, LogDestination>();

/**
 * One logger setup for the main thread and the workers (each worker builds its own with the same
 * level and format). Writes are synchronous and never throw: see {@link LogDestination}.
 */
export function createLogger(level: LevelWithSilent = 'info', options: LoggerOptions = {}): Logger {
  return pino({ level, base: { ...options.bindings } }, destinationFor(options.format ?? 'auto'));
}

function destinationFor(format: LogFormat): DestinationStream {
  if (format === 'pretty') return prettyStream();
  const journalFd = format === 'auto' || format === 'journal' ? journalStreamFd() : undefined;
  if (format === 'journal' && journalFd === undefined) return shared(2, true);
  return journalFd === undefined ? shared(2, false) : shared(journalFd, true);
}

function shared(fd: number, journal: boolean): LogDestination {
  const key = `${fd}:${journal}`;
  let destination = destinations.get(key);
  if (!destination) destinations.set(key, (destination = new LogDestination(fd, journal)));
  return destination;
}

/**
 * systemd sets JOURNAL_STREAM to the device:inode of the journal stream it connected; the fd
 * that matches is the one journald reads (stdout in our unit).
 */
function journalStreamFd(): number | undefined {
  const stream = process.env.JOURNAL_STREAM;
  if (!stream) return undefined;
  for (const fd of [1, 2]) {
    try {
      const { dev, ino } = fstatSync(fd);
      if (`${dev}:${ino}` === stream) return fd;
    } catch {
      // A closed fd is simply not the journal.
    }
  }
  return undefined;
}

function prettyStream(): DestinationStream {
  // Loaded only when asked for: a service never needs it, and it costs start-up time.
  const pretty = createRequire(import.meta.url)('pino-pretty') as (options: object) => DestinationStream;
  return pretty({ sync: true, destination: 2, colorize: process.stderr.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
}

/** Lines no destination could write (a full or read-only disk, a closed pipe). */
export function droppedLogLines(): { lines: number; lastError: string | undefined } {
  let lines = 0;
  let lastError: string | undefined;
  for (const destination of destinations.values()) {
    lines += destination.dropped.lines;
    lastError = destination.dropped.lastError ?? lastError;
  }
  return { lines, lastError };
}
