import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { systemTimers, type HwTimers } from '../../src/hw/hwTimers.js';
import { LED_PATTERNS, Leds } from '../../src/hw/Leds.js';
import { TURN_STATES, type TurnState } from '../../src/turn/TurnState.js';
import { FakeGpio } from '../fakes/FakeGpio.js';

const STATUS = 4;
const RED = 5;
const GREEN = 6;
const BLUE = 13;
const MIC = 26;

const fakeTimers: HwTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => Date.now(),
};

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

let gpio: FakeGpio;

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  gpio = new FakeGpio(fakeTimers.now);
});

afterEach(() => {
  vi.useRealTimers();
});

async function open(leds: Record<string, unknown>) {
  const config = configSchema.parse({ hw: { gpio: { leds } } }).hw.gpio.leds;
  const { logger, lines } = capturingLogger();
  return { leds: await Leds.open(gpio, config, logger, fakeTimers), lines };
}

/** The on/off changes of one pin between `from` and `to` (ms on the fake clock). */
function changes(pin: number, from = 0, to = Number.POSITIVE_INFINITY) {
  return gpio
    .setsFor(pin)
    .filter((s) => s.at >= from && s.at < to)
    .map((s) => [s.at, s.on] as const);
}

/** Shows `state` at t=0 and runs the clock for `ms`. */
async function run(state: TurnState, ms: number, pins: Record<string, unknown> = { status: STATUS }) {
  const { leds } = await open(pins);
  leds.show(state);
  vi.advanceTimersByTime(ms);
  return leds;
}

