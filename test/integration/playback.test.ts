import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { rms } from '../../src/audio/pcm.js';
import { AplaySink } from '../../src/audio/playback/AplaySink.js';
import { createAudioSink, type PlaybackSink } from '../../src/audio/playback/createAudioSink.js';
import { NaudiodonSink } from '../../src/audio/playback/NaudiodonSink.js';
import { PlaybackDeviceError } from '../../src/audio/playback/PlaybackDeviceError.js';
import { playbackSchema } from '../../src/config/schema.js';
import { indexOfSequence, noise } from '../helpers/pcmSignals.js';
import { createFakeSpeaker } from '../helpers/fakeSpeaker.js';

// Real aplay and real PortAudio playing into ALSA's file plugin (a fake speaker in a temp HOME).
// The file plugin is not paced, so everything timed here is the sinks' own pacing; it also holds
// back up to one ALSA buffer, so tones are followed by silence that pushes them into the file.

const RATE = 16000;
const fake = createFakeSpeaker();
afterAll(() => fake.cleanup());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function tone(seconds: number, hz = 440, amplitude = 0.3): Int16Array {
  const out = new Int16Array(Math.round(seconds * RATE));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * hz * i) / RATE));
  return out;
}

/** Where `expected` starts in what the speaker got (after the device's leading silence), or -1. */
function locate(heard: Int16Array, expected: Int16Array): number {
  const first = expected.findIndex((s) => s !== 0);
  const start = heard.findIndex((s) => s !== 0);
  return start < 0 ? -1 : start - first;
}



function frequency(samples: Int16Array): number {
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) if ((samples[i - 1]! < 0) !== (samples[i]! < 0)) crossings++;
  return (crossings / 2) * (RATE / samples.length);
}

/** Polls the speaker file after `stop()` until it has been still for 150 ms; returns when it last grew. */
async function lastGrowthAfter(stoppedAt: number): Promise<number> {
  let size = fake.speakerBytes();
  let lastChange = stoppedAt;
  while (performance.now() - lastChange < 150) {
    await sleep(1);
    const now = fake.speakerBytes();
    if (now !== size) {
      size = now;
      lastChange = performance.now();
    }
  }
  return lastChange - stoppedAt;
}

const measured: Record<string, unknown> = {};
afterAll(() => console.info(`playback measurements: ${JSON.stringify(measured)}`));

const backends: { name: 'aplay' | 'naudiodon'; open: (volume?: number) => Promise<AplaySink | NaudiodonSink> }[] = [
  {
    name: 'aplay',
    open: async (volume = 1) => {
      const sink = new AplaySink({ device: 'kspk', sampleRate: RATE, volume, env: fake.env });
      await sink.start();
      return sink;
    },
  },
  { name: 'naudiodon', open: (volume = 1) => NaudiodonSink.open({ device: 'kspk', sampleRate: RATE, volume, env: fake.env }) },
];

