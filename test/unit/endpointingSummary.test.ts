import { describe, expect, it } from 'vitest';
import { endpointingTable, extraCpuShare, oneTurnShareUpTo, summariseEndpointing, type EndpointingItem } from '../../src/bench/endpointingSummary.js';

const complete = (file: string, ms: number | undefined, extra: Partial<EndpointingItem> = {}): EndpointingItem => ({
  file,
  kind: 'complete',
  turns: ms === undefined ? 0 : 1,
  answeredEarly: false,
  ...(ms !== undefined && { endOfSpeechToFirstAudioMs: ms }),
  ...extra,
});
const hesitant = (file: string, pauseMs: number | undefined, turns: number, answeredEarly = false, extra: Partial<EndpointingItem> = {}): EndpointingItem => ({
  file,
  kind: 'hesitant',
  ...(pauseMs !== undefined && { pauseMs }),
  turns,
  answeredEarly,
  ...(turns > 0 && { endOfSpeechToFirstAudioMs: 250 }),
  ...extra,
});

/**
 * Worked by hand: complete latencies 400, 200, 300, 100 (one question never answered) → sorted
 * 100 200 300 400, p50 = 2nd = 200, p95 = 4th = 400. Hesitant: one turn a, d, f, h (4 of 8);
 * cut off b (2 turns), c (answered early), e (2 turns) (3 of 8); g never answered is neither.
 */
const RUN: EndpointingItem[] = [
  complete('c1', 400, { speculation: { hits: 2, misses: 0, restarts: 0, wastedMs: 0 }, cpuMs: 100 }),
  complete('c2', 200),
  complete('c3', 300, { speculation: { hits: 1, misses: 1, restarts: 0, wastedMs: 120 }, cpuMs: 200 }),
  complete('c4', 100),
  complete('c5', undefined),
  hesitant('a', 300, 1),
  hesitant('b', 300, 2, false, { speculation: { hits: 0, misses: 0, restarts: 0, wastedMs: 30 } }),
  hesitant('c', 500, 1, true),
  hesitant('d', 500, 1),
  hesitant('e', 900, 2),
  hesitant('f', 900, 1),
  hesitant('g', 700, 0),
  hesitant('h', undefined, 1),
];

describe('summariseEndpointing', () => {
  it('gives complete questions nearest-rank percentiles over the answered ones', () => {
    const { complete: figures } = summariseEndpointing(RUN);
    expect(figures).toEqual({ items: 5, endOfSpeechToFirstAudio: { p50: 200, p95: 400, max: 400 } });
  });

  it('counts one-turn and falsely cut-off hesitant requests, and their shares', () => {
    const { hesitant: figures } = summariseEndpointing(RUN);
    expect(figures.items).toBe(8);
    expect(figures.oneTurn).toBe(4);
    expect(figures.oneTurnShare).toBe(0.5);
    // b and e became two turns; c was one turn but answered before its last word.
    expect(figures.falseCutOffs).toBe(3);
    expect(figures.falseCutOffShare).toBe(0.375);
  });

  it('groups hesitant requests by pause, in order, leaving out the one without a pause', () => {
    expect(summariseEndpointing(RUN).hesitant.byPause).toEqual([
      { pauseMs: 300, items: 2, oneTurnShare: 0.5 },
      { pauseMs: 500, items: 2, oneTurnShare: 0.5 },
      { pauseMs: 700, items: 1, oneTurnShare: 0 },
      { pauseMs: 900, items: 2, oneTurnShare: 0.5 },
    ]);
  });

  it('sums speculation over every item and rates hits against every attempt', () => {
    expect(summariseEndpointing(RUN).speculation).toEqual({ hits: 3, misses: 1, restarts: 0, hitRate: 0.75, wastedMs: 150 });
    const withRestarts = summariseEndpointing([complete('x', 200, { speculation: { hits: 1, misses: 1, restarts: 2, wastedMs: 80 } })]);
    expect(withRestarts.speculation.hitRate).toBe(0.25);
  });

  it('has no hit rate when nothing was speculated, even with speculation records of zero', () => {
    const none = summariseEndpointing([complete('x', 200, { speculation: { hits: 0, misses: 0, restarts: 0, wastedMs: 0 } })]);
    expect(none.speculation.hitRate).toBeUndefined();
  });

  it('averages CPU over the measured items only', () => {
    expect(summariseEndpointing(RUN).cpuMsPerItem).toBe(150);
    expect(summariseEndpointing([complete('x', 200)]).cpuMsPerItem).toBeUndefined();
  });

  it('summarises an empty run without NaN', () => {
    const empty = summariseEndpointing([]);
    expect(empty).toEqual({
      complete: { items: 0, endOfSpeechToFirstAudio: undefined },
      hesitant: { items: 0, oneTurn: 0, oneTurnShare: 0, falseCutOffs: 0, falseCutOffShare: 0, byPause: [] },
      speculation: { hits: 0, misses: 0, restarts: 0, hitRate: undefined, wastedMs: 0 },
      cpuMsPerItem: undefined,
    });
    expect(JSON.stringify(empty)).not.toMatch(/null|NaN/);
  });
});

