import { describe, expect, it } from 'vitest';
import { StreamingResampler, resample } from '../../src/audio/resample.js';
import { downmix, toPipelineAudio } from '../../src/audio/toPipelineAudio.js';
import { mulberry32 } from '../helpers/seededRandom.js';

function tone(freq: number, rate: number, length: number, amplitude = 0.5, phase = 0.3): Float32Array {
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++) x[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate + phase);
  return x;
}

/** RMS over the middle 60 %, away from the zero-padded edges. */
function midRms(x: Float32Array): number {
  const a = Math.floor(x.length * 0.2);
  const b = Math.floor(x.length * 0.8);
  let s = 0;
  for (let i = a; i < b; i++) s += x[i]! ** 2;
  return Math.sqrt(s / (b - a));
}

/** Frequency from interpolated zero crossings over the middle 80 % of the signal. */
function zeroCrossingFrequency(x: Float32Array, rate: number): number {
  const a = Math.floor(x.length * 0.1);
  const b = Math.floor(x.length * 0.9);
  const crossings: number[] = [];
  for (let i = a; i < b; i++) {
    const p = x[i]!;
    const q = x[i + 1]!;
    if ((p < 0 && q >= 0) || (p >= 0 && q < 0)) crossings.push(i + p / (p - q));
  }
  const first = crossings[0]!;
  const last = crossings[crossings.length - 1]!;
  return ((crossings.length - 1) / 2) * (rate / (last - first));
}

const gainDb = (out: Float32Array, amplitude: number) => 20 * Math.log10(midRms(out) / (amplitude / Math.SQRT2));

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Index of the first difference, or -1: far more useful in a failure than a 30 000-element diff. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

const measured: string[] = [];

describe('resample: shape of the output', () => {
  it('returns an equal copy when the rates match', () => {
    const x = tone(440, 16000, 100);
    const y = resample(x, 16000, 16000);
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
  });

  it('gives ceil(n × to / from) samples for every length, including 0 and 1', () => {
    const pairs = [
      [48000, 16000],
      [44100, 16000],
      [16000, 48000],
      [8000, 44100],
      [22050, 16000],
      [16000, 8000],
      [47999, 16000],
      [1000, 384000],
      [384000, 1000],
    ] as const;
    for (const [from, to] of pairs) {
      for (const n of [0, 1, 2, 3, 7, 100, 1001]) {
        const y = resample(tone(300, from, n), from, to);
        expect(y.length, `${from}→${to}, n=${n}`).toBe(Math.ceil((n * to) / from));
        expect(y.every(Number.isFinite)).toBe(true);
      }
    }
    expect(resample(new Float32Array(0), 44100, 16000)).toHaveLength(0);
    // One impulse sample in, one sample out at the same instant: the filter's centre tap.
    const one = resample(new Float32Array([1]), 48000, 16000);
    expect(one).toHaveLength(1);
    expect(one[0]!).toBeGreaterThan(0.2);
    expect(one[0]!).toBeLessThan(0.4);
  });

  it('keeps DC at unity gain for every phase', () => {
    for (const [from, to] of [
      [44100, 16000],
      [16000, 44100],
      [47999, 16000],
    ] as const) {
      const y = resample(new Float32Array(from).fill(0.5), from, to);
      const a = Math.floor(y.length * 0.1);
      let worst = 0;
      for (let i = a; i < y.length - a; i++) worst = Math.max(worst, Math.abs(y[i]! - 0.5));
      expect(worst, `${from}→${to}`).toBeLessThan(1e-5);
    }
  });

  it('rejects rates that are not positive integers', () => {
    for (const bad of [0, -16000, 44100.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => resample(new Float32Array(10), bad, 16000)).toThrow(RangeError);
      expect(() => new StreamingResampler(16000, bad)).toThrow(RangeError);
    }
  });
});

