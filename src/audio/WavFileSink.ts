import { writeWavFile } from './wav.js';
import type { AudioSink } from './AudioSink.js';

/**
 * A speaker stand-in that keeps everything it is given and writes it to a WAV file. With
 * `realtime`, it plays at the audio rate: `drain()` and `position()` behave like a real device.
 */
export class WavFileSink implements AudioSink {
  private readonly chunks: Int16Array[] = [];
  private written = 0;
  /** When the audio written so far will have finished playing, in wall-clock ms (realtime only). */
  private playedUntil = 0;

  constructor(
    readonly sampleRate: number,
    private readonly realtime = false,
  ) {}

  write(samples: Int16Array): void {
    this.chunks.push(samples);
    this.written += samples.length;
    if (this.realtime) this.playedUntil = Math.max(this.playedUntil, Date.now()) + (samples.length * 1000) / this.sampleRate;
  }

  /** Adds silence, e.g. between answers, without pretending it was spoken. */
  pause(seconds: number): void {
    this.chunks.push(new Int16Array(Math.round(seconds * this.sampleRate)));
  }

  async drain(): Promise<void> {
    if (!this.realtime) return;
    const wait = this.playedUntil - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  stop(): void {
    this.playedUntil = Date.now();
  }

  async close(): Promise<void> {
    this.stop();
  }

  position(): number {
    if (!this.realtime) return this.written;
    const unplayed = Math.max(0, ((this.playedUntil - Date.now()) * this.sampleRate) / 1000);
    return Math.max(0, Math.round(this.written - unplayed));
  }

  /** Total samples held, pauses included. */
  get length(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }

  async save(path: string): Promise<void> {
    const all = new Int16Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    await writeWavFile(path, all, this.sampleRate);
  }
}
