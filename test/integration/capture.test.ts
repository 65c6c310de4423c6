/**
 * Live capture through REAL ALSA (arecord) and REAL PortAudio (naudiodon in its child process),
 * fed by fake microphones: ALSA `file` PCMs reading FIFOs that pv fills at the audio rate
 * (test/helpers/fakeAlsa.ts). Nothing here mocks the capture path.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapturedFrame } from '../../src/audio/capture/CaptureSource.js';
import { ChannelMixer, ChannelSelectionError } from '../../src/audio/capture/ChannelMixer.js';
import { LiveCapture, type CaptureConfig } from '../../src/audio/capture/LiveCapture.js';
import { floatToInt16, int16ToFloat } from '../../src/audio/pcm.js';
import { resample } from '../../src/audio/resample.js';
import { loadWavForPipeline } from '../../src/audio/toPipelineAudio.js';
import { captureSchema, type KioskConfigInput } from '../../src/config/schema.js';
import { monotonicMs } from '../../src/system/clock.js';
import { createFakeAlsa, interleave, type FakeAlsa } from '../helpers/fakeAlsa.js';
import { sharedFile } from '../helpers/sharedModels.js';

type CaptureInput = NonNullable<NonNullable<KioskConfigInput['audio']>['capture']>;

interface LogLine {
  level: number;
  msg: string;
  time: number;
  [key: string]: unknown;
}

/** A pino logger whose lines land in an array, as JSON objects. */
function capturedLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Iterates a capture in the background, keeping every frame and when it was handed out. */
function collect(capture: LiveCapture): { frames: CapturedFrame[]; handedAt: number[]; done: Promise<void> } {
  const frames: CapturedFrame[] = [];
  const handedAt: number[] = [];
  const done = (async () => {
    for await (const frame of capture) {
      frames.push(frame);
      handedAt.push(monotonicMs());
    }
  })();
  return { frames, handedAt, done };
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function concat(frames: CapturedFrame[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.samples.length, 0));
  let at = 0;
  for (const f of frames) (out.set(f.samples, at), (at += f.samples.length));
  return out;
}

function rmsOf(x: Int16Array, from = 0, to = x.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += (x[i]! / 32768) ** 2;
  return Math.sqrt(sum / Math.max(1, to - from));
}

/**
 * Best normalised correlation between `captured` and `reference` over alignment lags (captured[i +
 * lag] ≈ reference[i]): a coarse search on 10 ms energy envelopes, then sample-exact around it.
 */
function bestCorrelation(captured: Int16Array, reference: Int16Array): { correlation: number; lag: number } {
  const hop = 160;
  const envelope = (x: Int16Array) => Float64Array.from({ length: Math.floor(x.length / hop) }, (_, k) => {
    let s = 0;
    for (let i = k * hop; i < (k + 1) * hop; i++) s += Math.abs(x[i]!);
    return s / hop;
  });
  const ec = envelope(captured);
  const er = envelope(reference);
  const normalised = (a: ArrayLike<number>, b: ArrayLike<number>, lag: number, count: number, start: number) => {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = start; i < start + count; i++) {
      const j = i + lag;
      if (j < 0 || j >= a.length || i >= b.length) continue;
      const x = a[j]!;
      const y = b[i]!;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
  };
  let coarse = 0;
  let coarseScore = -Infinity;
  for (let lag = -100; lag < ec.length; lag++) {
    const score = normalised(ec, er, lag, er.length, 0);
    if (score > coarseScore) [coarse, coarseScore] = [lag, score];
  }
  let best = { correlation: -Infinity, lag: 0 };
  for (let lag = coarse * hop - 2 * hop; lag <= coarse * hop + 2 * hop; lag++) {
    const correlation = normalised(captured, reference, lag, reference.length, 0);
    if (correlation > best.correlation) best = { correlation, lag };
  }
  return best;
}

