import { runFileConversation } from '../app/runFileConversation.js';
import { modelIds } from '../app/kioskCommands.js';
import { configHash } from '../config/configHash.js';
import type { KioskConfig } from '../config/schema.js';
import type { Logger } from '../logging/createLogger.js';
import { readDeviceFacts } from '../system/deviceFacts.js';
import { processTreeCpuMs, processTreeRssMb } from '../system/processTree.js';
import { cpuReadings } from '../telemetry/healthSnapshot.js';
import type { EndpointDecision } from '../turn/endpointing/EndpointDecision.js';
import { turnLatencies, type Turn } from '../turn/Turn.js';
import { VERSION } from '../version.js';
import { askThroughAlsa } from './askThroughAlsa.js';
import type { BenchCorpus, CorpusEntry } from './benchCorpus.js';
import { gluePercent, stageStats, tenth } from './benchStats.js';
import {
  BENCH_ENDPOINTING_MARKS,
  BENCH_MARKS,
  BENCH_REPORT_SCHEMA,
  BENCH_STAGES,
  type BenchReport,
  type BenchTurn,
  type FileWordErrorRate,
  type ThermalState,
  type WordErrors,
} from './BenchReport.js';
import { summariseEndpointing, type EndpointingItem } from './endpointingSummary.js';
import { measureEngineSpeed } from './measureEngineSpeed.js';
import { addWordErrors, wordErrorRate, wordErrors } from './wordErrorRate.js';

export interface CorpusBenchOptions {
  config: KioskConfig;
  modelsDir: string;
  logger: Logger;
  corpus: BenchCorpus;
  /** Turns to play: the corpus in order, again from the start when it runs out. */
  turns: number;
  /** The model set named on the command line, for the report. */
  modelSet?: string | undefined;
  /** Ask the questions aloud through the kiosk's ALSA devices instead of reading the files into the pipeline. */
  throughAlsa?: { questionDevice: string; env?: NodeJS.ProcessEnv } | undefined;
  /** Each turn as it ends (progress). */
  onTurn?: (turn: Turn) => void;
}

const SAMPLE_RATE = 16000;
/** Silence before each question: the visitor steps up, the previous answer has ended. */
const GAP_SECONDS = 1;

/**
 * The corpus played as one recording, in real time, straight into the pipeline: each question
 * after a second of silence. A turn belongs to the question its speech started in (or the one
 * before, for a turn that began in a gap).
 */
async function askFromFiles(config: KioskConfig, modelsDir: string, logger: Logger, questions: CorpusEntry[], onTurn: (turn: Turn) => void): Promise<AskedCorpus> {
  const gap = GAP_SECONDS * SAMPLE_RATE;
  const samples = new Int16Array(questions.reduce((n, entry) => n + gap + entry.samples.length, 0));
  const starts: number[] = [];
  let at = 0;
  for (const entry of questions) {
    starts.push(at);
    samples.set(entry.samples, at + gap);
    at += gap + entry.samples.length;
  }
  // Replies are not paced like a speaker, so a long answer does not hold the next question in a queue.
  const conversation = await runFileConversation({ config, modelsDir, storagePath: ':memory:', logger, samples, realtime: true, pacedPlayback: false, onTurn });
  const questionOf = new Map<Turn, number>();
  const heardUntil = new Map<Turn, number>();
  for (const turn of conversation.turns) {
    if (!turn.speechSamples) continue;
    const start = conversation.toFilePosition(turn.speechSamples[0]);
    const index = starts.findLastIndex((s) => s <= start);
    if (index < 0) continue;
    questionOf.set(turn, index);
    heardUntil.set(turn, conversation.toFilePosition(turn.speechSamples[1]) - starts[index]! - gap);
  }
  return { turns: conversation.turns, questionOf, heardUntil };
}

