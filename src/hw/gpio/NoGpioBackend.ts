import { EventEmitter } from 'node:events';
import type { GpioBackend, GpioInput, GpioInputEvents, GpioOutput } from './GpioBackend.js';

/** An input that never sees an edge. */
class SilentInput extends EventEmitter<GpioInputEvents> implements GpioInput {
  constructor(readonly pin: number) {
    super();
  }

  async close(): Promise<void> {
    this.removeAllListeners();
  }
}

/**
 * The backend for a machine without GPIO (a laptop, CI, a kiosk with no button or LEDs wired):
 * every line opens and does nothing, so the rest of the daemon needs no special case.
 */
export class NoGpioBackend implements GpioBackend {
  readonly name = 'none';

  async output(pin: number): Promise<GpioOutput> {
    return { pin, set: () => {}, close: async () => {} };
  }

  async input(pin: number): Promise<GpioInput> {
    return new SilentInput(pin);
  }

  async close(): Promise<void> {}
}
