import { percentile } from '../bench/percentile.js';
import type { Turn } from '../turn/Turn.js';
import { TURN_STAGES, turnStageValues } from './turnStages.js';

/** One stage over the window, ms rounded to 0.1. */
export interface StageSummary {
  p50: number;
  p95: number;
  max: number;
  /** Turns in the window that had this stage. */
  count: number;
}

/** What `<base>/telemetry/summary` carries. */
export interface LatencySummaryPayload {
  /** Turns in the window. */
  turns: number;
  /** Turns since the daemon started. */
  totalTurns: number;
  /** By TURN_STAGES name; a stage no turn in the window had is left out. */
  stages: Record<string, StageSummary>;
}

const tenth = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Rolling per-stage percentiles over the last `windowTurns` turns. Only each turn's stage values
 * are kept, not the turn, so no transcript outlives its telemetry message.
 */
export class LatencySummary {
  private readonly window: Record<string, number>[] = [];
  private totalTurns = 0;

  /** `windowTurns` ≥ 1: how many of the latest turns the percentiles cover. */
  constructor(private readonly windowTurns: number) {}

  add(turn: Turn): void {
    this.totalTurns++;
    this.window.push(turnStageValues(turn));
    if (this.window.length > this.windowTurns) this.window.splice(0, this.window.length - this.windowTurns);
  }

  summary(): LatencySummaryPayload {
    const stages: Record<string, StageSummary> = {};
    for (const { name } of TURN_STAGES) {
      const values = this.window.flatMap((row) => (row[name] === undefined ? [] : [row[name]]));
      if (values.length === 0) continue;
      stages[name] = {
        p50: tenth(percentile(values, 50)),
        p95: tenth(percentile(values, 95)),
        max: tenth(values.reduce((a, b) => Math.max(a, b))),
        count: values.length,
      };
    }
    return { turns: this.window.length, totalTurns: this.totalTurns, stages };
  }
}