/** The turns a corpus became, and which question each belongs to. */
interface AskedCorpus {
  turns: Turn[];
  questionOf: Map<Turn, number>;
  /** Where in its question's audio a turn's speech ended (samples from the question's start), when known. */
  heardUntil?: Map<Turn, number>;
}

/** The last sample louder than the corpus's digital silence: where the visitor stopped speaking. */
function lastVoicedSample(samples: Int16Array): number {
  for (let i = samples.length - 1; i >= 0; i--) if (Math.abs(samples[i]!) > 64) return i + 1;
  return 0;
}

/** A turn that ends this long before the question's last voiced sample left words unheard: it was answered early. */
const EARLY_SAMPLES = 0.15 * SAMPLE_RATE;

/** Per question of a corpus with kinds: the turns it became, whether it was answered early, its latency, its speculations. */
function endpointingItems(questions: CorpusEntry[], heard: AskedCorpus, heardBy: Map<number, Turn[]>, cpuMsPerItem: number | undefined): EndpointingItem[] {
  const items: EndpointingItem[] = [];
  questions.forEach((entry, index) => {
    if (entry.kind === undefined) return;
    const turns = heardBy.get(index) ?? [];
    const last = turns.at(-1);
    const first = turns[0];
    const firstHeardUntil = first === undefined ? undefined : heard.heardUntil?.get(first);
    const answeredEarly = firstHeardUntil !== undefined && firstHeardUntil < lastVoicedSample(entry.samples) - EARLY_SAMPLES;
    const e2e = last === undefined ? Number.NaN : turnLatencies(last).endOfSpeechToFirstAudio;
    const speculation = turns.reduce(
      (sum, turn) => ({
        hits: sum.hits + (turn.speculation?.hits ?? 0),
        misses: sum.misses + (turn.speculation?.misses ?? 0),
        restarts: sum.restarts + (turn.speculation?.restarts ?? 0),
        wastedMs: sum.wastedMs + (turn.speculation?.wastedMs ?? 0),
      }),
      { hits: 0, misses: 0, restarts: 0, wastedMs: 0 },
    );
    items.push({
      file: entry.file,
      kind: entry.kind,
      ...(entry.pauseMs !== undefined && { pauseMs: entry.pauseMs }),
      turns: turns.length,
      answeredEarly,
      ...(Number.isFinite(e2e) && { endOfSpeechToFirstAudioMs: tenth(e2e) }),
      speculation,
      ...(cpuMsPerItem !== undefined && { cpuMs: cpuMsPerItem }),
    });
  });
  return items;
}

export interface AskCorpusResult extends AskedCorpus {
  questions: CorpusEntry[];
  /** Turns by the index of the question they belong to. */
  heardBy: Map<number, Turn[]>;
  /** For a corpus with kinds (complete, hesitant): one item per question played. */
  endpointing: EndpointingItem[];
  /** The kiosk's processes' CPU time per question from the first answer on, ms. */
  cpuMsPerQuestion: number | undefined;
  rssMb: { start: number; end: number };
}

