import { AudioHistory } from '../../audio/AudioHistory.js';
import { refineSpeechBounds } from '../../audio/refineSpeechBounds.js';
import type { KioskConfig } from '../../config/schema.js';
import { SileroVad, type VadEvent } from './SileroVad.js';

const SAMPLE_RATE = 16000;
/** How far an edge may move when refined against the signal energy. */
const MAX_EDGE_SHIFT = Math.round(0.35 * SAMPLE_RATE);

/**
 * Finds utterances in a 16 kHz stream: Silero VAD decides, then each segment's edges are refined
 * against the signal energy. Keeps the recent audio so callers can cut segments with padding.
 */
export class SpeechDetector {
  private readonly vad: SileroVad;
  private readonly history: AudioHistory;
  private started = false;

  constructor(config: KioskConfig['vad'], modelsDir: string, paddingSamples = 0) {
    this.vad = new SileroVad(config, modelsDir);
    const seconds = config.maxSpeechSeconds + 2;
    this.history = new AudioHistory(Math.ceil(seconds * SAMPLE_RATE) + 2 * (paddingSamples + MAX_EDGE_SHIFT));
  }

  /** Index, on the stream clock, of the next sample `accept` expects. */
  get position(): number {
    return this.vad.position;
  }

  /**
   * Feeds the next samples; speech-end events carry refined bounds. The first samples may start
   * anywhere on the stream clock (a restarted worker joins a stream already under way); the
   * detector's clock starts there.
   */
  accept(samples: Int16Array, sampleIndex = this.vad.position): VadEvent[] {
    if (!this.started) {
      this.started = true;
      if (sampleIndex !== this.vad.position) this.vad.reset(sampleIndex);
    }
    this.history.append(samples, sampleIndex);
    return this.vad.accept(samples).map((event) => this.refine(event));
  }

  /** End of input: closes an utterance in progress. */
  flush(): VadEvent[] {
    return this.vad.flush().map((event) => this.refine(event));
  }

  /** A copy of the stream between two indices, as far as it is still held. */
  audio(from: number, to: number): Int16Array {
    return this.history.slice(from, to);
  }

  private refine(event: VadEvent): VadEvent {
    if (event.type !== 'speechEnd') return event;
    const from = event.startSampleIndex - 2 * MAX_EDGE_SHIFT - SAMPLE_RATE;
    const to = event.endSampleIndex + MAX_EDGE_SHIFT;
    const window = this.history.slice(from, to);
    const windowStart = Math.max(from, this.history.start);
    const { start, end } = refineSpeechBounds(window, windowStart, event.startSampleIndex, event.endSampleIndex, MAX_EDGE_SHIFT);
    return { type: 'speechEnd', startSampleIndex: start, endSampleIndex: end };
  }
}
