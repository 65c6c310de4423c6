import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_REPORT_SCHEMA, BENCH_STAGES, type BenchReport } from '../../src/bench/BenchReport.js';
import { DEFAULT_CORPUS_DIR } from '../../src/bench/benchCorpus.js';
import { runCli, type CliResult } from '../helpers/runCli.js';
import { sharedModelsDir } from '../helpers/sharedModels.js';

const work = mkdtempSync(join(tmpdir(), 'kv-bench-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TEST_MODELS = ['--models', 'test', '--models-dir', sharedModelsDir];
const bench = (args: string[], timeoutMs = 240_000) => runCli(['bench', ...TEST_MODELS, ...args], { timeoutMs });

function budgetFile(name: string, limits: Record<string, unknown>): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, `name: ${name}\nlimits:\n${Object.entries(limits).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`).join('\n')}\n`);
  return path;
}

/** The lines a failure printed, without the progress lines. */
const errorLines = (result: CliResult) => result.stderr.split(/[\r\n]+/).filter((line) => line && !/^bench: (turn \d+|\d+ turns from|JSON report|HTML report)/.test(line));

describe('kiosk-voice bench on the packaged corpus, real engines (test model set)', () => {
  const json = join(work, 'report.json');
  const html = join(work, 'report.html');
  let run: CliResult;
  let report: BenchReport;

  beforeAll(async () => {
    // A budget this machine meets easily: the run must pass it.
    const generous = budgetFile('generous', { 'endOfSpeechToFirstAudio.p95': 10_000, gluePercent: 50, wer: 1, llmGenerationTokensPerSecond: { min: 1 } });
    run = await bench(['--turns', '7', '--json', json, '--html', html, '--budget', generous]);
    report = JSON.parse(readFileSync(json, 'utf8')) as BenchReport;
  }, 300_000);

  it('plays every turn and meets a budget it is within (exit 0)', () => {
    expect(run.stderr).not.toMatch(/kiosk-voice bench:/);
    expect(run.code).toBe(0);
    expect(report.schema).toBe(BENCH_REPORT_SCHEMA);
    expect(report.turns).toHaveLength(7);
    expect(report.budget?.passed).toBe(true);
    expect(report.budget?.checks.map((c) => c.metric)).toContain('endOfSpeechToFirstAudio.p95');
  });

  it('maps each turn to the corpus file it came from, wrapping around the corpus', () => {
    const files = readFileSync(join(DEFAULT_CORPUS_DIR, 'corpus.tsv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t')[0]);
    expect(report.corpus.files).toBe(files.length);
    expect(report.turns.map((turn) => turn.file)).toEqual([...files, files[0]]);
    expect(report.wer.perFile.map((row) => row.file)).toEqual(files);
    expect(report.wer.perFile[0]!.turns).toBe(2);
  });

  it('reports every stage of every answered turn, consistent with its marks', () => {
    for (const turn of report.turns.filter((t) => t.outcome === 'answered')) {
      for (const stage of BENCH_STAGES) {
        expect(turn.latencies[stage.name], `${stage.name} of turn ${turn.index}`).toBeCloseTo(turn.marks[stage.to]! - turn.marks[stage.from]!, 0);
      }
      expect(turn.marks.speechEnd).toBe(0);
      expect(turn.latencies.endOfSpeechToFirstAudio).toBeCloseTo(turn.marks.playbackStart!, 0);
    }
    const e2e = report.stages.endOfSpeechToFirstAudio!;
    expect(e2e.n).toBe(report.turns.filter((t) => t.latencies.endOfSpeechToFirstAudio !== undefined).length);
    expect(e2e.p50!).toBeGreaterThan(0);
    expect(e2e.p50!).toBeLessThanOrEqual(e2e.p95!);
    expect(e2e.p95!).toBeLessThanOrEqual(e2e.max!);
  });

  it('says how each answered turn ended, and marks a reply made at a pause (the default lexical end of turn, speculating)', () => {
    const answered = report.turns.filter((t) => t.outcome === 'answered');
    expect(answered.length).toBeGreaterThan(0);
    for (const turn of answered) {
      const endpoint = turn.endpoint!;
      expect(endpoint, `endpoint of turn ${turn.index}`).toBeDefined();
      expect(endpoint.backend).toBe('lexical');
      expect(['complete', 'unsure', 'unfinished', 'timeout']).toContain(endpoint.verdict);
      expect(endpoint.reason).not.toBe('');
      expect(endpoint.silenceMs).toBeGreaterThanOrEqual(endpoint.requiredSilenceMs);
      if (endpoint.verdict !== 'timeout') expect(turn.marks.endpointDecision!).toBeLessThanOrEqual(turn.marks.endpoint!);
      // The reply that played was started at the last pause (after the end of speech), before it played.
      if (turn.speculation?.hits === 1) {
        expect(turn.marks.speculationStart!).toBeGreaterThanOrEqual(0);
        expect(turn.marks.speculationStart!).toBeLessThanOrEqual(turn.marks.playbackStart!);
      } else expect(turn.marks.speculationStart).toBeUndefined();
    }
    // Every lexical turn ends at a pause, and a reply is started at each pause the dialog allows.
    expect(answered.filter((t) => t.speculation !== undefined).length).toBeGreaterThan(0);
  });

  it('scores recognition against the references and times each engine on its own', () => {
    // pocketsphinx hears flite's rms voice well: the opening-hours question is recognised word for word.
    const hours = report.turns.find((turn) => turn.file === 'opening_hours.wav')!;
    expect(hours.transcript).toBe('what are your opening hours');
    expect(hours.words).toEqual({ substitutions: 0, deletions: 0, insertions: 0, referenceWords: 5 });
    expect(report.wer.overall).not.toBeNull();
    expect(report.wer.overall!).toBeLessThan(1);
    const { asrRealTimeFactor, ttsRealTimeFactor, llmPromptTokensPerSecond, llmGenerationTokensPerSecond } = report.engines;
    for (const value of [asrRealTimeFactor, ttsRealTimeFactor, llmPromptTokensPerSecond, llmGenerationTokensPerSecond]) expect(value).toBeGreaterThan(0);
  });

  it('says which models, settings and machine made the figures', () => {
    expect(report.models).toMatchObject({ asr: 'pocketsphinx:en-us', llm: 'stories260K.gguf', set: 'test' });
    expect(report.configHash).toMatch(/^[0-9a-f]{12}$/);
    expect(report.device.cpus).toBeGreaterThan(0);
    expect(report.device.kernel).not.toBe('');
    expect(report.system.rssMb.end).toBeGreaterThan(10);
    expect(report.startedAt < report.finishedAt).toBe(true);
  });

  it('prints the table and writes the HTML report', () => {
    expect(run.stdout).toMatch(/end of speech → first audio/);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!DOCTYPE html>/i);
  });

  it('bench-report shows a saved report and compares two', async () => {
    const shown = await runCli(['bench-report', json]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/end of speech → first audio/);
    const compared = await runCli(['bench-report', json, '--compare', json]);
    expect(compared.code).toBe(0);
    expect(compared.stdout).toMatch(/noise/);
  });
});

describe('kiosk-voice bench: budgets and bad input', () => {
  it('exits 1 naming the metric when a budget is exceeded', async () => {
    const impossible = budgetFile('impossible', { 'endOfSpeechToFirstAudio.p50': 1, wer: 1 });
    const result = await bench(['--turns', '1', '--budget', impossible]);
    expect(result.code).toBe(1);
    expect(errorLines(result)).toEqual([expect.stringMatching(/^budget: endOfSpeechToFirstAudio\.p50 [\d.]+ > 1\b/)]);
  }, 240_000);

  it.each([
    ['an unknown metric in the budget', () => ['--budget', budgetFile('typo', { 'endOfSpeechToFirstAudo.p50': 600 })], /endOfSpeechToFirstAudo\.p50/],
    ['a missing budget file', () => ['--budget', join(work, 'none.yaml')], /none\.yaml/],
    ['a corpus folder without corpus.tsv', () => ['--corpus', work], /no corpus\.tsv in/],
    ['a corpus line naming a missing WAV', () => ['--corpus', corpusWith('gone.wav\tsomething said\n')], /gone\.wav/],
    ['a corpus file that is not a WAV', () => ['--corpus', corpusWith('text.wav\tnot audio\n', 'text.wav')], /text\.wav/],
    ['a turn count that is not a number', () => ['--turns', 'many'], /turns/],
    ['--compare-endpointing on a corpus without kinds', () => ['--compare-endpointing', '--corpus', DEFAULT_CORPUS_DIR], /--compare-endpointing needs a corpus whose corpus\.tsv gives each file a kind/],
    ['--compare-endpointing with the fixed backend configured', () => ['--compare-endpointing', '--config', configFile('fixed', 'turn:\n  endpointing:\n    backend: fixed\n')], /compares against turn\.endpointing\.backend: fixed/],
  ])('%s: one line, exit 2, before any model loads', async (_, args, pattern) => {
    const started = performance.now();
    const result = await bench(args(), 30_000);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBe(1);
    const lines = errorLines(result);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    // No model was loaded: a bad argument fails in a moment.
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('bench-report refuses a file that is not a report, in one line', async () => {
    const other = join(work, 'other.json');
    writeFileSync(other, '{"turns": []}');
    const result = await runCli(['bench-report', other]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/is not a bench report of this version/)]);
  });
});

let corpora = 0;
/** A corpus folder with this corpus.tsv body; `textFile` is written as a WAV that is not one. */
function configFile(name: string, yaml: string): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, yaml);
  return path;
}

function corpusWith(tsv: string, textFile?: string): string {
  const dir = join(work, `corpus-${++corpora}`);
  mkdirSync(dir);
  copyFileSync(join(DEFAULT_CORPUS_DIR, 'opening_hours.wav'), join(dir, 'opening_hours.wav'));
  writeFileSync(join(dir, 'corpus.tsv'), `file\treference\nopening_hours.wav\twhat are your opening hours\n${tsv}`);
  if (textFile) writeFileSync(join(dir, textFile), 'this is not audio');
  return dir;
}
