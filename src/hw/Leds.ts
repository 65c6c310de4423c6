import type { Logger } from '../logging/createLogger.js';
import type { TurnState } from '../turn/TurnState.js';
import type { GpioBackend, GpioConfig, GpioOutput } from './gpio/GpioBackend.js';
import { GpioUnavailableError } from './gpio/GpioUnavailableError.js';
import { systemTimers, type HwTimers } from './hwTimers.js';

/** How one LED (or the RGB set as a whole) lights: steady, dark, or lit `onMs` then dark `offMs`, repeating. */
export type Blink = 'on' | 'off' | { readonly onMs: number; readonly offMs: number };

export interface RgbColor {
  readonly red: boolean;
  readonly green: boolean;
  readonly blue: boolean;
}

/** What the LEDs show in one state. */
export interface LedPattern {
  /** A name for logs and docs. */
  readonly name: string;
  /** The single `status` LED: every state must be told apart by rhythm alone. */
  readonly status: Blink;
  /** The RGB set: the colour lit during the lit phase of `blink`. */
  readonly rgb: { readonly color: RgbColor; readonly blink: Blink };
}

const color = (red: boolean, green: boolean, blue: boolean): RgbColor => ({ red, green, blue });
const DARK = color(false, false, false);
const RED = color(true, false, false);
const SLOW: Blink = { onMs: 500, offMs: 500 };
const PULSE: Blink = { onMs: 150, offMs: 150 };
const BREATH: Blink = { onMs: 900, offMs: 100 };
const FAST: Blink = { onMs: 62, offMs: 63 };

/** The pattern of every turn state; the README's LED table is read from here. */
export const LED_PATTERNS: Readonly<Record<TurnState, LedPattern>> = {
  idle: { name: 'off', status: 'off', rgb: { color: DARK, blink: 'off' } },
  listening: { name: 'solid', status: 'on', rgb: { color: color(false, false, true), blink: 'on' } },
  thinking: { name: 'slow blink (1 Hz)', status: SLOW, rgb: { color: color(true, true, false), blink: SLOW } },
  speaking: { name: 'pulse (150/150 ms)', status: PULSE, rgb: { color: color(false, true, false), blink: PULSE } },
  // Still listening, but no longer for a new visitor: dark for a moment every second.
  followUp: { name: 'breath (100 ms dark every 1 s)', status: BREATH, rgb: { color: color(false, true, true), blink: BREATH } },
  muted: { name: 'short blink every 2 s', status: { onMs: 100, offMs: 1900 }, rgb: { color: RED, blink: 'on' } },
  error: { name: 'fast blink (8 Hz)', status: FAST, rgb: { color: RED, blink: FAST } },
};

/**
 * Shown instead of `idle` while a handoff is waiting for staff: someone walking past sees that the
 * kiosk called for a person. A double flash every 1.5 s, magenta on an RGB set.
 */
export const HANDOFF_PATTERN: LedPattern = {
  name: 'double flash every 1.5 s (staff called)',
  status: { onMs: 100, offMs: 150 },
  rgb: { color: color(true, false, true), blink: { onMs: 100, offMs: 150 } },
};
const HANDOFF_REST_MS = 1150;

/** The LED lines, each optional: a kiosk may have a status LED, an RGB set, a mic LED, or none. */
export interface LedOutputs {
  status?: GpioOutput | undefined;
  red?: GpioOutput | undefined;
  green?: GpioOutput | undefined;
  blue?: GpioOutput | undefined;
  micLive?: GpioOutput | undefined;
}

/** Runs one blink on a set of LEDs; `light(lit)` drives them for the phase. */
class BlinkChannel {
  private timer: unknown;

  constructor(private readonly timers: HwTimers) {}

  /** With `restMs`, the blink runs as pairs of flashes, each pair followed by `restMs` dark. */
  run(blink: Blink, light: (lit: boolean) => void, restMs = 0): void {
    this.stop();
    if (typeof blink === 'string') {
      light(blink === 'on');
      return;
    }
    let flashes = 0;
    const phase = (lit: boolean) => {
      light(lit);
      if (lit) flashes += 1;
      const rest = !lit && restMs > 0 && flashes % 2 === 0;
      this.timer = this.timers.setTimeout(() => phase(!lit), lit ? blink.onMs : rest ? restMs : blink.offMs);
    };
    phase(true);
  }

