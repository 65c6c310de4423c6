/**
 * Hardware latencies of the turn controller, measured through the real daemon (`node dist/cli.js
 * run --models test`) with the fake ALSA mic and speaker and the stand-in gpiod tools:
 *
 *   1. button press → the chime's first non-silent sample reaches the speaker;
 *   2. button press → gpioset is asked to drive the status LED to 1;
 *   3. barge-in press during a long answer → the answer's last sound reaches the speaker;
 *
 * for each playback backend (aplay, naudiodon), N rounds each, printed as a markdown table.
 * Build first: `npm run build && npm run bench:turn -- --rounds 10`.
 *
 * Per backend two daemons run one after the other: one with the chime (1 and 2, the mic plays
 * silence and each tap ends in the 1 s listen timeout) and one without it (3, so nothing the
 * speaker gets after the press can be anything but the cut answer), whose mic loops the question.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { loadWavForPipeline } from '../src/audio/toPipelineAudio.js';
import { childProcesses, DaemonProcess, type LogLine } from '../test/helpers/daemonProcess.js';
import { createFakeAlsa, type FakeAlsa } from '../test/helpers/fakeAlsa.js';
import { createFakeGpiod, type FakeGpiod } from '../test/helpers/fakeGpiod.js';
import { cliPath } from '../test/helpers/runCli.js';
import { sharedFile } from '../test/helpers/sharedModels.js';
import { ScriptCleanups } from '../test/helpers/scriptCleanups.js';

type Backend = 'aplay' | 'naudiodon';
const BACKENDS: readonly Backend[] = ['aplay', 'naudiodon'];

const BUTTON = 17;
const STATUS_LED = 27;
const MIC_RATE = 16000;
/** |sample| above this is sound (as in test/integration/daemon.test.ts). */
const SOUND_THRESHOLD = 200;
/** How often the speaker file's size is sampled. */
const SAMPLE_EVERY_MS = 2;
/** A tap: short of `hw.gpio.button.holdMs` (400 ms), which would make it push-to-talk. */
const TAP_MS = 80;
/** Barge-in presses come this long (plus up to BARGE_IN_JITTER_MS) after the answer started playing. */
const BARGE_IN_AFTER_MS = 1300;
const BARGE_IN_JITTER_MS = 500;
/** Silence around the question in the looping mic: long enough that the mic, reopened after a
 * barge-in, hears the next question whole (see `bargeInRounds`). */
const LOOP_LEAD_S = 0.5;
const LOOP_GAP_S = 4.5;

const LONG_REPLY =
  'We are open from nine in the morning until half past five in the afternoon, from Monday to Friday. ' +
  'On Saturdays we open at ten and close at two. On Sundays and public holidays we are closed all day. ' +
  'During the summer holidays we close an hour earlier, and the front desk can tell you more.';

interface Measurement {
  key: 'chime' | 'led' | 'bargeIn' | 'bargeInHeard';
  label: string;
  targetMs: number;
}
const MEASUREMENTS: Measurement[] = [
  { key: 'chime', label: 'press → chime starts', targetMs: 50 },
  { key: 'led', label: 'press → status LED on', targetMs: 50 },
  { key: 'bargeIn', label: 'barge-in press → no more audio handed to the speaker', targetMs: 100 },
  { key: 'bargeInHeard', label: 'barge-in press → silence, counting audio the player still holds', targetMs: 100 },
];

/** Per latency, and `ahead`: the audio the speaker had received beyond the play clock at each barge-in press. */
type Samples = Record<Measurement['key'] | 'ahead', number[]>;

const progress = (text: string) => process.stderr.write(`${text}\n`);

// ── resources: everything started is ended, also on failure or Ctrl-C ──────────────────────

interface Rig {
  alsa: FakeAlsa;
  gpiod: FakeGpiod;
  daemon: DaemonProcess;
  /** The speaker's sample rate (the mouth's), from the player's command line. */
  rate: number;
}

