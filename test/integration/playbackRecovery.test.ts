import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { rms } from '../../src/audio/pcm.js';
import { AplaySink } from '../../src/audio/playback/AplaySink.js';
import { NaudiodonSink } from '../../src/audio/playback/NaudiodonSink.js';
import { PlaybackDeviceError } from '../../src/audio/playback/PlaybackDeviceError.js';
import { loadWavForPipeline } from '../../src/audio/toPipelineAudio.js';
import { PlaybackLedger } from '../../src/turn/PlaybackLedger.js';
import { indexOfSequence, noise } from '../helpers/pcmSignals.js';
import { DaemonProcess, type LogLine } from '../helpers/daemonProcess.js';
import { addAskingMic, type AskingMic } from '../helpers/askingMic.js';
import { createFakeAlsa, type FakeAlsa } from '../helpers/fakeAlsa.js';
import { createFakeSpeaker } from '../helpers/fakeSpeaker.js';
import { sharedFile } from '../helpers/sharedModels.js';

// A speaker whose player fails: real aplay and real PortAudio on ALSA's file plugin, players killed
// from outside, and a speaker that cannot be written. "Unwritable" is the speaker's path turned
// into a directory: ALSA's open for writing fails with EISDIR, which stops root as well as anyone
// (chmod would not stop root, and CI runs as root). A running player keeps the file it opened,
// so the fault shows when a new player opens the device — after a player restart.

const RATE = 16000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The process-wide monotonic clock the daemon stamps its marks and states with (CLOCK_MONOTONIC). */
const monotonic = () => Number(process.hrtime.bigint()) / 1e6;



/** The speaker file holds `audio`, sample for sample, somewhere. */
function expectHolds(heard: Int16Array, audio: Int16Array): void {
  const at = indexOfSequence(heard, audio.subarray(0, 64));
  expect(at, 'the audio is not in the speaker file').toBeGreaterThanOrEqual(0);
  expect(Array.from(heard.subarray(at, at + audio.length))).toEqual(Array.from(audio));
}

function readSamples(path: string): Int16Array {
  const bytes = readFileSync(path);
  return new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 2));
}

function capturingLogger() {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const waitFor = async (match: (line: LogLine) => boolean, what: string) => {
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(5)) if (lines.some(match)) return;
    throw new Error(`no log line for ${what}: ${JSON.stringify(lines)}`);
  };
  return { logger: pino({ level: 'debug' }, stream), lines, waitFor };
}

const isFailure = (l: LogLine) => l.msg.startsWith('playback device failed');
const isLoss = (l: LogLine) => l.msg === 'playback device failed again; audio lost';
const isBack = (l: LogLine) => l.msg === 'speaker back';

const fake = createFakeSpeaker('kv-spk-recovery-');
afterAll(() => fake.cleanup());

type Sink = AplaySink | NaudiodonSink;
const backends: { name: 'aplay' | 'naudiodon'; open: (logger: pino.Logger) => Promise<Sink>; unwritable: RegExp }[] = [
  {
    name: 'aplay',
    open: async (logger) => {
      const sink = new AplaySink({ device: 'kspk', sampleRate: RATE, env: fake.env, logger });
      await sink.start();
      return sink;
    },
    unwritable: /^aplay on "kspk" exited with code 1: ALSA lib pcm_file\.c.*write failed/,
  },
  {
    name: 'naudiodon',
    open: (logger) => NaudiodonSink.open({ device: 'kspk', sampleRate: RATE, env: fake.env, logger }),
    // PortAudio says nothing; the sink notices that the device stopped taking audio and shows ALSA's reason.
    unwritable: /^the PortAudio player for "kspk" stopped taking audio \(nothing for \d+ ms\): ALSA lib pcm_file\.c.*write failed/,
  },
];

