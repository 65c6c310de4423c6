import { EventEmitter } from 'node:events';
import type { KioskConfig } from '../../config/schema.js';
import { KioskVoiceError } from '../../errors.js';
import type { Logger } from '../../logging/createLogger.js';
import { monotonicMs } from '../../system/clock.js';
import { ArecordCapture } from './ArecordCapture.js';
import type { RawCaptureEvents, RawCaptureOptions } from './CaptureProcess.js';
import type { CapturedFrame, CaptureHealth, CaptureSource, MicState } from './CaptureSource.js';
import { ChannelMixer, PIPELINE_RATE } from './ChannelMixer.js';
import { NaudiodonCapture } from './NaudiodonCapture.js';

/** The device delivered no audio for `stallTimeoutMs`, or none at all after opening. */
export class CaptureStallError extends KioskVoiceError {}

export type CaptureConfig = KioskConfig['audio']['capture'];
export type CaptureBackendName = 'naudiodon' | 'arecord';

/** What LiveCapture needs from a backend: one open of one device (ArecordCapture, NaudiodonCapture). */
export interface CaptureBackend extends EventEmitter<RawCaptureEvents> {
  readonly backend: CaptureBackendName;
  readonly pid: number | undefined;
  start(): void;
  stop(): void;
}

export interface LiveCaptureOptions {
  logger: Logger;
  /** Environment for the capture processes (tests point HOME at a fake ~/.asoundrc). */
  env?: NodeJS.ProcessEnv;
  /** arecord executable (default `arecord`). */
  arecordBinary?: string;
  /**
   * How long a newly started backend may take to deliver its first audio (PortAudio probes every
   * device first). Default: 5 s or `stallTimeoutMs`, whichever is longer.
   */
  openTimeoutMs?: number;
  /** Running this long without trouble resets the reopen backoff and the failure counts. Default 10 s. */
  healthyAfterMs?: number;
  /** Frames kept for a consumer that falls behind before the oldest are dropped. Default 500 (10 s). */
  maxQueuedFrames?: number;
}

export interface LiveCaptureEvents {
  /** The state changed (starting → running, running → stalled → reopening, … → stopped). */
  health: [CaptureHealth];
}

/** Pipeline frames are 20 ms at 16 kHz. */
const FRAME_SAMPLES = (PIPELINE_RATE * 20) / 1000;
/** framesPerSecond is averaged over this much recent time. */
const FPS_WINDOW_MS = 3000;
/**
 * How fast the sample-clock anchor may move later per ms of wall time. The anchor follows the
 * least-delayed chunk, which rejects scheduling jitter; this lets it follow a device clock that
 * runs slow against the system clock (USB mics are off by up to ~100 ppm).
 */
const ANCHOR_DRIFT = 5e-4;

interface Session {
  backend: CaptureBackend;
  name: CaptureBackendName;
  startedAt: number;
  firstDataAt: number | undefined;
  lastDataAt: number;
  /** Monotonic time at which the session's input sample 0 began (sample-clock anchor). */
  anchor: number;
  anchorAt: number;
  /** Ran `healthyAfterMs` without trouble. */
  healthy: boolean;
  /** Why we stopped it ourselves (stall, open timeout), so `end` reports that. */
  failure: Error | undefined;
}

interface QueuedFrame {
  samples: Int16Array;
  capturedAt: number;
}

/**
 * The live microphone: runs a capture backend (naudiodon in a child process, or arecord), turns
 * its bytes into 20 ms 16 kHz mono frames, and keeps it running — a stall, an error, an unplug or a
 * crashed capture process leads to a reopen with exponential backoff; with `backend: auto` repeated
 * naudiodon failures switch to arecord for good. Errors are logged once per distinct message (at
 * `error`, repeats at `debug`) and kept in {@link health}.
 *
 * `sampleIndex` counts frames handed out, so it stays contiguous across reopens; audio lost while
 * the device was away is not made up. `capturedAt` is on the sample clock: the least-delayed chunk
 * arrival anchors it, so event-loop and IPC jitter do not show in it (see the bench for what that
 * leaves out). One consumer iterates it; leaving the loop closes the capture.
 */
export class LiveCapture extends EventEmitter<LiveCaptureEvents> implements CaptureSource {
  private readonly config: CaptureConfig;
  private readonly options: LiveCaptureOptions;
  private readonly logger: Logger;
  private readonly mixer: ChannelMixer;
  private readonly openTimeoutMs: number;
  private readonly healthyAfterMs: number;
  private readonly maxQueuedFrames: number;

