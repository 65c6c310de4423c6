import { describe, expect, it } from 'vitest';
import { BENCH_STAGES, BENCH_TOTALS, type BenchReport, type BenchTurn } from '../../src/bench/BenchReport.js';
import { compareReports, formatComparison, mannWhitney, type ComparisonRow } from '../../src/bench/compareReports.js';
import { stageStats } from '../../src/bench/benchStats.js';
import { makeBenchReport, makeBenchTurn } from '../helpers/benchReportFixture.js';
import { mulberry32 } from '../helpers/seededRandom.js';

// Two bench runs side by side: which changes are beyond run-to-run noise.

const STAGES = [...BENCH_STAGES, ...BENCH_TOTALS].map((stage) => stage.name);

/**
 * A fixture report over `turns`, with the stage stats recomputed from them: makeBenchReport takes
 * overrides as given, and the comparison reads both the stats (before/after/delta) and the turns (the test).
 */
function reportOf(turns: BenchTurn[], overrides: Partial<BenchReport> = {}): BenchReport {
  return makeBenchReport({ turns, stages: stageStats(turns), options: { turns: turns.length, throughAlsa: false }, ...overrides });
}
const fixtureTurns = (count: number) => Array.from({ length: count }, (_, i) => makeBenchTurn(i));
/** The turns with `change` applied to each latency of `stage` (all stages when none is named). */
function adjusted(turns: BenchTurn[], change: (ms: number, turn: number) => number, stage?: string): BenchTurn[] {
  return turns.map((turn) => ({
    ...turn,
    latencies: Object.fromEntries(Object.entries(turn.latencies).map(([name, ms]) => [name, stage === undefined || name === stage ? change(ms, turn.index) : ms])),
  }));
}
const rowOf = (rows: ComparisonRow[], metric: string) => rows.find((row) => row.metric === metric)!;

describe('mannWhitney', () => {
  it('matches a hand-worked example without ties', () => {
    // a = 1…5, b = 6…10: a holds ranks 1…5, R = 15, U = R − n₁(n₁+1)/2 = 15 − 15 = 0.
    // Mean n₁n₂/2 = 12.5; σ² = n₁n₂(n+1)/12 = 25·11/12 = 22.917, σ = 4.7871.
    // z = (0 − 12.5)/4.7871 = −2.6112; p = 2·(1 − Φ(2.6112)) = 2·(1 − 0.995488) = 0.009023.
    const result = mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(result.u).toBe(0);
    expect(result.z).toBeCloseTo(-2.6112, 4);
    expect(result.p).toBeCloseTo(0.009023, 5);
  });

  it('matches a hand-worked example with a tie', () => {
    // a = [1, 2, 3], b = [2, 4, 5]. Ranks of 1, 2, 2, 3, 4, 5: 1, 2.5, 2.5, 4, 5, 6.
    // R(a) = 1 + 2.5 + 4 = 7.5, U = 7.5 − 6 = 1.5 (pairs a > b: 3 > 2, and ½ for 2 = 2).
    // Tie term Σ(t³ − t) = 2³ − 2 = 6; σ² = 3·3/12 · (7 − 6/(6·5)) = 0.75 · 6.8 = 5.1, σ = 2.2583.
    // z = (1.5 − 4.5)/2.2583 = −1.3284; p = 2·(1 − Φ(1.3284)) = 0.18404.
    const result = mannWhitney([1, 2, 3], [2, 4, 5]);
    expect(result.u).toBe(1.5);
    expect(result.z).toBeCloseTo(-1.3284, 4);
    expect(result.p).toBeCloseTo(0.18404, 4);
  });

  it('is symmetric and gives p 1 when there is no difference or nothing to test', () => {
    expect(mannWhitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]).p).toBeCloseTo(mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p, 12);
    expect(mannWhitney([3, 3, 3], [3, 3, 3])).toEqual({ u: 4.5, z: 0, p: 1 });
    expect(mannWhitney([], [1, 2]).p).toBe(1);
    expect(mannWhitney([1, 5, 2, 8], [1, 5, 2, 8]).p).toBeCloseTo(1, 6);
  });
});