describe('Leds on a single status LED', () => {
  it('idle is dark, with no timer running', async () => {
    await run('idle', 5000);
    expect(gpio.level(STATUS)).toBe(false);
    expect(changes(STATUS)).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('listening is solid on, with no timer running', async () => {
    await run('listening', 5000);
    expect(changes(STATUS)).toEqual([[0, true]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('thinking blinks slowly, at 1 Hz', async () => {
    await run('thinking', 2100);
    expect(changes(STATUS)).toEqual([
      [0, true],
      [500, false],
      [1000, true],
      [1500, false],
      [2000, true],
    ]);
  });

  it('speaking pulses 150 ms on, 150 ms off', async () => {
    await run('speaking', 650);
    expect(changes(STATUS)).toEqual([
      [0, true],
      [150, false],
      [300, true],
      [450, false],
      [600, true],
    ]);
  });

  it('follow-up "breathes": lit, dark for 100 ms every second — unlike listening', async () => {
    await run('followUp', 2050);
    expect(changes(STATUS)).toEqual([
      [0, true],
      [900, false],
      [1000, true],
      [1900, false],
      [2000, true],
    ]);
  });

  it('muted flashes briefly every 2 s', async () => {
    await run('muted', 4200);
    expect(changes(STATUS)).toEqual([
      [0, true],
      [100, false],
      [2000, true],
      [2100, false],
      [4000, true],
      [4100, false],
    ]);
  });

  it('error blinks fast, about 8 times a second', async () => {
    await run('error', 999);
    const flashes = changes(STATUS).filter(([, on]) => on);
    expect(flashes).toHaveLength(8);
    expect(flashes.map(([at]) => at)).toEqual([0, 125, 250, 375, 500, 625, 750, 875]);
  });

  it('every state can be told apart by the status LED alone', () => {
    const rhythms = TURN_STATES.map((state) => JSON.stringify(LED_PATTERNS[state].status));
    expect(new Set(rhythms).size).toBe(TURN_STATES.length);
  });

  it('a state change restarts the pattern at its lit phase and stops the old one', async () => {
    const leds = await run('thinking', 700); // dark since 500
    expect(gpio.level(STATUS)).toBe(false);
    leds.show('speaking');
    expect(gpio.level(STATUS)).toBe(true);
    vi.advanceTimersByTime(1000);
    // Only the speaking rhythm from t=700: no change lands on the thinking grid (1000, 1500).
    expect(changes(STATUS, 700).map(([at]) => at)).toEqual([700, 850, 1000, 1150, 1300, 1450, 1600]);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('showing the same state again changes nothing', async () => {
    const leds = await run('thinking', 200);
    leds.show('thinking');
    vi.advanceTimersByTime(400);
    expect(changes(STATUS)).toEqual([
      [0, true],
      [500, false],
    ]);
  });

  it('logs one debug line per change with the state and pattern', async () => {
    const { leds, lines } = await open({ status: STATUS });
    leds.show('thinking');
    leds.show('thinking');
    leds.show('error');
    const logged = lines.filter((l) => l.msg === 'led pattern');
    expect(logged.map((l) => [l.level, l.state, l.pattern])).toEqual([
      [20, 'thinking', LED_PATTERNS.thinking.name],
      [20, 'error', LED_PATTERNS.error.name],
    ]);
  });

  it('a waiting handoff double-flashes instead of idle darkness, and stops when it is over', async () => {
    const leds = await run('idle', 0);
    leds.setHandoffWaiting(true);
    vi.advanceTimersByTime(2999);
    expect(changes(STATUS)).toEqual([
      [0, true],
      [100, false],
      [250, true],
      [350, false],
      [1500, true],
      [1600, false],
      [1750, true],
      [1850, false],
    ]);
    leds.setHandoffWaiting(false);
    expect(gpio.level(STATUS)).toBe(false);
    vi.advanceTimersByTime(3000);
    expect(changes(STATUS, 2999)).toEqual([]);
  });

  it('a turn during a waiting handoff shows its own state, and idle again shows the handoff', async () => {
    const leds = await run('idle', 0);
    leds.setHandoffWaiting(true);
    leds.show('listening');
    expect(gpio.level(STATUS)).toBe(true);
    vi.advanceTimersByTime(2000);
    expect(changes(STATUS, 1)).toEqual([]);
    leds.show('idle');
    vi.advanceTimersByTime(300);
    // Lit already from listening, so the handoff's first flash changes nothing until it ends.
    expect(changes(STATUS, 2000)).toEqual([
      [2100, false],
      [2250, true],
    ]);
  });

  it('passes activeLow to the outputs', async () => {
    await open({ status: STATUS, micLive: MIC, activeLow: true });
    expect(gpio.outputOptions.get(STATUS)).toEqual({ activeLow: true });
    expect(gpio.outputOptions.get(MIC)).toEqual({ activeLow: true });
  });
});

describe('Leds on an RGB set', () => {
  const rgb = { red: RED, green: GREEN, blue: BLUE };
  const colour = () => [gpio.level(RED), gpio.level(GREEN), gpio.level(BLUE)];

  it.each([
    ['listening', [false, false, true]],
    ['thinking', [true, true, false]],
    ['speaking', [false, true, false]],
    ['followUp', [false, true, true]],
    ['muted', [true, false, false]],
    ['error', [true, false, false]],
    ['idle', [false, false, false]],
  ] as const)('%s shows its colour', async (state, expected) => {
    await run(state, 10, rgb);
    expect(colour()).toEqual(expected);
  });

  it('muted is steady red; error blinks red', async () => {
    const leds = await run('muted', 5000, rgb);
    expect(changes(RED)).toEqual([[0, true]]);
    leds.show('error');
    vi.advanceTimersByTime(240);
    // Red was lit already: the error pattern starts on its lit phase, so the first change is dark.
    expect(changes(RED, 5000)).toEqual([
      [5062, false],
      [5125, true],
      [5187, false],
    ]);
    expect(colour().slice(1)).toEqual([false, false]);
  });

  it('thinking blinks the whole yellow together', async () => {
    await run('thinking', 1100, rgb);
    expect(changes(RED)).toEqual(changes(GREEN));
    expect(changes(RED)).toEqual([
      [0, true],
      [500, false],
      [1000, true],
    ]);
    expect(changes(BLUE)).toEqual([]);
  });

  it('a status LED and an RGB set run side by side', async () => {
    await run('listening', 10, { status: STATUS, ...rgb });
    expect([gpio.level(STATUS), ...colour()]).toEqual([true, false, false, true]);
  });

  it('an LED that cannot be opened is left out; the others work', async () => {
    gpio.unavailable.add(GREEN);
    await run('thinking', 10, rgb);
    expect(gpio.isOpen(GREEN)).toBe(false);
    expect(gpio.level(RED)).toBe(true);
  });
});

describe('Leds mic, off and close', () => {
  it('the mic LED follows setMicLive, whatever the state pattern does', async () => {
    const { leds } = await open({ status: STATUS, micLive: MIC });
    leds.setMicLive(true);
    leds.show('thinking');
    vi.advanceTimersByTime(1200);
    leds.show('idle');
    expect(changes(MIC)).toEqual([[0, true]]);
    leds.setMicLive(false);
    expect(gpio.level(MIC)).toBe(false);
  });

  it('off darkens every LED and clears every timer; show starts afresh after it', async () => {
    const { leds } = await open({ status: STATUS, red: RED, green: GREEN, blue: BLUE, micLive: MIC });
    leds.setMicLive(true);
    leds.show('thinking');
    vi.advanceTimersByTime(100);
    leds.off();
    expect([STATUS, RED, GREEN, BLUE, MIC].map((pin) => gpio.level(pin))).toEqual([false, false, false, false, false]);
    expect(vi.getTimerCount()).toBe(0);
    expect(leds.state).toBeUndefined();
    const before = gpio.sets.length;
    vi.advanceTimersByTime(5000);
    expect(gpio.sets.length).toBe(before);
    leds.show('thinking');
    expect(gpio.level(STATUS)).toBe(true);
  });

  it('close turns everything off, clears timers and releases the lines', async () => {
    const { leds } = await open({ status: STATUS, micLive: MIC });
    leds.show('error');
    leds.setMicLive(true);
    await leds.close();
    expect(gpio.level(STATUS)).toBe(false);
    expect(gpio.level(MIC)).toBe(false);
    expect(gpio.isOpen(STATUS)).toBe(false);
    expect(gpio.isOpen(MIC)).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with no LEDs configured, every call is harmless', async () => {
    const { leds } = await open({});
    leds.show('error');
    expect(vi.getTimerCount()).toBe(0);
    leds.setMicLive(true);
    await leds.close();
    expect(gpio.sets).toEqual([]);
  });
});

describe('systemTimers', () => {
  it('never keeps the process alive: its timers are unref’d', () => {
    vi.useRealTimers();
    const handle = systemTimers.setTimeout(() => {}, 60_000) as NodeJS.Timeout;
    expect(handle.hasRef()).toBe(false);
    systemTimers.clearTimeout(handle);
  });
});