const cleanups = new ScriptCleanups();

async function withRig<T>(backend: Backend, mic: Int16Array, loop: boolean, config: string, body: (rig: Rig) => Promise<T>): Promise<T> {
  const alsa = await createFakeAlsa({ mics: { kmic: { audio: mic, rate: MIC_RATE, channels: 1, then: loop ? 'loop' : 'silence' } } });
  let gpiod: FakeGpiod | undefined;
  let daemon: DaemonProcess | undefined;
  let cleaning: Promise<void> | undefined;
  // Once, whoever asks first (the rig's own finally, or a Ctrl-C).
  const cleanup = () =>
    (cleaning ??= (async () => {
      if (daemon) {
        const d = daemon;
        const killer = setTimeout(() => d.kill(), 5000);
        await d.stop();
        clearTimeout(killer);
      }
      await gpiod?.close();
      await alsa.close();
    })());
  cleanups.add(cleanup);
  try {
    gpiod = createFakeGpiod({ version: 2 });
    const file = join(alsa.home, 'kiosk.yaml');
    writeFileSync(file, `hw:\n  gpio:\n    backend: gpiod\n    button: { pin: ${BUTTON} }\n    leds: { status: ${STATUS_LED} }\n${config}`);
    daemon = new DaemonProcess(['--config', file, '--input-device', 'kmic', '--output-device', alsa.speakerPcm], {
      ...alsa.env,
      PATH: gpiod.env.PATH,
      KIOSK_FAKE_GPIO_DIR: gpiod.env.KIOSK_FAKE_GPIO_DIR,
      KIOSK_VOICE__AUDIO__PLAYBACK__BACKEND: backend,
    });
    const d = daemon;
    const exited = d.exited.then((code) => {
      throw new Error(`the daemon exited (code ${code}) before it was ready; last lines:\n${d.tail()}`);
    });
    exited.catch(() => undefined);
    await Promise.race([d.waitFor((l) => l.msg === 'turn controller ready', 60_000, 'turn controller ready'), exited]);
    await Promise.race([d.waitFor((l) => l.msg === 'capture state' && l.state === 'running', 30_000, 'capture running'), exited]);
    const g = gpiod;
    await until(() => g.holders().some((h) => h.tool === 'gpiomon' && h.line === BUTTON), 5000, 'gpiomon holding the button line');
    return await body({ alsa, gpiod, daemon: d, rate: speakerRate(d.pid, backend) });
  } finally {
    cleanups.delete(cleanup);
    await cleanup();
  }
}

/**
 * The rate the daemon's player was started with, which also proves the backend: aplay gets `-r`,
 * the naudiodon child its init JSON with `sampleRate`.
 */
function speakerRate(daemonPid: number, backend: Backend): number {
  const children = childProcesses(daemonPid);
  for (const child of children) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue; // exited meanwhile
    }
    if (backend === 'aplay' && child.comm === 'aplay') {
      const rate = Number(argv[argv.indexOf('-r') + 1]);
      if (rate > 0) return rate;
    }
    if (backend === 'naudiodon' && argv.some((a) => a.endsWith('naudiodonPlaybackChild.js'))) {
      const rate = Number(/"sampleRate":(\d+)/.exec(argv.at(-1) ?? '')?.[1]);
      if (rate > 0) return rate;
    }
  }
  throw new Error(`asked for the ${backend} backend, but no such player runs under the daemon (children: ${children.map((c) => c.comm).join(', ') || 'none'})`);
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

// ── the speaker file ───────────────────────────────────────────────────────────────────────

interface Growth {
  at: number;
  bytes: number;
}

const speakerSize = (alsa: FakeAlsa) => (existsSync(alsa.speakerFile) ? statSync(alsa.speakerFile).size : 0);

