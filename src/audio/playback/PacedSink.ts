import type { Logger } from '../../logging/createLogger.js';
import { monotonicMs } from '../../system/clock.js';
import type { AudioSink } from '../AudioSink.js';
import { PlaybackDeviceError } from './PlaybackDeviceError.js';
import { PlaybackTimeline } from './PlaybackTimeline.js';

export interface PacedSinkOptions {
  sampleRate: number;
  /** Linear gain, 0 (mute) to 2; louder samples are clipped to 16 bits. */
  volume?: number;
  logger?: Logger;
  /**
   * How far ahead of the play position audio is handed to the player. Enough to ride out a
   * stalled event loop; more only adds to what a crashed player takes with it.
   */
  leadMs?: number;
}

const TICK_MS = 10;
/** Silence sent after the last real audio: players hold back a partial period until more comes. */
const PADDING_MS = 60;
/** Padding goes out only when the device is about to run dry, so the next phrase is not delayed. */
const PAD_WHEN_LEFT_MS = 50;
/** `drain()` stops waiting for the device's own count this long after the clock says done. */
const DEVICE_REPORT_GRACE_MS = 500;

/** Samples scaled by `volume`, rounded and clipped, in a new array the sink owns. */
export function applyVolume(samples: Int16Array, volume: number): Int16Array {
  const out = new Int16Array(samples.length);
  if (volume === 1) {
    out.set(samples);
    return out;
  }
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round((samples[i] ?? 0) * volume);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/**
 * What the aplay and naudiodon sinks share: volume, a queue the sink owns, and pacing — audio is
 * handed to the player only `leadMs` ahead of the play position. That keeps `stop()` cheap (the
 * queue is ours to drop), bounds what sits in pipes and device buffers, and makes `position()`
 * real: a device plays at its sample rate, so the play time of everything handed over is known.
 * (It also keeps test devices honest: ALSA's file plugin swallows audio as fast as it is given.)
 *
 * Subclasses provide the transport: start the player, send blocks, cut it, and optionally report
 * what the device itself has taken, which caps `position()` when the device falls behind.
 */
export abstract class PacedSink implements AudioSink {
  abstract readonly backend: 'aplay' | 'naudiodon';
  readonly sampleRate: number;
  protected readonly logger: Logger | undefined;
  private readonly volume: number;
  private readonly leadMs: number;
  private readonly timeline: PlaybackTimeline;
  private queue: Int16Array[] = [];
  private queued = 0;
  private padPending = false;
  private timer: NodeJS.Timeout | undefined;
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** A player failure nobody has heard about yet; the next `drain()` reports it. */
  private unreported: PlaybackDeviceError | undefined;
  private closed = false;
  /** A `start()` caller is waiting for the player to open and will hear about a failure itself. */
  private starting = false;

  protected constructor(options: PacedSinkOptions) {
    this.sampleRate = options.sampleRate;
    this.volume = options.volume ?? 1;
    this.leadMs = options.leadMs ?? 100;
    this.logger = options.logger;
    this.timeline = new PlaybackTimeline(options.sampleRate);
  }

  /**
   * Starts the player (or takes care that one is starting) so blocks can be sent. Idempotent.
   * Returns a promise that settles when the player is open or has failed to open.
   */
  protected abstract openTransport(): Promise<void>;
  /** The player is running and accepts `send`. */
  protected abstract transportReady(): boolean;
  protected abstract send(samples: Int16Array, real: boolean): void;
  /** Silences the player now, dropping whatever it holds. */
  protected abstract cutTransport(): void;
  protected abstract closeTransport(): Promise<void>;

  /** Real frames the device itself confirms having taken; unlimited when it cannot tell. */
  protected deviceCap(): number {
    return Number.POSITIVE_INFINITY;
  }

  /** Playback was cut after `heard` real frames (stop or failure); counts restart from there. */
  protected onCut(_heard: number): void {}

  /**
   * Starts the player now and waits until the device is open, so a device that cannot be opened
   * fails here, with the player's reason, rather than after the first answer was computed.
   * Without it the player starts at the first write.
   */
  async start(): Promise<void> {
    this.starting = true;
    try {
      await this.openTransport();
    } catch (error) {
      if (this.unreported === error) this.unreported = undefined;
      throw error;
    } finally {
      this.starting = false;
    }
  }

  write(samples: Int16Array): void {
    if (this.closed) throw new Error(`${this.backend} sink written after close()`);
    if (samples.length === 0) return;
    this.queue.push(applyVolume(samples, this.volume));
    this.queued += samples.length;
    void this.openTransport();
    this.pump();
  }

  position(): number {
    return Math.min(this.timeline.played(monotonicMs()), this.deviceCap());
  }

  async drain(): Promise<void> {
    const failure = this.unreported;
    if (failure) {
      this.unreported = undefined;
      throw failure;
    }
    if (this.isDrained(monotonicMs())) return;
    await new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.settle(monotonicMs());
    });
  }

  stop(): void {
    const now = monotonicMs();
    this.dropQueue();
    this.onCut(this.timeline.cut(now, this.deviceCap()));
    this.cutTransport();
    this.settle(now);
  }

  /** Cuts playback and ends the player process. */
  async close(): Promise<void> {
    this.stop();
    this.closed = true;
    await this.closeTransport();
  }

  /**
   * The player died or could not be opened: what it held is lost. The error goes to whoever waits
   * in `drain()`, else to the next `drain()` — once. The next `write()` starts a new player.
   */
  protected transportFailed(error: PlaybackDeviceError): void {
    const now = monotonicMs();
    this.dropQueue();
    this.onCut(this.timeline.cut(now, this.deviceCap()));
    if (!this.starting) this.logger?.warn({ backend: this.backend, err: error.message }, 'playback device failed; the next audio reopens it');
    const waiters = this.waiters;
    this.waiters = [];
    if (waiters.length > 0) for (const w of waiters) w.reject(error);
    else this.unreported = error;
    this.settle(now);
  }

  /** Hands the player what is due, pads when it is about to run dry, settles drains. */
  protected pump(): void {
    const now = monotonicMs();
    if (this.transportReady()) {
      while (this.queued > 0 && this.timeline.end - now < this.leadMs) {
        const ahead = Math.max(0, this.timeline.end - now);
        const block = this.take(Math.max(1, Math.ceil(((this.leadMs - ahead) * this.sampleRate) / 1000)));
        this.timeline.schedule(block.length, true, now);
        this.send(block, true);
        this.padPending = true;
      }
      if (this.queued === 0 && this.padPending && this.timeline.end - now <= PAD_WHEN_LEFT_MS) {
        const padding = new Int16Array(Math.round((PADDING_MS * this.sampleRate) / 1000));
        this.timeline.schedule(padding.length, false, now);
        this.send(padding, false);
        this.padPending = false;
      }
    }
    this.settle(now);
  }

  private settle(now: number): void {
    if (this.waiters.length > 0 && this.isDrained(now)) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.resolve();
    }
    const busy = this.queued > 0 || this.padPending || this.waiters.length > 0;
    if (busy && !this.timer) this.timer = setInterval(() => this.pump(), TICK_MS);
    else if (!busy && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private isDrained(now: number): boolean {
    if (this.queued > 0 || now < this.timeline.realEnd) return false;
    return this.deviceCap() >= this.timeline.scheduled || now >= this.timeline.realEnd + DEVICE_REPORT_GRACE_MS;
  }

  /** Up to `frames` queued samples, as one block. */
  private take(frames: number): Int16Array {
    const parts: Int16Array[] = [];
    let taken = 0;
    while (taken < frames) {
      const head = this.queue[0];
      if (!head) break;
      const n = Math.min(head.length, frames - taken);
      parts.push(head.subarray(0, n));
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
      taken += n;
    }
    this.queued -= taken;
    if (parts.length === 1) return parts[0]!;
    const block = new Int16Array(taken);
    let offset = 0;
    for (const part of parts) {
      block.set(part, offset);
      offset += part.length;
    }
    return block;
  }

  private dropQueue(): void {
    this.queue = [];
    this.queued = 0;
    this.padPending = false;
  }
}
