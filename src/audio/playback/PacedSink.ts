import type { Logger } from '../../logging/createLogger.js';
import { monotonicMs } from '../../system/clock.js';
import type { AudioSink } from '../AudioSink.js';
import { PLAYBACK_DEVICE_HINT, PlaybackDeviceError } from './PlaybackDeviceError.js';
import type { PlaybackObserver } from './PlaybackObserver.js';
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
  /**
   * A device that reports what it takes (naudiodon) and takes nothing for this long while audio
   * waits for it has stalled, and its player is replaced. Far longer than any hiccup of a working
   * device; PortAudio goes silent like this when ALSA cannot write (e.g. the file plugin's file).
   */
  stallMs?: number;
  /** After a second failure in a row the next player starts only after this… */
  reopenDelayMs?: number;
  /** …doubling with every further failure up to this. The first reopen is immediate. */
  maxReopenDelayMs?: number;
}

const TICK_MS = 10;
/** Silence sent after the last real audio: players hold back a partial period until more comes. */
const PADDING_MS = 60;
/** Padding goes out only when the device is about to run dry, so the next phrase is not delayed. */
const PAD_WHEN_LEFT_MS = 50;
/** A player that has played this much real audio works: the failures in a row are over. */
const WORKED_AFTER_MS = 100;
/** The pump did not run for this long (a blocked event loop): the device's silence then is not held against it. */
const UNWATCHED_MS = 100;
/**
 * A player's death is noticed this late at most (aplay told to end dies when it reads the next
 * audio, ~20 ms before its exit is seen): a dead player is not credited with audio it was handed
 * this recently, so that part is played again rather than skipped.
 */
const DEATH_NOTICED_WITHIN_MS = 50;

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
 * When the player fails — it dies, cannot open the device, or (with a device that reports what it
 * takes) stalls — what it had not played goes back to the head of the queue and a new player
 * starts at once to play it. If that one fails too before it has played anything, the audio is
 * given up (the observer hears of it, a waiting or the next `drain()` rejects) and later players
 * start with a growing delay. A failure that cost no audio is only logged: it belongs to nobody's
 * drain. Recovery is logged once ("speaker back").
 *
 * Subclasses provide the transport: start the player, send blocks, cut it, and optionally report
 * what the device itself has taken, which caps `position()` when the device falls behind.
 */
export abstract class PacedSink implements AudioSink {
  abstract readonly backend: 'aplay' | 'naudiodon';
  readonly sampleRate: number;
  protected readonly logger: Logger | undefined;
  private gain: number;
  private readonly leadMs: number;
  private readonly stallMs: number;
  private readonly reopenDelayMs: number;
  private readonly maxReopenDelayMs: number;
  private readonly timeline: PlaybackTimeline;
  private queue: Int16Array[] = [];
  private queued = 0;
  /** Real blocks handed to the player (and when) that it may not have played yet, from position `sentFrom` on. */
  private sent: { block: Int16Array; at: number }[] = [];
  private sentFrom = 0;
  private padPending = false;
  private timer: NodeJS.Timeout | undefined;
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** Audio was given up while nobody waited in `drain()`; the next `drain()` reports it, once. */
  private unreported: PlaybackDeviceError | undefined;
  private closed = false;
  /** A `start()` caller is waiting for the player to open and will hear about a failure itself. */
  private starting = false;
  private observer: PlaybackObserver | undefined;
  /** Player failures since a player last worked. */
  private failuresInRow = 0;
  /** Where the last failure cut playback: a player works once it has played on from there. */
  private heardAtFailure = 0;
  private outageSince = 0;
  private lastLoggedFailure = '';
  /** No new player starts before this (the backoff after failures in a row). */
  private reopenAt = 0;
  private reopenTimer: NodeJS.Timeout | undefined;
  /** Stall watch: the device's count as last seen, when it last moved, and when the pump last ran. */
  private capSeen = 0;
  private capMovedAt = 0;
  private lastPumpAt = 0;

  /** The volume factor applied to what is written from now on (0–2; 1 leaves samples as they are). */
  get volume(): number {
    return this.gain;
  }

  /** Changes the volume for audio written from now on; what is already queued keeps its volume. */
  setVolume(volume: number): void {
    if (!Number.isFinite(volume) || volume < 0 || volume > 2) throw new RangeError(`volume must be between 0 and 2, not ${volume}`);
    this.gain = volume;
  }

