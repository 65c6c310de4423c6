import { EventEmitter } from 'node:events';
import type { Gpio } from 'onoff';
import type { Logger } from '../../logging/createLogger.js';
import { monotonicMs } from '../../system/clock.js';
import { systemTimers } from '../hwTimers.js';
import { EdgeDebouncer } from './EdgeDebouncer.js';
import type {
  GpioBackend,
  GpioConfig,
  GpioInput,
  GpioInputEvents,
  GpioInputOptions,
  GpioOutput,
  GpioOutputOptions,
} from './GpioBackend.js';
import { GpioUnavailableError } from './GpioUnavailableError.js';
import { findHeaderGpioChip, sysfsPinNumber, type SysfsGpioChip } from './sysfsPinNumber.js';

type GpioClass = typeof Gpio;

/**
 * GPIO through the kernel's sysfs interface, with onoff.
 *
 * onoff 6.0.3 always works under `/sys/class/gpio` (its root is a constant), so `hw.gpio.sysfsRoot`
 * only decides where the chip base is read; the onoff calls here are kept thin and the number
 * logic (`sysfsPinNumber`) is what the tests cover, on temp trees. Button edges through onoff
 * cannot be tested off a device: `watch()` uses epoll on the `value` file, which on a regular
 * file (a faked tree) fails.
 */
export class OnoffBackend implements GpioBackend {
  readonly name = 'onoff';
  private readonly lines = new Set<{ close(): Promise<void> }>();

  private constructor(
    private readonly gpioClass: GpioClass,
    private readonly config: GpioConfig,
    /** The header chip found at open, for the log line that says why this backend was chosen. */
    readonly chip: SysfsGpioChip,
    private readonly logger: Logger,
  ) {}

  /** Finds the header chip and loads onoff (and its epoll addon); rejects when either is missing. */
  static async open(config: GpioConfig, logger: Logger): Promise<OnoffBackend> {
    const chip = findHeaderGpioChip(config.sysfsRoot, config.chip);
    let gpioClass: GpioClass;
    try {
      gpioClass = (await import('onoff')).Gpio;
    } catch (error) {
      throw new GpioUnavailableError(
        'noTools',
        `onoff could not be loaded: ${(error as Error).message}`,
        'reinstall with npm so the epoll addon builds, or use hw.gpio.backend: gpiod',
        { cause: error },
      );
    }
    return new OnoffBackend(gpioClass, config, chip, logger);
  }

  async output(pin: number, options: GpioOutputOptions): Promise<GpioOutput> {
    // onoff applies active_low in the kernel, so values written here are logical.
    const gpio = this.openLine(pin, () => new this.gpioClass(this.number(pin), 'out', undefined, { activeLow: options.activeLow }));
    gpio.writeSync(0);
    const line = {
      pin,
      set: (on: boolean) => gpio.writeSync(on ? 1 : 0),
      close: async () => {
        if (!this.lines.delete(line)) return;
        gpio.writeSync(0);
        gpio.unexport();
      },
    };
    this.lines.add(line);
    return line;
  }

  async input(pin: number, options: GpioInputOptions): Promise<GpioInput> {
    const gpio = this.openLine(pin, () => new this.gpioClass(this.number(pin), 'in', 'both', { activeLow: options.activeLow }));
    // sysfs has no bias setting: the pull-up an active-low button needs must come from config.txt.
    this.logger.info(
      { pin, activeLow: options.activeLow },
      `onoff cannot set the pull resistor of BCM ${pin}; if the button does nothing, add \`gpio=${pin}=ip,${options.activeLow ? 'pu' : 'pd'}\` to /boot/firmware/config.txt`,
    );
    const line = new OnoffInput(pin, gpio, options.debounceMs, this.logger, () => this.lines.delete(line));
    this.lines.add(line);
    return line;
  }

  async close(): Promise<void> {
    await Promise.all([...this.lines].map((line) => line.close()));
  }

  private number(pin: number): number {
    return sysfsPinNumber(pin, { sysfsRoot: this.config.sysfsRoot, label: this.chip.label });
  }

  /** Opens a line, turning the kernel's errno into one logged, actionable error. */
  private openLine(pin: number, open: () => Gpio): Gpio {
    try {
      return open();
    } catch (error) {
      const failure = describeSysfsError(pin, error);
      this.logger.error({ pin, reason: failure.reason, hint: failure.hint }, failure.message);
      throw failure;
    }
  }
}

/** A watched sysfs input; edges pass the leading-edge debouncer so a press is never delayed. */
class OnoffInput extends EventEmitter<GpioInputEvents> implements GpioInput {
  private readonly debouncer: EdgeDebouncer;
  private closed = false;

  constructor(
    readonly pin: number,
    private readonly gpio: Gpio,
    debounceMs: number,
    logger: Logger,
    private readonly forget: () => void,
  ) {
    super();
    this.debouncer = new EdgeDebouncer(debounceMs, (edge) => this.emit('edge', edge), systemTimers);
    // onoff's own debounceTimeout is trailing (it would add debounceMs to every press), so it is not used.
    gpio.watch((error, value) => {
      if (error) logger.warn({ pin, err: error }, 'button watch failed');
      else this.debouncer.push({ value, at: monotonicMs() });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.forget();
    this.debouncer.dispose();
    this.gpio.unexport();
  }
}

function describeSysfsError(pin: number, error: unknown): GpioUnavailableError {
  if (error instanceof GpioUnavailableError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const detail = (error as Error).message;
  const options = { cause: error };
  if (code === 'EACCES' || code === 'EPERM') {
    return new GpioUnavailableError(
      'permission',
      `no permission to export BCM ${pin} under /sys/class/gpio (${detail})`,
      'add the user to the gpio group (`sudo usermod -aG gpio $USER`, then log in again)',
      options,
    );
  }
  if (code === 'EBUSY') {
    return new GpioUnavailableError(
      'busy',
      `BCM ${pin} is in use by another program or a kernel driver (${detail})`,
      '`gpioinfo` shows who holds it; stop that program or choose another pin',
      options,
    );
  }
  if (code === 'ENOENT') {
    return new GpioUnavailableError(
      'noChip',
      `/sys/class/gpio is missing or incomplete (${detail})`,
      'this kernel has no sysfs GPIO: use hw.gpio.backend: gpiod (`sudo apt install gpiod`)',
      options,
    );
  }
  return new GpioUnavailableError('failed', `BCM ${pin} could not be opened through sysfs: ${detail}`, 'check the pin number and that no overlay claims it', options);
}
