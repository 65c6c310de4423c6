import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import type { CaptureHealth } from '../audio/capture/CaptureSource.js';
import { PIPELINE_RATE } from '../audio/capture/ChannelMixer.js';
import { LiveCapture } from '../audio/capture/LiveCapture.js';
import { percentile } from '../bench/percentile.js';
import { captureSchema } from '../config/schema.js';
import { KioskVoiceError } from '../errors.js';
import { createLogger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';

/** The capture bench could not set up its fake microphone or got no audio to measure. */
export class CaptureBenchError extends KioskVoiceError {}

export interface CaptureBenchOptions {
  /** A real device to measure; without it the bench builds a paced fake mic and injects clicks. */
  device?: string;
  backend: 'auto' | 'naudiodon' | 'arecord';
  channels: number;
  rate: number;
  seconds: number;
  chunkMs: number;
  logLevel: string;
}

/** p50/p95 of one latency, in ms. */
export interface LatencyFigure {
  p50: number;
  p95: number;
  count: number;
}

export interface CaptureBenchResult {
  backend: string | undefined;
  device: string;
  /** The bench's own paced fake mic (true) or a real device (false). */
  fake: boolean;
  channels: number;
  rate: number;
  chunkMs: number;
  /** Measured wall time, warm-up excluded. */
  seconds: number;
  /** Fake mic only: a chunk written into the mic FIFO → the frame holding its last sample handed out. */
  chunkToHandout: LatencyFigure | undefined;
  /** capturedAt (our sample-clock estimate) → frame handed out, every frame. */
  capturedAtToHandout: LatencyFigure;
  clicksSent: number;
  clicksMatched: number;
  framesPerSecond: number;
  health: CaptureHealth;
  /** % of one core over the measured time: this process, the capture process, both. */
  cpu: { parentPercent: number; childPercent: number | undefined; totalPercent: number };
}

/** Time between clicks; each onset is matched to the click written last before its frame came out. */
const CLICK_EVERY_MS = 500;
/** Measurement starts after this: process start-up and the first reads are not steady state. */
const WARMUP_MS = 1500;
/** A click stands out from silence by far; this also ignores the resampler's pre-ringing. */
const CLICK_THRESHOLD = 0.3 * 32768;

/**
 * The fake mic's writer, run as `node -e`: writes one chunk of audio at a time into the FIFO,
 * paced against the monotonic clock, a full-scale click at the start of a chunk every
 * CLICK_EVERY_MS, and reports each click's write time over IPC. Whole chunks, like a sound card
 * delivering periods: the ALSA file plugin pads a short read from its infile with silence, so
 * smaller writes would corrupt the stream. Reopens the FIFO when its reader goes (PortAudio's
 * device probe opens and closes every PCM).
 */
const WRITER = String.raw`
const fs = require('node:fs');
const { fifo, rate, channels, chunkMs, clickEveryMs } = JSON.parse(process.argv[1]);
const frames = Math.round((rate * chunkMs) / 1000);
const silence = Buffer.alloc(frames * channels * 2);
const click = Buffer.alloc(frames * channels * 2);
for (let i = 0; i < Math.round(rate * 0.0025) * channels; i++) click.writeInt16LE(30000, i * 2);
const chunksPerClick = Math.round(clickEveryMs / chunkMs);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
process.on('disconnect', () => process.exit(0));
(async () => {
  for (;;) {
    let fd;
    try { fd = fs.openSync(fifo, 'w'); } catch { process.exit(0); }
    const start = now();
    for (let b = 0; ; b++) {
      await sleep(start + b * chunkMs - now());
      const isClick = b > 0 && b % chunksPerClick === 0;
      try { fs.writeSync(fd, isClick ? click : silence); } catch { break; }
      if (isClick) process.send({ writtenAt: now() });
    }
    try { fs.closeSync(fd); } catch {}
  }
})();
`;

/** utime + stime of a process in ms, from /proc (Linux); undefined when it is gone. */
function processCpuMs(pid: number, tickHz: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / tickHz;
  } catch {
    return undefined;
  }
}

function clockTicks(): number {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
}

function figure(values: number[]): LatencyFigure {
  return { p50: percentile(values, 50), p95: percentile(values, 95), count: values.length };
}

interface FakeMic {
  env: NodeJS.ProcessEnv;
  /** Monotonic write times of the clicks, as the writer reported them. */
  clicks: number[];
  close(): Promise<void>;
}