describe('compareReports', () => {
  const turns = fixtureTurns(20);

  it('calls every row of two identical runs noise, with zero deltas', () => {
    const report = reportOf(turns);
    const { rows, differences } = compareReports(report, report);
    expect(rows.map((row) => row.metric)).toEqual([
      ...STAGES.flatMap((stage) => [`${stage}.p50`, `${stage}.p95`]),
      'gluePercent',
      'wer',
      'asrRealTimeFactor',
      'ttsRealTimeFactor',
      'llmPromptTokensPerSecond',
      'llmGenerationTokensPerSecond',
    ]);
    for (const row of rows) expect({ metric: row.metric, verdict: row.verdict, delta: row.delta }).toEqual({ metric: row.metric, verdict: 'noise', delta: 0 });
    expect(differences).toEqual(['same board (Raspberry Pi 5 Model B Rev 1.0)', 'same version (0.1.0)', 'same config hash (3f9a1c07be42)', 'same models']);
  });

  it('finds end of speech → first audio 200 ms slower on all 20 turns, and only that', () => {
    const before = reportOf(turns);
    const after = reportOf(adjusted(turns, (ms) => ms + 200, 'endOfSpeechToFirstAudio'));
    const { rows } = compareReports(before, after);
    for (const which of ['p50', 'p95']) {
      const row = rowOf(rows, `endOfSpeechToFirstAudio.${which}`);
      expect(row.verdict).toBe('slower');
      expect(row.delta).toBeCloseTo(200, 6);
      expect(row.deltaPercent).toBeCloseTo((200 / row.before!) * 100, 6);
      expect(row.p).toBeLessThan(1e-6);
    }
    expect(rows.filter((row) => row.verdict !== 'noise').map((row) => row.metric)).toEqual(['endOfSpeechToFirstAudio.p50', 'endOfSpeechToFirstAudio.p95']);
  });

  it('finds a stage faster when it is', () => {
    const after = reportOf(adjusted(turns, (ms) => ms - 60, 'asrFinalAfterEndpoint'));
    const row = rowOf(compareReports(reportOf(turns), after).rows, 'asrFinalAfterEndpoint.p50');
    expect(row.verdict).toBe('faster');
    expect(row.after).toBeCloseTo(row.before! - 60, 6);
    expect(row.delta).toBeCloseTo(-60, 6);
    expect(row.deltaPercent).toBeCloseTo((-60 / row.before!) * 100, 6);
  });

  it('calls a certain but small shift noise: under 5 % or under 2 ms', () => {
    // Tight stages (spread under 1 ms), so that every after-turn is slower than every before-turn.
    const tight = adjusted(adjusted(turns, (_, i) => 400 + (i % 5) * 0.2, 'vadEndOfSpeechDelay'), (_, i) => 24 + (i % 5) * 0.1, 'ttsFirstAudio');
    // +12 ms is 3 % of 400 ms; +1.5 ms is 6 % of 24 ms but under 2 ms.
    const after = reportOf(adjusted(adjusted(tight, (ms) => ms + 12, 'vadEndOfSpeechDelay'), (ms) => ms + 1.5, 'ttsFirstAudio'));
    const { rows } = compareReports(reportOf(tight), after);
    for (const metric of ['vadEndOfSpeechDelay.p50', 'ttsFirstAudio.p50']) {
      const row = rowOf(rows, metric);
      // Certain: the rank test alone would call it.
      expect(row.p).toBeLessThan(1e-6);
      expect(row.verdict).toBe('noise');
    }
    // The same, large enough, is slower: +24 ms is 6 % of 400 ms; +2.5 ms is 10 % of 24 ms.
    const bigger = reportOf(adjusted(adjusted(tight, (ms) => ms + 24, 'vadEndOfSpeechDelay'), (ms) => ms + 2.5, 'ttsFirstAudio'));
    const biggerRows = compareReports(reportOf(tight), bigger).rows;
    expect(rowOf(biggerRows, 'vadEndOfSpeechDelay.p50').verdict).toBe('slower');
    expect(rowOf(biggerRows, 'ttsFirstAudio.p50').verdict).toBe('slower');
  });

  it('does not call a shift "slower" that only one test of many would: p < 0.05 alone is not enough (Holm)', () => {
    // Jittered runs until one has a stage whose own p is between 0.01 and 0.05, as two runs of the
    // same code on a busy machine did here (ASR final after endpoint, p 0.022).
    const jitter = (seed: number) => {
      const random = mulberry32(seed);
      return reportOf(adjusted(turns, (ms) => Math.round(ms * (0.85 + 0.3 * random()) * 10) / 10));
    };
    let found: ComparisonRow | undefined;
    for (let seed = 1; seed < 400 && !found; seed += 2) {
      // …and a median shift big enough for a verdict, so only the correction can make it noise.
      found = compareReports(jitter(seed), jitter(seed + 1)).rows.find(
        (row) => row.metric.endsWith('.p50') && row.p !== undefined && row.p > 0.01 && row.p < 0.05 && Math.abs(row.deltaPercent ?? 0) >= 5 && Math.abs(row.delta ?? 0) >= 2,
      );
    }
    expect(found, 'a seed with a stage at 0.01 < p < 0.05').toBeDefined();
    expect(found!.verdict).toBe('noise');
  });

  it('calls seeded jitter of ±10 % on every turn noise', () => {
    const jitter = (seed: number) => {
      const random = mulberry32(seed);
      return reportOf(adjusted(turns, (ms) => Math.round(ms * (0.9 + 0.2 * random()) * 10) / 10));
    };
    const { rows } = compareReports(jitter(1), jitter(2));
    for (const metric of STAGES.map((stage) => `${stage}.p50`)) expect(rowOf(rows, metric).verdict, metric).toBe('noise');
  });

  it('rarely calls jitter a change: about the 5 % the test allows, over 200 seeded pairs of runs', () => {
    let alarms = 0;
    for (let seed = 0; seed < 200; seed++) {
      const random = mulberry32(1000 + seed);
      const run = () => reportOf(adjusted(turns, (ms) => ms * (0.8 + 0.4 * random())));
      if (rowOf(compareReports(run(), run()).rows, 'endOfSpeechToFirstAudio.p50').verdict !== 'noise') alarms++;
    }
    expect(alarms).toBeLessThanOrEqual(20);
  });

  it('gives no verdict on a stage with fewer than 5 turns on either side', () => {
    const few = reportOf(fixtureTurns(4));
    const many = reportOf(adjusted(turns, (ms) => ms + 200));
    for (const [before, after] of [[few, many], [many, few], [few, few]] as const) {
      const { rows } = compareReports(before, after);
      for (const stage of STAGES) expect(rowOf(rows, `${stage}.p50`).verdict).toBe('too few samples');
      expect(rowOf(rows, 'endOfSpeechToFirstAudio.p50').p).toBeUndefined();
    }
    // A stage missing from most turns counts only the turns that have it.
    const sparse = adjusted(turns, (ms) => ms);
    for (const turn of sparse.slice(4)) delete turn.latencies.firstPhrase;
    expect(rowOf(compareReports(reportOf(turns), reportOf(sparse)).rows, 'firstPhrase.p50').verdict).toBe('too few samples');
  });

  const SCALAR_METRICS = ['gluePercent', 'wer', 'asrRealTimeFactor', 'ttsRealTimeFactor', 'llmPromptTokensPerSecond', 'llmGenerationTokensPerSecond'];
  const scalarVerdicts = (before: BenchReport, after: BenchReport) =>
    Object.fromEntries(compareReports(before, after).rows.filter((row) => SCALAR_METRICS.includes(row.metric)).map((row) => [row.metric, row.verdict]));
  const scaled = (samples: number[], factor: number) => samples.map((value) => value * factor);

  it('judges glue, WER and engine speed on their samples, in the direction that matters for each', () => {
    const before = reportOf(turns);
    const { engineSamples } = before;
    // Glue tripled and two more words wrong on every turn; the engines timed on the same items.
    const worseTurns = turns.map((turn) => ({ ...turn, latencies: { ...turn.latencies, glue: turn.latencies.glue! * 3 }, words: { ...turn.words, substitutions: turn.words.substitutions + 2 } }));
    const after = reportOf(worseTurns, {
      engineSamples: {
        asrRealTimeFactor: scaled(engineSamples.asrRealTimeFactor, 1.2),
        ttsRealTimeFactor: scaled(engineSamples.ttsRealTimeFactor, 0.5),
        llmPromptTokensPerSecond: scaled(engineSamples.llmPromptTokensPerSecond, 1.01),
        llmGenerationTokensPerSecond: scaled(engineSamples.llmGenerationTokensPerSecond, 0.5),
      },
    });
    expect(scalarVerdicts(before, after)).toEqual({
      gluePercent: 'changed',
      wer: 'worse',
      asrRealTimeFactor: 'slower',
      ttsRealTimeFactor: 'faster',
      llmPromptTokensPerSecond: 'noise',
      llmGenerationTokensPerSecond: 'slower',
    });
    expect(rowOf(compareReports(after, before).rows, 'llmGenerationTokensPerSecond').verdict).toBe('faster');
    expect(rowOf(compareReports(after, before).rows, 'wer').verdict).toBe('better');
  });

  it('calls two runs of the same engines noise, however their one-per-run figures differ', () => {
    // Two identical runs on a busy machine: the LLM's overall rate 27 % apart, each item within its spread.
    const before = reportOf(turns);
    const after = reportOf(turns, {
      engines: { ...before.engines, llmGenerationTokensPerSecond: before.engines.llmGenerationTokensPerSecond! * 0.73 },
      engineSamples: { ...before.engineSamples, llmGenerationTokensPerSecond: [...before.engineSamples.llmGenerationTokensPerSecond].reverse() },
    });
    expect(rowOf(compareReports(before, after).rows, 'llmGenerationTokensPerSecond')).toMatchObject({ verdict: 'noise', deltaPercent: expect.closeTo(-27, 6) });
  });

  it('says "not measured" for a figure missing from a run, and gives no verdict without samples', () => {
    const before = reportOf(turns, { engines: { ...makeBenchReport().engines, asrRealTimeFactor: null } });
    const after = reportOf(turns, { engineSamples: { ...makeBenchReport().engineSamples, ttsRealTimeFactor: [0.1, 0.2] } });
    const { rows } = compareReports(before, after);
    expect(rowOf(rows, 'asrRealTimeFactor')).toMatchObject({ verdict: 'not measured', before: null, delta: null, deltaPercent: null });
    expect(rowOf(rows, 'ttsRealTimeFactor').verdict).toBe('too few samples');
  });

  it('heads the comparison with what differs: board, version, config hash, models', () => {
    const before = reportOf(turns);
    const after = reportOf(turns, {
      version: '0.2.0',
      device: { ...before.device, board: 'Raspberry Pi 4 Model B Rev 1.5' },
      configHash: '91bc5e0d4a77',
      models: { ...before.models, llm: 'qwen2.5-0.5b-instruct-q4_0.gguf', set: 'pi5' },
    });
    expect(compareReports(before, after).differences).toEqual([
      'board Raspberry Pi 5 Model B Rev 1.0 → Raspberry Pi 4 Model B Rev 1.5',
      'version 0.1.0 → 0.2.0',
      'config hash 3f9a… → 91bc…',
      'model llm stories260K.gguf → qwen2.5-0.5b-instruct-q4_0.gguf',
      'model set none → pi5',
    ]);
  });
});