/**
 * Samples the speaker file's size (with Date.now()) every ~2 ms until `step` says done. `step` runs
 * before each sample with that sample's time, so whatever it does (a press) is stamped alike.
 */
async function watchSpeaker(alsa: FakeAlsa, step: (now: number) => boolean): Promise<Growth[]> {
  const growth: Growth[] = [];
  for (;;) {
    const now = Date.now();
    if (step(now)) return growth;
    growth.push({ at: now, bytes: speakerSize(alsa) });
    await sleep(SAMPLE_EVERY_MS);
  }
}

/** `watchSpeaker` for `ms`, with a tap (press now, release after TAP_MS) at the start. */
function tapAndWatch(alsa: FakeAlsa, gpiod: FakeGpiod, ms: number): { pressedAt: number; growth: Promise<Growth[]> } {
  const pressedAt = Date.now();
  gpiod.press();
  let released = false;
  const growth = watchSpeaker(alsa, (now) => {
    if (!released && now - pressedAt >= TAP_MS) {
      gpiod.release();
      released = true;
    }
    return now - pressedAt >= ms;
  });
  return { pressedAt, growth };
}

/**
 * How much more of the answer the speaker had received at the press than a device playing at
 * `rate` would have played by then (ms): audio the player passed on ahead of the play clock. The
 * device starts on the first audio and plays whatever it has at its rate; the file starting over
 * (a new aplay) starts it over.
 */
function aheadAtPress(growth: Growth[], pressedAt: number, rate: number): number {
  const bytesPerMs = (rate * 2) / 1000;
  let played = growth[0]?.bytes ?? 0;
  for (let i = 1; i < growth.length; i++) {
    const g = growth[i]!;
    if (g.bytes < growth[i - 1]!.bytes) played = 0;
    played = Math.min(g.bytes, played + (g.at - growth[i - 1]!.at) * bytesPerMs);
    if (g.at >= pressedAt) return Math.round((g.bytes - played) / bytesPerMs);
  }
  return 0;
}

/**
 * The part of the growth record after the file was last truncated (an aplay opening the PCM
 * truncates it), and the byte offset in the file where that part begins.
 */
function lastFileGeneration(growth: Growth[], sizeBefore: number): { growth: Growth[]; base: number } {
  let from = 0;
  let base = sizeBefore;
  for (let i = 1; i < growth.length; i++) {
    if (growth[i]!.bytes < growth[i - 1]!.bytes) {
      from = i;
      base = 0;
    }
  }
  if (from === 0 && growth[0] && growth[0].bytes < sizeBefore) base = 0;
  return { growth: growth.slice(from), base };
}

const isSound = (bytes: Buffer, offset: number) => Math.abs(bytes.readInt16LE(offset)) > SOUND_THRESHOLD;

/** Byte offset of the first sound at or after `from` (S16_LE mono), or undefined. */
function firstSound(bytes: Buffer, from: number): number | undefined {
  for (let i = from - (from % 2); i + 1 < bytes.length; i += 2) if (isSound(bytes, i)) return i;
  return undefined;
}

/** Byte offset just past the last sound, or 0. */
function endOfLastSound(bytes: Buffer): number {
  for (let i = bytes.length - (bytes.length % 2) - 2; i >= 0; i -= 2) if (isSound(bytes, i)) return i + 2;
  return 0;
}

// ── the daemon's log ───────────────────────────────────────────────────────────────────────

const logTime = (l: LogLine) => (typeof l.time === 'number' ? l.time : 0);
const stateSince = (to: string, since: number) => (l: LogLine) => l.msg === 'state' && l.to === to && logTime(l) >= since;
const lastState = (d: DaemonProcess) => d.logs.filter((l) => l.msg === 'state').at(-1)?.to as string | undefined;
/** Matches only lines logged after the first `from` lines. */
const after = (d: DaemonProcess, from: number, match: (l: LogLine) => boolean) => (l: LogLine) => match(l) && d.logs.indexOf(l) >= from;

