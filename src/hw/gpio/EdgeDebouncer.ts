import type { HwTimers } from '../hwTimers.js';

/** One logical level change of a line, at monotonic ms. */
export interface Edge {
  value: 0 | 1;
  at: number;
}

/**
 * Software debounce for a contact that chatters. An edge within `debounceMs` of the last accepted
 * one is dropped — but the level the line settles at is never lost: when the window closes and
 * the latest level differs from the accepted one (a tap shorter than the window, or a burst that
 * ended on the other level), that level is accepted then. Without that a dropped release would
 * leave the button "held" until the next press.
 */
export class EdgeDebouncer {
  /** The accepted level; a released button is assumed until the first edge. */
  private level: 0 | 1 = 0;
  private lastAcceptedAt = Number.NEGATIVE_INFINITY;
  private latestRaw: 0 | 1 = 0;
  private settleTimer: unknown;

  constructor(
    private readonly debounceMs: number,
    private readonly onEdge: (edge: Edge) => void,
    private readonly timers: HwTimers,
  ) {}

  push(edge: Edge): void {
    this.latestRaw = edge.value;
    if (edge.at - this.lastAcceptedAt >= this.debounceMs) {
      this.cancelSettle();
      if (edge.value !== this.level) this.accept(edge);
      return;
    }
    this.armSettle();
  }

  /** Forgets a pending settle check (the line is being closed). */
  dispose(): void {
    this.cancelSettle();
  }

  private accept(edge: Edge): void {
    this.level = edge.value;
    this.lastAcceptedAt = edge.at;
    this.onEdge(edge);
  }

  private armSettle(): void {
    if (this.settleTimer !== undefined) return;
    const wait = Math.max(0, this.lastAcceptedAt + this.debounceMs - this.timers.now());
    this.settleTimer = this.timers.setTimeout(() => {
      this.settleTimer = undefined;
      if (this.latestRaw !== this.level) this.accept({ value: this.latestRaw, at: this.timers.now() });
    }, wait);
  }

  private cancelSettle(): void {
    if (this.settleTimer === undefined) return;
    this.timers.clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
  }
}