  protected constructor(options: PacedSinkOptions) {
    this.sampleRate = options.sampleRate;
    this.gain = options.volume ?? 1;
    this.leadMs = options.leadMs ?? 100;
    this.stallMs = options.stallMs ?? 1000;
    this.reopenDelayMs = options.reopenDelayMs ?? 250;
    this.maxReopenDelayMs = options.maxReopenDelayMs ?? 2000;
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
  /** Ends the player now, without a report of its own: it has been written off and is being replaced. */
  protected abstract discardTransport(): void;
  protected abstract closeTransport(): Promise<void>;

  /** Real frames the device itself confirms having taken; unlimited when it cannot tell. */
  protected deviceCap(): number {
    return Number.POSITIVE_INFINITY;
  }

  /** Playback was cut after `heard` real frames (stop or failure); counts restart from there. */
  protected onCut(_heard: number): void {}

  /** The error for a device that took nothing for `ms` while audio waited. */
  protected stalledError(ms: number): PlaybackDeviceError {
    return new PlaybackDeviceError(`the ${this.backend} player stopped taking audio (nothing for ${Math.round(ms)} ms)`, PLAYBACK_DEVICE_HINT);
  }

  /** The one observer of what plays and what is lost (see `PlaybackObserver`); replaces any earlier one. */
  observe(observer: PlaybackObserver): void {
    this.observer = observer;
  }

  /**
   * Starts the player now and waits until the device is open, so a device that cannot be opened
   * fails here, with the player's reason, rather than after the first answer was computed.
   * Without it the player starts at the first write.
   */
  async start(): Promise<void> {
    this.starting = true;
    try {
      await this.openTransport();
    } finally {
      this.starting = false;
    }
  }

  write(samples: Int16Array): void {
    if (this.closed) throw new Error(`${this.backend} sink written after close()`);
    if (samples.length === 0) return;
    this.queue.push(applyVolume(samples, this.gain));
    this.queued += samples.length;
    this.requestPlayer(false);
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
    const heard = this.timeline.cut(now, this.deviceCap());
    this.sent = [];
    this.sentFrom = heard;
    this.onCut(heard);
    this.cutTransport();
    this.settle(now);
  }

  /** Cuts playback and ends the player process. */
  async close(): Promise<void> {
    this.stop();
    this.closed = true;
    clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    await this.closeTransport();
  }

  /**
   * The player died or could not be opened. What it had not played is replayed on a new player,
   * unless a player has just failed that way already: then it is given up. See the class comment.
   */
  protected transportFailed(error: PlaybackDeviceError): void {
    const now = monotonicMs();
    const heard = this.timeline.cut(now, this.surelyPlayed(now));
    this.onCut(heard);
    this.padPending = false;
    this.requeueUnsent(heard);
    if (this.starting) {
      // start() rejects with it; there is no audio yet.
      this.settle(now);
      return;
    }
    if (this.failuresInRow === 0) this.outageSince = now;
    this.failuresInRow += 1;
    this.heardAtFailure = heard;
    this.reopenAt = now + this.reopenDelay();
    if (this.queued > 0 && this.failuresInRow > 1) this.giveUp(heard, error);
    else this.logFailure(error);
    if (this.queued > 0) this.requestPlayer(true);
    this.settle(now);
  }

  /** Hands the player what is due, pads when it is about to run dry, watches the device, settles drains. */
  protected pump(): void {
    const now = monotonicMs();
    const started: { from: number; frames: number; at: number }[] = [];
    if (this.transportReady()) {
      while (this.queued > 0 && this.timeline.end - now < this.leadMs) {
        const ahead = Math.max(0, this.timeline.end - now);
        const block = this.take(Math.max(1, Math.ceil(((this.leadMs - ahead) * this.sampleRate) / 1000)));
        const from = this.timeline.scheduled;
        started.push({ from, frames: block.length, at: this.timeline.schedule(block.length, true, now) });
        this.sent.push({ block, at: now });
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
    const stalled = this.watchDevice(now);
    this.lastPumpAt = now;
    // A stalled player took nothing of what it was just given: that goes to the next player.
    if (stalled) return;
    this.settle(now);
    // Last: the observer may write, which pumps again.
    for (const s of started) this.observer?.playing(s.from, s.frames, s.at);
  }

  /**
   * Forgets sent blocks the device has played, notices that a player works again, and writes off
   * a player whose device stopped taking audio. Returns true when it did that.
   */
  private watchDevice(now: number): boolean {
    const surely = this.surelyPlayed(now);
    while (this.sent[0] && this.sentFrom + this.sent[0].block.length <= surely) this.sentFrom += this.sent.shift()!.block.length;
    if (this.failuresInRow > 0 && this.position() - this.heardAtFailure >= (WORKED_AFTER_MS * this.sampleRate) / 1000) {
      this.logger?.info({ backend: this.backend, failures: this.failuresInRow, downMs: Math.round(now - this.outageSince) }, 'speaker back');
      this.failuresInRow = 0;
      this.lastLoggedFailure = '';
    }
    const cap = this.deviceCap();
    if (!this.transportReady() || !Number.isFinite(cap) || cap !== this.capSeen || cap >= this.timeline.scheduled || now - this.lastPumpAt > UNWATCHED_MS) {
      this.capSeen = cap;
      this.capMovedAt = now;
      return false;
    }
    if (now - this.capMovedAt < this.stallMs) return false;
    // Counted against this player's reports before it goes.
    this.transportFailed(this.stalledError(now - this.capMovedAt));
    this.discardTransport();
    return true;
  }

  /** What the player has played even if it died a moment ago unnoticed: what a failure credits it with. */
  private surelyPlayed(now: number): number {
    let recentFrom = Number.POSITIVE_INFINITY;
    let from = this.sentFrom;
    for (const { block, at } of this.sent) {
      if (at > now - DEATH_NOTICED_WITHIN_MS) {
        recentFrom = from;
        break;
      }
      from += block.length;
    }
    return Math.min(this.deviceCap(), this.timeline.played(now), recentFrom);
  }

  /** Starts a player for queued audio now, or once the backoff allows; `deferred` always waits a tick. */
  private requestPlayer(deferred: boolean): void {
    if (this.reopenTimer || this.closed) return;
    const wait = this.reopenAt - monotonicMs();
    if (wait <= 0 && !deferred) {
      void this.openTransport();
      return;
    }
    this.reopenTimer = setTimeout(
      () => {
        this.reopenTimer = undefined;
        // Stopped or given up meanwhile: the next write starts the player.
        if (this.queued > 0 && !this.closed) void this.openTransport();
      },
      Math.max(0, wait),
    );
  }

  private reopenDelay(): number {
    if (this.failuresInRow <= 1) return 0;
    return Math.min(this.maxReopenDelayMs, this.reopenDelayMs * 2 ** (this.failuresInRow - 2));
  }

  private logFailure(error: PlaybackDeviceError): void {
    const fields = { backend: this.backend, err: error.message, replayMs: Math.round((this.queued * 1000) / this.sampleRate) };
    const msg = this.queued > 0 ? 'playback device failed; a new player plays the rest' : 'playback device failed; the next audio reopens it';
    // An outage that keeps failing the same way is said once; each lost piece of audio is still a warning (giveUp).
    if (this.failuresInRow === 1 || error.message !== this.lastLoggedFailure) this.logger?.warn(fields, msg);
    else this.logger?.debug(fields, msg);
    this.lastLoggedFailure = error.message;
  }

  /** A new player failed too before playing anything: the audio it was to play is lost. */
  private giveUp(heard: number, error: PlaybackDeviceError): void {
    const lostMs = Math.round((this.queued * 1000) / this.sampleRate);
    this.dropQueue();
    this.logger?.warn({ backend: this.backend, err: error.message, lostMs, failures: this.failuresInRow }, 'playback device failed again; audio lost');
    this.lastLoggedFailure = error.message;
    this.observer?.lost(heard, error);
    const waiters = this.waiters;
    this.waiters = [];
    if (waiters.length > 0) for (const w of waiters) w.reject(error);
    else this.unreported = error;
  }

  /** What the failed player was given but did not play goes back to the head of the queue. */
  private requeueUnsent(heard: number): void {
    let skip = heard - this.sentFrom;
    const back: Int16Array[] = [];
    for (const { block } of this.sent) {
      if (skip >= block.length) {
        skip -= block.length;
        continue;
      }
      back.push(skip > 0 ? block.subarray(skip) : block);
      skip = 0;
    }
    this.sent = [];
    this.sentFrom = heard;
    for (const block of back) this.queued += block.length;
    this.queue.unshift(...back);
  }

  private settle(now: number): void {
    if (this.waiters.length > 0 && this.isDrained(now)) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.resolve();
    }
    // Also while the device has not confirmed what it was given, so a stall is noticed.
    const busy = this.queued > 0 || this.padPending || this.waiters.length > 0 || this.deviceCap() < this.timeline.scheduled;
    if (busy && !this.timer) this.timer = setInterval(() => this.pump(), TICK_MS);
    else if (!busy && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Everything written has played by the clock, and the device confirms it (or cannot tell); a stall ends the wait. */
  private isDrained(now: number): boolean {
    return this.queued === 0 && now >= this.timeline.realEnd && this.deviceCap() >= this.timeline.scheduled;
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
