import { EventEmitter } from 'node:events';
import type { ButtonGesture } from '../turn/TurnState.js';
import { EdgeDebouncer, type Edge } from './gpio/EdgeDebouncer.js';
import type { GpioConfig, GpioInputEvents } from './gpio/GpioBackend.js';
import { systemTimers, type HwTimers } from './hwTimers.js';

/** The timings of `hw.gpio.button` the recogniser uses (ms). */
export type ButtonTiming = Pick<GpioConfig['button'], 'debounceMs' | 'holdMs' | 'longPressMs' | 'doubleTapMs'>;

/** A recognised gesture; `at` is on the clock of {@link HwTimers.now} (monotonic ms). */
export interface ButtonGestureEvent {
  gesture: ButtonGesture;
  at: number;
}

export interface ButtonEvents {
  gesture: [ButtonGestureEvent];
}

/**
 * Turns the edges of one push button into gestures. `press` is emitted on the down edge itself,
 * before anything is known about how long the button will be held, so a turn starts within the
 * debounce of the press; what follows refines it:
 *
 * - released before `holdMs`: `tap`;
 * - still down at `holdMs`: `hold` (push-to-talk), then `release` when let go;
 * - still down at `longPressMs`: `longPress` (the release still ends the hold with `release`);
 * - pressed again within `doubleTapMs` of a tap's release: `doubleTap` instead of `press` (that
 *   press can still become a `longPress`; its release emits nothing).
 *
 * Edges are debounced here too, whatever the backend did: a chattering contact must not read as
 * a double tap.
 */
export class Button extends EventEmitter<ButtonEvents> {
  private readonly debouncer: EdgeDebouncer;
  private down = false;
  /** The press in progress is the second of a double tap. */
  private secondPress = false;
  private held = false;
  private longPressed = false;
  private lastTapAt: number | undefined;
  private holdTimer: unknown;
  private longPressTimer: unknown;
  private readonly onEdge = (edge: Edge) => this.debouncer.push(edge);

  constructor(
    private readonly input: EventEmitter<GpioInputEvents>,
    private readonly timing: ButtonTiming,
    private readonly timers: HwTimers = systemTimers,
  ) {
    super();
    this.debouncer = new EdgeDebouncer(timing.debounceMs, (edge) => (edge.value ? this.pressed(edge.at) : this.released(edge.at)), timers);
    input.on('edge', this.onEdge);
  }

  /** Stops listening to the input and forgets any gesture in progress. */
  close(): void {
    this.input.off('edge', this.onEdge);
    this.debouncer.dispose();
    this.clearTimers();
  }

  private pressed(at: number): void {
    this.down = true;
    this.held = false;
    this.longPressed = false;
    this.secondPress = this.lastTapAt !== undefined && at - this.lastTapAt <= this.timing.doubleTapMs;
    this.lastTapAt = undefined;
    this.longPressTimer = this.timers.setTimeout(() => {
      this.longPressTimer = undefined;
      this.longPressed = true;
      this.gesture('longPress', this.timers.now());
    }, this.timing.longPressMs);
    if (this.secondPress) {
      this.gesture('doubleTap', at);
      return;
    }
    this.holdTimer = this.timers.setTimeout(() => {
      this.holdTimer = undefined;
      // The schema keeps holdMs below longPressMs, so a hold always comes before a long press.
      this.held = true;
      this.gesture('hold', this.timers.now());
    }, this.timing.holdMs);
    this.gesture('press', at);
  }

  private released(at: number): void {
    if (!this.down) return;
    this.down = false;
    this.clearTimers();
    // A hold always ends in `release`, also after a long press: push-to-talk past the long-press
    // time (a long question) must still end when the button comes up.
    if (this.held) {
      this.gesture('release', at);
      return;
    }
    if (this.secondPress || this.longPressed) return;
    this.lastTapAt = at;
    this.gesture('tap', at);
  }

  private gesture(gesture: ButtonGesture, at: number): void {
    this.emit('gesture', { gesture, at });
  }

  private clearTimers(): void {
    if (this.holdTimer !== undefined) this.timers.clearTimeout(this.holdTimer);
    if (this.longPressTimer !== undefined) this.timers.clearTimeout(this.longPressTimer);
    this.holdTimer = undefined;
    this.longPressTimer = undefined;
  }
}
