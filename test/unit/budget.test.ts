import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { budgetFailureLines, BudgetFileError, checkBudget, knownMetricNames, loadBudget, metricValue, type Budget } from '../../src/bench/budget.js';
import { makeBenchReport } from '../helpers/benchReportFixture.js';
import { useTempDirs } from '../helpers/tempDirs.js';
import { thrown } from '../helpers/thrown.js';

// Budget files: loading (YAML and JSON, one line per mistake), the metrics, and the verdict.

const tempDir = useTempDirs('kv-budget-');
function budgetFile(content: string, name = 'budget.yaml'): string {
  const path = join(tempDir(), name);
  writeFileSync(path, content);
  return path;
}
const loadError = (content: string) => {
  const error = thrown(BudgetFileError, () => loadBudget(budgetFile(content)));
  expect(error.toUserLine()).not.toContain('\n');
  return error;
};
const budget = (limits: Budget['limits']): Budget => ({ file: 'test.yaml', limits });

describe('loadBudget', () => {
  it('reads a YAML budget: a bare number is a maximum, { min } a minimum, { max } a maximum', () => {
    const file = budgetFile(
      ['name: Raspberry Pi 5, default models', 'limits:', '  endOfSpeechToFirstAudio.p50: 600   # ms', '  wer: 0.35', '  llmGenerationTokensPerSecond: { min: 10 }', '  rssMb: { max: 400 }', ''].join('\n'),
    );
    expect(loadBudget(file)).toEqual({
      file,
      name: 'Raspberry Pi 5, default models',
      limits: [
        { metric: 'endOfSpeechToFirstAudio.p50', kind: 'max', limit: 600 },
        { metric: 'wer', kind: 'max', limit: 0.35 },
        { metric: 'llmGenerationTokensPerSecond', kind: 'min', limit: 10 },
        { metric: 'rssMb', kind: 'max', limit: 400 },
      ],
    });
  });

  it('reads a JSON budget too', () => {
    const file = budgetFile(JSON.stringify({ limits: { 'ttsFirstAudio.p95': 120, llmPromptTokensPerSecond: { min: 100 } } }), 'budget.json');
    expect(loadBudget(file)).toEqual({
      file,
      limits: [
        { metric: 'ttsFirstAudio.p95', kind: 'max', limit: 120 },
        { metric: 'llmPromptTokensPerSecond', kind: 'min', limit: 100 },
      ],
    });
  });

  it('reads the budgets shipped in scripts/bench/budgets', () => {
    for (const name of ['pi4', 'pi5']) expect(loadBudget(`scripts/bench/budgets/${name}.yaml`).limits.length).toBeGreaterThan(5);
  });

  it('names a missing file', () => {
    const missing = join(tempDir(), 'nope.yaml');
    expect(thrown(BudgetFileError, () => loadBudget(missing)).message).toBe(`no budget file at ${missing}`);
  });

  it('says it cannot read a directory', () => {
    expect(thrown(BudgetFileError, () => loadBudget(tempDir())).message).toMatch(/^cannot read the budget file .*: EISDIR$/);
  });

  it('gives the line of unreadable YAML', () => {
    expect(loadError('limits:\n  wer: 0.3\n  llmFirstToken.p50: [250\n').message).toMatch(/is not valid YAML or JSON \(line 4\): /);
    expect(loadError('limits:\n  wer: 0.3\n  wer: 0.4\n').message).toMatch(/\(line 3\): Map keys must be unique$/);
  });

  it('wants a mapping with limits', () => {
    for (const content of ['', '- 600\n', '600\n']) {
      expect(loadError(content).message).toMatch(/: expected a mapping with `limits:` \(and an optional `name:`\)$/);
    }
    expect(loadError('name: only a name\n').message).toMatch(/: no `limits:`$/);
    expect(loadError('limits: [600]\n').message).toMatch(/: `limits` must be a mapping of metric names to limits$/);
    expect(loadError('name: 5\nlimits: {}\n').message).toMatch(/: `name` must be text$/);
    expect(loadError('limits: {}\nlimit: {}\n').message).toMatch(/: unknown key "limit" \(a budget has `name` and `limits`\)$/);
  });

  it('refuses a limit that is not a number, { max } or { min }', () => {
    for (const [raw, shown] of [
      ['fast', '"fast"'],
      ['', 'null'],
      ['{ minimum: 10 }', '{"minimum":10}'],
      ['{ max: 1, min: 0 }', '{"max":1,"min":0}'],
      ['{ min: lots }', '{"min":"lots"}'],
      ['.nan', 'NaN'],
      ['-.inf', '-Infinity'],
    ] as const) {
      const error = loadError(`limits:\n  wer: ${raw}\n`);
      expect(error.message).toMatch(new RegExp(`: the limit of wer must be a number, \\{ max: N \\} or \\{ min: N \\}, not ${shown.replace(/[{}]/g, '\\$&')}$`));
      expect(error.hint).toContain('scripts/bench/budgets/pi5.yaml');
    }
  });

  it('names an unknown metric and lists the known ones compactly', () => {
    const error = loadError('limits:\n  endOfSpeechToFirstAudio.p99: 900\n');
    expect(error.message).toMatch(/: unknown metric "endOfSpeechToFirstAudio\.p99"$/);
    expect(error.hint).toMatch(/^known metrics: <stage>\.p50\|p95\|max for vadEndOfSpeechDelay, asrFinalAfterEndpoint, .*, endOfSpeechToFirstAudio, glue; gluePercent, wer, .*, rssMb$/);
  });
});