/** A temp HOME whose .asoundrc defines `kbench`: an ALSA file PCM reading a FIFO the writer paces. */
async function startFakeMic(rate: number, channels: number, chunkMs: number): Promise<FakeMic> {
  const home = await mkdtemp(join(tmpdir(), 'kiosk-bench-capture-'));
  const fifo = join(home, 'kbench.fifo');
  if (spawnSync('mkfifo', [fifo]).status !== 0) throw new CaptureBenchError(`cannot create a FIFO in ${home}`, 'check that the temp directory is writable');
  await writeFile(join(home, '.asoundrc'), `pcm.kbench { type file; slave.pcm "null"; file "/dev/null"; infile "${fifo}"; format "raw" }\n`);
  const writer = spawn(process.execPath, ['-e', WRITER, JSON.stringify({ fifo, rate, channels, chunkMs, clickEveryMs: CLICK_EVERY_MS })], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const clicks: number[] = [];
  writer.on('message', (m: { writtenAt: number }) => clicks.push(m.writtenAt));
  return {
    env: { ...process.env, HOME: home },
    clicks,
    async close() {
      writer.kill('SIGKILL');
      await rm(home, { recursive: true, force: true });
    },
  };
}

/**
 * Measures the live capture path: how long after audio enters it its frame is handed out, and the
 * CPU it costs (this process plus the capture process, as % of one core).
 */
export async function runCaptureBench(options: CaptureBenchOptions): Promise<CaptureBenchResult> {
  const mic = options.device === undefined ? await startFakeMic(options.rate, options.channels, options.chunkMs) : undefined;
  const device = options.device ?? 'kbench';
  const logger = createLogger(options.logLevel as 'warn');
  const config = captureSchema.parse({ backend: options.backend, device, sampleRate: options.rate, channels: options.channels, chunkMs: options.chunkMs });
  const capture = LiveCapture.create(config, logger, mic ? { env: mic.env } : {});
  const tickHz = clockTicks();

  const capturedToHandout: number[] = [];
  const onsets: { handedAt: number; onsetIndex: number; frameEnd: number }[] = [];
  let measuring = false;
  let quietSince = 0;
  let frames = 0;
  let cpuStart: NodeJS.CpuUsage | undefined;
  let childPid: number | undefined;
  let childCpuStart: number | undefined;
  let wallStart = 0;

  // Measure from WARMUP_MS after the capture first runs, for `seconds`.
  const measured = new Promise<void>((resolve) => {
    const onHealth = (health: CaptureHealth): void => {
      if (health.state !== 'running') return;
      capture.off('health', onHealth);
      setTimeout(() => {
        measuring = true;
        wallStart = monotonicMs();
        cpuStart = process.cpuUsage();
        childPid = capture.currentChildPid();
        childCpuStart = childPid === undefined ? undefined : processCpuMs(childPid, tickHz);
        setTimeout(resolve, options.seconds * 1000);
      }, WARMUP_MS);
    };
    capture.on('health', onHealth);
  });
  // A device that never opens: give up after the time the measurement would have taken, and then some.
  const giveUp = new Promise<void>((resolve) => setTimeout(resolve, options.seconds * 1000 + WARMUP_MS + 15_000).unref());

  const consume = (async () => {
    for await (const frame of capture) {
      const handedAt = monotonicMs();
      if (!measuring) continue;
      frames++;
      capturedToHandout.push(handedAt - frame.capturedAt);
      if (!mic) continue;
      const s = frame.samples;
      for (let i = 0; i < s.length; i++) {
        if (Math.abs(s[i]!) < CLICK_THRESHOLD) continue;
        const index = frame.sampleIndex + i;
        // An onset is the first loud sample after 100 ms of quiet.
        if (index - quietSince > PIPELINE_RATE / 10) onsets.push({ handedAt, onsetIndex: index, frameEnd: frame.sampleIndex + s.length - 1 });
        quietSince = index;
      }
    }
  })();

  await Promise.race([measured, giveUp]);
  const wasMeasuring = measuring;
  measuring = false;
  const wall = monotonicMs() - wallStart;
  const cpu = process.cpuUsage(cpuStart);
  const childCpuEnd = childPid === undefined ? undefined : processCpuMs(childPid, tickHz);
  const health = capture.health();
  const samePid = childPid !== undefined && capture.currentChildPid() === childPid;
  await capture.close();
  await consume;
  const clicks = mic ? mic.clicks.filter((t) => t >= wallStart && t <= wallStart + wall) : [];
  await mic?.close();
  if (!wasMeasuring || frames === 0) {
    throw new CaptureBenchError(
      `no audio from "${device}" to measure (${health.state}${health.lastError ? `: ${health.lastError}` : ''})`,
      'check the device with `arecord -D <device>`, or run with --log-level debug',
    );
  }

  // Each onset belongs to the click written last before its frame was handed out. The frame's last
  // sample came in the click's chunk or a later one, each written chunkMs after the one before.
  const chunkLatency: number[] = [];
  const chunkOut = (PIPELINE_RATE * options.chunkMs) / 1000;
  for (const onset of onsets) {
    const click = clicks.filter((t) => t <= onset.handedAt).at(-1);
    if (click === undefined || onset.handedAt - click > CLICK_EVERY_MS * 0.8) continue;
    const laterChunks = Math.floor((onset.frameEnd - onset.onsetIndex) / chunkOut);
    chunkLatency.push(onset.handedAt - (click + laterChunks * options.chunkMs));
  }

  const parentMs = (cpu.user + cpu.system) / 1000;
  const childMs = samePid && childCpuStart !== undefined && childCpuEnd !== undefined ? childCpuEnd - childCpuStart : undefined;
  return {
    backend: health.backend,
    device,
    fake: mic !== undefined,
    channels: options.channels,
    rate: options.rate,
    chunkMs: options.chunkMs,
    seconds: Math.round(wall) / 1000,
    chunkToHandout: mic ? figure(chunkLatency) : undefined,
    capturedAtToHandout: figure(capturedToHandout),
    clicksSent: clicks.length,
    clicksMatched: chunkLatency.length,
    framesPerSecond: (frames * 1000) / wall,
    health,
    cpu: {
      parentPercent: (parentMs / wall) * 100,
      childPercent: childMs === undefined ? undefined : (childMs / wall) * 100,
      totalPercent: ((parentMs + (childMs ?? 0)) / wall) * 100,
    },
  };
}

const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '      –' : v.toFixed(1).padStart(7));