describe('formatComparison', () => {
  const turns = fixtureTurns(20);
  const before = reportOf(turns);
  const after = reportOf(adjusted(turns, (ms) => ms + 200, 'endOfSpeechToFirstAudio'), {
    configHash: '91bc5e0d4a77',
    models: { ...before.models, asr: 'sherpa-onnx-streaming-zipformer-en-2023-06-26-int8-encoder-epoch-99-avg-1-chunk-16-left-128' },
  });
  const text = formatComparison(compareReports(before, after));

  it('lays the rows side by side: before, after, delta, delta %, verdict and p', () => {
    const row = text.split('\n').find((line) => line.startsWith('endOfSpeechToFirstAudio.p50'))!;
    const b = before.stages.endOfSpeechToFirstAudio!.p50!;
    expect(row.split(/\s{2,}/)).toEqual(['endOfSpeechToFirstAudio.p50', b.toFixed(1), (b + 200).toFixed(1), '+200.0', `+${((200 / b) * 100).toFixed(1)} %`, 'slower (p < 0.001)']);
    expect(text).toMatch(/\nwer +0\.077 +0\.077 +0\.000 +0\.0 % +noise \(p 1\.000\)\n/);
    expect(text).toMatch(/\nasrRealTimeFactor +0\.210 +0\.210 +0\.000 +0\.0 % +noise \(p 1\.000\)\n/);
    expect(text).toContain('config hash 3f9a… → 91bc…');
  });

  it('stays within 110 columns', () => {
    expect(Math.max(...text.split('\n').map((line) => line.length))).toBeLessThanOrEqual(110);
  });
});
