import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createGpioBackend } from '../../src/hw/gpio/createGpioBackend.js';
import type { GpioBackend, GpioConfig, GpioInput } from '../../src/hw/gpio/GpioBackend.js';
import { GpiodCliBackend } from '../../src/hw/gpio/GpiodCliBackend.js';
import { GpioUnavailableError } from '../../src/hw/gpio/GpioUnavailableError.js';
import { monotonicMs } from '../../src/system/clock.js';
import { createFakeGpiod, type FakeGpiod } from '../helpers/fakeGpiod.js';
import { useTempDirs } from '../helpers/tempDirs.js';

const tempDir = useTempDirs('kiosk-gpio-');

function gpioConfig(gpio: Record<string, unknown> = {}): GpioConfig {
  return configSchema.parse({ hw: { gpio } }).hw.gpio;
}

function capturingLogger() {
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]) });
  return { logger, lines, errors: () => lines.filter((l) => l.level >= 50), warnings: () => lines.filter((l) => l.level === 40) };
}

/** Direct children of this process, as the kernel lists them. */
function children(): number[] {
  return readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

let fakes: FakeGpiod[] = [];
let backends: GpioBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

function fake(version: 1 | 2): FakeGpiod {
  const made = createFakeGpiod({ version });
  fakes.push(made);
  return made;
}

async function openBackend(stand: FakeGpiod, gpio: Record<string, unknown> = {}) {
  const log = capturingLogger();
  // The stand-in gpiomon is a Node script: give v1's start-up check room on a busy machine.
  const backend = await GpiodCliBackend.open(gpioConfig(gpio), log.logger, { env: stand.env, startupGraceMs: 400 });
  backends.push(backend);
  return { backend, ...log };
}

/** Collects the edges an input emits. */
function record(input: GpioInput) {
  const edges: { value: 0 | 1; at: number }[] = [];
  input.on('edge', (edge) => edges.push(edge));
  return edges;
}

const lastSet = (stand: FakeGpiod, line: number) => stand.setLog().filter((s) => s.line === line).at(-1)?.value;

describe.each([1, 2] as const)('GpiodCliBackend against libgpiod v%i stand-ins', (version) => {
  it('detects the CLI version and finds the chip through gpiodetect', async () => {
    const { backend } = await openBackend(fake(version));
    expect(backend.version).toBe(version);
    expect(backend.chip).toBe('gpiochip0');
    expect(backend.chipFoundBy).toContain('gpiodetect lists gpiochip0 [pinctrl-rp1]');
  });

  it('resolves a chip given by label to the name the tools take', async () => {
    const { backend } = await openBackend(fake(version), { chip: 'pinctrl-rp1' });
    expect(backend.chip).toBe('gpiochip0');
  });

  it('a chip that does not exist is one clear error', async () => {
    const stand = fake(version);
    const error = await GpiodCliBackend.open(gpioConfig({ chip: 'gpiochip9' }), capturingLogger().logger, { env: stand.env }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpioUnavailableError);
    expect((error as GpioUnavailableError).reason).toBe('noChip');
    expect((error as GpioUnavailableError).message).toContain('gpiochip0 [pinctrl-rp1]');
  });

  it('an LED line is driven off at open, then follows set()', async () => {
    const stand = fake(version);
    const { backend, errors } = await openBackend(stand);
    const led = await backend.output(17, { activeLow: false });
    expect(stand.setLog().map((s) => [s.line, s.value])).toEqual([[17, 0]]);
    led.set(true);
    await vi.waitFor(() => expect(lastSet(stand, 17)).toBe(1));
    led.set(false);
    await vi.waitFor(() => expect(lastSet(stand, 17)).toBe(0));
    expect(stand.holders().filter((h) => h.line === 17).map((h) => h.tool)).toEqual(['gpioset']);
    expect(errors()).toEqual([]);
  });

  it('a burst of changes never runs two gpiosets on the line, and the last value wins', async () => {
    const stand = fake(version);
    const { backend, errors } = await openBackend(stand);
    const led = await backend.output(17, { activeLow: false });
    for (let i = 0; i < 12; i++) {
      led.set(i % 2 === 0);
      await sleep(i % 3 === 0 ? 0 : 7);
    }
    led.set(true);
    await vi.waitFor(() => expect(lastSet(stand, 17)).toBe(1));
    await sleep(100);
    expect(lastSet(stand, 17)).toBe(1);
    expect(stand.holders().filter((h) => h.line === 17)).toHaveLength(1);
    // A second gpioset on a held line would have failed with EBUSY and been logged.
    expect(errors()).toEqual([]);
  });

  it('an active-low LED is lit by driving the line low', async () => {
    const stand = fake(version);
    const { backend } = await openBackend(stand);
    const led = await backend.output(18, { activeLow: true });
    expect(lastSet(stand, 18)).toBe(1);
    led.set(true);
    await vi.waitFor(() => expect(lastSet(stand, 18)).toBe(0));
  });

  it('close drives a lit LED off before releasing the line', async () => {
    const stand = fake(version);
    const { backend } = await openBackend(stand);
    const led = await backend.output(17, { activeLow: false });
    led.set(true);
    await vi.waitFor(() => expect(lastSet(stand, 17)).toBe(1));
    await led.close();
    expect(lastSet(stand, 17)).toBe(0);
    expect(stand.holders()).toEqual([]);
  });

  it('button edges arrive as logical values within the latency budget', async () => {
    const stand = fake(version);
    const { backend } = await openBackend(stand);
    const button = await backend.input(5, { activeLow: true, debounceMs: 30 });
    const edges = record(button);
    await vi.waitFor(() => expect(stand.holders().map((h) => [h.tool, h.line])).toEqual([['gpiomon', 5]]));
    const pressedAt = monotonicMs();
    stand.press(5);
    await vi.waitFor(() => expect(edges).toHaveLength(1), { interval: 2 });
    expect(edges[0]?.value).toBe(1);
    expect((edges[0]?.at ?? Infinity) - pressedAt).toBeLessThan(50);
    await sleep(60);
    stand.release(5);
    await vi.waitFor(() => expect(edges.map((e) => e.value)).toEqual([1, 0]));
    // An edge on another line is not this button's.
    stand.press(6);
    await sleep(60);
    expect(edges).toHaveLength(2);
  });

  it('debounces chatter on top of the tool, keeping the level the contact settles at', async () => {
    const stand = fake(version);
    const { backend } = await openBackend(stand);
    const button = await backend.input(5, { activeLow: true, debounceMs: 30 });
    const edges = record(button);
    await vi.waitFor(() => expect(stand.holders()).toHaveLength(1));
    stand.bounce([1, 0, 1, 0, 1], 5);
    await sleep(100);
    expect(edges.map((e) => e.value)).toEqual([1]);
    stand.bounce([0, 1, 0], 5);
    await sleep(100);
    expect(edges.map((e) => e.value)).toEqual([1, 0]);
    // A tap shorter than the window: the release is reported when the window closes.
    stand.bounce([1, 0], 5);
    await vi.waitFor(() => expect(edges.map((e) => e.value)).toEqual([1, 0, 1, 0]));
    const [down, up] = edges.slice(2);
    // Node timers may fire a millisecond or two early; an unfiltered release would come at once.
    expect((up?.at ?? 0) - (down?.at ?? 0)).toBeGreaterThanOrEqual(25);
  });

  it('close stops and reaps every tool: no child, zombie or orphan left', async () => {
    const stand = fake(version);
    const before = children();
    const { backend } = await openBackend(stand);
    const led = await backend.output(17, { activeLow: false });
    await backend.input(5, { activeLow: true, debounceMs: 30 });
    led.set(true);
    await vi.waitFor(() => expect(lastSet(stand, 17)).toBe(1));
    const running = children().filter((pid) => !before.includes(pid));
    expect(running).toHaveLength(2);
    await backend.close();
    expect(children()).toEqual(before);
    for (const pid of running) expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(stand.holders()).toEqual([]);
    expect(lastSet(stand, 17)).toBe(0);
  });

  it('permission denied on the button line: one clear error with what to do, and no process left', async () => {
    const stand = fake(version);
    const before = children();
    const { backend, errors } = await openBackend(stand);
    stand.fail('gpiomon', 'permission');
    const error = await backend.input(5, { activeLow: true, debounceMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GpioUnavailableError);
    expect((error as GpioUnavailableError).reason).toBe('permission');
    expect((error as GpioUnavailableError).message).toMatch(/gpiomon could not watch BCM 5 on gpiochip0: .*Permission denied/);
    expect((error as GpioUnavailableError).hint).toContain('gpio group');
    expect(errors()).toHaveLength(1);
    expect(errors()[0]).toMatchObject({ msg: (error as Error).message, reason: 'permission', hint: (error as GpioUnavailableError).hint });
    expect(children()).toEqual(before);
  });

  it('a line another program holds is busy: the LED is refused once, the rest goes on', async () => {
    const stand = fake(version);
    const holderArgs = version === 1 ? ['-m', 'signal', 'gpiochip0', '17=1'] : ['-c', 'gpiochip0', '17=1'];
    const other = spawn('gpioset', holderArgs, { env: stand.env, stdio: 'ignore' });
    try {
      await vi.waitFor(() => expect(stand.holders()).toHaveLength(1));
      const { backend, errors } = await openBackend(stand);
      const error = await backend.output(17, { activeLow: false }).catch((e: unknown) => e);
      expect((error as GpioUnavailableError).reason).toBe('busy');
      expect((error as GpioUnavailableError).hint).toContain('gpioinfo gpiochip0');
      expect(errors()).toHaveLength(1);
      const other18 = await backend.output(18, { activeLow: false });
      other18.set(true);
      await vi.waitFor(() => expect(lastSet(stand, 18)).toBe(1));
    } finally {
      other.kill('SIGTERM');
      await new Promise((resolve) => other.once('close', resolve));
    }
  });

  it('a gpioset that fails later (line taken while blinking) is logged once and the LED goes quiet', async () => {
    const stand = fake(version);
    const { backend, errors } = await openBackend(stand);
    const led = await backend.output(17, { activeLow: false });
    stand.fail('gpioset', 'busy');
    for (let i = 0; i < 5; i++) {
      led.set(i % 2 === 0);
      await sleep(40);
    }
    await vi.waitFor(() => expect(errors()).toHaveLength(1));
    expect(errors()[0]?.reason).toBe('busy');
    await sleep(100);
    expect(errors()).toHaveLength(1);
  });

  it('the stand-ins refuse the other version’s syntax, like the real tools', async () => {
    const stand = fake(version);
    const wrongSet = version === 1 ? ['-c', 'gpiochip0', '17=1'] : ['-m', 'signal', 'gpiochip0', '17=1'];
    const wrongMon = version === 1 ? ['-c', 'gpiochip0', '-e', 'both', '5'] : ['-B', 'pull-up', 'gpiochip0', '5'];
    for (const [tool, args] of [['gpioset', wrongSet], ['gpiomon', wrongMon]] as const) {
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(tool, args, { env: stand.env }, (error, _stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stderr })),
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/invalid option/);
    }
  });
});