/** Frequency from interpolated zero crossings (rising and falling) of a tone. */
function toneFrequency(x: Int16Array, rate: number): number {
  const crossings: number[] = [];
  for (let i = 0; i + 1 < x.length; i++) {
    const p = x[i]!;
    const q = x[i + 1]!;
    if ((p < 0 && q >= 0) || (p >= 0 && q < 0)) crossings.push(i + p / (p - q));
  }
  const span = crossings.at(-1)! - crossings[0]!;
  return ((crossings.length - 1) / 2) * (rate / span);
}

/** CPU time of this process and its reaped children (ms): /proc/self/stat utime+stime+cutime+cstime. */
function cpuMsWithChildren(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // After "pid (comm) ": state is field 0, utime 11, stime 12, cutime 13, cstime 14 (clock ticks).
  const ticks = [11, 12, 13, 14].reduce((n, i) => n + Number(fields[i]), 0);
  return (ticks * 1000) / 100;
}

describe('live capture through real ALSA and PortAudio', () => {
  let alsa: FakeAlsa;
  let speech: Int16Array;

  beforeAll(async () => {
    speech = (await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'))).samples;
    // Speech only (the file's 1.1–3.2 s), for fixtures that loop it without pauses.
    const voiced = speech.subarray(16000, 16000 * 3.3);
    const six = interleave([undefined, undefined, voiced, undefined, undefined, undefined], voiced.length);
    // 1 s of a 1 kHz tone at 44.1 kHz: a whole number of cycles, so the loop is seamless.
    const toneLength = 44100;
    const left = Int16Array.from({ length: toneLength }, (_, i) => Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / 44100)));
    const right = Int16Array.from(left, (v) => Math.round(v * 0.5));
    alsa = await createFakeAlsa({
      mics: {
        kmic: { audio: speech, rate: 16000, channels: 1 },
        kmicloop: { audio: voiced, rate: 16000, channels: 1, then: 'loop' },
        karray2: { audio: six, rate: 16000, channels: 6, then: 'loop' },
        karray4: { audio: six, rate: 16000, channels: 6, then: 'loop' },
        ktone: { audio: interleave([left, right], toneLength), rate: 44100, channels: 2, then: 'loop' },
      },
    });
  });

  afterAll(async () => {
    await alsa?.close();
  });

  const make = (input: CaptureInput, logger: pino.Logger): LiveCapture => {
    const config: CaptureConfig = captureSchema.parse(input);
    return LiveCapture.create(config, logger, { env: alsa.env });
  };

  for (const backend of ['arecord', 'naudiodon'] as const) {
    it(`${backend}: delivers the fixture speech at ~50 frames/s, contiguous and matching the source`, async () => {
      const { logger, lines } = capturedLogger();
      const capture = make({ backend, device: 'kmic' }, logger);
      const states: string[] = [];
      capture.on('health', (h) => states.push(h.state));
      const run = collect(capture);
      await waitFor('the first frame', () => run.frames.length > 0, 8000);
      const firstAt = monotonicMs();
      await sleep(5000);
      const health = capture.health();
      const elapsed = (monotonicMs() - firstAt) / 1000;
      const delivered = run.frames.length;
      await capture.close();
      await run.done;

      expect(health).toMatchObject({ state: 'running', backend, device: 'kmic', restarts: 0, xruns: 0, lastError: undefined });
      expect(health.framesPerSecond).toBeGreaterThan(45);
      expect(health.framesPerSecond).toBeLessThan(55);
      expect(delivered / elapsed).toBeGreaterThan(44);
      expect(delivered / elapsed).toBeLessThan(57);
      expect(states).toEqual(['running', 'stopped']);
      // Contiguous sample indices; capture times rise with the audio.
      run.frames.forEach((f, i) => {
        expect(f.samples.length).toBe(320);
        expect(f.sampleIndex).toBe(i * 320);
      });
      for (let i = 1; i < run.frames.length; i++) expect(run.frames[i]!.capturedAt).toBeGreaterThan(run.frames[i - 1]!.capturedAt);
      // A frame is never handed out before it was captured.
      run.frames.forEach((f, i) => expect(run.handedAt[i]!).toBeGreaterThanOrEqual(f.capturedAt - 0.5));

      const { correlation, lag } = bestCorrelation(concat(run.frames), speech);
      expect(correlation, `best lag ${lag}`).toBeGreaterThan(0.95);
      // PortAudio/JACK noise never reaches the log.
      expect(lines.filter((l) => /jack|ALSA lib/i.test(JSON.stringify(l)))).toEqual([]);
      expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    });
  }

  it('6-channel array: useChannels [2] hears the speech, [4] hears silence', async () => {
    const { logger } = capturedLogger();
    const talker = make({ backend: 'arecord', device: 'karray2', channels: 6, useChannels: [2] }, logger);
    const quiet = make({ backend: 'naudiodon', device: 'karray4', channels: 6, useChannels: [4] }, logger);
    const a = collect(talker);
    const b = collect(quiet);
    await waitFor('frames from both', () => a.frames.length > 100 && b.frames.length > 100, 10000);
    await Promise.all([talker.close(), quiet.close()]);
    await Promise.all([a.done, b.done]);
    const speechRms = rmsOf(concat(a.frames));
    const silenceRms = rmsOf(concat(b.frames));
    expect(speechRms).toBeGreaterThan(0.02);
    expect(silenceRms).toBeLessThan(1e-4);
  });

  it('rejects a channel that the device is not opened with, at once and in one line', () => {
    const { logger } = capturedLogger();
    expect(() => make({ backend: 'arecord', device: 'karray2', channels: 6, useChannels: [6] }, logger)).toThrow(ChannelSelectionError);
  });

  it('44.1 kHz stereo capture of a 1 kHz tone comes out at 16 kHz within 1 % of 1 kHz', async () => {
    const { logger } = capturedLogger();
    const capture = make({ backend: 'naudiodon', device: 'ktone', sampleRate: 44100, channels: 2 }, logger);
    const run = collect(capture);
    await waitFor('2 s of frames', () => run.frames.length >= 100, 10000);
    await capture.close();
    await run.done;
    // Skip the first 0.2 s (filter start-up, DC removal settling).
    const audio = concat(run.frames).subarray(3200);
    const freq = toneFrequency(audio, 16000);
    expect(Math.abs(freq - 1000) / 1000).toBeLessThan(0.01);
    // Both channels averaged: (1 + 0.5) / 2 of the left amplitude.
    expect(rmsOf(audio)).toBeGreaterThan(((12000 * 0.75) / 32768) * Math.SQRT1_2 * 0.95);
    expect(rmsOf(audio)).toBeLessThan(((12000 * 0.75) / 32768) * Math.SQRT1_2 * 1.05);
  });

  for (const backend of ['naudiodon', 'arecord'] as const) {
    it(`${backend}: SIGKILL of the capture process mid-run — frames resume within 2 s and the restart is counted`, async () => {
      const { logger, lines } = capturedLogger();
      const capture = make({ backend, device: 'kmicloop' }, logger);
      const run = collect(capture);
      await waitFor('running', () => run.frames.length >= 25, 10000);
      const pid = capture.currentChildPid();
      expect(pid).toBeTypeOf('number');
      process.kill(pid!, 'SIGKILL');
      const killedAt = monotonicMs();
      // Frames captured after the kill prove the new process delivers.
      await waitFor('frames from the new process', () => run.frames.some((f) => f.capturedAt > killedAt + 50), 2000);
      const resumedMs = monotonicMs() - killedAt;
      const before = run.frames.length;
      await sleep(500);
      const health = capture.health();
      expect(run.frames.length - before).toBeGreaterThan(15);
      await capture.close();
      await run.done;

      expect(resumedMs).toBeLessThan(2000);
      expect(health.restarts).toBeGreaterThanOrEqual(1);
      expect(health.state).toBe('running');
      expect(health.backend).toBe(backend);
      expect(capture.currentChildPid()).toBeUndefined();
      run.frames.forEach((f, i) => expect(f.sampleIndex).toBe(i * 320));
      const errors = lines.filter((l) => l.level >= 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.msg).toMatch(/SIGKILL/);
    });
  }

  it('a capture process that hangs (SIGSTOP) is detected as a stall and replaced', async () => {
    const { logger, lines } = capturedLogger();
    const capture = make({ backend: 'arecord', device: 'kmicloop', stallTimeoutMs: 400 }, logger);
    const states: string[] = [];
    capture.on('health', (h) => states.push(h.state));
    const run = collect(capture);
    await waitFor('running', () => run.frames.length >= 25, 10000);
    const pid = capture.currentChildPid()!;
    process.kill(pid, 'SIGSTOP');
    const stoppedAt = monotonicMs();
    await waitFor('frames from a new process', () => run.frames.some((f) => f.capturedAt > stoppedAt + 50), 4000);
    const health = capture.health();
    await capture.close();
    await run.done;
    expect(states).toEqual(['running', 'stalled', 'reopening', 'running', 'stopped']);
    expect(health.restarts).toBe(1);
    expect(health.lastError).toMatch(/^capture device "kmicloop" stalled: no audio for 400 ms \(arecord\)/);
    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([expect.stringMatching(/stalled/)]);
    // The hung process was killed, not left behind.
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('a missing device: one error line, retries with growing gaps, little CPU, state "failed"', async () => {
    const { logger, lines } = capturedLogger();
    const cpuBefore = cpuMsWithChildren();
    const wallBefore = monotonicMs();
    const capture = make({ backend: 'arecord', device: 'hw:CARD=Nope' }, logger);
    const states: string[] = [];
    capture.on('health', (h) => states.push(h.state));
    await sleep(4000);
    const health = capture.health();
    await capture.close();
    const cpuShare = (cpuMsWithChildren() - cpuBefore) / (monotonicMs() - wallBefore);

    const errors = lines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toBe(
      'capture device "hw:CARD=Nope" cannot be opened: audio open error: No such device (Cannot get card index for Nope) — check `kiosk-voice devices` and that the mic is plugged in',
    );
    const attempts = lines.filter((l) => l.msg === 'arecord started').map((l) => l.time);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.length).toBeLessThanOrEqual(6);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThan(gaps[i - 1]!);
    expect(health.state).toBe('failed');
    expect(health.restarts).toBe(attempts.length - 1);
    expect(health.lastError).toMatch(/cannot be opened/);
    expect(health.framesPerSecond).toBe(0);
    expect(states).toEqual(['failed', 'stopped']);
    expect(cpuShare).toBeLessThan(0.1);
  });

  it('naudiodon, a device PortAudio does not list: one error line, bounded retries', async () => {
    const { logger, lines } = capturedLogger();
    const capture = make({ backend: 'naudiodon', device: 'NoSuchMic', reopenDelayMs: 200 }, logger);
    await sleep(3000);
    const health = capture.health();
    await capture.close();
    const errors = lines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/^no input device matches "NoSuchMic" \(available: .*"kmic".*\) — check the device name/);
    const attempts = lines.filter((l) => l.msg === 'naudiodon capture child started').length;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(5);
    expect(health.state).toBe('failed');
    expect(lines.filter((l) => /jack/i.test(JSON.stringify(l)))).toEqual([]);
  });

  it('auto: falls back to arecord for good after naudiodon fails the configured number of times', async () => {
    const { logger, lines } = capturedLogger();
    // An ALSA PCM string arecord opens but PortAudio cannot name.
    const capture = make({ backend: 'auto', device: 'plug:kmicloop', naudiodonFailuresBeforeFallback: 2, reopenDelayMs: 100 }, logger);
    const backends: (string | undefined)[] = [];
    capture.on('health', (h) => backends.push(`${h.state}:${h.backend}`));
    const run = collect(capture);
    await waitFor('frames via arecord', () => run.frames.length >= 25, 10000);
    expect(capture.health()).toMatchObject({ state: 'running', backend: 'arecord' });
    // Stays with arecord after a crash: the fallback is for good.
    process.kill(capture.currentChildPid()!, 'SIGKILL');
    const killedAt = monotonicMs();
    await waitFor('frames after the crash', () => run.frames.some((f) => f.capturedAt > killedAt + 50), 3000);
    const health = capture.health();
    await capture.close();
    await run.done;

    expect(health.backend).toBe('arecord');
    expect(lines.filter((l) => l.msg === 'naudiodon capture child started')).toHaveLength(2);
    const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings).toEqual([expect.stringMatching(/^no input device matches "plug:kmicloop"/), 'naudiodon failed 2 times in a row; capturing with arecord from now on']);
    expect(backends).toEqual(['failed:naudiodon', 'running:arecord', 'reopening:arecord', 'running:arecord', 'stopped:arecord']);
  });
});