  private state: MicState = 'starting';
  private started = false;
  private closed = false;
  private session: Session | undefined;
  private fellBack = false;
  private naudiodonFailures = 0;
  private failuresInARow = 0;
  private reopenTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly loggedErrors = new Set<string>();
  private lastErrorAtErrorLevel = false;

  private deviceName: string;
  private lastBackend: CaptureBackendName | undefined;
  private lastError: string | undefined;
  private xruns = 0;
  private restarts = 0;
  private warnedQueue = false;

  private readonly frameTimes = new Float64Array(256);
  private frameTimesNext = 0;
  private firstFrameAt: number | undefined;

  /** The frame being filled, and what the consumer has not taken yet. */
  private partial = new Int16Array(FRAME_SAMPLES);
  private partialFill = 0;
  private readonly queue: QueuedFrame[] = [];
  private nextSampleIndex = 0;
  private lastCapturedAt = -Infinity;
  private waiter: ((result: IteratorResult<CapturedFrame>) => void) | undefined;
  private iterating = false;

  /** Builds and starts a capture (it opens in the background; see {@link health}). */
  static create(config: CaptureConfig, logger: Logger, options: Omit<LiveCaptureOptions, 'logger'> = {}): LiveCapture {
    const capture = new LiveCapture(config, { ...options, logger });
    capture.start();
    return capture;
  }

  /** Throws {@link ChannelSelectionError} at once for a channel selection that can never work. */
  constructor(config: CaptureConfig, options: LiveCaptureOptions) {
    super();
    this.config = config;
    this.options = options;
    this.logger = options.logger.child({ component: 'capture' });
    this.mixer = new ChannelMixer({
      inputRate: config.sampleRate,
      channels: config.channels,
      useChannels: config.useChannels,
      gainDb: config.gainDb,
      removeDc: config.removeDc,
    });
    this.openTimeoutMs = options.openTimeoutMs ?? Math.max(5000, config.stallTimeoutMs);
    this.healthyAfterMs = options.healthyAfterMs ?? 10_000;
    this.maxQueuedFrames = options.maxQueuedFrames ?? 500;
    this.deviceName = config.device;
  }

  /** Opens the device (in the background). Idempotent. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    const tick = Math.max(50, Math.min(250, this.config.stallTimeoutMs / 4));
    this.watchdog = setInterval(() => this.checkSession(), tick);
    this.openSession();
  }

  health(): CaptureHealth {
    return {
      state: this.state,
      backend: this.session?.name ?? this.lastBackend,
      device: this.deviceName,
      framesPerSecond: this.framesPerSecond(),
      xruns: this.xruns,
      restarts: this.restarts,
      lastError: this.lastError,
    };
  }

  /** The running capture process (arecord or the naudiodon child), for tests that crash it on purpose. */
  currentChildPid(): number | undefined {
    return this.session?.backend.pid;
  }

