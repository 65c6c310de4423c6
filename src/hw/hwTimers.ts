import { monotonicMs } from '../system/clock.js';

/**
 * The clock and timers the button and LED drivers run on, injectable so tests drive a fake clock.
 * `now` must be the clock edges are stamped with (monotonic ms in production).
 */
export interface HwTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

/**
 * Real timers, unref'd: a blink or hold timer must never be what keeps a process alive after the
 * daemon has closed everything else.
 */
export const systemTimers: HwTimers = {
  setTimeout(callback, ms) {
    return setTimeout(callback, ms).unref();
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
  now: monotonicMs,
};
