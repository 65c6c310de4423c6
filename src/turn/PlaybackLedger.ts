import type { AudioSink } from '../audio/AudioSink.js';
import type { PlaybackObserver } from '../audio/playback/PlaybackObserver.js';

/** Where a piece of audio lies in everything the speaker was given, in samples. */
export interface LedgerSpan {
  start: number;
  end: number;
}

/** A speaker that says when audio starts playing and what it lost (the device sinks do). */
interface ObservableSink extends AudioSink {
  observe(observer: PlaybackObserver): void;
}

function isObservable(sink: AudioSink): sink is ObservableSink {
  return typeof (sink as Partial<ObservableSink>).observe === 'function';
}

/** Losses remembered for `drain(from)`; a turn asks only about its own few seconds. */
const KEPT_LOSSES = 16;

/**
 * Counts what goes to the speaker so a turn can tell how much of its reply the visitor heard,
 * when it started playing, and whether any of it was lost. The sink's `position()` counts samples
 * played since it opened; after a cut the audio that was dropped never plays, so the ledger
 * re-bases its count on the position at every `stop()`, and at every loss the speaker reports.
 * Every write to the speaker must go through one ledger for the spans to mean anything.
 *
 * A speaker that does not report (the demo's WAV file, test fakes) is taken at its word: audio
 * starts playing when it is written, and a `drain()` rejection belongs to whoever drains.
 */
export class PlaybackLedger {
  /** Samples given and not dropped: the scale of spans and of the sink's `position()`. */
  private total = 0;
  /** Samples ever written, never re-based: orders writes and losses for `drain(from)`. */
  private written = 0;
  private readonly observed: boolean;
  /** Recent losses, as ranges of `written`. */
  private losses: { from: number; to: number; error: Error }[] = [];
  /** Callers waiting to hear when a sample (on the span scale) starts playing. */
  private starts: { sample: number; then: (at: number | undefined) => void }[] = [];

  constructor(readonly sink: AudioSink) {
    this.observed = isObservable(sink);
    if (isObservable(sink)) {
      sink.observe({
        playing: (from, frames, at) => this.playing(from, frames, at),
        lost: (heard, error) => this.lost(heard, error),
      });
    }
  }

  get sampleRate(): number {
    return this.sink.sampleRate;
  }

  /**
   * Plays `samples` after everything written before. `onStart` hears when their first sample
   * starts playing (monotonic ms), or `undefined` — at once — from a speaker that cannot tell;
   * it is never called if the audio is dropped first (stop, loss).
   */
  write(samples: Int16Array, onStart?: (at: number | undefined) => void): LedgerSpan {
    const start = this.total;
    this.total += samples.length;
    this.written += samples.length;
    // Registered first: the speaker may start playing inside write().
    if (onStart && this.observed) this.starts.push({ sample: start, then: onStart });
    this.sink.write(samples);
    if (onStart && !this.observed) onStart(undefined);
    return { start, end: this.total };
  }

  /** A point in what was written, for `drain(from)`: everything written later is after it. */
  mark(): number {
    return this.written;
  }

  /** Samples the visitor has heard so far, on the same scale as the spans. */
  heard(): number {
    return Math.min(this.sink.position(), this.total);
  }

  /** Cuts playback now; returns what had been heard. */
  stop(): number {
    const before = this.heard();
    this.sink.stop();
    // A device sink's position after the cut is exactly where it cut; others are read before.
    const heard = this.observed ? this.heard() : before;
    this.rebase(heard);
    return heard;
  }

  /**
   * Resolves once everything written has been played. Rejects with the speaker's error if audio
   * written after `from` (a `mark()`; by default, what was still unheard when called) was lost; a
   * failure that cost only earlier audio, or none, is not this caller's.
   */
  async drain(from?: number): Promise<void> {
    const since = from ?? this.written - (this.total - this.heard());
    for (;;) {
      try {
        await this.sink.drain();
        break;
      } catch (error) {
        // A rejection the speaker did not report as a loss is not one we can place.
        if (!this.observed || !this.losses.some((l) => l.error === error)) throw error;
        // An earlier loss, reported to the first drain after it: the rest is still to be waited for.
        if (!this.lostSince(since)) continue;
      }
    }
    const loss = this.lostSince(since);
    if (loss) throw loss.error;
  }

  private lostSince(since: number): { error: Error } | undefined {
    return this.losses.find((l) => l.to > since);
  }

  private playing(from: number, frames: number, at: number): void {
    const end = from + frames;
    if (!this.starts.some((s) => s.sample < end)) return;
    const due = this.starts.filter((s) => s.sample < end);
    this.starts = this.starts.filter((s) => s.sample >= end);
    for (const s of due) s.then(at + (Math.max(0, s.sample - from) * 1000) / this.sampleRate);
  }

  private lost(heard: number, error: Error): void {
    const unheard = this.total - Math.min(heard, this.total);
    if (unheard > 0) {
      this.losses.push({ from: this.written - unheard, to: this.written, error });
      if (this.losses.length > KEPT_LOSSES) this.losses.shift();
    }
    this.rebase(heard);
  }

  /** Everything after `heard` was dropped and will not play. */
  private rebase(heard: number): void {
    this.total = Math.min(heard, this.total);
    this.starts = this.starts.filter((s) => s.sample < this.total);
  }
}
