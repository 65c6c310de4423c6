import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWavForPipeline } from '../audio/toPipelineAudio.js';
import { WavFormatError } from '../audio/WavFormatError.js';
import { KioskVoiceError } from '../errors.js';

/** The corpus shipped in the package, so that `kiosk-voice bench` needs no file from elsewhere. */
export const DEFAULT_CORPUS_DIR = fileURLToPath(new URL('../../scripts/bench/corpus', import.meta.url));

/**
 * The endpointing comparison's corpus (scripts/bench/make-hesitant-corpus.sh): requests broken by a
 * pause mid-sentence, and whole questions, each line marked with its kind and the pause.
 */
export const HESITANT_CORPUS_DIR = fileURLToPath(new URL('../../scripts/bench/hesitant-corpus', import.meta.url));

/**
 * The list of a corpus: one line per WAV, `file<TAB>reference text`, optionally followed by
 * `<TAB>kind<TAB>pauseMs`; an optional `file	reference…` header.
 */
export const CORPUS_INDEX = 'corpus.tsv';

export class BenchCorpusError extends KioskVoiceError {}

/** How a corpus item is spoken: in one go, or broken by a pause before its last words. */
export type CorpusItemKind = 'complete' | 'hesitant';

const KINDS: readonly CorpusItemKind[] = ['complete', 'hesitant'];

export interface CorpusEntry {
  file: string;
  /** Everything said in the file, both halves of a hesitant item as one string. */
  reference: string;
  /** From the optional third column; absent when the corpus does not say. */
  kind?: CorpusItemKind;
  /** From the optional fourth column: the silence (ms) a hesitant item leaves mid-request. */
  pauseMs?: number;
  /** 16 kHz mono speech. */
  samples: Int16Array;
}

export interface BenchCorpus {
  dir: string;
  entries: CorpusEntry[];
}

const HINT = `a corpus is a folder of WAV files with a ${CORPUS_INDEX} listing them: one line per file, "<file.wav><TAB><what is said>", optionally then "<TAB><complete|hesitant><TAB><pause ms>"`;

/** The optional kind and pause columns of one index line; throws on a value they cannot hold. */
function itemColumns(kind: string | undefined, pause: string | undefined, where: string): Pick<CorpusEntry, 'kind' | 'pauseMs'> {
  const columns: Pick<CorpusEntry, 'kind' | 'pauseMs'> = {};
  const kindText = kind?.trim() ?? '';
  if (kindText) {
    if (!(KINDS as readonly string[]).includes(kindText)) {
      throw new BenchCorpusError(`${where} has kind ${JSON.stringify(kindText)}, not ${KINDS.join(' or ')}`, HINT);
    }
    columns.kind = kindText as CorpusItemKind;
  }
  const pauseText = pause?.trim() ?? '';
  if (pauseText) {
    if (!/^\d+$/.test(pauseText)) throw new BenchCorpusError(`${where} has pause ${JSON.stringify(pauseText)}, not a whole number of milliseconds`, HINT);
    // Only a hesitant item stops mid-request; a pause on any other line is a slipped column.
    if (columns.kind !== 'hesitant') throw new BenchCorpusError(`${where} has a pause of ${pauseText} ms but is not a hesitant item`, 'give the line the kind "hesitant" or leave its pause column empty');
    columns.pauseMs = Number(pauseText);
  }
  return columns;
}

/** Reads the corpus index and every WAV it names, converted for the pipeline. */
export async function loadBenchCorpus(dir = DEFAULT_CORPUS_DIR): Promise<BenchCorpus> {
  const root = resolve(dir);
  const index = join(root, CORPUS_INDEX);
  if (!existsSync(index)) throw new BenchCorpusError(`no ${CORPUS_INDEX} in ${root}`, HINT);
  const lines = readFileSync(index, 'utf8').split(/\r?\n/);
  const entries: CorpusEntry[] = [];
  for (const [i, line] of lines.entries()) {
    if (!line.trim() || line.startsWith('#') || (i === 0 && /^file\treference/i.test(line))) continue;
    const [file, reference, kind, pause, ...extra] = line.split('\t');
    if (!file || reference === undefined || extra.length > 0) {
      throw new BenchCorpusError(`${index} line ${i + 1} is not "<file><TAB><reference text>[<TAB><kind><TAB><pause ms>]": ${JSON.stringify(line.slice(0, 80))}`, HINT);
    }
    const columns = itemColumns(kind, pause, `${index} line ${i + 1}`);
    const path = join(root, file);
    if (!existsSync(path)) throw new BenchCorpusError(`${index} line ${i + 1} names ${file}, which is not in ${root}`, 'add the file or remove its line');
    try {
      const { samples } = await loadWavForPipeline(path);
      entries.push({ file, reference: reference.trim(), ...columns, samples });
    } catch (error) {
      if (error instanceof WavFormatError) throw new BenchCorpusError(`${path}: ${error.message}`, 'the corpus needs WAV files (16-bit PCM or float; any rate, mixed to 16 kHz mono)', { cause: error });
      throw error;
    }
  }
  if (entries.length === 0) throw new BenchCorpusError(`${index} lists no files`, HINT);
  return { dir: root, entries };
}
