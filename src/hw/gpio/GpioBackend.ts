import type { EventEmitter } from 'node:events';
import type { KioskConfig } from '../../config/schema.js';

/** The `hw.gpio` section of the configuration. */
export type GpioConfig = KioskConfig['hw']['gpio'];

/** One line driven as an output (an LED). `on` is the logical value: activeLow is already applied. */
export interface GpioOutput {
  /** BCM number of the line. */
  readonly pin: number;
  /** Drives the line; returns at once (a backend may apply the value a few ms later). */
  set(on: boolean): void;
  /** Drives the line off, then releases it. */
  close(): Promise<void>;
}

/** Events of a watched input line. */
export interface GpioInputEvents {
  /**
   * The line changed level. `value` is logical (1 = pressed/active, activeLow already applied);
   * `at` is when it was seen, in monotonic ms (src/system/clock.ts).
   */
  edge: [{ value: 0 | 1; at: number }];
}

/** One line watched for edges (a push button). */
export interface GpioInput extends EventEmitter<GpioInputEvents> {
  /** BCM number of the line. */
  readonly pin: number;
  /** Stops watching and releases the line. */
  close(): Promise<void>;
}

/** Options for an output line. */
export interface GpioOutputOptions {
  /** The LED lights when the line is driven low (common-anode wiring). */
  activeLow: boolean;
}

/** Options for an input line. */
export interface GpioInputOptions {
  /** Pressed pulls the line low (button to ground, pull-up): the usual wiring. */
  activeLow: boolean;
  /** Edges closer than this to the previous accepted edge are contact bounce and dropped. */
  debounceMs: number;
}

/**
 * A way to reach the GPIO lines of the Raspberry Pi header, addressed by BCM number. Opening a line
 * that cannot be had (no permission, busy, no chip) rejects with a `GpioUnavailableError` that the
 * backend has already logged once: the caller carries on without that line.
 */
export interface GpioBackend {
  readonly name: 'onoff' | 'gpiod' | 'none';
  output(pin: number, options: GpioOutputOptions): Promise<GpioOutput>;
  input(pin: number, options: GpioInputOptions): Promise<GpioInput>;
  /** Releases every line this backend opened. */
  close(): Promise<void>;
}
