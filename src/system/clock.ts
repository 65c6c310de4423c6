/**
 * Milliseconds on the system's monotonic clock. `process.hrtime` reads CLOCK_MONOTONIC, which every
 * thread and every process on the machine shares, so marks stamped in different workers — threads
 * or child processes — can be subtracted directly.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