/** Plays `turns` questions of the corpus through the pipeline (or ALSA) and sorts what came back by question. */
export async function askCorpus(options: CorpusBenchOptions): Promise<AskCorpusResult> {
  const { config, modelsDir, logger, corpus, turns } = options;
  const questions = Array.from({ length: turns }, (_, i) => corpus.entries[i % corpus.entries.length]!);
  // From the first answer on, when every engine is loaded: growth from there is what a long day adds.
  // Read as each turn ends, while the engines still run (they stop before the bench returns).
  let rssStart: number | undefined;
  let rssEnd: number | undefined;
  const cpu: { first?: { ms: number; question: number }; last?: { ms: number; question: number } } = {};
  let answered = 0;
  const onTurn = (turn: Turn) => {
    rssEnd = processTreeRssMb();
    rssStart ??= rssEnd;
    const reading = { ms: processTreeCpuMs(), question: ++answered };
    cpu.first ??= reading;
    cpu.last = reading;
    options.onTurn?.(turn);
  };
  logger.info({ turns, corpus: corpus.dir, throughAlsa: Boolean(options.throughAlsa) }, 'bench: asking the corpus');
  const heard: AskedCorpus = options.throughAlsa
    ? await askThroughAlsa({ config, modelsDir, logger, corpus, questions, ...options.throughAlsa, onTurn })
    : await askFromFiles(config, modelsDir, logger, questions, onTurn);
  const heardBy = new Map<number, Turn[]>();
  for (const turn of heard.turns) {
    const at = heard.questionOf.get(turn);
    if (at !== undefined) heardBy.set(at, [...(heardBy.get(at) ?? []), turn]);
  }
  const { first, last } = cpu;
  // Turns, not questions, are counted between readings; with kinds a question is one turn when all goes well.
  const cpuMsPerQuestion = first && last && last.question > first.question ? tenth((last.ms - first.ms) / (last.question - first.question)) : undefined;
  return {
    ...heard,
    questions,
    heardBy,
    endpointing: endpointingItems(questions, heard, heardBy, cpuMsPerQuestion),
    cpuMsPerQuestion,
    rssMb: { start: Math.round(rssStart ?? 0), end: Math.round(rssEnd ?? 0) },
  };
}

const finite = (value: number | undefined): value is number => value !== undefined && Number.isFinite(value);

function benchLatencies(turn: Turn): Record<string, number> {
  const values: Record<string, number> = {};
  for (const stage of BENCH_STAGES) {
    const from = turn.marks[stage.from];
    const to = turn.marks[stage.to];
    if (finite(from) && finite(to)) values[stage.name] = tenth(to - from);
  }
  const { endOfSpeechToFirstAudio, glue } = turnLatencies(turn);
  if (Number.isFinite(endOfSpeechToFirstAudio)) values.endOfSpeechToFirstAudio = tenth(endOfSpeechToFirstAudio);
  if (Number.isFinite(glue)) values.glue = tenth(glue);
  return values;
}

function benchTurn(index: number, turn: Turn, entry: CorpusEntry | undefined): BenchTurn {
  const speechEnd = turn.marks.speechEnd;
  const marks: BenchTurn['marks'] = {};
  if (speechEnd !== undefined) {
    for (const name of [...BENCH_MARKS, ...BENCH_ENDPOINTING_MARKS]) {
      const at = turn.marks[name];
      if (finite(at)) marks[name] = tenth(at - speechEnd);
    }
  }
  const reference = entry?.reference ?? '';
  return {
    index,
    file: entry?.file ?? '(not from the corpus)',
    reference,
    transcript: turn.transcript,
    reply: turn.reply,
    path: turn.path,
    ...(turn.outcome !== undefined && { outcome: turn.outcome }),
    ...(turn.marks.disclosed !== undefined && { disclosure: true as const }),
    marks,
    ...(turn.endpoint && { endpoint: endpointFacts(turn.endpoint) }),
    ...(turn.speculation && { speculation: turn.speculation }),
    latencies: benchLatencies(turn),
    words: wordErrors(reference, turn.transcript),
  };
}

/** The decision without its monotonic-clock time, which the `endpointDecision` mark gives relative to the end of speech. */
function endpointFacts(decision: EndpointDecision): NonNullable<BenchTurn['endpoint']> {
  const { decidedAt: _decidedAt, ...facts } = decision;
  return facts;
}

function thermal(): ThermalState {
  const cpu = cpuReadings();
  return { ...(cpu.temperatureC !== undefined && { cpuTemperatureC: cpu.temperatureC }), ...(cpu.throttled && { throttled: cpu.throttled }) };
}

/**
 * Recognition accuracy per corpus file: every question played is scored once, on the transcripts
 * of all the turns it became (a question the VAD split in two is scored on both halves; one it
 * missed counts as all deleted).
 */
