import type { AudioSink } from '../audio/AudioSink.js';

/** Where a piece of audio lies in everything the speaker was given, in samples. */
export interface LedgerSpan {
  start: number;
  end: number;
}

/**
 * Counts what goes to the speaker so a turn can tell how much of its reply the visitor heard.
 * The sink's `position()` counts samples played since it opened; after a cut the audio that was
 * dropped never plays, so the ledger re-bases its count on the position at every `stop()`.
 * Every write to the speaker must go through one ledger for the spans to mean anything.
 */
export class PlaybackLedger {
  private total = 0;

  constructor(readonly sink: AudioSink) {}

  get sampleRate(): number {
    return this.sink.sampleRate;
  }

  write(samples: Int16Array): LedgerSpan {
    const start = this.total;
    this.sink.write(samples);
    this.total += samples.length;
    return { start, end: this.total };
  }

  /** Samples the visitor has heard so far, on the same scale as the spans. */
  heard(): number {
    return Math.min(this.sink.position(), this.total);
  }

  /** Cuts playback now; returns what had been heard. */
  stop(): number {
    const heard = this.heard();
    this.sink.stop();
    this.total = heard;
    return heard;
  }

  drain(): Promise<void> {
    return this.sink.drain();
  }
}
