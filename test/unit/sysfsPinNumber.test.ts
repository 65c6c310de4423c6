import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GpioUnavailableError } from '../../src/hw/gpio/GpioUnavailableError.js';
import { findHeaderGpioChip, sysfsPinNumber } from '../../src/hw/gpio/sysfsPinNumber.js';
import { useTempDirs } from '../helpers/tempDirs.js';

const tempDir = useTempDirs('kiosk-sysfs-');

/** A /sys/class/gpio-shaped tree: `gpiochip<base>/{label,base,ngpio}` plus export/unexport. */
function sysfsTree(chips: { label: string; base: number; ngpio: number }[]): string {
  const root = tempDir();
  writeFileSync(join(root, 'export'), '');
  writeFileSync(join(root, 'unexport'), '');
  for (const chip of chips) {
    const dir = join(root, `gpiochip${chip.base}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'label'), `${chip.label}\n`);
    writeFileSync(join(dir, 'base'), `${chip.base}\n`);
    writeFileSync(join(dir, 'ngpio'), `${chip.ngpio}\n`);
  }
  return root;
}

// Raspberry Pi 5 on kernel 6.6: two SoC GPIO blocks come first; the header is on RP1.
const pi5 = () =>
  sysfsTree([
    { label: 'gpio-brcmstb@107d508500', base: 512, ngpio: 32 },
    { label: 'gpio-brcmstb@107d517c00', base: 544, ngpio: 27 },
    { label: 'pinctrl-rp1', base: 571, ngpio: 54 },
  ]);
const pi4New = () =>
  sysfsTree([
    { label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
    { label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
  ]);
const pi4Old = () =>
  sysfsTree([
    { label: 'pinctrl-bcm2711', base: 0, ngpio: 58 },
    { label: 'raspberrypi-exp-gpio', base: 504, ngpio: 8 },
  ]);

function thrown(fn: () => unknown): GpioUnavailableError {
  try {
    fn();
  } catch (error) {
    if (error instanceof GpioUnavailableError) return error;
    throw error;
  }
  throw new Error('expected a GpioUnavailableError');
}

describe('sysfsPinNumber', () => {
  it('Pi 5 on kernel 6.6+: base 571 of pinctrl-rp1, not the lowest base', () => {
    expect(sysfsPinNumber(17, { sysfsRoot: pi5() })).toBe(588);
  });

  it('Pi 4 on kernel 6.6+: base 512 of pinctrl-bcm2711', () => {
    expect(sysfsPinNumber(17, { sysfsRoot: pi4New() })).toBe(529);
  });

  it('Pi 4 on an older kernel: base 0, the BCM number itself', () => {
    expect(sysfsPinNumber(17, { sysfsRoot: pi4Old() })).toBe(17);
  });

  it('Pi Zero–3: pinctrl-bcm2835', () => {
    expect(sysfsPinNumber(4, { sysfsRoot: sysfsTree([{ label: 'pinctrl-bcm2835', base: 0, ngpio: 54 }]) })).toBe(4);
  });

  it('hw.gpio.chip as a label picks that chip (a HAT’s own controller)', () => {
    const root = sysfsTree([
      { label: 'pinctrl-rp1', base: 571, ngpio: 54 },
      { label: 'my-hat', base: 625, ngpio: 16 },
    ]);
    expect(sysfsPinNumber(3, { sysfsRoot: root, label: 'my-hat' })).toBe(628);
  });

  it('the default chip name gpiochip0 is not a label: the header controller is still found', () => {
    expect(sysfsPinNumber(17, { sysfsRoot: pi5(), label: 'gpiochip0' })).toBe(588);
  });

  it('no Raspberry Pi header controller: a clear error listing what is there', () => {
    const root = sysfsTree([{ label: 'gpio-mockup-A', base: 0, ngpio: 8 }]);
    const error = thrown(() => sysfsPinNumber(17, { sysfsRoot: root }));
    expect(error.reason).toBe('noChip');
    expect(error.message).toContain('no Raspberry Pi header GPIO controller');
    expect(error.message).toContain('gpio-mockup-A (base 0)');
    expect(error.hint).toContain('hw.gpio.chip');
  });

  it('no sysfs GPIO at all: says so and points at the gpiod backend', () => {
    const error = thrown(() => sysfsPinNumber(17, { sysfsRoot: join(tempDir(), 'missing') }));
    expect(error.reason).toBe('noChip');
    expect(error.message).toContain('does not exist');
    expect(error.hint).toContain('gpiod');
  });

  it('a pin past the chip’s lines is refused rather than mapped onto the next chip', () => {
    const error = thrown(() => sysfsPinNumber(60, { sysfsRoot: pi5() }));
    expect(error.reason).toBe('failed');
    expect(error.message).toContain('54 lines');
  });

  it('findHeaderGpioChip reports label, base and line count', () => {
    const chip = findHeaderGpioChip(pi5());
    expect({ label: chip.label, base: chip.base, ngpio: chip.ngpio }).toEqual({ label: 'pinctrl-rp1', base: 571, ngpio: 54 });
  });
});
