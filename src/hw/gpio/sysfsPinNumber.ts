import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GpioUnavailableError } from './GpioUnavailableError.js';

/**
 * Labels of the GPIO controllers that drive the 40-pin header, newest first: Raspberry Pi 5 (RP1),
 * Pi 4 / 400 / CM4, Pi Zero–3. Their line offsets are BCM numbers.
 */
export const HEADER_GPIO_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'] as const;

/** A gpiochip as sysfs shows it (`<root>/gpiochip<base>/{label,base,ngpio}`). */
export interface SysfsGpioChip {
  dir: string;
  label: string;
  base: number;
  /** Lines on the chip; undefined when the kernel did not say. */
  ngpio: number | undefined;
}

/**
 * Finds the chip the header pins are on. `label` (from `hw.gpio.chip`) wins when some chip has it;
 * a /dev name such as the default `gpiochip0` matches no label (sysfs directories are named by
 * base, not by /dev number), so the known header controllers are looked for instead.
 */
export function findHeaderGpioChip(sysfsRoot: string, label?: string): SysfsGpioChip {
  if (!existsSync(sysfsRoot)) {
    throw new GpioUnavailableError(
      'noChip',
      `${sysfsRoot} does not exist: this kernel offers no sysfs GPIO`,
      'use hw.gpio.backend: gpiod (`sudo apt install gpiod`)',
    );
  }
  const chips = readdirSync(sysfsRoot)
    .filter((name) => name.startsWith('gpiochip'))
    .map((name) => readChip(join(sysfsRoot, name)))
    .filter((chip): chip is SysfsGpioChip => chip !== undefined);
  const wanted = [...(label ? [label] : []), ...HEADER_GPIO_LABELS];
  for (const candidate of wanted) {
    const chip = chips.find((c) => c.label === candidate);
    if (chip) return chip;
  }
  const found = chips.map((c) => `${c.label} (base ${c.base})`).join(', ') || 'none';
  throw new GpioUnavailableError(
    'noChip',
    `no Raspberry Pi header GPIO controller under ${sysfsRoot} (chips found: ${found})`,
    `set hw.gpio.chip to the label of the chip the header is on (\`cat ${sysfsRoot}/gpiochip*/label\`), or use hw.gpio.backend: gpiod`,
  );
}

/**
 * The sysfs number of a header pin: the chip's base plus the BCM number. Since kernel 6.6 the base
 * is no longer 0 (Pi 5: 571, Pi 4: 512) and may change between kernels, so it is read at run time.
 */
export function sysfsPinNumber(bcmPin: number, options: { sysfsRoot: string; label?: string }): number {
  const chip = findHeaderGpioChip(options.sysfsRoot, options.label);
  if (chip.ngpio !== undefined && bcmPin >= chip.ngpio) {
    throw new GpioUnavailableError(
      'failed',
      `BCM ${bcmPin} is not a line of ${chip.label}, which has ${chip.ngpio} lines`,
      'use the BCM number of the pin (GPIO17 is 17), not the physical header position',
    );
  }
  return chip.base + bcmPin;
}

function readChip(dir: string): SysfsGpioChip | undefined {
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const label = read('label');
  const base = Number.parseInt(read('base') ?? '', 10);
  if (label === undefined || !Number.isInteger(base)) return undefined;
  const ngpio = Number.parseInt(read('ngpio') ?? '', 10);
  return { dir, label, base, ngpio: Number.isInteger(ngpio) ? ngpio : undefined };
}