describe('resample: frequency content', () => {
  for (const from of [44100, 48000]) {
    for (const freq of [1000, 3000]) {
      it(`${freq} Hz at ${from} Hz keeps its frequency and level at 16 kHz`, () => {
        const y = resample(tone(freq, from, from), from, 16000);
        const est = zeroCrossingFrequency(y, 16000);
        const error = Math.abs(est - freq) / freq;
        measured.push(`${freq} Hz ${from}→16000: estimated ${est.toFixed(3)} Hz (error ${(error * 100).toExponential(1)} %)`);
        expect(error).toBeLessThan(0.01);
        expect(Math.abs(gainDb(y, 0.5))).toBeLessThan(0.05);
      });
    }
  }

  it('matches the ideal band-limited output sample for sample (zero delay, exact and interpolated tables)', () => {
    // 47999 and 16001 have no small common ratio with the other rate, so they use the interpolated table.
    const cases = [
      [44100, 16000, 1000, -100],
      [48000, 16000, 3000, -100],
      [47999, 16000, 1000, -100],
      [44100, 16001, 3000, -100],
      [16000, 48000, 1000, -100],
      [16000, 48000, 7000, -65],
      [8000, 44100, 3000, -75],
    ] as const;
    for (const [from, to, freq, maxDb] of cases) {
      const y = resample(tone(freq, from, from), from, to);
      const ideal = tone(freq, to, y.length);
      let e = 0;
      let s = 0;
      for (let i = Math.floor(y.length * 0.1); i < y.length * 0.9; i++) {
        e += (y[i]! - ideal[i]!) ** 2;
        s += ideal[i]! ** 2;
      }
      const errDb = 10 * Math.log10(e / s);
      measured.push(`${freq} Hz ${from}→${to}: error vs ideal ${errDb.toFixed(1)} dB`);
      expect(errDb, `${from}→${to} ${freq} Hz`).toBeLessThan(maxDb);
    }
  });

  it('passes 7.5 kHz at 48 kHz → 16 kHz and attenuates 11 kHz by more than 30 dB', () => {
    const pass = gainDb(resample(tone(7500, 48000, 48000), 48000, 16000), 0.5);
    const stop = gainDb(resample(tone(11000, 48000, 48000), 48000, 16000), 0.5);
    measured.push(`48k→16k: 7.5 kHz ${pass.toFixed(2)} dB, 11 kHz ${stop.toFixed(1)} dB`);
    expect(pass).toBeGreaterThan(-0.5);
    expect(stop).toBeLessThan(-30);
  });

  it('is flat to 7 kHz and rejects everything that would alias below 7.5 kHz (44.1 and 48 kHz → 16 kHz)', () => {
    for (const from of [44100, 48000]) {
      let flat = 0;
      for (let f = 100; f <= 7000; f += 300) flat = Math.max(flat, Math.abs(gainDb(resample(tone(f, from, 12000), from, 16000), 0.5)));
      let worst = -Infinity;
      for (let f = 8500; f < from / 2; f += 250) worst = Math.max(worst, gainDb(resample(tone(f, from, 12000), from, 16000), 0.5));
      measured.push(`${from}→16000: passband 0.1–7 kHz within ±${flat.toFixed(3)} dB; 8.5 kHz–Nyquist at most ${worst.toFixed(1)} dB`);
      expect(flat).toBeLessThan(0.05);
      expect(worst).toBeLessThan(-60);
    }
  });

  it('does not image when upsampling 16 kHz → 48 kHz', () => {
    // A 7 kHz tone would image at 9 kHz (and 23, 25 kHz); measure what is left after removing the tone.
    const y = resample(tone(7000, 16000, 16000), 16000, 48000);
    const ideal = tone(7000, 48000, y.length);
    const residual = y.map((v, i) => v - ideal[i]!);
    const imagesDb = 20 * Math.log10(midRms(residual) / midRms(ideal));
    measured.push(`16k→48k: 7 kHz images and error at ${imagesDb.toFixed(1)} dB`);
    expect(imagesDb).toBeLessThan(-60);
  });
});