describe('libgpiod v1 gpiomon stand-in', () => {
  it('block-buffers its output into a pipe without -b, as the real one does (why the backend passes -b)', async () => {
    const stand = fake(1);
    const mon = spawn('gpiomon', ['-F', '%o %e', 'gpiochip0', '5'], { env: stand.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    mon.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    await vi.waitFor(() => expect(stand.holders()).toHaveLength(1));
    stand.press(5);
    await sleep(200);
    expect(out).toBe('');
    mon.kill('SIGTERM');
    await new Promise((resolve) => mon.once('close', resolve));
    expect(out).toBe('5 0\n');
  });
});

describe('createGpioBackend', () => {
  it('auto picks the libgpiod tools when they and the chip are there, and says why once', async () => {
    const stand = fake(2);
    const { logger, lines } = capturingLogger();
    const backend = await createGpioBackend(gpioConfig(), logger, { env: stand.env });
    backends.push(backend);
    expect(backend.name).toBe('gpiod');
    const chosen = lines.filter((l) => l.msg.startsWith('gpio backend'));
    expect(chosen).toHaveLength(1);
    expect(chosen[0]).toMatchObject({ level: 30, backend: 'gpiod', version: 2, chip: 'gpiochip0' });
    expect(chosen[0]?.reason).toContain('libgpiod v2 tools on PATH');
  });

  it('auto falls back to onoff when the tools are missing and sysfs has a header chip', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'gpiochip571'));
    writeFileSync(join(root, 'gpiochip571', 'label'), 'pinctrl-rp1\n');
    writeFileSync(join(root, 'gpiochip571', 'base'), '571\n');
    const { logger, lines } = capturingLogger();
    const backend = await createGpioBackend(gpioConfig({ sysfsRoot: root }), logger, { env: { PATH: tempDir() } });
    backends.push(backend);
    expect(backend.name).toBe('onoff');
    const chosen = lines.filter((l) => l.msg.startsWith('gpio backend'));
    expect(chosen).toHaveLength(1);
    expect(chosen[0]?.reason).toContain('pinctrl-rp1 at base 571');
  });

  it('no GPIO here: the none backend and exactly one warning, never a throw', async () => {
    const { logger, lines } = capturingLogger();
    const backend = await createGpioBackend(gpioConfig({ sysfsRoot: join(tempDir(), 'absent') }), logger, { env: { PATH: tempDir() } });
    expect(backend.name).toBe('none');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, backend: 'none' });
    expect(lines[0]?.msg).toContain('not on PATH');
    expect(lines[0]?.msg).toContain('does not exist');
    const led = await backend.output(17, { activeLow: false });
    led.set(true);
    await led.close();
  });

  it('gpiod asked for by name but not installed: none, with the install hint', async () => {
    const { logger, lines } = capturingLogger();
    const backend = await createGpioBackend(gpioConfig({ backend: 'gpiod' }), logger, { env: { PATH: tempDir() } });
    expect(backend.name).toBe('none');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.hint).toContain('apt install gpiod');
  });

  it('none asked for by name is one info line', async () => {
    const { logger, lines } = capturingLogger();
    const backend = await createGpioBackend(gpioConfig({ backend: 'none' }), logger);
    expect(backend.name).toBe('none');
    expect(lines.map((l) => l.level)).toEqual([30]);
  });
});
