/**
 * Milliseconds on the process-wide monotonic clock. `process.hrtime` is shared by every worker
 * thread, so marks stamped in different workers can be subtracted directly.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
