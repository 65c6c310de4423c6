import { describe, expect, it } from 'vitest';
import { LatencySummary } from '../../src/telemetry/LatencySummary.js';
import type { Turn } from '../../src/turn/Turn.js';

/** A turn whose end of speech → first audio is `e2eMs`, with no engine compute recorded. */
function turnWithTotal(id: number, e2eMs: number): Turn {
  return {
    id,
    trigger: 'vad',
    transcript: 'hello',
    reply: 'hi',
    path: 'llm',
    marks: { speechEnd: 1000, playbackStart: 1000 + e2eMs },
    compute: {},
  };
}

describe('LatencySummary', () => {
  it('reports nearest-rank p50, p95 and max of each stage over the window', () => {
    const summary = new LatencySummary(200);
    // 1..100 ms in shuffled order: p50 = 50, p95 = 95, max = 100.
    const totals = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    totals.forEach((ms, i) => summary.add(turnWithTotal(i, ms)));
    const payload = summary.summary();
    expect(payload.turns).toBe(100);
    expect(payload.totalTurns).toBe(100);
    expect(payload.stages.endOfSpeechToFirstAudio).toEqual({ p50: 50, p95: 95, max: 100, count: 100 });
    // No compute recorded: glue equals the total.
    expect(payload.stages.glue).toEqual({ p50: 50, p95: 95, max: 100, count: 100 });
  });

  it('leaves out stages no turn in the window had', () => {
    const summary = new LatencySummary(10);
    summary.add(turnWithTotal(1, 500));
    const { stages } = summary.summary();
    expect(Object.keys(stages).sort()).toEqual(['endOfSpeechToFirstAudio', 'glue']);
    expect(JSON.stringify(summary.summary())).not.toMatch(/null|NaN/);
    expect(new LatencySummary(10).summary()).toEqual({ turns: 0, totalTurns: 0, stages: {} });
  });

  it('rolls the window: old turns drop out, the total keeps counting', () => {
    const summary = new LatencySummary(3);
    for (const [id, ms] of [1000, 900, 10, 20, 30].entries()) summary.add(turnWithTotal(id, ms));
    const payload = summary.summary();
    expect(payload.turns).toBe(3);
    expect(payload.totalTurns).toBe(5);
    expect(payload.stages.endOfSpeechToFirstAudio).toEqual({ p50: 20, p95: 30, max: 30, count: 3 });
  });

  it('counts each stage over the turns that had it, and rounds to 0.1 ms', () => {
    const summary = new LatencySummary(5);
    summary.add({ ...turnWithTotal(1, 100.04), compute: { asr: 12.345 } });
    summary.add(turnWithTotal(2, 200.06));
    const { stages } = summary.summary();
    expect(stages.asrCompute).toEqual({ p50: 12.3, p95: 12.3, max: 12.3, count: 1 });
    expect(stages.endOfSpeechToFirstAudio).toEqual({ p50: 100, p95: 200.1, max: 200.1, count: 2 });
  });
});
