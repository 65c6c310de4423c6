/** The loudness of some captured audio, relative to full scale. */
export interface PcmLevel {
  /** Samples per channel that were measured. */
  frames: number;
  /** RMS in dBFS; -Infinity for digital silence. */
  rmsDbfs: number;
  /** Largest absolute sample in dBFS; -Infinity for digital silence. */
  peakDbfs: number;
}

const FULL_SCALE = 32768;

/**
 * The level of interleaved S16_LE audio over the channels the pipeline uses (`useChannels`, or
 * all of them when empty): a mic array's playback-reference channel must not make a dead mic look alive.
 * A trailing partial frame is ignored.
 */
export function pcmLevel(bytes: Buffer, channels: number, useChannels: readonly number[] = []): PcmLevel {
  const used = useChannels.length > 0 ? useChannels.filter((c) => c < channels) : [...Array(channels).keys()];
  const frameBytes = channels * 2;
  const frames = Math.floor(bytes.length / frameBytes);
  let sumSquares = 0;
  let peak = 0;
  for (let f = 0; f < frames; f++) {
    for (const c of used) {
      const v = bytes.readInt16LE(f * frameBytes + c * 2);
      sumSquares += v * v;
      const a = Math.abs(v);
      if (a > peak) peak = a;
    }
  }
  const count = frames * used.length;
  const rms = count > 0 ? Math.sqrt(sumSquares / count) : 0;
  return { frames, rmsDbfs: toDbfs(rms), peakDbfs: toDbfs(peak) };
}

function toDbfs(value: number): number {
  return value > 0 ? 20 * Math.log10(value / FULL_SCALE) : Number.NEGATIVE_INFINITY;
}

/** `-42.1 dBFS`, or `-∞ dBFS` for digital silence. */
export function formatDbfs(dbfs: number): string {
  return Number.isFinite(dbfs) ? `${dbfs.toFixed(1)} dBFS` : '-∞ dBFS';
}
