import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeWav } from '../../src/audio/wav.js';
import { BenchCorpusError, DEFAULT_CORPUS_DIR, HESITANT_CORPUS_DIR, loadBenchCorpus } from '../../src/bench/benchCorpus.js';
import { useTempDirs } from '../helpers/tempDirs.js';

const tempDir = useTempDirs('bench-corpus-');

/** A corpus folder with one short 16 kHz WAV per file name and `index` as its corpus.tsv. */
function corpusWith(files: string[], index: string): string {
  const dir = tempDir();
  const samples = Int16Array.from({ length: 1600 }, (_, i) => Math.round(3000 * Math.sin(i / 5)));
  for (const file of files) writeFileSync(join(dir, file), encodeWav(samples, 16000));
  writeFileSync(join(dir, 'corpus.tsv'), index);
  return dir;
}

/** The BenchCorpusError loading `dir` fails with. */
async function loadError(dir: string): Promise<BenchCorpusError> {
  const error = await loadBenchCorpus(dir).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(BenchCorpusError);
  return error as BenchCorpusError;
}

describe('loadBenchCorpus', () => {
  it('loads a two-column corpus as before: no kind, no pause', async () => {
    const dir = corpusWith(['a.wav', 'b.wav'], 'file\treference\na.wav\twhat are your hours\n# a comment\nb.wav\t thank you \n');
    const corpus = await loadBenchCorpus(dir);
    expect(corpus.entries.map(({ file, reference }) => ({ file, reference }))).toEqual([
      { file: 'a.wav', reference: 'what are your hours' },
      { file: 'b.wav', reference: 'thank you' },
    ]);
    for (const entry of corpus.entries) {
      expect(Object.keys(entry).sort()).toEqual(['file', 'reference', 'samples']);
      expect(entry.samples.length).toBe(1600);
    }
  });

  it('reads kind and pause from the third and fourth columns, the pause empty for complete items', async () => {
    const dir = corpusWith(
      ['h.wav', 'c.wav', 'k.wav'],
      'file\treference\tkind\tpauseMs\nh.wav\tcan i speak to a person please\thesitant\t500\nc.wav\tyes please\tcomplete\t\nk.wav\tthank you\tcomplete\n',
    );
    const { entries } = await loadBenchCorpus(dir);
    expect(entries.map(({ file, reference, kind, pauseMs }) => ({ file, reference, kind, pauseMs }))).toEqual([
      { file: 'h.wav', reference: 'can i speak to a person please', kind: 'hesitant', pauseMs: 500 },
      { file: 'c.wav', reference: 'yes please', kind: 'complete', pauseMs: undefined },
      { file: 'k.wav', reference: 'thank you', kind: 'complete', pauseMs: undefined },
    ]);
    expect('pauseMs' in entries[1]!).toBe(false);
  });

  it('names the line of a kind it does not know', async () => {
    const dir = corpusWith(['a.wav', 'b.wav'], 'file\treference\tkind\tpauseMs\na.wav\tyes please\tcomplete\t\nb.wav\tmy printer shows an error\thesitent\t300\n');
    const error = await loadError(dir);
    expect(error.message).toBe(`${join(dir, 'corpus.tsv')} line 3 has kind "hesitent", not complete or hesitant`);
    expect(error.hint).toMatch(/complete\|hesitant/);
  });

  it('names the line of a pause that is not a whole number of milliseconds', async () => {
    for (const pause of ['0.5', '-300', '300ms']) {
      const error = await loadError(corpusWith(['a.wav'], `a.wav\tmy printer shows an error\thesitant\t${pause}\n`));
      expect(error.message).toMatch(new RegExp(`corpus\\.tsv line 1 has pause "${pause}", not a whole number of milliseconds$`));
    }
  });

  it('refuses a pause on an item that is not hesitant, and a fifth column', async () => {
    const onComplete = await loadError(corpusWith(['a.wav'], 'a.wav\tyes please\tcomplete\t300\n'));
    expect(onComplete.message).toMatch(/line 1 has a pause of 300 ms but is not a hesitant item$/);
    const fifth = await loadError(corpusWith(['a.wav'], 'a.wav\tyes please\tcomplete\t\textra\n'));
    expect(fifth.message).toMatch(/line 1 is not "<file><TAB><reference text>\[<TAB><kind><TAB><pause ms>\]"/);
  });

  it('ships a hesitant corpus of at least 20 hesitant and 12 complete items, every file present', async () => {
    const { entries } = await loadBenchCorpus(HESITANT_CORPUS_DIR);
    const hesitant = entries.filter((entry) => entry.kind === 'hesitant');
    const complete = entries.filter((entry) => entry.kind === 'complete');
    expect(hesitant.length).toBeGreaterThanOrEqual(20);
    expect(complete.length).toBeGreaterThanOrEqual(12);
    expect(hesitant.length + complete.length).toBe(entries.length);
    for (const entry of entries) expect(existsSync(join(HESITANT_CORPUS_DIR, entry.file)), entry.file).toBe(true);
    // Every pause length the brief names is there, and only hesitant items have one.
    expect([...new Set(hesitant.map((entry) => entry.pauseMs!))].sort((a, b) => a - b)).toEqual([300, 500, 700, 900]);
    expect(complete.every((entry) => entry.pauseMs === undefined)).toBe(true);
    // 0.3 s lead-in + speech + 0.6 s tail, and a hesitant item holds its pause besides.
    for (const entry of hesitant) expect(entry.samples.length, entry.file).toBeGreaterThan(16 * (900 + entry.pauseMs!));
  });

  it('still loads the default corpus, which has no kinds', async () => {
    const { entries } = await loadBenchCorpus(DEFAULT_CORPUS_DIR);
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((entry) => entry.kind === undefined && entry.pauseMs === undefined)).toBe(true);
  });
});
