import type { TurnTrigger } from './Turn.js';

/**
 * The states of the kiosk as a visitor sees them. `idle` is the resting state; every other state
 * has a maximum duration after which the controller leaves it (see `TurnController`).
 */
export const TURN_STATES = ['idle', 'listening', 'thinking', 'speaking', 'followUp', 'muted', 'error'] as const;
export type TurnState = (typeof TURN_STATES)[number];

/** Emitted on every change of state, and only then. */
export interface StateChange {
  from: TurnState;
  to: TurnState;
  /** The turn the change belongs to; undefined between turns. */
  turnId: number | undefined;
  /** What started the turn in flight. */
  trigger: TurnTrigger | undefined;
  /** Why the state changed, e.g. `button`, `endpoint`, `timeout`, `bargeIn`. */
  reason: string;
  /** Monotonic ms (src/system/clock.ts). */
  at: number;
}

/** A gesture recognised on the push button. */
export type ButtonGesture =
  /** The button went down: a turn starts at once (tap and hold both begin here). */
  | 'press'
  /** Released before `holdMs`: the turn goes on and ends when the visitor stops speaking. */
  | 'tap'
  /** Still down after `holdMs`: push-to-talk. */
  | 'hold'
  /** Released after a hold: the visitor has finished speaking. */
  | 'release'
  /** A second press soon after a tap: repeat the last answer. */
  | 'doubleTap'
  /** Held for `longPressMs`: cancel everything and wipe the visitor session. */
  | 'longPress';
