/**
 * The most recent stretch of a 16-bit stream, addressable by stream sample index. The ears keep it
 * so an utterance can be cut out with padding before the point where the VAD fired.
 */
export class AudioHistory {
  private readonly ring: Int16Array;
  /** Stream index one past the newest sample held. */
  private end = 0;

  constructor(capacitySamples: number) {
    this.ring = new Int16Array(capacitySamples);
  }

  /** Appends samples that start at stream index `sampleIndex` (gaps are filled with silence). */
  append(samples: Int16Array, sampleIndex: number): void {
    while (this.end < sampleIndex) this.ring[this.end++ % this.ring.length] = 0;
    const skip = Math.max(0, this.end - sampleIndex);
    for (let i = skip; i < samples.length; i++) this.ring[(sampleIndex + i) % this.ring.length] = samples[i] ?? 0;
    this.end = Math.max(this.end, sampleIndex + samples.length);
  }

  /** Oldest stream index still held. */
  get start(): number {
    return Math.max(0, this.end - this.ring.length);
  }

  get newest(): number {
    return this.end;
  }

  /** A copy of [from, to), clamped to what is held. */
  slice(from: number, to: number): Int16Array {
    const a = Math.max(from, this.start);
    const b = Math.min(to, this.end);
    const out = new Int16Array(Math.max(0, b - a));
    for (let i = 0; i < out.length; i++) out[i] = this.ring[(a + i) % this.ring.length] ?? 0;
    return out;
  }
}
