/**
 * A realistic, fully populated bench report for tests of whatever reads one (the table, the HTML
 * report, the comparison, the budget check): 8 turns over 4 corpus files on a Pi 5, with figures
 * that agree with each other (latencies from the marks, stats from the latencies, WER from the words).
 */
import { BENCH_REPORT_SCHEMA, BENCH_STAGES, type BenchReport, type BenchTurn, type WordErrors } from '../../src/bench/BenchReport.js';
import { gluePercent, stageStats, tenth } from '../../src/bench/benchStats.js';
import { addWordErrors, wordErrorRate } from '../../src/bench/wordErrorRate.js';

interface CorpusLine {
  file: string;
  reference: string;
}

const CORPUS: readonly CorpusLine[] = [
  { file: 'opening_hours.wav', reference: 'what time do you open on saturday' },
  { file: 'book_appointment.wav', reference: 'can i book an appointment for tomorrow morning' },
  { file: 'where_is_reception.wav', reference: 'where is the reception desk' },
  { file: 'parking.wav', reference: 'is there parking near the building' },
];

const REPLIES: readonly string[] = [
  'We open at nine on Saturdays.',
  'Sure, what time tomorrow morning suits you?',
  'Reception is straight ahead, on your left.',
  'Yes, there is a car park behind the building.',
];

/** What the recogniser heard on each turn, with the word errors counted by hand against the reference. */
const HEARD: readonly { transcript: string; words: Omit<WordErrors, 'referenceWords'> }[] = [
  { transcript: 'what time do you open on saturday', words: { substitutions: 0, deletions: 0, insertions: 0 } },
  { transcript: 'can i book an appointment for tomorrow morning', words: { substitutions: 0, deletions: 0, insertions: 0 } },
  { transcript: 'where is the reception desk', words: { substitutions: 0, deletions: 0, insertions: 0 } },
  { transcript: 'is there parking near building', words: { substitutions: 0, deletions: 1, insertions: 0 } },
  { transcript: 'what time do you open saturday', words: { substitutions: 0, deletions: 1, insertions: 0 } },
  { transcript: 'can i look an appointment for tomorrow morning', words: { substitutions: 1, deletions: 0, insertions: 0 } },
  { transcript: 'where is the reception desk please', words: { substitutions: 0, deletions: 0, insertions: 1 } },
  { transcript: 'is there parking near the building', words: { substitutions: 0, deletions: 0, insertions: 0 } },
];

const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;


/** BENCH_STAGES spans and BENCH_TOTALS of a turn's marks; glue is the part no engine explains (a few ms). */
function latenciesOf(marks: BenchTurn['marks'], glue: number): Record<string, number> {
  const latencies: Record<string, number> = {};
  for (const stage of BENCH_STAGES) {
    const from = marks[stage.from];
    const to = marks[stage.to];
    if (from !== undefined && to !== undefined) latencies[stage.name] = tenth(to - from);
  }
  if (marks.speechEnd !== undefined && marks.playbackStart !== undefined) {
    latencies.endOfSpeechToFirstAudio = tenth(marks.playbackStart - marks.speechEnd);
    latencies.glue = glue;
  }
  return latencies;
}

/**
 * Turn `index` of the fixture: corpus file `index % 4`, marks that vary deterministically with the
 * index around speechStart −1500, endpoint 410, asrFinal 530, … playbackStart 565 ms.
 * `overrides` win as given (nothing is recomputed from them).
 */
