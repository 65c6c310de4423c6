import { describe, expect, it } from 'vitest';
import { refineSpeechBounds } from '../../src/audio/refineSpeechBounds.js';

const RATE = 16000;
function tone(seconds: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: Math.round(seconds * RATE) }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * 200 * i) / RATE)));
}
function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

describe('refineSpeechBounds', () => {
  // 1 s silence, 0.2 s soft onset, 1 s loud speech, 0.1 s soft tail, 1 s silence.
  const audio = concat(tone(1, 0), tone(0.2, 1500), tone(1, 10000), tone(0.1, 1500), tone(1, 0));

  it('widens a late start and an early end to where the energy really is', () => {
    const { start, end } = refineSpeechBounds(audio, 0, 1.2 * RATE, 2.2 * RATE, 0.35 * RATE);
    expect(start / RATE).toBeCloseTo(1.0, 1);
    expect(end / RATE).toBeCloseTo(2.3, 1);
  });

  it('honours the stream offset of the buffer', () => {
    const offset = 5 * RATE;
    const { start } = refineSpeechBounds(audio, offset, offset + 1.2 * RATE, offset + 2.2 * RATE, 0.35 * RATE);
    expect((start - offset) / RATE).toBeCloseTo(1.0, 1);
  });

  it('moves an edge by at most maxShift and never inward', () => {
    const { start, end } = refineSpeechBounds(audio, 0, 1.2 * RATE, 2.2 * RATE, 0.05 * RATE);
    expect(start).toBeGreaterThanOrEqual(1.15 * RATE);
    expect(start).toBeLessThanOrEqual(1.2 * RATE);
    expect(end).toBeGreaterThanOrEqual(2.2 * RATE);
    expect(end).toBeLessThanOrEqual(2.25 * RATE);
  });

  it('does not grow into background noise above the floor', () => {
    const noisy = concat(tone(1, 300), tone(1, 10000), tone(1, 300));
    const { start, end } = refineSpeechBounds(noisy, 0, 1.0 * RATE, 2.0 * RATE, 0.35 * RATE);
    expect(start).toBe(1.0 * RATE);
    expect(end).toBe(2.0 * RATE);
  });
});
