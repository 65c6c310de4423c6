import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { Button, type ButtonGestureEvent } from '../../src/hw/Button.js';
import type { HwTimers } from '../../src/hw/hwTimers.js';
import { FakeGpio } from '../fakes/FakeGpio.js';

const PIN = 17;
// holdMs 400, longPressMs 3000, doubleTapMs 350, debounceMs 30.
const timing = configSchema.parse({}).hw.gpio.button;

/** vitest's fake timers, looked up at call time so they are the faked ones. */
const fakeTimers: HwTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => Date.now(),
};

let gpio: FakeGpio;
let button: Button;
let seen: ButtonGestureEvent[];

beforeEach(async () => {
  vi.useFakeTimers({ now: 0 });
  gpio = new FakeGpio(fakeTimers.now);
  const input = await gpio.input(PIN, { activeLow: true, debounceMs: timing.debounceMs });
  button = new Button(input, timing, fakeTimers);
  seen = [];
  button.on('gesture', (event) => seen.push(event));
});

afterEach(() => {
  button.close();
  vi.useRealTimers();
});

const gestures = () => seen.map((e) => e.gesture);
const press = () => gpio.press(PIN);
const release = () => gpio.release(PIN);
const wait = (ms: number) => vi.advanceTimersByTime(ms);

describe('Button', () => {
  it('emits press on the down edge itself, with no timer in between', () => {
    wait(1000);
    press();
    expect(seen).toEqual([{ gesture: 'press', at: 1000 }]);
  });

  it('a release before holdMs is a tap, and nothing follows it', () => {
    press();
    wait(120);
    release();
    wait(5000);
    expect(seen).toEqual([
      { gesture: 'press', at: 0 },
      { gesture: 'tap', at: 120 },
    ]);
  });

  it('still down at holdMs is a hold; letting go after it is a release', () => {
    press();
    wait(timing.holdMs - 1);
    expect(gestures()).toEqual(['press']);
    wait(1);
    expect(seen.at(-1)).toEqual({ gesture: 'hold', at: timing.holdMs });
    wait(800);
    release();
    expect(seen).toEqual([
      { gesture: 'press', at: 0 },
      { gesture: 'hold', at: 400 },
      { gesture: 'release', at: 1200 },
    ]);
  });

  it('still down at longPressMs is a long press, once; the hold still ends with release', () => {
    press();
    wait(timing.longPressMs);
    expect(seen).toEqual([
      { gesture: 'press', at: 0 },
      { gesture: 'hold', at: 400 },
      { gesture: 'longPress', at: 3000 },
    ]);
    wait(10_000);
    release();
    wait(1000);
    expect(gestures()).toEqual(['press', 'hold', 'longPress', 'release']);
  });

  it('a press within doubleTapMs of a tap is a double tap and emits no press', () => {
    press();
    wait(80);
    release();
    wait(timing.doubleTapMs);
    press();
    expect(seen).toEqual([
      { gesture: 'press', at: 0 },
      { gesture: 'tap', at: 80 },
      { gesture: 'doubleTap', at: 430 },
    ]);
    // Held past holdMs, the second press is no push-to-talk, and its release emits nothing.
    wait(600);
    release();
    wait(1000);
    expect(gestures()).toEqual(['press', 'tap', 'doubleTap']);
  });

  it('a press later than doubleTapMs after a tap starts a new turn', () => {
    press();
    wait(80);
    release();
    wait(timing.doubleTapMs + 1);
    press();
    expect(gestures()).toEqual(['press', 'tap', 'press']);
  });

  it('a third quick press is a new press, not another double tap', () => {
    for (let i = 0; i < 3; i++) {
      press();
      wait(80);
      release();
      wait(100);
    }
    expect(gestures()).toEqual(['press', 'tap', 'doubleTap', 'press', 'tap']);
  });

  it('no double tap after a hold: only a tap opens the double-tap window', () => {
    press();
    wait(500);
    release();
    wait(100);
    press();
    expect(gestures()).toEqual(['press', 'hold', 'release', 'press']);
  });

  it('the second press of a double tap can still become a long press', () => {
    press();
    wait(80);
    release();
    wait(100);
    press();
    wait(timing.longPressMs);
    release();
    expect(gestures()).toEqual(['press', 'tap', 'doubleTap', 'longPress']);
  });

  it('contact chatter on press and release gives one press and one tap, not a double tap', () => {
    press();
    wait(3);
    release();
    wait(4);
    press();
    wait(150);
    release();
    wait(5);
    press();
    wait(5);
    release();
    wait(1000);
    expect(seen).toEqual([
      { gesture: 'press', at: 0 },
      { gesture: 'tap', at: 157 },
    ]);
  });

  it('a release lost in the bounce window is caught when the window closes', () => {
    press();
    wait(10);
    release(); // Within debounceMs: dropped, but the line is up now.
    expect(gestures()).toEqual(['press']);
    wait(timing.debounceMs);
    expect(seen).toEqual([
      { gesture: 'press', at: 0 },
      { gesture: 'tap', at: timing.debounceMs },
    ]);
    wait(1000);
    expect(gestures()).toEqual(['press', 'tap']);
  });

  it('a bounce that ends down keeps the button down: the hold still comes', () => {
    press();
    wait(5);
    release();
    wait(5);
    press();
    wait(timing.holdMs);
    expect(gestures()).toEqual(['press', 'hold']);
  });

  it('a repeated level is not an edge', () => {
    press();
    wait(100);
    press();
    wait(100);
    release();
    wait(100);
    release();
    expect(gestures()).toEqual(['press', 'tap']);
  });

  it('close stops listening and cancels a pending hold', () => {
    press();
    button.close();
    wait(5000);
    release();
    expect(gestures()).toEqual(['press']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