describe('oneTurnShareUpTo and extraCpuShare', () => {
  it('counts the one-turn target over pauses up to 800 ms only', () => {
    // 300: 1 of 2, 500: 1 of 2, 700: 0 of 1 → 2 of 5; the 900 ms pair is left out.
    expect(oneTurnShareUpTo(summariseEndpointing(RUN), 800)).toBe(0.4);
    expect(oneTurnShareUpTo(summariseEndpointing([hesitant('x', 900, 1)]), 800)).toBeUndefined();
  });

  it('is candidate / baseline CPU − 1, undefined when either was not measured', () => {
    const baseline = summariseEndpointing([complete('x', 400, { cpuMs: 200 })]);
    const candidate = summariseEndpointing([complete('x', 200, { cpuMs: 230 })]);
    expect(extraCpuShare(baseline, candidate)).toBeCloseTo(0.15, 10);
    expect(extraCpuShare(baseline, summariseEndpointing([complete('x', 200)]))).toBeUndefined();
  });
});

describe('endpointingTable', () => {
  const line = (lines: string[], start: string) => {
    const found = lines.find((text) => text.startsWith(start));
    expect(found, start).toBeDefined();
    return found!;
  };

  it('puts both runs side by side with their figures', () => {
    const baseline = summariseEndpointing([
      complete('c1', 600, { cpuMs: 100 }),
      complete('c2', 700, { cpuMs: 100 }),
      hesitant('a', 300, 2),
      hesitant('b', 500, 1),
    ]);
    const lines = endpointingTable(baseline, summariseEndpointing(RUN), { baseline: 'fixed silence', candidate: 'lexical' });
    expect(line(lines, 'endpointing')).toMatch(/fixed silence\s+lexical$/);
    expect(line(lines, 'complete questions')).toMatch(/\s2\s+5$/);
    expect(line(lines, '  end of speech → first audio p50')).toMatch(/600 ms\s+200 ms$/);
    expect(line(lines, '  p95')).toMatch(/700 ms\s+400 ms$/);
    expect(line(lines, '  one turn ')).toMatch(/50\.0 % \(1 of 2\)\s+50\.0 % \(4 of 8\)$/);
    expect(line(lines, '  false cut-offs')).toMatch(/50\.0 % \(1 of 2\)\s+37\.5 % \(3 of 8\)$/);
    expect(line(lines, '  one turn, pause 700 ms')).toMatch(/–\s+0\.0 % \(0 of 1\)$/);
    expect(line(lines, '  one turn, pause 900 ms')).toMatch(/–\s+50\.0 % \(1 of 2\)$/);
    expect(line(lines, 'speculation hit rate')).toMatch(/–\s+75\.0 %$/);
    expect(line(lines, '  hits / misses / restarts')).toMatch(/0 \/ 0 \/ 0\s+3 \/ 1 \/ 0$/);
    expect(line(lines, 'CPU per item')).toMatch(/100 ms\s+150 ms$/);
    expect(line(lines, '  extra CPU')).toMatch(/\+50\.0 %$/);
    expect(lines.join('\n')).not.toMatch(/NaN|undefined/);
  });

  it('says of each target whether the candidate met it', () => {
    const baseline = summariseEndpointing([complete('c1', 600, { cpuMs: 100 })]);
    const lines = endpointingTable(baseline, summariseEndpointing(RUN));
    expect(line(lines, 'targets')).toBe('targets (candidate)');
    expect(line(lines, '  ✓ complete p50 ≤ 300 ms')).toMatch(/200 ms  met$/);
    expect(line(lines, '  ✓ complete p95 ≤ 450 ms')).toMatch(/400 ms  met$/);
    expect(line(lines, '  ✗ hesitant one turn ≥ 95 % (pause ≤ 800 ms)')).toMatch(/40\.0 %  not met$/);
    expect(line(lines, '  ✗ extra CPU ≤ 25 %')).toMatch(/\+50\.0 %  not met$/);
  });

  it('meets the one-turn target when only pauses over 800 ms were cut off', () => {
    const candidate = summariseEndpointing([
      ...[300, 500, 700, 800].map((pauseMs) => hesitant(`h${pauseMs}`, pauseMs, 1)),
      hesitant('long', 900, 2),
      complete('c', 250, { cpuMs: 110 }),
    ]);
    expect(candidate.hesitant.oneTurnShare).toBe(0.8);
    const lines = endpointingTable(summariseEndpointing([complete('c', 600, { cpuMs: 100 })]), candidate);
    expect(line(lines, '  ✓ hesitant one turn')).toMatch(/100\.0 %  met$/);
    expect(line(lines, '  ✓ extra CPU')).toMatch(/\+10\.0 %  met$/);
  });

  it('prints empty runs with dashes and every target not measured', () => {
    const lines = endpointingTable(summariseEndpointing([]), summariseEndpointing([]));
    expect(line(lines, '  end of speech → first audio p50')).toMatch(/–\s+–$/);
    expect(line(lines, '  one turn ')).toMatch(/–\s+–$/);
    const targets = lines.slice(lines.indexOf('targets (candidate)') + 1);
    expect(targets).toHaveLength(4);
    for (const target of targets) expect(target).toMatch(/^ {2}✗ .*–  not measured$/);
    expect(lines.join('\n')).not.toMatch(/NaN|undefined/);
  });
});
