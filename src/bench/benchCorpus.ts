import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWavForPipeline } from '../audio/toPipelineAudio.js';
import { WavFormatError } from '../audio/WavFormatError.js';
import { KioskVoiceError } from '../errors.js';

/** The corpus shipped in the package, so that `kiosk-voice bench` needs no file from elsewhere. */
export const DEFAULT_CORPUS_DIR = fileURLToPath(new URL('../../scripts/bench/corpus', import.meta.url));

/** The list of a corpus: one line per WAV, `file<TAB>reference text`; an optional `file	reference` header. */
export const CORPUS_INDEX = 'corpus.tsv';

export class BenchCorpusError extends KioskVoiceError {}

export interface CorpusEntry {
  file: string;
  reference: string;
  /** 16 kHz mono speech. */
  samples: Int16Array;
}

export interface BenchCorpus {
  dir: string;
  entries: CorpusEntry[];
}

const HINT = `a corpus is a folder of WAV files with a ${CORPUS_INDEX} listing them: one line per file, "<file.wav><TAB><what is said>"`;

/** Reads the corpus index and every WAV it names, converted for the pipeline. */
export async function loadBenchCorpus(dir = DEFAULT_CORPUS_DIR): Promise<BenchCorpus> {
  const root = resolve(dir);
  const index = join(root, CORPUS_INDEX);
  if (!existsSync(index)) throw new BenchCorpusError(`no ${CORPUS_INDEX} in ${root}`, HINT);
  const lines = readFileSync(index, 'utf8').split(/\r?\n/);
  const entries: CorpusEntry[] = [];
  for (const [i, line] of lines.entries()) {
    if (!line.trim() || line.startsWith('#') || (i === 0 && /^file\treference/i.test(line))) continue;
    const [file, reference, ...extra] = line.split('\t');
    if (!file || reference === undefined || extra.length > 0) {
      throw new BenchCorpusError(`${index} line ${i + 1} is not "<file><TAB><reference text>": ${JSON.stringify(line.slice(0, 80))}`, HINT);
    }
    const path = join(root, file);
    if (!existsSync(path)) throw new BenchCorpusError(`${index} line ${i + 1} names ${file}, which is not in ${root}`, 'add the file or remove its line');
    try {
      const { samples } = await loadWavForPipeline(path);
      entries.push({ file, reference: reference.trim(), samples });
    } catch (error) {
      if (error instanceof WavFormatError) throw new BenchCorpusError(`${path}: ${error.message}`, 'the corpus needs WAV files (16-bit PCM or float; any rate, mixed to 16 kHz mono)', { cause: error });
      throw error;
    }
  }
  if (entries.length === 0) throw new BenchCorpusError(`${index} lists no files`, HINT);
  return { dir: root, entries };
}