  /** Stops the capture process and ends the iteration. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reopenTimer);
    clearInterval(this.watchdog);
    const session = this.session;
    if (session) {
      const ended = new Promise<void>((resolve) => session.backend.once('end', () => resolve()));
      session.backend.stop();
      // The backend escalates to SIGKILL itself; this only bounds close() if even that hangs.
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      this.session = undefined;
    }
    this.setState('stopped');
    this.waiter?.({ done: true, value: undefined });
    this.waiter = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<CapturedFrame> {
    if (this.iterating) throw new Error('LiveCapture has one consumer; it is already being iterated');
    this.iterating = true;
    return {
      next: () => this.next(),
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  private next(): Promise<IteratorResult<CapturedFrame>> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve({ done: false, value: this.number(queued) });
    if (this.closed) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => (this.waiter = resolve));
  }

  private number(frame: QueuedFrame): CapturedFrame {
    const out = { samples: frame.samples, sampleIndex: this.nextSampleIndex, capturedAt: frame.capturedAt };
    this.nextSampleIndex += frame.samples.length;
    return out;
  }

  private backendFor(): CaptureBackendName {
    const { backend } = this.config;
    if (backend === 'auto') return this.fellBack ? 'arecord' : 'naudiodon';
    return backend;
  }

  private openSession(): void {
    if (this.closed) return;
    const name = this.backendFor();
    const { device, sampleRate, channels, chunkMs } = this.config;
    const options: RawCaptureOptions = {
      device,
      sampleRate,
      channels,
      chunkMs,
      logger: this.logger,
      env: this.options.env,
      binary: this.options.arecordBinary,
    };
    const backend: CaptureBackend = name === 'naudiodon' ? new NaudiodonCapture(options) : new ArecordCapture(options);
    const now = monotonicMs();
    const session: Session = { backend, name, startedAt: now, firstDataAt: undefined, lastDataAt: now, anchor: Infinity, anchorAt: now, healthy: false, failure: undefined };
    this.session = session;
    this.lastBackend = name;
    this.mixer.reset();
    backend.on('data', (chunk) => this.onData(session, chunk));
    backend.on('xrun', () => {
      this.xruns++;
      this.logger.debug({ backend: name, xruns: this.xruns }, 'capture overrun: audio was lost');
    });
    backend.on('ready', ({ device: found }) => {
      if (session === this.session) this.deviceName = found === device ? device : `${device} (${found})`;
    });
    backend.once('end', (error) => this.onSessionEnd(session, error));
    try {
      backend.start();
    } catch (error) {
      // A backend that cannot even spawn fails like one that cannot open: retried with backoff.
      setImmediate(() => this.onSessionEnd(session, error as Error));
    }
  }

  private onData(session: Session, chunk: Buffer): void {
    if (session !== this.session || this.closed) return;
    const now = monotonicMs();
    session.lastDataAt = now;
    if (session.firstDataAt === undefined) {
      session.firstDataAt = now;
      this.padForLookahead();
      this.onRunning(session);
    } else if (!session.healthy && now - session.firstDataAt >= this.healthyAfterMs) {
      session.healthy = true;
      this.failuresInARow = 0;
      this.naudiodonFailures = 0;
      this.loggedErrors.clear();
    }
    const base = this.mixer.outputSamples;
    const out = this.mixer.process(chunk);
    const inRate = this.config.sampleRate;
    const anchor = now - (this.mixer.inputFrames * 1000) / inRate;
    session.anchor = Math.min(anchor, session.anchor + (now - session.anchorAt) * ANCHOR_DRIFT);
    session.anchorAt = now;
    this.emitSamples(session, out, base);
  }

  /**
   * The resampler holds back its last ~2 ms until more input arrives. With frames ending exactly
   * where chunks end, every frame would then wait for the next chunk: a whole chunk of latency for
   * 2 ms of look-ahead. Starting each stream with that much silence moves the frame grid so a frame
   * completes with the chunk that carries its end.
   */
  private padForLookahead(): void {
    const pad = Math.floor((this.mixer.lookaheadFrames * PIPELINE_RATE) / this.config.sampleRate);
    const take = Math.min(pad, FRAME_SAMPLES - this.partialFill);
    this.partial.fill(0, this.partialFill, this.partialFill + take);
    this.partialFill += take;
  }

  /** Cuts mixer output into frames; output sample k of the session was complete at its input position. */
  private emitSamples(session: Session, out: Int16Array, base: number): void {
    const inRate = this.config.sampleRate;
    const ratio = inRate / PIPELINE_RATE;
    let at = 0;
    while (at < out.length) {
      const take = Math.min(FRAME_SAMPLES - this.partialFill, out.length - at);
      this.partial.set(out.subarray(at, at + take), this.partialFill);
      this.partialFill += take;
      at += take;
      if (this.partialFill === FRAME_SAMPLES) {
        const k = base + at - 1;
        // The anchor only moves earlier as less-delayed chunks show up; never let time run back.
        const capturedAt = Math.max(session.anchor + ((k * ratio + 1) * 1000) / inRate, this.lastCapturedAt + 0.001);
        this.lastCapturedAt = capturedAt;
        this.pushFrame({ samples: this.partial, capturedAt });
        this.partial = new Int16Array(FRAME_SAMPLES);
        this.partialFill = 0;
      }
    }
  }

