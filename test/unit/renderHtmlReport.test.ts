import { describe, expect, it } from 'vitest';
import { BENCH_STAGES, type BenchReport, type BudgetVerdict } from '../../src/bench/BenchReport.js';
import { escapeHtml, formatMs, formatRatioPercent } from '../../src/bench/report/html.js';
import { renderHtmlReport } from '../../src/bench/report/renderHtmlReport.js';
import { makeBenchReport, makeBenchTurn } from '../helpers/benchReportFixture.js';

const HOSTILE = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';

/** The markup of the waterfall row of turn `index`, up to the next row. */
function waterfallRow(html: string, index: number): string {
  const start = html.indexOf(`<tr class="waterfall-row" data-turn="${index}">`);
  expect(start, `waterfall row ${index}`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</tr>', start));
}

const all = (html: string, pattern: RegExp) => [...html.matchAll(pattern)].map((m) => m[1]);

const budget: BudgetVerdict = {
  file: 'scripts/bench/budgets/pi5.yaml',
  name: 'Raspberry Pi 5, default models',
  passed: false,
  checks: [
    { metric: 'endOfSpeechToFirstAudio.p50', limit: 600, kind: 'max', value: 567, ok: true },
    { metric: 'endOfSpeechToFirstAudio.p95', limit: 600, kind: 'max', value: 626.5, ok: false },
    { metric: 'asrFinalAfterEndpoint.p50', limit: 120, kind: 'max', value: 120, ok: true },
    { metric: 'gluePercent', limit: 10, kind: 'max', value: 0.7, ok: true },
    { metric: 'llmGenerationTokensPerSecond', limit: 10, kind: 'min', value: 96.3, ok: true },
  ],
};

describe('the HTML bench report: escaping', () => {
  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`a & b < c > d " e ' f`)).toBe('a &amp; b &lt; c &gt; d &quot; e &#39; f');
  });

  it('shows a hostile transcript, reply, file and device strings as text, in the page and in the tooltips', () => {
    const base = makeBenchReport();
    const turns = base.turns.map((turn) => (turn.index === 3 ? { ...turn, transcript: HOSTILE, reply: `"><img src=x onerror=alert(2)>`, file: `<b>evil</b>.wav` } : turn));
    const html = renderHtmlReport({ ...base, turns, device: { ...base.device, board: HOSTILE, hostname: `kiosk" onmouseover="alert(3)` }, models: { ...base.models, llm: '<i>model</i>' } });

    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('<b>evil');
    expect(html).not.toContain('<i>model');
    expect(html).not.toContain('" onmouseover="');
    expect(html).toContain(ESCAPED);
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('&lt;b&gt;evil&lt;/b&gt;.wav');
    // The title and the header carry the board; the waterfall tooltip carries the transcript.
    expect(html).toContain(`<title>kiosk-voice bench — ${ESCAPED} — ${base.startedAt}</title>`);
    expect(waterfallRow(html, 3)).toContain(`heard: ${ESCAPED}`);
  });
});

