import { describe, expect, it } from 'vitest';
import { BENCH_STAGES, BENCH_TOTALS, type BenchReport } from '../../src/bench/BenchReport.js';
import { formatBenchTable } from '../../src/bench/benchTable.js';
import { makeBenchReport } from '../helpers/benchReportFixture.js';

// The bench's terminal table: what a person reads after `kiosk-voice bench`.

const lineOf = (table: string, start: string) => table.split('\n').find((line) => line.startsWith(start));
const widest = (table: string) => Math.max(...table.split('\n').map((line) => line.length));

describe('formatBenchTable', () => {
  const report = makeBenchReport();
  const table = formatBenchTable(report);

  it('heads the table with the run: device, version, models, config hash, corpus and turns', () => {
    expect(table).toContain('kiosk-voice 0.1.0 bench on kiosk-lobby');
    expect(table).toContain('Raspberry Pi 5 Model B Rev 1.0; kernel 6.6.51+rpt-rpi-2712; Debian GNU/Linux 12 (bookworm)');
    expect(table).toContain('models: vad silero_vad.onnx, asr pocketsphinx:en-us, llm stories260K.gguf, tts espeak-ng:en-us');
    expect(table).toContain('config hash 3f9a1c07be42');
    expect(table).toContain('corpus scripts/bench/corpus (4 files): 8 turns of 8 asked');
  });

  it('has a row per stage and total, in order, with p50, p95, max and n', () => {
    const labels = [...BENCH_STAGES, ...BENCH_TOTALS].map((stage) => stage.label);
    const positions = labels.map((label) => table.indexOf(`\n${label} `));
    expect(positions.every((at) => at > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    const total = report.stages.endOfSpeechToFirstAudio!;
    expect(lineOf(table, 'end of speech → first audio')!.split(/\s{2,}/).slice(1)).toEqual([total.p50!.toFixed(1), total.p95!.toFixed(1), total.max!.toFixed(1), '8']);
    expect(lineOf(table, 'ASR final after endpoint')).toMatch(/ 120\.0 +132\.0 +132\.0 +8$/);
  });

  it('right-aligns the figures in their columns', () => {
    const rows = [...BENCH_STAGES, ...BENCH_TOTALS].map(({ label }) => lineOf(table, label)!);
    expect(new Set(rows.map((row) => row.length)).size).toBe(1);
    expect(lineOf(table, 'stage')!.length).toBe(rows[0]!.length);
  });

  it('shows glue, WER overall and per file, engines, heat, throttling and memory', () => {
    expect(table).toContain(`glue: ${report.gluePercent!.toFixed(1)} % of end of speech → first audio`);
    expect(table).toContain(`word error rate: ${(report.wer.overall! * 100).toFixed(1)} % overall`);
    expect(lineOf(table, '  book_appointment.wav')).toMatch(/ 6\.3 % +2 turns; S 1, D 0, I 0 of 16 words$/);
    expect(table).toContain('engines: real-time factor ASR 0.210, TTS 0.080; LLM prompt 412.5 tokens/s, generation 96.3 tokens/s');
    expect(table).toContain('CPU temperature: 46.2 °C → 51.0 °C');
    expect(table).toContain('throttling: 0x0 → 0x0');
    expect(table).toContain('212 MB → 218 MB');
  });

  it('shows what was not measured as –', () => {
    const bare = formatBenchTable(
      makeBenchReport({
        stages: { ...report.stages, llmFirstToken: { p50: null, p95: null, max: null, n: 0 } },
        gluePercent: null,
        wer: { overall: null, perFile: [] },
        engines: { asrRealTimeFactor: null, ttsRealTimeFactor: null, llmPromptTokensPerSecond: null, llmGenerationTokensPerSecond: null },
        system: { before: {}, after: { cpuTemperatureC: 60, throttled: { raw: '0x50005', flags: ['under-voltage now', 'throttled now'] } }, rssMb: { start: 200.4, end: 250.6 } },
      }),
    );
    expect(lineOf(bare, 'LLM first token')).toMatch(/ – +– +– +0$/);
    expect(lineOf(bare, 'first phrase')).not.toContain('–');
    expect(bare).toContain('glue: – of end of speech');
    expect(bare).toContain('word error rate: – overall');
    expect(bare).toContain('engines: real-time factor ASR –, TTS –; LLM prompt – tokens/s, generation – tokens/s');
    expect(bare).toContain('CPU temperature: no sensor → 60.0 °C');
    expect(bare).toContain('throttling: unknown → 0x50005 (under-voltage now, throttled now)');
    expect(bare).toContain('200 MB → 251 MB');
  });

  it('shows the budget only when the report has one, with ✓ and ✗ per check', () => {
    expect(table).not.toMatch(/budget|✓|✗/);
    const withBudget = formatBenchTable(
      makeBenchReport({
        budget: {
          file: 'scripts/bench/budgets/pi5.yaml',
          name: 'Raspberry Pi 5',
          passed: false,
          checks: [
            { metric: 'endOfSpeechToFirstAudio.p95', limit: 850, kind: 'max', value: 626.5, ok: true },
            { metric: 'llmGenerationTokensPerSecond', limit: 100, kind: 'min', value: 96.3, ok: false },
            { metric: 'cpuTemperatureC', limit: 80, kind: 'max', value: null, ok: false },
          ],
        },
      }),
    );
    expect(withBudget).toContain('budget Raspberry Pi 5: EXCEEDED');
    expect(lineOf(withBudget, '  ✓ endOfSpeechToFirstAudio.p95')).toMatch(/ 626\.5  ≤ 850$/);
    expect(lineOf(withBudget, '  ✗ llmGenerationTokensPerSecond')).toMatch(/ 96\.3  ≥ 100$/);
    expect(lineOf(withBudget, '  ✗ cpuTemperatureC')).toMatch(/ not measured  ≤ 80$/);
  });

  it('names a budget without a name by its file, and says when it is met', () => {
    const met = formatBenchTable(makeBenchReport({ budget: { file: 'dev.yaml', passed: true, checks: [{ metric: 'wer', limit: 0.35, kind: 'max', value: 0.08, ok: true }] } }));
    expect(met).toContain('budget dev.yaml: met');
  });

  it('stays within 100 columns, wrapping long model ids and throttle flags', () => {
    expect(widest(table)).toBeLessThanOrEqual(100);
    const long: Partial<BenchReport> = {
      models: {
        vad: 'silero_vad.onnx',
        asr: 'sherpa-onnx-streaming-zipformer-en-2023-06-26-int8-encoder-epoch-99-avg-1',
        llm: 'Qwen2.5-0.5B-Instruct-Q4_0.gguf',
        tts: 'vits-piper-en_US-lessac-medium',
        set: 'pi5',
      },
      wer: { overall: 0.1, perFile: [{ file: 'a_very_long_corpus_file_name_for_a_question_about_parking.wav', reference: 'x', turns: 1, wer: 0.1, errors: { substitutions: 1, deletions: 0, insertions: 0, referenceWords: 10 } }] },
      system: {
        before: { cpuTemperatureC: 80, throttled: { raw: '0x50005', flags: ['under-voltage now', 'throttled now', 'under-voltage has occurred', 'throttling has occurred'] } },
        after: { cpuTemperatureC: 85, throttled: { raw: '0xe000e', flags: ['arm frequency capped now', 'throttled now', 'soft temperature limit now', 'arm frequency capping has occurred'] } },
        rssMb: { start: 200, end: 300 },
      },
    };
    const wide = formatBenchTable(makeBenchReport(long));
    expect(widest(wide)).toBeLessThanOrEqual(100);
    expect(wide.replace(/\n {4}/g, ' ')).toContain('asr sherpa-onnx-streaming-zipformer-en-2023-06-26-int8-encoder-epoch-99-avg-1, llm');
    expect(wide).toContain('a_very_long_corpus_file_name_fo…');
  });
});
