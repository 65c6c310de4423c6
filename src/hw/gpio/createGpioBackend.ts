import type { Logger } from '../../logging/createLogger.js';
import type { GpioBackend, GpioConfig } from './GpioBackend.js';
import { GpiodCliBackend } from './GpiodCliBackend.js';
import { GpioUnavailableError } from './GpioUnavailableError.js';
import { NoGpioBackend } from './NoGpioBackend.js';
import { OnoffBackend } from './OnoffBackend.js';

/** Options for {@link createGpioBackend}. */
export interface CreateGpioBackendOptions {
  /** Environment the libgpiod tools are looked up in and run with (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Where gpiochip device nodes live (default `/dev`). */
  devDir?: string;
  /** How long a v1 libgpiod tool must keep running to count as started (default 200 ms). */
  startupGraceMs?: number;
}

const NO_GPIO_HINT = 'the kiosk runs without button and LEDs; on a Pi install the tools (`sudo apt install gpiod`) or set hw.gpio.backend';

/**
 * Picks the GPIO backend and logs once which one and why. `auto` prefers the libgpiod tools
 * (gpioset and gpiomon on PATH, and the chip in /dev or listed by gpiodetect), then onoff when the
 * sysfs root exists, else none. It never throws for "no GPIO here": a backend that cannot be had
 * gives the `none` backend and one warning, and the daemon runs on.
 */
export async function createGpioBackend(config: GpioConfig, logger: Logger, options: CreateGpioBackendOptions = {}): Promise<GpioBackend> {
  const log = logger.child({ component: 'gpio' });
  const gpiodOptions = {
    env: options.env ?? process.env,
    ...(options.devDir !== undefined && { devDir: options.devDir }),
    ...(options.startupGraceMs !== undefined && { startupGraceMs: options.startupGraceMs }),
  };
  const openGpiod = async () => {
    const backend = await GpiodCliBackend.open(config, log, gpiodOptions);
    return { backend, why: `libgpiod v${backend.version} tools on PATH; ${backend.chipFoundBy}`, extra: { version: backend.version, chip: backend.chip } };
  };
  const openOnoff = async () => {
    const backend = await OnoffBackend.open(config, log);
    const { label, base } = backend.chip;
    return { backend, why: `${config.sysfsRoot} has ${label} at base ${base}`, extra: { chipLabel: label, base } };
  };

  if (config.backend === 'none') {
    log.info({ backend: 'none' }, 'gpio backend: none (hw.gpio.backend is none)');
    return new NoGpioBackend();
  }

  const attempts = config.backend === 'gpiod' ? [openGpiod] : config.backend === 'onoff' ? [openOnoff] : [openGpiod, openOnoff];
  const failures: string[] = [];
  let hint = NO_GPIO_HINT;
  for (const attempt of attempts) {
    try {
      const { backend, why, extra } = await attempt();
      log.info({ backend: backend.name, ...extra, reason: why }, `gpio backend: ${backend.name} (${why})`);
      return backend;
    } catch (error) {
      // Whatever went wrong (an unreadable sysfs tree too), the kiosk runs on without GPIO.
      failures.push((error as Error).message);
      // For a backend chosen by name its own advice is the useful one.
      if (attempts.length === 1 && error instanceof GpioUnavailableError) hint = error.hint ?? hint;
    }
  }
  log.warn({ backend: 'none', requested: config.backend, hint }, `gpio backend: none — no usable GPIO here (${failures.join('; ')})`);
  return new NoGpioBackend();
}