/** The bench's figures for a terminal, with what they do and do not include. */
export function formatCaptureBench(r: CaptureBenchResult): string {
  const lines = [
    `capture bench: ${r.backend ?? '?'} backend, device "${r.device}"${r.fake ? ' (fake mic: ALSA file PCM on a FIFO the bench feeds in real time)' : ''}, ${r.channels} ch × ${r.rate} Hz, chunk ${r.chunkMs} ms, ${r.seconds.toFixed(1)} s measured`,
    `${'latency (ms)'.padEnd(60)} ${'p50'.padStart(7)} ${'p95'.padStart(7)}`,
  ];
  if (r.chunkToHandout) {
    lines.push(`${'chunk written into the mic → frame with its last sample out'.padEnd(60)} ${ms(r.chunkToHandout.p50)} ${ms(r.chunkToHandout.p95)}`);
  }
  lines.push(`${'capturedAt (sample-clock estimate) → frame out'.padEnd(60)} ${ms(r.capturedAtToHandout.p50)} ${ms(r.capturedAtToHandout.p95)}`);
  if (r.fake) lines.push(`clicks matched: ${r.clicksMatched} of ${r.clicksSent}`);
  lines.push(
    `frames/s ${r.framesPerSecond.toFixed(1)}, xruns ${r.health.xruns}, restarts ${r.health.restarts}`,
    `CPU: this process ${r.cpu.parentPercent.toFixed(2)} % + capture process ${r.cpu.childPercent === undefined ? '? (it was restarted)' : `${r.cpu.childPercent.toFixed(2)} %`} = ${r.cpu.totalPercent.toFixed(2)} % of one core`,
  );
  if (r.fake) {
    lines.push(
      'The fake mic hands over whole chunks like a sound card hands over periods, with no ADC or USB buffering:',
      "the figure is what our path adds after the device — the backend's read, the process hop, mixing, resampling",
      '(its 2 ms look-ahead can hold a frame until the next chunk) and framing. A real device adds up to one chunk',
      'of period fill before that (the first sample of a period waits for the last) and its own buffering.',
    );
  } else {
    lines.push('A real device cannot be clicked: capturedAt is anchored on the least-delayed chunk arrival, so this covers only queueing after arrival.');
  }
  return lines.join('\n');
}

function intIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`a whole number from ${min} to ${max}`);
    return n;
  };
}

/** Adds `kiosk-voice bench-capture`. */
export function registerCaptureBenchCommand(program: Command): void {
  program
    .command('bench-capture')
    .description('measure live capture: the latency our audio path adds (p50/p95) and its CPU; without --device on a paced fake mic')
    .option('--device <pcm>', 'a real ALSA PCM or device name to measure (default: a fake mic the bench feeds)')
    .addOption(new Option('--backend <backend>', 'capture backend').choices(['auto', 'naudiodon', 'arecord']).default('auto'))
    .option('--channels <n>', 'channels to open the device with', intIn(1, 32), 6)
    .option('--rate <hz>', 'sample rate to open the device at', intIn(8000, 192000), 16000)
    .option('--chunk-ms <ms>', 'audio per capture read', intIn(10, 100), 20)
    .option('--seconds <s>', 'how long to measure (after a 1.5 s warm-up)', intIn(2, 600), 10)
    .option('--json', 'print the figures as JSON')
    .action(async (options: Omit<CaptureBenchOptions, 'logLevel'> & { json?: boolean }, command: Command) => {
      const { logLevel } = command.optsWithGlobals<{ logLevel?: string }>();
      const result = await runCaptureBench({ ...options, logLevel: logLevel ?? 'warn' });
      process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${formatCaptureBench(result)}\n`);
    });
}