function corpusWordErrorRates(questions: CorpusEntry[], heardBy: Map<number, Turn[]>): { overall: number | null; perFile: FileWordErrorRate[] } {
  const byFile = new Map<string, FileWordErrorRate>();
  let all: WordErrors = { substitutions: 0, deletions: 0, insertions: 0, referenceWords: 0 };
  questions.forEach((entry, i) => {
    const transcript = (heardBy.get(i) ?? []).map((turn) => turn.transcript).join(' ');
    const errors = wordErrors(entry.reference, transcript);
    all = addWordErrors(all, errors);
    const row = byFile.get(entry.file) ?? { file: entry.file, reference: entry.reference, turns: 0, wer: null, errors: { substitutions: 0, deletions: 0, insertions: 0, referenceWords: 0 } };
    row.turns += 1;
    row.errors = addWordErrors(row.errors, errors);
    byFile.set(entry.file, row);
  });
  const perFile = [...byFile.values()].map((row) => ({ ...row, wer: wordErrorRate(row.errors) }));
  return { overall: questions.length > 0 ? wordErrorRate(all) : null, perFile };
}

/** The settings that decide the figures: not where files are, how much is logged, or how to reach MQTT. */
function benchConfigHash(config: KioskConfig): string {
  return configHash({ ...config, logLevel: undefined, mqtt: undefined, storage: undefined, models: { ...config.models, dir: undefined } });
}

/**
 * Asks the corpus through the real pipeline (VAD → ASR → rules or LLM → TTS → sink): played into
 * it in real time, or aloud through the kiosk's ALSA devices, and reports each stage's latency, recognition accuracy, the engines' speed and
 * the machine's state. The first turn runs on cold caches and is kept: a kiosk's first visitor
 * meets it too, and p50/p95 over the corpus show it only as the max.
 */
export async function runCorpusBench(options: CorpusBenchOptions): Promise<BenchReport> {
  const { config, modelsDir, logger, corpus, turns } = options;
  const startedAt = new Date();
  const before = thermal();
  const heard = await askCorpus(options);
  const { questions, heardBy } = heard;
  const benchTurns = heard.turns.map((turn, index) => {
    const at = heard.questionOf.get(turn);
    return benchTurn(index, turn, at === undefined ? undefined : questions[at]);
  });

  logger.info('bench: timing each engine on its own');
  const { speed: engines, samples: engineSamples } = await measureEngineSpeed({
    config,
    modelsDir,
    logger,
    speech: corpus.entries.map((entry) => entry.samples),
    // The replies, then the questions: enough phrases for a spread even when few replies differ.
    phrases: [...new Set([...heard.turns.map((turn) => turn.reply), ...corpus.entries.map((entry) => entry.reference)].filter((text) => text.trim()))],
    prompts: corpus.entries.map((entry) => entry.reference),
  });

  return {
    schema: BENCH_REPORT_SCHEMA,
    version: VERSION,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    device: readDeviceFacts(),
    models: { ...modelIds(config), ...(options.modelSet && { set: options.modelSet }) },
    configHash: benchConfigHash(config),
    corpus: { dir: corpus.dir, files: corpus.entries.length },
    options: { turns, throughAlsa: Boolean(options.throughAlsa) },
    turns: benchTurns,
    stages: stageStats(benchTurns),
    gluePercent: gluePercent(benchTurns),
    wer: corpusWordErrorRates(questions, heardBy),
    engines,
    engineSamples,
    system: { before, after: thermal(), rssMb: heard.rssMb, ...(heard.cpuMsPerQuestion !== undefined && { cpuMsPerQuestion: heard.cpuMsPerQuestion }) },
    ...(heard.endpointing.length > 0 && { endpointing: { backend: config.turn.endpointing.backend, speculate: config.turn.endpointing.speculate, summary: summariseEndpointing(heard.endpointing) } }),
  };
}