// ── 1 and 2: press → chime, press → status LED ────────────────────────────────────────────

async function pressRounds(backend: Backend, rounds: number, samples: Samples): Promise<void> {
  const mic = new Int16Array(MIC_RATE); // a quiet room
  const config = 'turn: { followUpSeconds: 0, listenTimeoutSeconds: 1, earcons: { enabled: true } }\n';
  await withRig(backend, mic, false, config, async ({ alsa, gpiod, daemon }) => {
    // Round 0 is a warm-up and not counted.
    for (let round = 0; round <= rounds; round++) {
      if (lastState(daemon) !== undefined && lastState(daemon) !== 'idle') {
        await daemon.waitFor(after(daemon, daemon.logs.length, stateSince('idle', 0)), 10_000, 'idle before the press');
      }
      // Not in step with anything periodic in the daemon or the stand-ins.
      await sleep(150 + Math.random() * 200);
      const sizeBefore = speakerSize(alsa);
      const setsBefore = gpiod.setLog().length;
      const tap = tapAndWatch(alsa, gpiod, 600);
      const { pressedAt } = tap;
      const growth = await tap.growth;
      await daemon.waitFor(stateSince('listening', pressedAt), 5000, 'listening after the press');
      await daemon.waitFor(stateSince('idle', pressedAt), 10_000, 'idle after the listen timeout');

      const generation = lastFileGeneration(growth, sizeBefore);
      const spoken = readFileSync(alsa.speakerFile);
      const chimeAt = firstSound(spoken, generation.base);
      if (chimeAt === undefined) throw new Error(`${backend}: no chime reached the speaker after the press (round ${round})`);
      const reached = generation.growth.find((g) => g.bytes >= chimeAt + 2);
      if (!reached) throw new Error(`${backend}: the chime did not reach the speaker within 600 ms of the press (round ${round})`);
      const led = gpiod
        .setLog()
        .slice(setsBefore)
        .find((s) => s.line === STATUS_LED && s.value === 1);
      if (!led) throw new Error(`${backend}: gpioset was not asked to light the status LED after the press (round ${round})`);

      const chimeMs = reached.at - pressedAt;
      const ledMs = led.at - pressedAt;
      progress(`  ${backend} press ${round === 0 ? 'warm-up' : `${round}/${rounds}`}: chime ${chimeMs} ms, LED ${ledMs} ms`);
      if (round === 0) continue;
      samples.chime.push(chimeMs);
      samples.led.push(ledMs);
    }
  });
}

// ── 3: barge-in → speaker silent ───────────────────────────────────────────────────────────

