import { KioskVoiceError } from '../../errors.js';
import { StreamingResampler } from '../resample.js';

/** `useChannels` names a channel the device is not opened with. */
export class ChannelSelectionError extends KioskVoiceError {}

/** The pipeline's rate: every engine downstream takes 16 kHz mono. */
export const PIPELINE_RATE = 16000;

/** High-pass corner for DC removal: well below the lowest voice fundamental (~80 Hz). */
const DC_CUTOFF_HZ = 25;

export interface ChannelMixerOptions {
  /** The rate the device delivers. */
  inputRate: number;
  /** Interleaved channels per device frame. */
  channels: number;
  /** 0-based channels to average; empty means all of them. */
  useChannels: readonly number[];
  gainDb: number;
  removeDc: boolean;
  /** Output rate (default {@link PIPELINE_RATE}). */
  outputRate?: number;
}

/**
 * Turns what a capture device delivers (interleaved signed 16-bit little-endian PCM, N channels, at
 * the device rate, in chunks of any size) into the pipeline's 16 kHz mono Int16 samples: selected
 * channels averaged, DC removed, gain applied with clipping, resampled.
 *
 * The stages after the channel average are linear until the final clip, so they run in the cheapest
 * order rather than the textbook one: average at the device rate (that is what shrinks the data),
 * resample, then DC removal and gain at 16 kHz, where there are 3× fewer samples than at 48 kHz,
 * and clip last — clipping before the resampler would alias the clipped harmonics into the band.
 *
 * Runs on a Pi for 6 channels × 48 kHz, so the per-sample path allocates nothing: the byte carry,
 * the mono scratch and the resampler's history are reused between chunks; only each chunk's output
 * array is new (it is handed on).
 */
export class ChannelMixer {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly channels: number;
  /** The channels actually averaged (all of them when `useChannels` was empty). */
  readonly selected: readonly number[];
  private readonly frameBytes: number;
  private readonly scale: number;
  private readonly removeDc: boolean;
  /** One-pole high-pass coefficient at the output rate. */
  private readonly dcPole: number;
  private readonly resampler: StreamingResampler;
  /** Carry (a partial device frame) followed by the current chunk, 2-byte aligned for Int16Array. */
  private bytes = new Uint8Array(0);
  private carried = 0;
  private mono = new Float32Array(0);
  private dcPrevIn = 0;
  private dcPrevOut = 0;
  private dcPrimed = false;
  private framesIn = 0;
  private samplesOut = 0;

