import { EventEmitter } from 'node:events';
import type {
  GpioBackend,
  GpioInput,
  GpioInputEvents,
  GpioInputOptions,
  GpioOutput,
  GpioOutputOptions,
} from '../../src/hw/gpio/GpioBackend.js';
import { GpioUnavailableError } from '../../src/hw/gpio/GpioUnavailableError.js';
import { monotonicMs } from '../../src/system/clock.js';

/** One `set()` on a fake output. */
export interface FakeSet {
  pin: number;
  on: boolean;
  at: number;
}

class FakeInput extends EventEmitter<GpioInputEvents> implements GpioInput {
  closed = false;

  constructor(
    readonly pin: number,
    readonly options: GpioInputOptions,
  ) {
    super();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * An in-memory GPIO backend for unit tests: records every `set()` with the time on the given clock,
 * and lets a test drive input edges (logical values, as a real backend emits them, undebounced).
 */
export class FakeGpio implements GpioBackend {
  readonly name = 'none';
  readonly sets: FakeSet[] = [];
  /** Pins that fail to open, as a busy line would. */
  readonly unavailable = new Set<number>();
  readonly outputOptions = new Map<number, GpioOutputOptions>();
  private readonly levels = new Map<number, boolean>();
  private readonly openOutputs = new Set<number>();
  private readonly inputs = new Map<number, FakeInput>();

  /** @param now the clock stamped on sets and edges (a fake clock in timer tests). */
  constructor(private readonly now: () => number = monotonicMs) {}

  async output(pin: number, options: GpioOutputOptions): Promise<GpioOutput> {
    this.refuse(pin);
    this.outputOptions.set(pin, options);
    this.openOutputs.add(pin);
    this.levels.set(pin, false);
    return {
      pin,
      set: (on) => {
        if (!this.openOutputs.has(pin)) throw new Error(`fake output ${pin} used after close`);
        this.levels.set(pin, on);
        this.sets.push({ pin, on, at: this.now() });
      },
      close: async () => {
        this.openOutputs.delete(pin);
      },
    };
  }

  async input(pin: number, options: GpioInputOptions): Promise<GpioInput> {
    this.refuse(pin);
    const input = new FakeInput(pin, options);
    this.inputs.set(pin, input);
    return input;
  }

  async close(): Promise<void> {
    this.openOutputs.clear();
    await Promise.all([...this.inputs.values()].map((input) => input.close()));
  }

  /** The level an output was last set to (false when opened and never set). */
  level(pin: number): boolean | undefined {
    return this.levels.get(pin);
  }

  /** Whether an output is open (not yet closed). */
  isOpen(pin: number): boolean {
    return this.openOutputs.has(pin);
  }

  setsFor(pin: number): FakeSet[] {
    return this.sets.filter((s) => s.pin === pin);
  }

  /** Drives an input line to a logical level, as the backend would report it. */
  edge(pin: number, value: 0 | 1, at = this.now()): void {
    const input = this.inputs.get(pin);
    if (!input || input.closed) throw new Error(`no open fake input on pin ${pin}`);
    input.emit('edge', { value, at });
  }

  press(pin: number): void {
    this.edge(pin, 1);
  }

  release(pin: number): void {
    this.edge(pin, 0);
  }

  private refuse(pin: number): void {
    if (this.unavailable.has(pin)) {
      throw new GpioUnavailableError('busy', `fake: BCM ${pin} is busy`, 'pick another pin');
    }
  }
}