describe.each(backends)('$name sink into the fake speaker', ({ name, open }) => {
  it('plays a tone sample for sample, and volume 0.5 halves its RMS', async () => {
    const played: Int16Array[] = [];
    for (const volume of [1, 0.5]) {
      const sink = await open(volume);
      sink.write(tone(0.6));
      sink.write(new Int16Array(RATE * 0.3));
      await sink.drain();
      await sleep(50);
      // Each sink opened the device afresh, and the file plugin truncates the file when opened.
      played.push(fake.readSpeaker());
      await sink.close();
    }
    const reference = tone(0.6);
    for (const [i, volume] of [1, 0.5].entries()) {
      const heard = played[i]!;
      const expected = reference.map((s) => Math.round(s * volume));
      const at = locate(heard, expected);
      expect(at, 'tone not found in the speaker file').toBeGreaterThanOrEqual(0);
      // Leading silence from the device is allowed, a shifted or altered sample is not.
      expect(at).toBeLessThan(RATE * 0.1);
      expect(Array.from(heard.subarray(at, at + expected.length))).toEqual(Array.from(expected));
      expect(frequency(heard.subarray(at, at + expected.length))).toBeCloseTo(440, -1);
    }
    const ratio = rms(played[1]!) / rms(played[0]!);
    measured[`${name}.volumeRmsRatio`] = Number(ratio.toFixed(4));
    expect(ratio).toBeGreaterThan(0.49);
    expect(ratio).toBeLessThan(0.51);
  });

  it('reports position at the sample rate, never past what was written, and drains after the audio', async () => {
    const sink = await open();
    const audio = tone(1.5);
    const start = performance.now();
    sink.write(audio);
    const samples: { at: number; position: number }[] = [];
    while (performance.now() - start < 1000) {
      await sleep(100);
      samples.push({ at: performance.now() - start, position: sink.position() });
    }
    let worst = 0;
    for (const { at, position } of samples) {
      expect(position).toBeLessThanOrEqual(audio.length);
      worst = Math.max(worst, Math.abs(position - (at * RATE) / 1000));
    }
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const rate = ((last.position - first.position) * 1000) / (last.at - first.at);
    measured[`${name}.positionWorstErrorMs`] = Number(((worst * 1000) / RATE).toFixed(1));
    measured[`${name}.positionRate`] = Math.round(rate);
    expect(Math.abs(rate - RATE) / RATE).toBeLessThan(0.03);
    expect((worst * 1000) / RATE).toBeLessThan(50);
    for (let i = 1; i < samples.length; i++) expect(samples[i]!.position).toBeGreaterThanOrEqual(samples[i - 1]!.position);

    await sink.drain();
    const drainedAfter = performance.now() - start;
    measured[`${name}.drainAfterMsFor1500`] = Math.round(drainedAfter);
    expect(drainedAfter).toBeGreaterThan(1450);
    expect(drainedAfter).toBeLessThan(1600);
    expect(sink.position()).toBe(audio.length);
    await sink.close();
  });

  it('stop() cuts within 50 ms, and a later write plays again', async () => {
    const sink = await open();
    const audio = tone(3);
    const writtenAt = performance.now();
    sink.write(audio);
    await sleep(500);
    const stoppedAt = performance.now();
    sink.stop();
    const stopCallMs = performance.now() - stoppedAt;
    const positionAtStop = sink.position();
    const grewFor = await lastGrowthAfter(stoppedAt);
    measured[`${name}.stopCallMs`] = Number(stopCallMs.toFixed(2));
    measured[`${name}.speakerGrewAfterStopMs`] = Number(grewFor.toFixed(1));
    expect(grewFor).toBeLessThan(50);
    // Played until the stop, nothing after it.
    expect(Math.abs(positionAtStop - ((stoppedAt - writtenAt) * RATE) / 1000)).toBeLessThan(RATE * 0.05);
    expect(sink.position()).toBe(positionAtStop);
    await sink.drain();

    const bytesBefore = fake.speakerBytes();
    const again = tone(0.4, 880);
    sink.write(again);
    sink.write(new Int16Array(RATE * 0.3));
    await sink.drain();
    await sleep(50);
    expect(sink.position()).toBe(positionAtStop + again.length + RATE * 0.3);
    // aplay was started afresh (the file plugin truncates the file); naudiodon kept its stream.
    const heard = fake.readSpeaker().subarray(name === 'aplay' ? 0 : bytesBefore / 2);
    const at = indexOfSequence(heard, again.subarray(1, 64));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(Array.from(heard.subarray(at, at + again.length - 1))).toEqual(Array.from(again.subarray(1)));
    // Nothing of the cut tone comes out ahead of the new one.
    expect(heard.subarray(0, at).every((s) => s === 0)).toBe(true);
    await sink.close();
  });

  it('replaces a player that dies mid-audio at once: the rest plays on a new one, nothing is lost or reported', async () => {
    const sink = await open();
    // Noise, not a tone: every stretch of it is unique, so where the new player took over is exact.
    const audio = noise(2, RATE);
    const writtenAt = performance.now();
    sink.write(audio);
    sink.write(new Int16Array(RATE * 0.3));
    await sleep(300);
    const pid = sink.pid!;
    const killedAt = performance.now();
    process.kill(pid, 'SIGKILL');
    await expect(sink.drain()).resolves.toBeUndefined();
    const drainedAt = performance.now();
    expect(sink.pid).not.toBe(pid);
    // Everything counts as played, once: what the dead player had played and what the new one did.
    expect(sink.position()).toBe(audio.length + RATE * 0.3);
    // The audio took its length plus the restart, and not much more.
    expect(drainedAt - writtenAt).toBeGreaterThan(2300);
    measured[`${name}.deathRestartCostMs`] = Math.round(drainedAt - writtenAt - 2300);
    await sleep(50);
    // The new player opened the file afresh: it holds the rest of the audio from where the old one stopped.
    const heard = fake.readSpeaker();
    const first = heard.findIndex((s) => s !== 0);
    const resumedAt = indexOfSequence(audio, heard.subarray(first, first + 64));
    expect(resumedAt, 'the replayed audio is not part of what was written').toBeGreaterThan(0);
    expect(Array.from(heard.subarray(first, first + audio.length - resumedAt))).toEqual(Array.from(audio.subarray(resumedAt)));
    // It resumes about where the old player was when it died: at most its lead repeated, and no
    // more skipped than the time it took to notice the death (aplay cannot say how far it got).
    const playedBeforeKill = ((killedAt - writtenAt) * RATE) / 1000;
    expect(resumedAt).toBeGreaterThan(playedBeforeKill - RATE * 0.15);
    expect(resumedAt).toBeLessThan(playedBeforeKill + RATE * 0.1);
    await sink.close();
  });
});

