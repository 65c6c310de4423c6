import { runFileConversation } from '../app/runFileConversation.js';
import { modelIds } from '../app/kioskCommands.js';
import { configHash } from '../config/configHash.js';
import type { KioskConfig } from '../config/schema.js';
import type { Logger } from '../logging/createLogger.js';
import { readDeviceFacts } from '../system/deviceFacts.js';
import { processTreeRssMb } from '../system/processTree.js';
import { cpuReadings } from '../telemetry/healthSnapshot.js';
import { turnLatencies, type Turn } from '../turn/Turn.js';
import { VERSION } from '../version.js';
import { askThroughAlsa } from './askThroughAlsa.js';
import type { BenchCorpus, CorpusEntry } from './benchCorpus.js';
import { gluePercent, stageStats, tenth } from './benchStats.js';
import {
  BENCH_MARKS,
  BENCH_REPORT_SCHEMA,
  BENCH_STAGES,
  type BenchReport,
  type BenchTurn,
  type FileWordErrorRate,
  type ThermalState,
  type WordErrors,
} from './BenchReport.js';
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
async function askFromFiles(config: KioskConfig, modelsDir: string, logger: Logger, questions: CorpusEntry[], onTurn: (turn: Turn) => void): Promise<{ turns: Turn[]; questionOf: Map<Turn, number> }> {
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
  for (const turn of conversation.turns) {
    if (!turn.speechSamples) continue;
    const start = conversation.toFilePosition(turn.speechSamples[0]);
    const index = starts.findLastIndex((s) => s <= start);
    if (index >= 0) questionOf.set(turn, index);
  }
  return { turns: conversation.turns, questionOf };
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
    for (const name of BENCH_MARKS) {
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
    latencies: benchLatencies(turn),
    words: wordErrors(reference, turn.transcript),
  };
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
  const questions = Array.from({ length: turns }, (_, i) => corpus.entries[i % corpus.entries.length]!);
  // From the first answer on, when every engine is loaded: growth from there is what a long day adds.
  // Read as each turn ends, while the engines still run (they stop before the bench returns).
  let rssStart: number | undefined;
  let rssEnd: number | undefined;
  const onTurn = (turn: Turn) => {
    rssEnd = processTreeRssMb();
    rssStart ??= rssEnd;
    options.onTurn?.(turn);
  };
  logger.info({ turns, corpus: corpus.dir, throughAlsa: Boolean(options.throughAlsa) }, 'bench: asking the corpus');
  const heard = options.throughAlsa
    ? await askThroughAlsa({ config, modelsDir, logger, corpus, questions, ...options.throughAlsa, onTurn })
    : await askFromFiles(config, modelsDir, logger, questions, onTurn);

  const heardBy = new Map<number, Turn[]>();
  const benchTurns = heard.turns.map((turn, index) => {
    const at = heard.questionOf.get(turn);
    if (at !== undefined) heardBy.set(at, [...(heardBy.get(at) ?? []), turn]);
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
    system: { before, after: thermal(), rssMb: { start: Math.round(rssStart ?? 0), end: Math.round(rssEnd ?? 0) } },
  };
}
