import { floatToInt16, type DecodedAudio } from './pcm.js';
import { resample } from './resample.js';
import { readWavFile } from './wav.js';

/** The pipeline's sample rate: every engine (VAD, ASR) takes 16 kHz mono. */
export const PIPELINE_SAMPLE_RATE = 16000;

/**
 * Averages channels into one. A mono input is returned as it is (not copied). All channels must
 * have the same length; an empty list gives an empty signal.
 */
export function downmix(channels: Float32Array[]): Float32Array {
  const first = channels[0];
  if (first === undefined) return new Float32Array(0);
  if (channels.length === 1) return first;
  const length = first.length;
  for (const ch of channels) {
    if (ch.length !== length) throw new RangeError(`downmix: channel lengths differ (${length} vs ${ch.length})`);
  }
  const out = new Float32Array(length);
  for (const ch of channels) {
    for (let i = 0; i < length; i++) out[i]! += ch[i]!;
  }
  const scale = 1 / channels.length;
  for (let i = 0; i < length; i++) out[i]! *= scale;
  return out;
}

/**
 * Brings decoded audio to the pipeline's format: downmix → band-limited resample → 16-bit.
 * Conversion to 16-bit rounds and never dithers (pocketsphinx turns dither noise into words).
 */
export function toPipelineAudio(decoded: DecodedAudio, targetRate = PIPELINE_SAMPLE_RATE): Int16Array {
  return floatToInt16(resample(downmix(decoded.channels), decoded.sampleRate, targetRate));
}

/** What a WAV file held before it was converted, for logs and the CLI's summary line. */
export interface PipelineAudioSource {
  sampleRate: number;
  channels: number;
  seconds: number;
}

/**
 * Reads a WAV file and converts it for the pipeline. Throws a one-line WavFormatError for anything
 * that cannot be read or decoded.
 */
export async function loadWavForPipeline(
  path: string,
  targetRate = PIPELINE_SAMPLE_RATE,
): Promise<{ samples: Int16Array; source: PipelineAudioSource }> {
  const decoded = await readWavFile(path);
  const frames = decoded.channels[0]?.length ?? 0;
  return {
    samples: toPipelineAudio(decoded, targetRate),
    source: { sampleRate: decoded.sampleRate, channels: decoded.channels.length, seconds: frames / decoded.sampleRate },
  };
}