describe('the HTML bench report: figures', () => {
  it('formats ms with 0 or 1 decimal and missing figures as an en dash', () => {
    expect([formatMs(410), formatMs(1.5), formatMs(626.54), formatMs(0.04), formatMs(null), formatMs(undefined), formatMs(Number.NaN)]).toEqual(['410', '1.5', '626.5', '0', '–', '–', '–']);
    expect([formatRatioPercent(0.0769), formatRatioPercent(null)]).toEqual(['7.7 %', '–']);
  });

  it('shows every figure the run could not measure as – and never NaN, null or undefined', () => {
    const none = { p50: null, p95: null, max: null, n: 0 };
    const report: BenchReport = makeBenchReport({
      stages: Object.fromEntries(Object.keys(makeBenchReport().stages).map((name) => [name, none])),
      gluePercent: null,
      wer: { overall: null, perFile: [] },
      engines: { asrRealTimeFactor: null, ttsRealTimeFactor: null, llmPromptTokensPerSecond: null, llmGenerationTokensPerSecond: null },
      system: { before: {}, after: {}, rssMb: { start: 200, end: 201 } },
    });
    const html = renderHtmlReport(report);

    expect(html).not.toMatch(/NaN|null|undefined/);
    expect(html).toContain('<h2>Recognition: WER – overall</h2>');
    expect(html).toMatch(/<td>glue \(not engine compute\)<\/td><td class="num">–<\/td>/);
    expect(html).toMatch(/<td>CPU temperature<\/td><td class="num">– → –<\/td>/);
    expect(html).toMatch(/<td>throttled \(after\)<\/td><td class="num">–<\/td>/);
    // The stats table: p50, p95 and max are dashes, n is 0; no p50/p95 bar is drawn.
    expect(html).toContain('<tr data-stage="llmFirstToken"><td>LLM first token</td><td class="num">–</td><td class="num">–</td><td class="num">–</td><td class="num">0</td></tr>');
    expect(html).not.toContain('class="stage-bar"');
  });

  it('has the header facts: board, start, version, models, config hash, corpus and turns', () => {
    const report = makeBenchReport();
    const html = renderHtmlReport(report);
    expect(html).toContain('<h1>kiosk-voice bench — Raspberry Pi 5 Model B Rev 1.0 — 2025-12-02T13:20:05.412Z</h1>');
    for (const fact of ['0.1.0', 'silero_vad.onnx', 'pocketsphinx:en-us', 'stories260K.gguf', 'espeak-ng:en-us', '3f9a1c07be42', 'scripts/bench/corpus</code> (4 files)', '<dd>8, fed from the files</dd>']) {
      expect(html).toContain(fact);
    }
    expect(all(html, /<tr class="wer-file"><td>([^<]*)<\/td>/g)).toEqual(report.wer.perFile.map((file) => file.file));
    for (const value of Object.values(report.device)) expect(html).toContain(`<td>${value}</td>`);
  });

  it('references nothing outside the page and has no script', () => {
    const html = renderHtmlReport(makeBenchReport({ budget }));
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/<script|<link|<img|<iframe/i);
  });
});

describe('the HTML bench report: budget', () => {
  it('draws no budget marker, banner or checks table without a budget', () => {
    const html = renderHtmlReport(makeBenchReport());
    expect(html).not.toContain('class="budget-marker');
    expect(html).not.toContain('class="budget-check');
    expect(html).not.toContain('class="verdict');
    expect(html).not.toContain('Budget checks');
  });

  it('marks each stage limit on its bar, red when not met, and lists every check as pass or FAIL', () => {
    const html = renderHtmlReport(makeBenchReport({ budget }));

    // Markers only for `<stage>.p50|p95` checks; gluePercent and tokens/s are in the table only.
    expect(all(html, /<g class="budget-marker (?:pass|fail)" data-metric="([^"]+)"/g)).toEqual(['asrFinalAfterEndpoint.p50', 'endOfSpeechToFirstAudio.p50', 'endOfSpeechToFirstAudio.p95']);
    expect(html).toContain('<g class="budget-marker fail" data-metric="endOfSpeechToFirstAudio.p95">');
    expect(all(html, /<tr class="budget-check (pass|fail)"/g)).toEqual(['pass', 'fail', 'pass', 'pass', 'pass']);
    expect(html).toContain('<td class="num">≥ 10.0 tokens/s</td><td class="num">96.3 tokens/s</td><td class="result">pass</td>');
    expect(html).toContain('<td class="num">≤ 600 ms</td><td class="num">626.5 ms</td><td class="result">FAIL</td>');
    expect(html).toContain('Budget Raspberry Pi 5, default models (scripts/bench/budgets/pi5.yaml): <strong>failed: 1 of 5 checks not met</strong>');
  });
});