  constructor(options: ChannelMixerOptions) {
    const { inputRate, channels, useChannels, gainDb, removeDc, outputRate = PIPELINE_RATE } = options;
    if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`ChannelMixer: channels must be ≥ 1, got ${channels}`);
    for (const c of useChannels) {
      if (!Number.isInteger(c) || c < 0 || c >= channels) {
        throw new ChannelSelectionError(
          `audio.capture.useChannels lists channel ${c}, but the device is opened with ${channels} channel${channels === 1 ? '' : 's'} (0–${channels - 1})`,
          'raise audio.capture.channels or use 0-based channel numbers below it',
        );
      }
    }
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.channels = channels;
    this.selected = useChannels.length > 0 ? [...new Set(useChannels)] : Array.from({ length: channels }, (_, i) => i);
    this.frameBytes = channels * 2;
    // Average, full-scale to ±1 and gain folded into one multiplier per sample.
    this.scale = 10 ** (gainDb / 20) / (32768 * this.selected.length);
    this.removeDc = removeDc;
    this.dcPole = Math.exp((-2 * Math.PI * DC_CUTOFF_HZ) / outputRate);
    this.resampler = new StreamingResampler(inputRate, outputRate);
  }

  /** Device frames consumed since construction or the last {@link reset} (partial frames excluded). */
  get inputFrames(): number {
    return this.framesIn;
  }

  /** Output samples produced since construction or the last {@link reset}. */
  get outputSamples(): number {
    return this.samplesOut;
  }

  /** Input frames the resampler holds back before it can emit the output at a position (its delay). */
  get lookaheadFrames(): number {
    return this.resampler.lookahead;
  }

  /**
   * Pushes the next chunk of raw device bytes; returns every output sample now complete. A chunk may
   * end in the middle of a frame or even of a sample: the rest is kept for the next call.
   */
  process(chunk: Uint8Array): Int16Array {
    const total = this.carried + chunk.length;
    if (total > this.bytes.length) {
      const grown = new Uint8Array(Math.max(total, this.bytes.length * 2, 4096));
      grown.set(this.bytes.subarray(0, this.carried));
      this.bytes = grown;
    }
    this.bytes.set(chunk, this.carried);
    const frames = Math.floor(total / this.frameBytes);
    const used = frames * this.frameBytes;

    if (frames > this.mono.length) this.mono = new Float32Array(Math.max(frames, this.mono.length * 2));
    const mono = this.mono;
    // Little-endian hosts only (x86_64, arm64, armhf): the view reads S16_LE as it is.
    const pcm = new Int16Array(this.bytes.buffer, this.bytes.byteOffset, used >> 1);
    const n = this.channels;
    const scale = this.scale;
    const sel = this.selected;
    if (sel.length === 1) {
      const c = sel[0]!;
      for (let f = 0, i = c; f < frames; f++, i += n) mono[f] = pcm[i]! * scale;
    } else if (sel.length === n) {
      for (let f = 0, base = 0; f < frames; f++, base += n) {
        let sum = 0;
        for (let c = 0; c < n; c++) sum += pcm[base + c]!;
        mono[f] = sum * scale;
      }
    } else {
      const k = sel.length;
      for (let f = 0, base = 0; f < frames; f++, base += n) {
        let sum = 0;
        for (let j = 0; j < k; j++) sum += pcm[base + sel[j]!]!;
        mono[f] = sum * scale;
      }
    }

    // Keep the partial frame at the front for the next chunk.
    this.carried = total - used;
    if (this.carried > 0) this.bytes.copyWithin(0, used, total);
    this.framesIn += frames;
    return this.finish(this.resampler.process(mono.subarray(0, frames)));
  }

  /**
   * Ends the stream (the device went away): returns the outputs the resampler still held back, then
   * forgets all state, partial frame included, so the next chunk starts a new stream.
   */
  flush(): Int16Array {
    const out = this.finish(this.resampler.flush());
    this.reset();
    return out;
  }

  /** Forgets all state without emitting anything. */
  reset(): void {
    this.resampler.reset();
    this.carried = 0;
    this.dcPrimed = false;
    this.dcPrevIn = 0;
    this.dcPrevOut = 0;
    this.framesIn = 0;
    this.samplesOut = 0;
  }

  /** DC removal and the clip to 16 bits, at the output rate. */
  private finish(x: Float32Array): Int16Array {
    const out = new Int16Array(x.length);
    if (x.length === 0) return out;
    let prevIn = this.dcPrevIn;
    let prevOut = this.dcPrevOut;
    if (this.removeDc && !this.dcPrimed) {
      // Start the filter as if the signal had always been there: no step transient at open.
      prevIn = x[0]!;
      prevOut = 0;
      this.dcPrimed = true;
    }
    const pole = this.dcPole;
    for (let i = 0; i < x.length; i++) {
      let v = x[i]!;
      if (this.removeDc) {
        const y = v - prevIn + pole * prevOut;
        prevIn = v;
        prevOut = y;
        v = y;
      }
      // Round, never dither (see DESIGN.md on pocketsphinx and noise).
      const s = Math.round(v * 32767);
      out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
    }
    this.dcPrevIn = prevIn;
    this.dcPrevOut = prevOut;
    this.samplesOut += out.length;
    return out;
  }
}
