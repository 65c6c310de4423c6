import { writeSync } from 'node:fs';

/** pino level → syslog priority, which journald reads from a `<N>` line prefix. */
const SYSLOG_PRIORITY: Record<number, number> = { 60: 2, 50: 3, 40: 4, 30: 6, 20: 7, 10: 7 };

/** How many times a write that would block (a full pipe to journald) is retried before the line is dropped. */
const BUSY_RETRIES = 20;

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Where pino writes: one file descriptor, synchronously (a line is out before a crash can lose it).
 * Unlike pino's own destination, a failing write — the disk holding the log is full or read-only,
 * the reader went away — never throws into the caller: a kiosk whose log cannot be written must
 * still answer visitors. Dropped lines are counted for the health report.
 */
export class LogDestination {
  private droppedLines = 0;
  private lastErrorCode: string | undefined;

  /**
   * @param fd 1 or 2.
   * @param journalPriorities prefix each line with its syslog priority (`<6>` for info) so journald
   *   files it at the right level; only for a stream that journald reads.
   */
  constructor(
    private readonly fd: number,
    private readonly journalPriorities: boolean,
  ) {}

  write(line: string): void {
    const text = this.journalPriorities ? `<${priorityOf(line)}>${line}` : line;
    const bytes = Buffer.from(text);
    let offset = 0;
    let busy = 0;
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.fd, bytes, offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' && busy++ < BUSY_RETRIES) {
          pause(1);
          continue;
        }
        this.droppedLines++;
        this.lastErrorCode = code;
        return;
      }
    }
  }

  /** Lines that could not be written, and why the last one failed. */
  get dropped(): { lines: number; lastError: string | undefined } {
    return { lines: this.droppedLines, lastError: this.lastErrorCode };
  }
}

function priorityOf(line: string): number {
  // pino writes the level first: {"level":30,...
  const level = Number(/^\{"level":(\d+)/.exec(line)?.[1]);
  return SYSLOG_PRIORITY[level] ?? 6;
}