describe('the HTML bench report: end of turn', () => {
  it("shows each turn's verdict, the silence it had and asked for, and a reply made at the pause", () => {
    const base = makeBenchReport();
    const speculated = makeBenchTurn(0, {
      endpoint: { backend: 'lexical', verdict: 'complete', reason: 'question with object', requiredSilenceMs: 220, silenceMs: 234.4, resumedPauses: 1 },
      speculation: { hits: 1, misses: 1, restarts: 0, declined: 0, wastedMs: 41 },
    });
    speculated.marks = { ...speculated.marks, speculationStart: 161.2, endpointDecision: 170 };
    const unsure = makeBenchTurn(1, { endpoint: { backend: 'lexical', verdict: 'unsure', reason: 'too few words to judge by', requiredSilenceMs: 400, silenceMs: 416, resumedPauses: 0 } });
    const html = renderHtmlReport({ ...base, turns: [speculated, unsure, makeBenchTurn(2)] });
    const turnRows = html.slice(html.indexOf('<table class="turns">'));
    expect(turnRows).toContain('<th>end of turn</th>');
    expect(turnRows).toContain('complete after 234 of 220 ms, speculated');
    expect(turnRows).toContain('unsure after 416 of 400 ms</td>');
    expect(turnRows).toContain('fixed silence');
    expect(html).toContain('end of turn: complete (question with object), 234 ms of silence for 220 asked');
    expect(html).toContain('reply made at the pause, 161.2 ms after the end of speech');
  });
});

describe('the HTML bench report: waterfall', () => {
  it('has one waterfall row per turn with its index, a segment per stage and the end-of-speech → first-audio figure', () => {
    const report = makeBenchReport();
    const html = renderHtmlReport(report);
    expect(all(html, /class="waterfall-row" data-turn="(\d+)"/g)).toEqual(report.turns.map((turn) => String(turn.index)));
    const row = waterfallRow(html, 1);
    expect(all(row, /class="stage-segment" data-stage="([^"]+)"/g)).toEqual(BENCH_STAGES.map((stage) => stage.name));
    expect(row).toContain('book_<wbr>appointment.<wbr>wav');
    expect(row).toContain(`${report.turns[1]!.latencies.endOfSpeechToFirstAudio} ms</td>`);
    expect(row).toContain('class="speech-end"');
    expect(row).not.toContain('missing');
  });

  it('draws no segment for a stage whose mark is missing and says which marks are', () => {
    const whole = makeBenchTurn(2);
    const { asrFinal: _asrFinal, ...marks } = whole.marks;
    const turn = makeBenchTurn(2, { marks, latencies: { vadEndOfSpeechDelay: 422, firstPhrase: 2, ttsFirstAudio: 30, playbackStart: 5, endOfSpeechToFirstAudio: 611, glue: 6 } });
    const report = makeBenchReport();
    const html = renderHtmlReport({ ...report, turns: report.turns.map((t) => (t.index === 2 ? turn : t)) });

    const row = waterfallRow(html, 2);
    // asrFinal ends one stage and starts the next: both are gone, the others stay.
    expect(all(row, /class="stage-segment" data-stage="([^"]+)"/g)).toEqual(['vadEndOfSpeechDelay', 'firstPhrase', 'ttsFirstAudio', 'playbackStart']);
    expect(row).toContain('<span class="missing">missing: asrFinal</span>');
    expect(row).toContain('ASR final after endpoint: –');
  });

  it('still renders a turn that has no marks at all', () => {
    const report = makeBenchReport();
    const html = renderHtmlReport({ ...report, turns: [makeBenchTurn(0, { marks: {}, latencies: {} })] });
    const row = waterfallRow(html, 0);
    expect(row).not.toContain('stage-segment');
    expect(row).not.toContain('class="speech"');
    expect(row).toContain('missing: speechStart, speechEnd, endpoint, asrFinal, llmFirstToken, firstPhrase, ttsFirstAudio, playbackStart');
    expect(row).toContain('<td class="num total">–</td>');
  });
});