describe.each(backends)('$name sink when its player fails', ({ name, open, unwritable }) => {
  afterEach(() => rmSync(fake.speaker, { recursive: true, force: true }));

  /** A sink that has played something, so its player is a running one. */
  async function playing(logger: pino.Logger): Promise<{ sink: Sink; ledger: PlaybackLedger }> {
    const sink = await open(logger);
    const ledger = new PlaybackLedger(sink);
    ledger.write(noise(0.2, RATE, 9));
    ledger.write(new Int16Array(RATE * 0.2));
    await ledger.drain();
    return { sink, ledger };
  }

  it('a player that died between replies is nobody’s failure: the next audio plays in full on a new player, its start marked when that player takes it', async () => {
    const log = capturingLogger();
    const { sink, ledger } = await playing(log.logger);
    const pid = sink.pid!;
    process.kill(pid, 'SIGKILL');
    await log.waitFor(isFailure, 'the dead player');

    const audio = noise(0.5, RATE, 2);
    const writtenAt = monotonic();
    let startedAt: number | undefined;
    ledger.write(audio, (at) => (startedAt = at));
    ledger.write(new Int16Array(RATE * 0.3));
    const before = sink.position();
    // The death is not reported to this audio's drain: nothing of this audio was lost.
    await expect(sink.drain()).resolves.toBeUndefined();
    await expect(ledger.drain()).resolves.toBeUndefined();
    const drainedAt = monotonic();
    expect(sink.pid).not.toBe(pid);
    expect(sink.position() - before).toBe(audio.length + RATE * 0.3);
    // The start is when the new player got it, after its start-up (PortAudio probes the devices
    // first, hundreds of ms), not when it was written; the drain came after all of it.
    expect(startedAt).toBeGreaterThanOrEqual(writtenAt);
    if (name === 'naudiodon') expect(startedAt! - writtenAt).toBeGreaterThan(50);
    expect(drainedAt - startedAt!).toBeGreaterThanOrEqual(800 - 1);
    await sleep(50);
    expectHolds(fake.readSpeaker(), audio);
    expect(log.lines.filter(isFailure).map((l) => [l.level, l.msg])).toEqual([[40, 'playback device failed; the next audio reopens it']]);
    expect(log.lines.filter(isBack)).toHaveLength(1);
    await sink.close();
  });

  if (name === 'aplay') {
    it('an aplay told to end (SIGTERM) exits only when the next audio comes; a new aplay plays all of it', async () => {
      const log = capturingLogger();
      const { sink } = await playing(log.logger);
      const pid = sink.pid!;
      process.kill(pid, 'SIGTERM');
      await sleep(300);
      // aplay waits on its input: it is still there, and will die on the next audio.
      expect(existsSync(`/proc/${pid}`)).toBe(true);
      const audio = noise(0.5, RATE, 3);
      sink.write(audio);
      sink.write(new Int16Array(RATE * 0.3));
      await expect(sink.drain()).resolves.toBeUndefined();
      expect(sink.pid).not.toBe(pid);
      await sleep(50);
      // All of it, its first sample too: what the dying aplay was handed is played again.
      expectHolds(fake.readSpeaker(), audio);
      expect(log.lines.filter(isFailure).map((l) => l.err)).toEqual(['aplay on "kspk" exited with code 0']);
      await sink.close();
    });
  }

  it('a speaker that cannot be written after a restart: every write is reported, each gets one player, later ones wait longer, and it comes back by itself', async () => {
    const log = capturingLogger();
    const { sink } = await playing(log.logger);
    rmSync(fake.speaker);
    mkdirSync(fake.speaker);
    process.kill(sink.pid!, 'SIGKILL');
    await log.waitFor(isFailure, 'the killed player');

    const rejectedAt: number[] = [];
    for (let i = 0; i < 3; i++) {
      sink.write(noise(0.3, RATE, 10 + i));
      sink.write(new Int16Array(RATE * 0.2));
      const error = await sink.drain().then(
        () => undefined,
        (e: unknown) => e,
      );
      rejectedAt.push(performance.now());
      expect(error, `write ${i + 1}`).toBeInstanceOf(PlaybackDeviceError);
      expect((error as PlaybackDeviceError).message).toMatch(unwritable);
      expect((error as PlaybackDeviceError).hint).toMatch(/kiosk-voice devices/);
    }
    // One player per write (the killed one, then one each), each loss a warning of its own.
    expect(log.lines.filter(isFailure)).toHaveLength(4);
    expect(log.lines.filter((l) => isLoss(l) && l.level === 40)).toHaveLength(3);
    // Players after failures in a row start later and later: the third waited at least 500 ms.
    expect(rejectedAt[2]! - rejectedAt[1]!).toBeGreaterThanOrEqual(500);
    expect(log.lines.filter(isBack)).toHaveLength(0);

    rmSync(fake.speaker, { recursive: true });
    const audio = noise(0.5, RATE, 4);
    sink.write(audio);
    sink.write(new Int16Array(RATE * 0.3));
    await expect(sink.drain()).resolves.toBeUndefined();
    await sleep(50);
    expectHolds(fake.readSpeaker(), audio);
    const back = log.lines.filter(isBack);
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ level: 30, backend: name, failures: 4 });
    await sink.close();
  });

  it('stop() while a new player starts cuts at once (barge-in), and none of that audio plays later', async () => {
    const log = capturingLogger();
    const { sink } = await playing(log.logger);
    process.kill(sink.pid!, 'SIGKILL');
    await log.waitFor(isFailure, 'the killed player');
    const audio = noise(1, RATE, 5);
    const before = sink.position();
    sink.write(audio);
    const stoppedAt = performance.now();
    sink.stop();
    expect(performance.now() - stoppedAt).toBeLessThan(50);
    await expect(sink.drain()).resolves.toBeUndefined();
    await sleep(600);
    expect(sink.position()).toBe(before);
    const heard = fake.speakerBytes() > 0 ? fake.readSpeaker() : new Int16Array(0);
    for (let at = 0; at + 64 <= RATE * 0.5; at += RATE * 0.05) expect(indexOfSequence(heard, audio.subarray(at, at + 64))).toBe(-1);
    await sink.close();
  });
});