async function bargeInRounds(backend: Backend, rounds: number, samples: Samples): Promise<void> {
  const { samples: question } = await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'));
  // [lead][question][gap], looped. A barge-in comes BARGE_IN_AFTER_MS(+jitter) into the answer,
  // which starts soon after the question ended, and the new turn's mic opens echoTailMs later. The
  // gap makes that fall in the silence before the next question, so each round's question is heard
  // whole and answered by the rule, and the rounds follow the loop (a round that goes wrong is
  // retried, not counted).
  const lead = Math.round(LOOP_LEAD_S * MIC_RATE);
  const mic = new Int16Array(lead + question.length + Math.round(LOOP_GAP_S * MIC_RATE));
  mic.set(question, lead);
  const config =
    'turn: { followUpSeconds: 0, earcons: { enabled: false } }\n' +
    `dialog:\n  rules:\n    - match: [opening hours]\n      reply: "${LONG_REPLY}"\n`;
  await withRig(backend, mic, true, config, async ({ alsa, gpiod, daemon, rate }) => {
    let counted = 0;
    let attempts = 0;
    let mark = 0;
    while (counted < rounds) {
      if (++attempts > rounds * 2 + 4) throw new Error(`${backend}: only ${counted} of ${rounds} barge-in rounds worked in ${attempts - 1} attempts`);
      // Idle (the first round, or a turn that heard nothing): a tap starts a turn that listens.
      if (lastState(daemon) === 'idle' || lastState(daemon) === undefined) {
        mark = Date.now();
        await gpiod.tap(TAP_MS);
      }
      // The speaker file is watched from before the answer starts, so that what a device playing at
      // its rate would have played by the press can be worked out (see `aheadAtPress`).
      try {
        await daemon.waitFor(stateSince('thinking', mark), 25_000, 'thinking');
      } catch {
        progress(`  ${backend} barge-in: no question was heard (state ${lastState(daemon)}); trying again`);
        continue;
      }
      const thinkingAt = Date.now();
      let speakingAt: number | undefined;
      // Not always at the same word of the answer.
      const pressAfterMs = BARGE_IN_AFTER_MS + Math.random() * BARGE_IN_JITTER_MS;
      let pressedAt = 0;
      let released = false;
      const growth = await watchSpeaker(alsa, (now) => {
        if (speakingAt === undefined) {
          const speaking = daemon.logs.findLast(stateSince('speaking', mark));
          if (speaking) speakingAt = logTime(speaking);
          else return now - thinkingAt > 20_000 || lastState(daemon) !== 'thinking';
        }
        if (!pressedAt && now >= speakingAt + pressAfterMs) {
          if (lastState(daemon) !== 'speaking') return true;
          pressedAt = now;
          gpiod.press();
        }
        if (pressedAt && !released && now - pressedAt >= TAP_MS) {
          gpiod.release();
          released = true;
        }
        return pressedAt > 0 && now - pressedAt >= 1000;
      });
      mark = Date.now();
      if (speakingAt === undefined) {
        progress(`  ${backend} barge-in: no answer was spoken (state ${lastState(daemon)}); trying again`);
        continue;
      }
      if (!pressedAt) {
        progress(`  ${backend} barge-in: the answer was over before the press; trying again`);
        continue;
      }
      const spoken = readFileSync(alsa.speakerFile);
      const turn = await daemon.waitFor((l) => l.msg === 'turn' && logTime(l) >= pressedAt, 5000, 'the interrupted turn');
      const heard = typeof turn.heard === 'string' ? turn.heard : '';
      if (turn.outcome !== 'interrupted' || turn.path !== 'rule' || !heard || !LONG_REPLY.startsWith(heard)) {
        progress(`  ${backend} barge-in: not an interrupted rule answer (${turn.outcome}, ${turn.path}); not counted`);
        continue;
      }
      const answer = lastFileGeneration(growth, growth[0]!.bytes);
      const afterPress = answer.growth.filter((g) => g.at >= pressedAt);
      if (answer.growth[0]!.at > pressedAt) {
        progress(`  ${backend} barge-in: the speaker file was reopened after the press; not counted`);
        continue;
      }
      const lastSound = endOfLastSound(spoken);
      const silentFrom = afterPress.find((g) => g.bytes >= lastSound);
      if (!silentFrom) throw new Error(`${backend}: the speaker was still not silent 1 s after the barge-in press`);
      const ms = Math.max(0, silentFrom.at - pressedAt);
      const ahead = aheadAtPress(answer.growth, pressedAt, rate);
      counted++;
      progress(
        `  ${backend} barge-in ${counted}/${rounds}: silent after ${ms} ms; ${ahead} ms of audio ahead of the play clock at the press ` +
          `(heard "${heard.length > 40 ? `${heard.slice(0, 40)}…` : heard}")`,
      );
      samples.bargeIn.push(ms);
      samples.ahead.push(ahead);
      // aplay is killed, which drops the device buffer; what PortAudio already holds still plays.
      samples.bargeInHeard.push(backend === 'naudiodon' ? ms + ahead : ms);
    }
  });
}

// ── figures ────────────────────────────────────────────────────────────────────────────────

/** Nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

function table(results: Map<Backend, Samples>): string {
  const rows = [
    '| backend | latency | target | p50 | p95 | max | rounds | within target |',
    '|---|---|---:|---:|---:|---:|---:|:---:|',
  ];
  for (const [backend, samples] of results) {
    for (const m of MEASUREMENTS) {
      const sorted = [...samples[m.key]].sort((a, b) => a - b);
      if (sorted.length === 0) continue;
      const p95 = percentile(sorted, 95);
      rows.push(
        `| ${backend} | ${m.label} | ≤ ${m.targetMs} ms | ${percentile(sorted, 50)} ms | ${p95} ms | ${sorted.at(-1)} ms | ${sorted.length} | ${p95 <= m.targetMs ? 'yes' : '**no**'} |`,
      );
    }
  }
  return rows.join('\n');
}

async function main(): Promise<void> {
  const program = new Command()
    .name('bench:turn')
    .description(
      'Press → chime, press → status LED and barge-in → silence latencies of the real daemon (fake ALSA devices, stand-in gpiod tools), ' +
        'per playback backend; prints a markdown table. Build first: npm run build.',
    )
    .option('--rounds <n>', 'measured rounds per latency and backend', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('a whole number from 1 to 1000');
      return n;
    }, 10)
    .addOption(
      new Option('--backends <list>', 'playback backends, comma-separated')
        .default([...BACKENDS], BACKENDS.join(','))
        .argParser((v) => {
          const list = v.split(',').map((s) => s.trim()).filter(Boolean);
          const bad = list.filter((b) => !BACKENDS.includes(b as Backend));
          if (bad.length > 0 || list.length === 0) throw new InvalidArgumentError(`choose from ${BACKENDS.join(', ')}`);
          return list as Backend[];
        }),
    )
    .parse();
  const { rounds, backends } = program.opts<{ rounds: number; backends: Backend[] }>();

  if (!existsSync(cliPath)) {
    progress(`${cliPath} is missing: build the daemon first with \`npm run build\`.`);
    process.exitCode = 1;
    return;
  }

  const started = Date.now();
  const results = new Map<Backend, Samples>();
  for (const backend of backends) {
    const samples: Samples = { chime: [], led: [], bargeIn: [], bargeInHeard: [], ahead: [] };
    results.set(backend, samples);
    progress(`${backend}: press → chime / LED (${rounds} rounds + 1 warm-up)`);
    await pressRounds(backend, rounds, samples);
    progress(`${backend}: barge-in → silence (${rounds} rounds)`);
    await bargeInRounds(backend, rounds, samples);
  }

  const argv = process.argv.slice(2).join(' ');
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Command: \`npm run build && npm run bench:turn${argv ? ` -- ${argv}` : ''}\``);
  console.log('');
  console.log(table(results));
  console.log('');
  console.log(
    `Through \`kiosk-voice run --models test\` with the fake ALSA speaker (file plugin) and stand-in gpiod v2 tools; ` +
      `p50/p95 nearest-rank over ${rounds} rounds (press rounds after 1 warm-up). ` +
      `Node ${process.version}, ${cpus().length} × ${cpu}; ${Math.round((Date.now() - started) / 1000)} s.`,
  );
  const ahead = [...results].map(([backend, s]) => `${backend} ${percentile([...s.ahead].sort((a, b) => a - b), 50)} ms`);
  console.log('');
  console.log(
    `The fake speaker's file gets audio when the player hands it to ALSA. At the barge-in press it already held more of the answer ` +
      `than a device playing at its rate since the answer's first sample would have played (p50): ${ahead.join(', ')}. ` +
      `On a real card what is still in the device buffer at the cut plays on unless the player drops it: aplay is killed, ` +
      `naudiodon's stop leaves what PortAudio holds, so its "counting audio the player still holds" row adds that share.`,
  );
}

cleanups.run('bench:turn', main, progress);
