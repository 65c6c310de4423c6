import type { GpioBackend, GpioConfig } from '../hw/gpio/GpioBackend.js';
import { GpiodCliBackend } from '../hw/gpio/GpiodCliBackend.js';
import { GpioUnavailableError } from '../hw/gpio/GpioUnavailableError.js';
import { OnoffBackend } from '../hw/gpio/OnoffBackend.js';
import type { Logger } from '../logging/createLogger.js';
import { configured, DEFAULT_CHECK_TIMEOUT_MS, type CheckOutcome, type DoctorCheck } from './DoctorCheck.js';
import { chipAccessProblem, listGpioChips, type GpioChipNode } from './gpioChips.js';

/** A pin the config wires to something. */
export interface ConfiguredPin {
  /** `button`, `LED status`, `LED micLive`, … */
  role: string;
  pin: number;
  direction: 'input' | 'output';
}

/** The button and LED pins `hw.gpio` configures, button first. */
export function configuredPins(gpio: GpioConfig): ConfiguredPin[] {
  const pins: ConfiguredPin[] = [];
  if (gpio.button.pin !== undefined) pins.push({ role: 'button', pin: gpio.button.pin, direction: 'input' });
  for (const led of ['status', 'red', 'green', 'blue', 'micLive'] as const) {
    const pin = gpio.leds[led];
    if (pin !== undefined) pins.push({ role: `LED ${led}`, pin, direction: 'output' });
  }
  return pins;
}

const BUSY_ADVICE = 'if the kiosk-voice service is running it holds its lines: stop it first (`sudo systemctl stop kiosk-voice`)';

/**
 * The configured GPIO backend, the gpiochip nodes and whether this user may open them, and whether
 * every configured button and LED pin can be claimed (each is claimed, the LEDs driven off, and
 * released). Pins configured and no GPIO to drive them is a failure: the button would do nothing.
 */
export const gpioCheck: DoctorCheck = {
  name: 'gpio',
  needsConfig: true,
  // Each line takes up to 200 ms to count as claimed with the v1 tools, and as long to release.
  timeoutMs: () => 2 * DEFAULT_CHECK_TIMEOUT_MS,
  timeoutAdvice: 'a libgpiod tool hangs: run `gpiodetect` and `gpioinfo` by hand',
  async run(context, signal) {
    const { config, logger, env } = configured(context);
    const gpio = config.hw.gpio;
    const pins = configuredPins(gpio);
    const chips = listGpioChips();
    const chipsText = describeChips(chips);
    if (gpio.backend === 'none') {
      if (pins.length === 0) return { status: 'ok', detail: `not used (hw.gpio.backend: none); ${chipsText}` };
      return {
        status: 'warn',
        detail: `hw.gpio.backend is none, so ${pinList(pins)} do nothing`,
        advice: 'set hw.gpio.backend: auto to use them, or remove the pins from hw.gpio',
      };
    }
    if (pins.length === 0) return { status: 'ok', detail: `not configured (no button or LED pins in hw.gpio); ${chipsText}` };

    const denied = chips.find((chip) => !chip.accessible && (chip.path.endsWith(`/${gpio.chip}`) || chip.path === gpio.chip));
    if (denied) return { status: 'fail', ...chipAccessProblem(denied) };

    const opened = await openBackend(gpio, logger, env);
    if ('failures' in opened) {
      const noChip = chips.length === 0;
      return {
        status: 'fail',
        detail: `${pinList(pins)} configured, but no GPIO backend works: ${chipsText}; ${opened.failures.join('; ')}`,
        advice: noChip
          ? 'on a Raspberry Pi check that /dev/gpiochip* is visible (DeviceAllow= in the unit) and `sudo apt install gpiod`; on a machine without GPIO remove the pins from hw.gpio or set hw.gpio.backend: none'
          : opened.hint,
      };
    }
    return claimPins(opened.backend, opened.how, pins, gpio, signal);
  },
};

async function openBackend(gpio: GpioConfig, logger: Logger, env: NodeJS.ProcessEnv): Promise<{ backend: GpioBackend; how: string } | { failures: string[]; hint: string }> {
  const log = logger.child({ component: 'doctor-gpio' });
  const attempts: Record<'gpiod' | 'onoff', () => Promise<{ backend: GpioBackend; how: string }>> = {
    gpiod: async () => {
      const backend = await GpiodCliBackend.open(gpio, log, { env });
      return { backend, how: `gpiod (libgpiod v${backend.version} tools, ${backend.chipFoundBy})` };
    },
    onoff: async () => {
      const backend = await OnoffBackend.open(gpio, log);
      return { backend, how: `onoff (${backend.chip.label} at sysfs base ${backend.chip.base})` };
    },
  };
  const names: ('gpiod' | 'onoff')[] = gpio.backend === 'auto' ? ['gpiod', 'onoff'] : gpio.backend === 'none' ? [] : [gpio.backend];
  const failures: string[] = [];
  let hint = 'see the reasons above';
  for (const name of names) {
    try {
      return await attempts[name]();
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      if (error instanceof GpioUnavailableError && error.hint) hint = error.hint;
    }
  }
  return { failures, hint };
}

/** Claims every pin (LEDs are driven off), then releases them all. */
async function claimPins(backend: GpioBackend, how: string, pins: ConfiguredPin[], gpio: GpioConfig, signal: AbortSignal): Promise<CheckOutcome> {
  const claimed: ConfiguredPin[] = [];
  const failures: { pin: ConfiguredPin; error: unknown }[] = [];
  // Out of time: let go of every line now, so no gpioset or gpiomon outlives doctor.
  const release = () => void backend.close();
  signal.addEventListener('abort', release, { once: true });
  try {
    for (const pin of pins) {
      signal.throwIfAborted();
      try {
        if (pin.direction === 'input') await backend.input(pin.pin, { activeLow: gpio.button.activeLow, debounceMs: gpio.button.debounceMs });
        else await backend.output(pin.pin, { activeLow: gpio.leds.activeLow });
        claimed.push(pin);
      } catch (error) {
        failures.push({ pin, error });
      }
    }
  } finally {
    signal.removeEventListener('abort', release);
    await backend.close();
  }
  if (failures.length === 0) return { status: 'ok', detail: `${how}: claimed and released ${pinList(claimed)}` };
  const first = failures[0]!.error;
  const busy = failures.some(({ error }) => error instanceof GpioUnavailableError && error.reason === 'busy');
  const reasons = failures.map(({ pin, error }) => `${pin.role} BCM ${pin.pin}: ${error instanceof Error ? error.message : String(error)}`);
  return {
    status: 'fail',
    detail: `${how}: ${claimed.length > 0 ? `claimed ${pinList(claimed)}, but ` : ''}${reasons.join('; ')}`,
    advice: [first instanceof GpioUnavailableError ? first.hint : undefined, busy ? BUSY_ADVICE : undefined].filter(Boolean).join('; ') || 'see the reasons above',
  };
}

function pinList(pins: ConfiguredPin[]): string {
  return pins.map((p) => `${p.role} BCM ${p.pin}`).join(', ');
}

function describeChips(chips: GpioChipNode[]): string {
  if (chips.length === 0) return 'no /dev/gpiochip* here';
  return chips.map((c) => `${c.path} (${c.owner}${c.accessible ? '' : ', not accessible'})`).join(', ');
}