// The whole kiosk: the real daemon answering a looped question through the fake ALSA devices.
const REPLY = 'We open at nine.';
/** The daemon opens the speaker at the voice's rate: espeak-ng's, with the `test` models. */
const SPEAKER_RATE = 22050;
const isTurn = (l: LogLine) => l.msg === 'turn';

/**
 * Sizes of the speaker file over time, on the daemon's clock. Polled every 5 ms (or later, on a
 * busy machine): each change is known to have happened after the poll before it and by the poll
 * that saw it, so checks against these times hold however late the polls come.
 */
class SpeakerWatch {
  readonly sizes: { at: number; size: number; notBefore: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  private lastPoll = monotonic();

  constructor(private readonly path: string) {
    this.timer = setInterval(() => {
      let size = -1;
      try {
        const stat = statSync(path);
        if (stat.isFile()) size = stat.size;
      } catch {
        // not there
      }
      const now = monotonic();
      if (this.sizes.at(-1)?.size !== size) this.sizes.push({ at: now, size, notBefore: this.lastPoll });
      this.lastPoll = now;
    }, 5);
  }

  read(): Int16Array {
    return readSamples(this.path);
  }

  /**
   * When, after `after`, the file opened afresh (emptied) reached `bytes`: after `notBefore`, by `at`.
   */
  reached(bytes: number, after: number): { notBefore: number; at: number } | undefined {
    const emptied = this.sizes.findIndex((s) => s.at > after && s.size >= 0 && s.size < bytes);
    return emptied < 0 ? undefined : this.sizes.slice(emptied).find((s) => s.size >= bytes);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

describe.each([
  // An aplay told to end dies only at the next audio, which then has to be replayed: the case that lost replies.
  { backend: 'aplay', signal: 'SIGTERM' as const, unwritable: /exited with code 1: ALSA lib pcm_file\.c.*write failed/ },
  { backend: 'naudiodon', signal: 'SIGKILL' as const, unwritable: /stopped taking audio .*ALSA lib pcm_file\.c.*write failed/ },
])('kiosk-voice run with $backend playback, when the player fails', ({ backend, signal, unwritable }) => {
  let alsa: FakeAlsa | undefined;
  let daemon: DaemonProcess | undefined;
  let watch: SpeakerWatch | undefined;
  let askingMic: AskingMic | undefined;
  afterEach(async () => {
    watch?.stop();
    daemon?.kill();
    await daemon?.exited;
    askingMic?.close();
    await alsa?.close();
    daemon = alsa = watch = askingMic = undefined;
  });

  /**
   * The daemon with a short rule reply and a mic that asks the question when a turn is wanted: a
   * mic paced by a busy machine could tear holes in the question and make it another one.
   */
  async function start() {
    const { samples } = await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'));
    const fakeAlsa = await createFakeAlsa();
    alsa = fakeAlsa;
    const mic = addAskingMic(fakeAlsa, 'askmic');
    const config = join(fakeAlsa.home, 'kiosk.yaml');
    writeFileSync(config, `dialog:\n  rules:\n    - match: [opening hours]\n      reply: "${REPLY}"\n`);
    const d = new DaemonProcess(['--config', config, '--input-device', mic.pcm, '--output-device', 'kspk'], {
      ...fakeAlsa.env,
      KIOSK_VOICE__AUDIO__PLAYBACK__BACKEND: backend,
      KIOSK_VOICE__AUDIO__CAPTURE__BACKEND: 'arecord',
    });
    daemon = d;
    const w = new SpeakerWatch(fakeAlsa.speakerFile);
    watch = w;
    /** The visitor asks for the nth time; resolves with that turn's line once the kiosk is idle again. */
    const turn = async (n: number) => {
      await d.waitFor((l) => l.msg === 'listening', 30_000, 'listening');
      await mic.opened;
      await mic.ask(samples);
      await d.waitFor(() => d.logs.filter(isTurn).length >= n, 60_000, `turn ${n}`);
      const line = d.logs.filter(isTurn)[n - 1]!;
      const at = d.logs.indexOf(line);
      await d.waitFor((l) => l.msg === 'state' && l.to === 'idle' && d.logs.indexOf(l) > at, 30_000, `idle after turn ${n}`);
      return line;
    };
    askingMic = mic;
    const player = () => {
      const children = readFileSync(`/proc/${d.pid}/task/${d.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
      const pid = children.find((c) => {
        const cmdline = readFileSync(`/proc/${c}/cmdline`, 'utf8');
        return backend === 'aplay' ? cmdline.startsWith('aplay\0') : cmdline.includes('naudiodonPlaybackChild');
      });
      if (pid === undefined) throw new Error(`no ${backend} player among the daemon's children ${children.join(', ')}`);
      return pid;
    };
    return { d, w, alsa: fakeAlsa, turn, player };
  }

  it('a player crash between turns costs the next turn nothing: all of its reply plays, its marks are true, the mic stays muted until the end', async () => {
    const { d, w, turn, player } = await start();
    // Turn 1 begins the visitor session, so the disclosure plays before its reply; turn 2 is the
    // reference: the reply alone as the speaker got it (espeak says the same reply the same way).
    await turn(1);
    await sleep(300);
    const before = w.read().length;
    const first = await turn(2);
    expect(first.reply).toBe(REPLY);
    expect(first.problem).toBeUndefined();
    await sleep(300);
    const heard1 = w.read().subarray(before);
    const start1 = heard1.findIndex((s) => s !== 0);
    // The file plugin may still hold the last period back: compare all but the last 150 ms.
    const reply = heard1.subarray(start1, heard1.length - SPEAKER_RATE * 0.15);
    expect(reply.length).toBeGreaterThan(SPEAKER_RATE * 0.5);
    expect(rms(reply)).toBeGreaterThan(0.02);

    const killedAt = monotonic();
    process.kill(player(), signal);
    const second = await turn(3);
    expect(second.problem).toBeUndefined();
    expect(second.endOfSpeechToFirstAudioMs).toEqual(expect.any(Number));
    await sleep(300);
    // A new player plays the whole reply, sample for sample.
    const heard2 = w.read();
    expectHolds(heard2, reply);
    const start2 = indexOfSequence(heard2, reply.subarray(0, 64));
    const firstAudio = w.reached((start2 + 1) * 2, killedAt);
    const lastAudio = w.reached((start2 + reply.length) * 2, killedAt);
    expect(firstAudio).toBeDefined();
    expect(lastAudio).toBeDefined();
    // The marks are true: speaking starts when the audio does, and ends only once all of it has
    // played — until then the mic stays muted (half-duplex mutes it while thinking and speaking).
    const speaking = d.logs.find((l) => l.msg === 'state' && l.turnId === second.turnId && l.to === 'speaking');
    expect(speaking).toBeDefined();
    // Leaving `speaking` (for idle) names no turn: it is the next state line.
    const done = d.logs.slice(d.logs.indexOf(speaking!)).find((l) => l.msg === 'state' && l.from === 'speaking');
    expect(done).toBeDefined();
    // Audio reaches the file once it is handed to the player, or a little later.
    expect(speaking!.at as number).toBeLessThanOrEqual(firstAudio!.at + 5);
    expect(speaking!.at as number).toBeGreaterThan(firstAudio!.notBefore - 250);
    // The last of it is handed over at most the lead (50 ms) before it has played.
    expect(done!.at as number).toBeGreaterThan(lastAudio!.notBefore - 100);
    expect((done!.at as number) - (speaking!.at as number)).toBeGreaterThan((reply.length * 1000) / SPEAKER_RATE - 100);
    // Said once each: the failure (a warning) and the recovery.
    expect(d.logs.filter((l) => l.msg.startsWith('playback device failed')).map((l) => l.level)).toEqual([40]);
    expect(d.logs.filter((l) => l.msg === 'speaker back')).toHaveLength(1);
    expect(await d.stop()).toBe(0);
  }, 120_000);

  it('a speaker that cannot be written after a player restart: every turn says so, and it plays again by itself once it can', async () => {
    const { d, w, alsa: fakeAlsa, turn, player } = await start();
    await d.waitFor((l) => l.msg === 'listening', 30_000, 'listening');
    rmSync(fakeAlsa.speakerFile);
    mkdirSync(fakeAlsa.speakerFile);
    process.kill(player(), 'SIGKILL');
    for (const n of [1, 2]) {
      const broken = await turn(n);
      expect(broken.problem, `turn ${n}`).toMatch(/^playback failed: /);
      expect(broken.problem).toMatch(unwritable);
      expect(d.logs.filter((l) => l.level >= 50 && l.turnId === broken.turnId && l.msg === broken.problem)).toHaveLength(1);
    }
    // The sink warned of each lost reply too.
    expect(d.logs.filter((l) => l.level === 40 && l.msg === 'playback device failed again; audio lost').length).toBeGreaterThanOrEqual(2);
    expect(d.logs.filter((l) => l.msg === 'speaker back')).toHaveLength(0);

    const restoredAt = monotonic();
    rmSync(fakeAlsa.speakerFile, { recursive: true });
    const third = await turn(3);
    expect(third.problem).toBeUndefined();
    await sleep(300);
    const heard = w.read();
    const from = heard.findIndex((s) => s !== 0);
    expect(from).toBeGreaterThanOrEqual(0);
    expect(heard.length - from).toBeGreaterThan(SPEAKER_RATE * 0.5);
    expect(rms(heard.subarray(from))).toBeGreaterThan(0.02);
    expect(w.reached((from + SPEAKER_RATE * 0.5) * 2, restoredAt)).toBeDefined();
    expect(d.logs.filter((l) => l.msg === 'speaker back')).toHaveLength(1);
    expect(await d.stop()).toBe(0);
  }, 120_000);
});
