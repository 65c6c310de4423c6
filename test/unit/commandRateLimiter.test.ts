import { describe, expect, it } from 'vitest';
import { CommandRateLimiter } from '../../src/telemetry/mqtt/commands/CommandRateLimiter.js';

// Issue 9, "Safety": a rate limit per command. Time is injected: no real waiting, no timing assertions.

function limiter(perMinute: number) {
  const clock = { ms: 1_000_000 };
  return { clock, limiter: new CommandRateLimiter(perMinute, () => clock.ms) };
}

const takeTimes = (l: CommandRateLimiter, command: string, times: number) => Array.from({ length: times }, () => l.take(command));

describe('CommandRateLimiter', () => {
  it('allows a burst of perMinute requests, then refuses', () => {
    const { limiter: l } = limiter(5);
    expect(takeTimes(l, 'say', 7)).toEqual([true, true, true, true, true, false, false]);
  });

  it('refills at perMinute a minute', () => {
    const { clock, limiter: l } = limiter(6); // one token every 10 s
    takeTimes(l, 'volume', 6);
    expect(l.take('volume')).toBe(false);
    clock.ms += 9_999;
    expect(l.take('volume')).toBe(false);
    clock.ms += 1;
    expect(l.take('volume')).toBe(true);
    expect(l.take('volume')).toBe(false);
    clock.ms += 25_000; // two and a half tokens
    expect(takeTimes(l, 'volume', 3)).toEqual([true, true, false]);
  });

  it('never holds more than one minute of requests, however long it was idle', () => {
    const { clock, limiter: l } = limiter(3);
    takeTimes(l, 'stop', 3);
    clock.ms += 3_600_000;
    expect(takeTimes(l, 'stop', 4)).toEqual([true, true, true, false]);
  });

  it('keeps a budget per command', () => {
    const { limiter: l } = limiter(2);
    expect(takeTimes(l, 'volume', 3)).toEqual([true, true, false]);
    expect(takeTimes(l, 'stop', 3)).toEqual([true, true, false]);
    expect(l.take('say')).toBe(true);
  });

  it('still limits a command after requests for many made-up command names', () => {
    const { clock, limiter: l } = limiter(2);
    takeTimes(l, 'say', 2);
    for (let i = 0; i < 500; i++) expect(l.take(`bogus-${i}`)).toBe(true);
    expect(l.take('say')).toBe(false);
    clock.ms += 30_000;
    expect(takeTimes(l, 'say', 2)).toEqual([true, false]);
  });
});
