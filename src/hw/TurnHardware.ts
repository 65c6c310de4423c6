import type { Logger } from '../logging/createLogger.js';
import type { ButtonGesture, StateChange, TurnState } from '../turn/TurnState.js';
import { Button, type ButtonGestureEvent } from './Button.js';
import type { GpioBackend, GpioConfig, GpioInput } from './gpio/GpioBackend.js';
import { createGpioBackend } from './gpio/createGpioBackend.js';
import { Leds } from './Leds.js';

/** What the hardware needs of the turn controller: its state events and the calls a button makes. */
export interface TurnControls {
  readonly state: TurnState;
  readonly turnId: number | undefined;
  readonly turnTrigger: string | undefined;
  on(event: 'stateChanged', listener: (change: StateChange) => void): unknown;
  off(event: 'stateChanged', listener: (change: StateChange) => void): unknown;
  trigger(source: 'button'): void;
  holdToTalk(): void;
  endOfSpeech(): void;
  repeatLast(): void;
  cancel(reason: string): void;
}

/**
 * The kiosk's physical side: the push button and the LEDs on GPIO. LEDs are driven only from the
 * controller's `stateChanged`; button gestures become controller calls. Any GPIO problem (no
 * chip, busy line, no permission) was logged by the backend in one line; the kiosk then simply
 * runs without that part.
 */
export class TurnHardware {
  private controls: TurnControls | undefined;
  private readonly onState = (change: StateChange) => this.leds.show(change.to);

  private constructor(
    private readonly backend: GpioBackend,
    private readonly button: Button | undefined,
    private readonly buttonInput: GpioInput | undefined,
    private readonly leds: Leds,
    private readonly logger: Logger,
  ) {}

  static async open(config: GpioConfig, logger: Logger, options: { env?: NodeJS.ProcessEnv | undefined } = {}): Promise<TurnHardware> {
    const backend = await createGpioBackend(config, logger, options);
    let input: GpioInput | undefined;
    if (config.button.pin !== undefined) {
      try {
        input = await backend.input(config.button.pin, { activeLow: config.button.activeLow, debounceMs: config.button.debounceMs });
      } catch {
        // Already logged by the backend with what to do.
      }
    }
    const leds = await Leds.open(backend, config.leds, logger);
    const button = input ? new Button(input, config.button) : undefined;
    return new TurnHardware(backend, button, input, leds, logger);
  }

  get hasButton(): boolean {
    return this.button !== undefined;
  }

  get backendName(): GpioBackend['name'] {
    return this.backend.name;
  }

  /** Shows the controller's state on the LEDs from now on and lets the button drive it. */
  attach(controls: TurnControls): void {
    this.controls = controls;
    this.leds.show(controls.state);
    controls.on('stateChanged', this.onState);
    this.button?.on('gesture', ({ gesture, at }) => this.onGesture(gesture, at));
  }

  /** Tells `listener` of every button gesture (for telemetry); the controller is driven by `attach`. */
  observeButton(listener: (event: ButtonGestureEvent) => void): void {
    this.button?.on('gesture', listener);
  }

  setMicLive(on: boolean): void {
    this.leds.setMicLive(on);
  }

  /** A visitor asked for a person: the idle kiosk shows the staff-called pattern until `waiting` is false. */
  setHandoffWaiting(waiting: boolean): void {
    this.leds.setHandoffWaiting(waiting);
  }

  /** Stops listening to the button and to the controller (first in shutdown: no new turn may start). */
  async detach(): Promise<void> {
    this.button?.removeAllListeners('gesture');
    this.button?.close();
    this.controls?.off('stateChanged', this.onState);
    this.controls = undefined;
    await this.buttonInput?.close();
  }

  /** Every LED off, every line released. */
  async close(): Promise<void> {
    await this.leds.close();
    await this.backend.close();
  }

  private onGesture(gesture: ButtonGesture, at: number): void {
    const controls = this.controls;
    if (!controls) return;
    this.logger.info({ gesture, at, state: controls.state, turnId: controls.turnId, trigger: controls.turnTrigger }, 'button');
    switch (gesture) {
      case 'press':
        return controls.trigger('button');
      case 'hold':
        return controls.holdToTalk();
      case 'release':
        return controls.endOfSpeech();
      case 'doubleTap':
        return controls.repeatLast();
      case 'longPress':
        return controls.cancel('longPress');
      case 'tap':
        return;
    }
  }
}
