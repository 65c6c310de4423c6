import type { PcmFrame } from './pcm.js';

export interface PcmBufferSourceOptions {
  sampleRate: number;
  /** Frame length; 20 ms is what a live capture delivers. */
  frameMs?: number;
  /** Deliver frames at the audio rate, like a live microphone, instead of as fast as asked. */
  realtime?: boolean;
  /** Silence appended after the audio, so an utterance at the very end still gets its endpoint. */
  trailingSilenceSeconds?: number;
}

/** Audio already in memory (e.g. a decoded WAV), delivered as microphone-sized frames. */
export class PcmBufferSource implements AsyncIterable<PcmFrame> {
  private closed = false;

  constructor(
    private readonly samples: Int16Array,
    private readonly options: PcmBufferSourceOptions,
  ) {}

  close(): void {
    this.closed = true;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PcmFrame> {
    const { sampleRate, frameMs = 20, realtime = false, trailingSilenceSeconds = 0 } = this.options;
    const frame = Math.round((sampleRate * frameMs) / 1000);
    const total = this.samples.length + Math.round(trailingSilenceSeconds * sampleRate);
    const started = performance.now();
    for (let index = 0; index < total && !this.closed; index += frame) {
      if (realtime) {
        // Pace against the start time, not the previous frame, so timer jitter does not add up.
        const due = started + ((index + frame) * 1000) / sampleRate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const samples = new Int16Array(Math.min(frame, total - index));
      if (index < this.samples.length) samples.set(this.samples.subarray(index, Math.min(index + frame, this.samples.length)));
      yield { samples, sampleIndex: index };
    }
  }
}
