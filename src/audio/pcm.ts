/** A block of 16-bit mono PCM from an audio source, positioned on the audio clock. */
export interface PcmFrame {
  samples: Int16Array;
  /** Index of `samples[0]` counted from the start of the stream, at the stream's rate. */
  sampleIndex: number;
}

/** Audio decoded from a file or device before it is brought to the pipeline's format. */
export interface DecodedAudio {
  sampleRate: number;
  /** One Float32Array per channel, samples in [-1, 1]. */
  channels: Float32Array[];
}

export function floatToInt16(input: Float32Array): Int16Array {
  const out = new Int16Array(input.length);
  for (let i = 0; i < input.length; i++) {
    // Round, never dither: pocketsphinx turns dither noise into words (see DESIGN.md).
    const v = Math.round((input[i] ?? 0) * 32767);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

export function int16ToFloat(input: Int16Array): Float32Array {
  const out = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) out[i] = (input[i] ?? 0) / 32768;
  return out;
}

/** Root mean square of 16-bit samples, in the range 0..1 of full scale. */
export function rms(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const s of samples) sum += (s / 32768) ** 2;
  return Math.sqrt(sum / samples.length);
}