export function makeBenchTurn(index: number, overrides: Partial<BenchTurn> = {}): BenchTurn {
  const line = CORPUS[index % CORPUS.length]!;
  const heard = HEARD[index % HEARD.length]!;
  // A small, repeatable wobble per turn (−3 … +4) so that p50, p95 and max differ.
  const wobble = ((index * 7) % 8) - 3;
  const endpoint = 410 + wobble * 4;
  const asrFinal = endpoint + 120 + wobble * 3;
  const llmFirstToken = asrFinal + 5 + Math.abs(wobble) * 6;
  const firstPhrase = llmFirstToken + 1 + (index % 3) * 0.5;
  const ttsFirstAudio = firstPhrase + 24 + wobble * 2;
  const marks: BenchTurn['marks'] = {
    speechStart: -1500 - (index % 4) * 120,
    speechEnd: 0,
    endpoint: tenth(endpoint),
    asrFinal: tenth(asrFinal),
    llmFirstToken: tenth(llmFirstToken),
    firstPhrase: tenth(firstPhrase),
    ttsFirstAudio: tenth(ttsFirstAudio),
    playbackStart: tenth(ttsFirstAudio + 5 + (index % 2)),
  };
  return {
    index,
    file: line.file,
    reference: line.reference,
    transcript: heard.transcript,
    reply: REPLIES[index % REPLIES.length]!,
    path: index % 4 === 1 ? 'llm' : 'rule',
    outcome: 'answered',
    marks,
    latencies: latenciesOf(marks, tenth(3 + (index % 3) * 1.5)),
    words: { ...heard.words, referenceWords: wordCount(line.reference) },
    ...overrides,
  };
}

const NO_ERRORS: WordErrors = { substitutions: 0, deletions: 0, insertions: 0, referenceWords: 0 };

/** The fixture's report, built from 8 {@link makeBenchTurn} turns; `overrides` win as given. */
export function makeBenchReport(overrides: Partial<BenchReport> = {}): BenchReport {
  const turns = Array.from({ length: 8 }, (_, i) => makeBenchTurn(i));
  const perFile = CORPUS.map(({ file, reference }) => {
    const ofFile = turns.filter((turn) => turn.file === file);
    const errors = ofFile.reduce((sum, turn) => addWordErrors(sum, turn.words), NO_ERRORS);
    return { file, reference, turns: ofFile.length, wer: wordErrorRate(errors), errors };
  });
  const all = turns.reduce((sum, turn) => addWordErrors(sum, turn.words), NO_ERRORS);
  return {
    schema: BENCH_REPORT_SCHEMA,
    version: '0.1.0',
    startedAt: '2025-12-02T13:20:05.412Z',
    finishedAt: '2025-12-02T13:21:48.907Z',
    device: {
      hostname: 'kiosk-lobby',
      board: 'Raspberry Pi 5 Model B Rev 1.0',
      kernel: '6.6.51+rpt-rpi-2712',
      os: 'Debian GNU/Linux 12 (bookworm)',
      arch: 'arm64',
      cpu: 'Cortex-A76',
      cpus: 4,
      memoryMb: 8052,
      node: 'v20.19.2',
    },
    models: { vad: 'silero_vad.onnx', asr: 'pocketsphinx:en-us', llm: 'stories260K.gguf', tts: 'espeak-ng:en-us' },
    configHash: '3f9a1c07be42',
    corpus: { dir: 'scripts/bench/corpus', files: CORPUS.length },
    options: { turns: turns.length, throughAlsa: false },
    turns,
    stages: stageStats(turns),
    gluePercent: gluePercent(turns),
    wer: { overall: wordErrorRate(all), perFile },
    engines: { asrRealTimeFactor: 0.21, ttsRealTimeFactor: 0.08, llmPromptTokensPerSecond: 412.5, llmGenerationTokensPerSecond: 96.3 },
    engineSamples: {
      asrRealTimeFactor: [0.19, 0.2, 0.21, 0.21, 0.22, 0.23],
      ttsRealTimeFactor: [0.07, 0.08, 0.08, 0.08, 0.09, 0.09],
      llmPromptTokensPerSecond: [398.1, 405.7, 410.2, 414.9, 420.3, 425.8],
      llmGenerationTokensPerSecond: [92.4, 94.8, 96.1, 96.5, 98.2, 99.7],
    },
    system: {
      before: { cpuTemperatureC: 46.2, throttled: { raw: '0x0', flags: [] } },
      after: { cpuTemperatureC: 51.0, throttled: { raw: '0x0', flags: [] } },
      rssMb: { start: 212, end: 218 },
    },
    ...overrides,
  };
}
