import type { LagWindow } from '../system/EventLoopLag.js';
import type { DaemonHealth } from './KioskDaemon.js';

/** What the watchdog looks at besides the daemon's health snapshot. */
export interface LivenessReading {
  health: DaemonHealth;
  /** How long the turn state has outlasted its maximum (TurnController.overdueMs). */
  stateOverdueMs: number;
  /** The main thread's event-loop lag since the previous reading. */
  lag: LagWindow;
}

/** How far each part may lag before the pipeline counts as not alive. */
export const LIVENESS_BOUNDS = {
  /** A worker answers a ping every second; one silent this long is stuck (the supervisor restarts it at 5 s). */
  workerSilentMs: 2500,
  /** A state's own timer ends it on time; this much past its maximum means the controller is stuck. */
  stateOverdueMs: 2000,
  /** A main thread blocked this long cannot have served a visitor (the LED, barge-in) in time. */
  eventLoopBlockedMs: 3000,
} as const;

/**
 * Why the pipeline is not alive, or nothing when it is: the microphone delivers frames (or was
 * closed on purpose), every worker answers its heartbeat, the turn controller is within its state's
 * maximum and the event loop was not blocked. The systemd watchdog is fed only when this is empty,
 * so a hang anywhere — not only a crash — ends in a restart.
 */
export function pipelineProblems(reading: LivenessReading, bounds = LIVENESS_BOUNDS): string[] {
  const { health, stateOverdueMs, lag } = reading;
  const problems: string[] = [];
  const { mic } = health;
  if (mic.state !== 'stopped' && mic.framesPerSecond === 0) problems.push(`the microphone delivers no audio (${mic.state})`);
  for (const worker of health.workers) {
    if (worker.state !== 'ready') problems.push(`the ${worker.name} worker is ${worker.state}`);
    else if (worker.lastPongAgoMs === undefined || worker.lastPongAgoMs > bounds.workerSilentMs) {
      problems.push(`the ${worker.name} worker has not answered for ${Math.round(worker.lastPongAgoMs ?? Infinity)} ms`);
    }
  }
  if (stateOverdueMs > bounds.stateOverdueMs) problems.push(`stuck in ${health.state} for ${Math.round(stateOverdueMs)} ms past its maximum`);
  if (lag.maxMs > bounds.eventLoopBlockedMs) problems.push(`the event loop was blocked for ${Math.round(lag.maxMs)} ms`);
  return problems;
}

/** The one-line summary for `systemctl status` (STATUS=). */
export function statusLine(health: DaemonHealth, problems: readonly string[]): string {
  if (problems.length > 0) return `not healthy: ${problems.join('; ')}`;
  const last = health.lastTurn?.endOfSpeechToFirstAudioMs;
  const parts = [
    `${health.state}`,
    `${health.triggerMode}`,
    `mic ${health.mic.state} ${health.mic.framesPerSecond} fps`,
    `${health.turns} turn${health.turns === 1 ? '' : 's'}`,
  ];
  if (last !== undefined) parts.push(`last answer ${last} ms`);
  return parts.join(' · ');
}