  private pushFrame(frame: QueuedFrame): void {
    const now = monotonicMs();
    this.frameTimes[this.frameTimesNext] = now;
    this.frameTimesNext = (this.frameTimesNext + 1) % this.frameTimes.length;
    this.firstFrameAt ??= now;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = undefined;
      resolve({ done: false, value: this.number(frame) });
      return;
    }
    this.queue.push(frame);
    if (this.queue.length > this.maxQueuedFrames) {
      this.queue.shift();
      this.xruns++;
      if (!this.warnedQueue) {
        this.warnedQueue = true;
        this.logger.warn({ maxQueuedFrames: this.maxQueuedFrames }, 'the capture consumer falls behind; the oldest audio is dropped');
      }
    }
  }

  private framesPerSecond(): number {
    if (this.firstFrameAt === undefined) return 0;
    const now = monotonicMs();
    let count = 0;
    for (const t of this.frameTimes) if (t > 0 && now - t <= FPS_WINDOW_MS) count++;
    const span = Math.min(FPS_WINDOW_MS, Math.max(1000, now - this.firstFrameAt));
    return Math.round((count * 1000 * 10) / span) / 10;
  }

  private onRunning(session: Session): void {
    const recovered = this.state !== 'starting';
    this.setState('running');
    const level = !recovered || this.lastErrorAtErrorLevel ? 'info' : 'debug';
    this.logger[level]({ backend: session.name, device: this.deviceName, openMs: Math.round(monotonicMs() - session.startedAt) }, recovered ? 'capture running again' : 'capture running');
    this.lastErrorAtErrorLevel = false;
  }

  /** Watchdog: a backend that never delivers, or stops delivering, is stopped and reopened. */
  private checkSession(): void {
    const session = this.session;
    if (!session || session.failure || this.closed) return;
    const now = monotonicMs();
    const { device, stallTimeoutMs } = this.config;
    if (session.firstDataAt === undefined) {
      if (now - session.startedAt < this.openTimeoutMs) return;
      session.failure = new CaptureStallError(
        `capture device "${device}" delivered no audio within ${this.openTimeoutMs} ms of opening (${session.name})`,
        'check that the device is not held by another program and that it records (`arecord -D <device>`)',
      );
    } else {
      if (now - session.lastDataAt < stallTimeoutMs) return;
      session.failure = new CaptureStallError(`capture device "${device}" stalled: no audio for ${stallTimeoutMs} ms (${session.name})`, 'it is reopened automatically; if it keeps stalling check the USB connection and power');
      this.setState('stalled');
    }
    session.backend.stop();
  }

  private onSessionEnd(session: Session, ended: Error | undefined): void {
    if (session !== this.session) return;
    this.session = undefined;
    // What the resampler still held is real audio: hand it on before the gap.
    const base = this.mixer.outputSamples;
    this.emitSamples(session, this.mixer.flush(), base);
    if (this.closed) return;

    const error = session.failure ?? ended ?? new CaptureStallError(`capture of "${this.config.device}" ended unexpectedly (${session.name})`, 'it is reopened automatically');
    const opened = session.firstDataAt !== undefined;
    this.failuresInARow = session.healthy ? 1 : this.failuresInARow + 1;
    this.lastError = error instanceof KioskVoiceError ? error.toUserLine() : error.message;

    const auto = this.config.backend === 'auto' && !this.fellBack;
    let fallingBack = false;
    if (auto && session.name === 'naudiodon') {
      this.naudiodonFailures = session.healthy ? 1 : this.naudiodonFailures + 1;
      fallingBack = this.naudiodonFailures >= this.config.naudiodonFailuresBeforeFallback;
    }
    this.report(error, session.name, auto && session.name === 'naudiodon');
    if (fallingBack) {
      this.fellBack = true;
      this.failuresInARow = 0;
      this.logger.warn(
        { failures: this.naudiodonFailures, device: this.config.device },
        `naudiodon failed ${this.naudiodonFailures} times in a row; capturing with arecord from now on`,
      );
    }

    const delay = Math.min(this.config.reopenDelayMs * 2 ** Math.max(0, this.failuresInARow - 1), this.config.maxReopenDelayMs);
    this.setState(opened ? 'reopening' : 'failed');
    this.logger.debug({ delayMs: delay, failuresInARow: this.failuresInARow, backend: this.backendFor() }, 'capture reopens after a delay');
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      if (this.closed) return;
      this.restarts++;
      this.openSession();
    }, delay);
  }

  /**
   * Once per distinct error at `error` (`warn` for naudiodon while arecord is still to be tried),
   * repeats at `debug`: a missing mic gives one clear line, not a line per retry.
   */
  private report(error: Error, backend: CaptureBackendName, beforeFallback: boolean): void {
    const line = error instanceof KioskVoiceError ? error.toUserLine() : error.message;
    const fields = { backend, device: this.config.device, restarts: this.restarts };
    if (this.loggedErrors.has(line)) {
      this.logger.debug(fields, line);
      return;
    }
    this.loggedErrors.add(line);
    if (beforeFallback) {
      this.logger.warn(fields, line);
    } else {
      this.logger.error(fields, line);
      this.lastErrorAtErrorLevel = true;
    }
  }

  private setState(state: MicState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('health', this.health());
  }
}
