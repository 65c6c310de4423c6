import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The shared test models (../shared/models beside the clone, or KIOSK_MODELS_MIRROR). */
export const sharedModelsDir = resolve(repoRoot, process.env.KIOSK_MODELS_MIRROR ?? '../shared/models');

/** Path of a shared model or audio file; throws loudly when it is missing rather than letting a test pass. */
export function sharedFile(relative: string): string {
  const path = resolve(sharedModelsDir, relative);
  if (!existsSync(path)) {
    throw new Error(`MISSING TEST MODEL/AUDIO: ${path} — set KIOSK_MODELS_MIRROR to the shared models directory (default ../shared/models beside the repo)`);
  }
  return path;
}

export interface TranscriptRow {
  file: string;
  /** Speech regions in seconds, as the reference lists them. */
  regions: [number, number][];
  text: string;
}

/** audio/transcripts.tsv: reference texts and approximate speech regions. */
export function readTranscripts(): TranscriptRow[] {
  const lines = readFileSync(sharedFile('audio/transcripts.tsv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((line) => {
    const [file = '', , regions = '', text = ''] = line.split('\t');
    return {
      file,
      regions: regions.split(',').map((r) => {
        const [a, b] = r.replace(/~/g, '').trim().split('-').map(Number);
        return [a ?? Number.NaN, b ?? Number.NaN] as [number, number];
      }),
      text,
    };
  });
}