describe('StreamingResampler', () => {
  const pairs = [
    [48000, 16000],
    [44100, 16000],
    [16000, 48000],
    [22050, 16000],
    [8000, 44100],
    [47999, 16000],
    [16000, 16000],
  ] as const;

  for (const [from, to] of pairs) {
    it(`${from} → ${to} in random chunks equals the one-shot output exactly`, () => {
      const rand = mulberry32(from + to);
      const input = Float32Array.from({ length: 30011 }, () => rand() * 2 - 1);
      const oneShot = resample(input, from, to);
      for (let round = 0; round < 3; round++) {
        const r = new StreamingResampler(from, to);
        const parts: Float32Array[] = [];
        for (let at = 0; at < input.length; ) {
          // Mix of empty, single-sample, small and large chunks.
          const pick = rand();
          const size = pick < 0.1 ? 0 : pick < 0.2 ? 1 : pick < 0.8 ? Math.floor(rand() * 400) : Math.floor(rand() * 5000);
          parts.push(r.process(input.subarray(at, at + size)));
          at += size;
        }
        const streamed = concat(parts);
        // Before flush, what came out is a prefix of the one-shot result, lagging by the filter half.
        expect(firstDifference(streamed, oneShot.subarray(0, streamed.length))).toBe(-1);
        expect(oneShot.length - streamed.length).toBeLessThanOrEqual(Math.ceil((r.lookahead * to) / from) + 1);
        parts.push(r.flush());
        expect(firstDifference(concat(parts), oneShot)).toBe(-1);
      }
    });
  }

  it('starts a fresh stream after flush()', () => {
    const r = new StreamingResampler(44100, 16000);
    const a = tone(1000, 44100, 5000);
    const b = tone(2500, 44100, 7000);
    const first = concat([r.process(a), r.flush()]);
    const second = concat([r.process(b), r.flush()]);
    expect(firstDifference(first, resample(a, 44100, 16000))).toBe(-1);
    expect(firstDifference(second, resample(b, 44100, 16000))).toBe(-1);
  });

  it('emits 20 ms of 48 kHz capture as about 20 ms at 16 kHz, with 2 ms of lag', () => {
    const r = new StreamingResampler(48000, 16000);
    let out = 0;
    for (let i = 0; i < 50; i++) out += r.process(new Float32Array(960)).length;
    expect(out).toBe(16000 - 32);
    expect(r.lookahead).toBe(96);
  });
});

describe('downmix and toPipelineAudio', () => {
  it('averages channels and passes mono through', () => {
    const mono = new Float32Array([0.1, 0.2]);
    expect(downmix([mono])).toBe(mono);
    const mixed = downmix([new Float32Array([1, 0.5]), new Float32Array([0, -0.5]), new Float32Array([0.5, 0.3])]);
    expect(mixed).toHaveLength(2);
    expect(mixed[0]).toBeCloseTo(0.5, 6);
    expect(mixed[1]).toBeCloseTo(0.1, 6);
    expect(downmix([])).toHaveLength(0);
    expect(() => downmix([new Float32Array(2), new Float32Array(3)])).toThrow(RangeError);
  });

  it('rounds to 16-bit without dither: digital silence stays exactly zero', () => {
    const silence = { sampleRate: 44100, channels: [new Float32Array(44100), new Float32Array(44100)] };
    const out = toPipelineAudio(silence);
    expect(out).toHaveLength(16000);
    expect(out.every((v) => v === 0)).toBe(true);
  });

  it('converts 6-channel 48 kHz to 16 kHz mono with the tone intact', () => {
    const channels = Array.from({ length: 6 }, () => tone(1000, 48000, 48000, 0.5));
    const out = toPipelineAudio({ sampleRate: 48000, channels });
    expect(out).toHaveLength(16000);
    const f = Float32Array.from(out, (v) => v / 32767);
    expect(Math.abs(zeroCrossingFrequency(f, 16000) - 1000)).toBeLessThan(1);
    expect(Math.abs(gainDb(f, 0.5))).toBeLessThan(0.05);
  });
});

describe('speed', () => {
  it('converts 48 kHz 6-channel capture to 16 kHz mono far faster than real time', () => {
    const seconds = 20;
    const channels = Array.from({ length: 6 }, (_, c) => tone(300 + 100 * c, 48000, 48000 * seconds, 0.1));
    toPipelineAudio({ sampleRate: 48000, channels: channels.map((ch) => ch.subarray(0, 48000)) }); // warm up
    let t = performance.now();
    toPipelineAudio({ sampleRate: 48000, channels });
    const oneShot = seconds / ((performance.now() - t) / 1000);

    // Live path: 20 ms chunks, one resampler per channel (the worst case, if channels are kept).
    const resamplers = channels.map(() => new StreamingResampler(48000, 16000));
    t = performance.now();
    for (let at = 0; at < 48000 * seconds; at += 960) {
      for (let c = 0; c < 6; c++) resamplers[c]!.process(channels[c]!.subarray(at, at + 960));
    }
    const perChannel = seconds / ((performance.now() - t) / 1000);

    measured.push(`48 kHz 6 ch → 16 kHz mono (downmix + resample + int16): ${oneShot.toFixed(0)}× real time`);
    measured.push(`48 kHz 6 ch → 16 kHz, six streaming resamplers, 20 ms chunks: ${perChannel.toFixed(0)}× real time`);
    // Loose bounds so a busy CI machine passes; the figures are printed below.
    expect(oneShot).toBeGreaterThan(20);
    expect(perChannel).toBeGreaterThan(5);
  });

  it('prints what was measured', () => {
    console.log(`resampler measurements:\n  ${measured.join('\n  ')}`);
  });
});