describe('naudiodon position', () => {
  it('follows what PortAudio accepted when the device stops taking audio', async () => {
    const sink = await NaudiodonSink.open({ device: 'kspk', sampleRate: RATE, env: fake.env });
    const writtenAt = performance.now();
    sink.write(tone(2));
    await sleep(300);
    // A frozen player stands in for a device that stalls: nothing more is accepted or reported.
    const pid = sink.pid!;
    const stalledAt = performance.now();
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(400);
      const stalled = sink.position();
      const clock = ((performance.now() - writtenAt) * RATE) / 1000;
      // At most the lead (100 ms) past the stall, where the clock alone would be 400 ms further.
      measured['naudiodon.positionPastStallMs'] = Math.round(((stalled - ((stalledAt - writtenAt) * RATE) / 1000) * 1000) / RATE);
      expect(stalled).toBeLessThan(((stalledAt - writtenAt + 130) * RATE) / 1000);
      expect(stalled).toBeLessThan(clock - RATE * 0.25);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await sleep(100);
    expect(Math.abs(sink.position() - ((performance.now() - writtenAt) * RATE) / 1000)).toBeLessThan(RATE * 0.05);
    await sink.close();
  });
});

describe('opening the speaker', () => {
  function capturingLogger() {
    const lines: { level: number; msg: string; reason?: string }[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as (typeof lines)[number]);
        done();
      },
    });
    return { logger: pino({ level: 'info' }, stream), lines };
  }

  it('auto falls back to aplay, with one warning, when PortAudio cannot open the device', async () => {
    // `plug:kspk` is an ALSA PCM spec: aplay opens it, PortAudio lists only named PCMs.
    const { logger, lines } = capturingLogger();
    const config = playbackSchema.parse({ backend: 'auto', device: 'plug:kspk' });
    const sink: PlaybackSink = await createAudioSink(config, RATE, logger, { env: fake.env });
    expect(sink.backend).toBe('aplay');
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/naudiodon cannot open the playback device; using aplay/);
    expect(warnings[0]!.reason).toMatch(/no output device matches "plug:kspk"/);
    const audio = tone(0.3);
    sink.write(audio);
    sink.write(new Int16Array(RATE * 0.3));
    await sink.drain();
    await sleep(50);
    const heard = fake.readSpeaker();
    const at = locate(heard, audio);
    expect(Array.from(heard.subarray(at, at + audio.length))).toEqual(Array.from(audio));
    await sink.close();
  });

  it('auto uses naudiodon when PortAudio can open the device, and applies the configured volume', async () => {
    const { logger, lines } = capturingLogger();
    const sink = await createAudioSink(playbackSchema.parse({ device: 'kspk', volume: 2 }), RATE, logger, { env: fake.env });
    expect(sink.backend).toBe('naudiodon');
    expect(lines.filter((l) => l.level >= 40)).toHaveLength(0);
    // 0.6 of full scale doubled clips at the 16-bit limits.
    sink.write(tone(0.3, 440, 0.6));
    sink.write(new Int16Array(RATE * 0.3));
    await sink.drain();
    await sleep(50);
    const heard = fake.readSpeaker();
    expect(Math.max(...heard)).toBe(32767);
    expect(Math.min(...heard)).toBe(-32768);
    await sink.close();
  });

  it('names the problem when no backend can open the device', async () => {
    const { logger } = capturingLogger();
    const naudiodon = createAudioSink(playbackSchema.parse({ backend: 'naudiodon', device: 'nosuch' }), RATE, logger, { env: fake.env });
    await expect(naudiodon).rejects.toThrow(PlaybackDeviceError);
    await expect(naudiodon).rejects.toThrow(/PortAudio cannot open playback device "nosuch": no output device matches "nosuch" \(available: "kspk", "kmic"\)/);
    const aplay = createAudioSink(playbackSchema.parse({ backend: 'aplay', device: 'nosuch' }), RATE, logger, { env: fake.env });
    await expect(aplay).rejects.toThrow(/aplay on "nosuch" exited with code 1: .*Unknown PCM nosuch/);
    const auto = createAudioSink(playbackSchema.parse({ backend: 'auto', device: 'nosuch' }), RATE, logger, { env: fake.env });
    await expect(auto).rejects.toThrow(PlaybackDeviceError);
  });

  it('aplay matches a configured substring against ALSA PCM names, never an index', async () => {
    const { logger } = capturingLogger();
    // "spk" is part of "kspk" only; PortAudio is skipped to exercise the aplay resolution.
    const sink = await createAudioSink(playbackSchema.parse({ backend: 'aplay', device: 'spk' }), RATE, logger, { env: fake.env });
    expect(sink.device).toBe('kspk');
    await sink.close();
  });
});
