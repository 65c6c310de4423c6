import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LagWindow {
  /** 99th percentile of how late the event loop ran a timer, over the window, in ms. */
  p99Ms: number;
  /** The worst delay in the window, in ms: a long synchronous block shows here. */
  maxMs: number;
}

/** How finely the loop is sampled; a block shorter than this may go unseen, which is fine here. */
const RESOLUTION_MS = 10;

/**
 * Measures how late the main thread's event loop runs, in windows: each `takeWindow()` returns the
 * figures since the previous one. Each consumer (the health log, the watchdog) keeps its own, so
 * one reading does not reset the other's window.
 */
export class EventLoopLag {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  constructor() {
    this.histogram.enable();
  }

  takeWindow(): LagWindow {
    const { histogram } = this;
    const empty = histogram.count === 0;
    // The histogram records the time between samples, so an idle loop reads as the resolution.
    const lateBy = (ns: number) => (empty ? 0 : Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10));
    const window = { p99Ms: lateBy(histogram.percentile(99)), maxMs: lateBy(histogram.max) };
    histogram.reset();
    return window;
  }

  dispose(): void {
    this.histogram.disable();
  }
}