describe('knownMetricNames and metricValue', () => {
  const report = makeBenchReport();

  it('knows three figures per stage and total, and the one-per-run figures', () => {
    const names = knownMetricNames();
    expect(names).toHaveLength(8 * 3 + 8);
    expect(names).toEqual(expect.arrayContaining(['vadEndOfSpeechDelay.p50', 'playbackStart.max', 'endOfSpeechToFirstAudio.p95', 'glue.p50', 'gluePercent', 'wer', 'cpuTemperatureC', 'rssMb']));
  });

  it('reads each metric from its place in the report', () => {
    expect(metricValue(report, 'endOfSpeechToFirstAudio.p95')).toBe(report.stages.endOfSpeechToFirstAudio!.p95);
    expect(metricValue(report, 'gluePercent')).toBe(report.gluePercent);
    expect(metricValue(report, 'wer')).toBe(report.wer.overall);
    expect(metricValue(report, 'ttsRealTimeFactor')).toBe(0.08);
    expect(metricValue(report, 'llmGenerationTokensPerSecond')).toBe(96.3);
    expect(metricValue(report, 'cpuTemperatureC')).toBe(51.0);
    expect(metricValue(report, 'rssMb')).toBe(218);
  });

  it('is null for what was not measured and for names that are not metrics', () => {
    const bare = makeBenchReport({ system: { before: {}, after: {}, rssMb: { start: 1, end: 2 } }, stages: {} });
    expect(metricValue(bare, 'cpuTemperatureC')).toBeNull();
    expect(metricValue(bare, 'llmFirstToken.p50')).toBeNull();
    for (const name of ['constructor', 'toString.p50', 'glue.n', 'latency']) expect(metricValue(report, name)).toBeNull();
  });
});

describe('checkBudget and budgetFailureLines', () => {
  const report = makeBenchReport();

  it('passes a budget the report meets', () => {
    const verdict = checkBudget(report, { file: 'pi5.yaml', name: 'Pi 5', limits: loadBudget('scripts/bench/budgets/pi5.yaml').limits });
    expect(verdict.passed).toBe(true);
    expect(verdict.checks.every((check) => check.ok)).toBe(true);
    expect(verdict).toMatchObject({ file: 'pi5.yaml', name: 'Pi 5' });
    expect(budgetFailureLines(verdict)).toEqual([]);
  });

  it('fails an impossible limit and names it', () => {
    const verdict = checkBudget(report, budget([
      { metric: 'endOfSpeechToFirstAudio.p50', kind: 'max', limit: 1 },
      { metric: 'wer', kind: 'max', limit: 0.5 },
    ]));
    expect(verdict.passed).toBe(false);
    expect(verdict.checks).toEqual([
      { metric: 'endOfSpeechToFirstAudio.p50', limit: 1, kind: 'max', value: 567, ok: false },
      { metric: 'wer', limit: 0.5, kind: 'max', value: report.wer.overall, ok: true },
    ]);
    expect(budgetFailureLines(verdict)).toEqual(['budget: endOfSpeechToFirstAudio.p50 567 > 1']);
  });

  it('checks a minimum: at the limit is met, below it fails', () => {
    const at = checkBudget(report, budget([{ metric: 'llmGenerationTokensPerSecond', kind: 'min', limit: 96.3 }]));
    expect(at.passed).toBe(true);
    const below = checkBudget(makeBenchReport({ engines: { ...report.engines, llmGenerationTokensPerSecond: 8.2 } }), budget([{ metric: 'llmGenerationTokensPerSecond', kind: 'min', limit: 10 }]));
    expect(below.passed).toBe(false);
    expect(budgetFailureLines(below)).toEqual(['budget: llmGenerationTokensPerSecond 8.2 < 10 (minimum)']);
  });

  it('fails a metric the run did not measure', () => {
    const unmeasured = makeBenchReport({ wer: { overall: null, perFile: [] } });
    const verdict = checkBudget(unmeasured, budget([{ metric: 'wer', kind: 'max', limit: 0.35 }]));
    expect(verdict.checks).toEqual([{ metric: 'wer', limit: 0.35, kind: 'max', value: null, ok: false }]);
    expect(verdict.passed).toBe(false);
    expect(budgetFailureLines(verdict)).toEqual(['budget: wer not measured (limit 0.35)']);
  });

  it('rounds the measured value of a failure line to two decimals', () => {
    const slow = makeBenchReport({ stages: { ...report.stages, 'endOfSpeechToFirstAudio': { p50: 700, p95: 912.3456, max: 950, n: 8 } } });
    expect(budgetFailureLines(checkBudget(slow, budget([{ metric: 'endOfSpeechToFirstAudio.p95', kind: 'max', limit: 850 }])))).toEqual(['budget: endOfSpeechToFirstAudio.p95 912.35 > 850']);
  });

  it('passes an empty budget', () => {
    expect(checkBudget(report, budget([]))).toEqual({ file: 'test.yaml', checks: [], passed: true });
  });
});