/** The mixer on its own (pure code, no device): what the live tests above rely on. */
describe('ChannelMixer', () => {
  const bytesOf = (x: Int16Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const run = (mixer: ChannelMixer, bytes: Uint8Array, sizes: () => number): Int16Array => {
    const parts: Int16Array[] = [];
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(sizes(), bytes.length - at);
      parts.push(mixer.process(bytes.subarray(at, at + n)));
      at += n;
    }
    parts.push(mixer.flush());
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) (out.set(p, at), (at += p.length));
    return out;
  };
  // 6 channels × 48 kHz, 0.5 s: a different tone per channel.
  const frames = 24000;
  const tracks = Array.from({ length: 6 }, (_, c) => Int16Array.from({ length: frames }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * (300 + 200 * c) * i) / 48000))));
  const six = bytesOf(interleave(tracks, frames));

  it('gives the same output whatever the chunking, frames and samples split included', () => {
    const options = { inputRate: 48000, channels: 6, useChannels: [1, 4], gainDb: 3, removeDc: true };
    const whole = run(new ChannelMixer(options), six, () => six.length);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), 1 + (seed % 3001));
    const pieces = run(new ChannelMixer(options), six, random);
    expect(whole.length).toBe(8000);
    expect(pieces).toEqual(whole);
  });

  it('picks one channel exactly: the resampled channel, sample for sample', () => {
    const out = run(new ChannelMixer({ inputRate: 48000, channels: 6, useChannels: [2], gainDb: 0, removeDc: false }), six, () => 3840);
    expect(out).toEqual(floatToInt16(resample(int16ToFloat(tracks[2]!), 48000, 16000)));
  });

  it('averages the selected channels, removes DC, and clips gain instead of wrapping', () => {
    const opposite = interleave([Int16Array.from(tracks[0]!), Int16Array.from(tracks[0]!, (v) => -v)], frames);
    expect(rmsOf(run(new ChannelMixer({ inputRate: 48000, channels: 2, useChannels: [], gainDb: 0, removeDc: false }), bytesOf(opposite), () => 1000))).toBe(0);

    const offset = Int16Array.from(tracks[0]!, (v) => v + 6000);
    const dcOut = run(new ChannelMixer({ inputRate: 48000, channels: 1, useChannels: [], gainDb: 0, removeDc: true }), bytesOf(offset), () => 1920);
    const tail = dcOut.subarray(4000);
    expect(Math.abs(tail.reduce((n, v) => n + v, 0) / tail.length)).toBeLessThan(60);

    const loud = run(new ChannelMixer({ inputRate: 16000, channels: 1, useChannels: [], gainDb: 20, removeDc: false }), bytesOf(Int16Array.from(tracks[0]!.subarray(0, 16000))), () => 640);
    expect(Math.max(...loud)).toBe(32767);
    expect(Math.min(...loud)).toBe(-32768);
    // Clipped, not wrapped: no sign flips next to the rails.
    for (let i = 1; i < loud.length; i++) expect(Math.abs(loud[i]! - loud[i - 1]!)).toBeLessThan(20000);
  });
});