  stop(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Shows the turn state on the LEDs (subscribe it to the controller's `stateChanged`). A state
 * change restarts the pattern at its lit phase, so the visitor sees the change at once.
 */
export class Leds {
  private readonly statusChannel: BlinkChannel;
  private readonly rgbChannel: BlinkChannel;
  /** What each line was last driven to, so a pattern restart does not rewrite unchanged lines. */
  private readonly driven = new Map<GpioOutput, boolean>();
  private current: TurnState | undefined;
  private handoffWaiting = false;

  constructor(
    private readonly outputs: LedOutputs,
    private readonly logger: Logger,
    timers: HwTimers = systemTimers,
  ) {
    this.statusChannel = new BlinkChannel(timers);
    this.rgbChannel = new BlinkChannel(timers);
    // Every backend opens an output driven off.
    for (const output of Object.values(outputs)) if (output) this.driven.set(output, false);
  }

  /**
   * Opens the configured LED lines. A line that cannot be opened has been logged by the backend;
   * the others still work.
   */
  static async open(backend: GpioBackend, config: GpioConfig['leds'], logger: Logger, timers?: HwTimers): Promise<Leds> {
    const open = async (pin: number | undefined) => {
      if (pin === undefined) return undefined;
      try {
        return await backend.output(pin, { activeLow: config.activeLow });
      } catch (error) {
        if (error instanceof GpioUnavailableError) return undefined;
        throw error;
      }
    };
    const [status, red, green, blue, micLive] = await Promise.all([config.status, config.red, config.green, config.blue, config.micLive].map(open));
    return new Leds({ status, red, green, blue, micLive }, logger, timers);
  }

  /** The state shown, or undefined after {@link off}. */
  get state(): TurnState | undefined {
    return this.current;
  }

  show(state: TurnState): void {
    if (state === this.current) return;
    this.current = state;
    this.render();
  }

  /**
   * A handoff is waiting for staff (or no longer): while it waits, an idle kiosk shows
   * {@link HANDOFF_PATTERN} instead of going dark. Turn states still show as usual.
   */
  setHandoffWaiting(waiting: boolean): void {
    if (waiting === this.handoffWaiting) return;
    this.handoffWaiting = waiting;
    if (this.current === 'idle') this.render();
  }

  private render(): void {
    const state = this.current;
    if (state === undefined) return;
    const handoff = state === 'idle' && this.handoffWaiting;
    const pattern = handoff ? HANDOFF_PATTERN : LED_PATTERNS[state];
    this.logger.debug({ state, pattern: pattern.name }, 'led pattern');
    const { status, red, green, blue } = this.outputs;
    // A channel with no LED wired runs no timer.
    if (status) this.statusChannel.run(pattern.status, (lit) => this.drive(status, lit), handoff ? HANDOFF_REST_MS : 0);
    if (red || green || blue) {
      this.rgbChannel.run(
        pattern.rgb.blink,
        (lit) => {
          this.drive(red, lit && pattern.rgb.color.red);
          this.drive(green, lit && pattern.rgb.color.green);
          this.drive(blue, lit && pattern.rgb.color.blue);
        },
        handoff ? HANDOFF_REST_MS : 0,
      );
    }
  }

  /** The mic LED follows the microphone gate, apart from the state pattern. */
  setMicLive(on: boolean): void {
    this.drive(this.outputs.micLive, on);
  }

  /** Every LED dark and every blink timer cleared; the next {@link show} starts afresh. */
  off(): void {
    this.handoffWaiting = false;
    this.statusChannel.stop();
    this.rgbChannel.stop();
    this.current = undefined;
    for (const output of Object.values(this.outputs)) this.drive(output, false);
  }

  /** Turns everything off and releases the lines. */
  async close(): Promise<void> {
    this.off();
    await Promise.all(Object.values(this.outputs).map((output) => output?.close()));
  }

  private drive(output: GpioOutput | undefined, on: boolean): void {
    if (!output || this.driven.get(output) === on) return;
    this.driven.set(output, on);
    output.set(on);
  }
}
