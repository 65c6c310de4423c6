import { readWavFile } from './wav.js';
import { toPipelineAudio } from './toPipelineAudio.js';

/** The short sounds the kiosk makes: a chime when it starts listening, a low tone on an error. */
export interface Earcons {
  listening: Int16Array | undefined;
  error: Int16Array | undefined;
}

export interface EarconOptions {
  enabled: boolean;
  /** Share of full scale, 0–1. */
  volume: number;
  listeningFile?: string | undefined;
  errorFile?: string | undefined;
}

/** Notes of a tone: frequency (Hz) and length (ms). */
type Notes = [number, number][];

/** Rising and short, so it reads as "go ahead" and is over before the visitor speaks. */
const LISTENING: Notes = [
  [880, 60],
  [1320, 80],
];
/** Falling and lower, so it reads as "that did not work". */
const ERROR: Notes = [
  [440, 140],
  [294, 220],
];

/** Sine notes with a 5 ms fade at each edge, so they do not click. */
export function synthesizeTone(notes: Notes, sampleRate: number, volume: number): Int16Array {
  const total = notes.reduce((n, [, ms]) => n + Math.round((ms * sampleRate) / 1000), 0);
  const out = new Int16Array(total);
  const fade = Math.round(0.005 * sampleRate);
  let offset = 0;
  for (const [hz, ms] of notes) {
    const length = Math.round((ms * sampleRate) / 1000);
    for (let i = 0; i < length; i++) {
      const edge = Math.min(1, i / fade, (length - 1 - i) / fade);
      out[offset + i] = Math.round(Math.sin((2 * Math.PI * hz * i) / sampleRate) * edge * volume * 32767);
    }
    offset += length;
  }
  return out;
}

/** Builds (or loads and resamples) the earcons once, at the speaker's rate. */
export async function loadEarcons(options: EarconOptions, sampleRate: number): Promise<Earcons> {
  if (!options.enabled) return { listening: undefined, error: undefined };
  const load = async (file: string | undefined, notes: Notes) =>
    file ? toPipelineAudio(await readWavFile(file), sampleRate) : synthesizeTone(notes, sampleRate, options.volume);
  return { listening: await load(options.listeningFile, LISTENING), error: await load(options.errorFile, ERROR) };
}
