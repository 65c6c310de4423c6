import type { EndpointDecision, EndpointingBackend } from '../turn/endpointing/EndpointDecision.js';
import type { MarkName, TurnSpeculation } from '../turn/Turn.js';
import type { EndpointingSummary } from './endpointingSummary.js';

/** Names the report's shape, so that a report from another version is recognised before it is read. */
export const BENCH_REPORT_SCHEMA = 'kiosk-voice-bench/1';

/** p50/p95/max (ms unless the metric's name says otherwise) over the `n` turns that have the value; null when none has. */
export interface MetricStats {
  p50: number | null;
  p95: number | null;
  max: number | null;
  n: number;
}

/** One stage of the waterfall: the span between two marks of a turn, in ms. */
export interface BenchStage {
  name: string;
  label: string;
  from: MarkName;
  to: MarkName;
}

/** The stages from the end of speech to the first audio played, in the order they happen. */
export const BENCH_STAGES = [
  { name: 'vadEndOfSpeechDelay', label: 'VAD end-of-speech delay', from: 'speechEnd', to: 'endpoint' },
  { name: 'asrFinalAfterEndpoint', label: 'ASR final after endpoint', from: 'endpoint', to: 'asrFinal' },
  { name: 'llmFirstToken', label: 'LLM first token', from: 'asrFinal', to: 'llmFirstToken' },
  { name: 'firstPhrase', label: 'first phrase', from: 'llmFirstToken', to: 'firstPhrase' },
  { name: 'ttsFirstAudio', label: 'TTS first audio', from: 'firstPhrase', to: 'ttsFirstAudio' },
  { name: 'playbackStart', label: 'playback start', from: 'ttsFirstAudio', to: 'playbackStart' },
] as const satisfies readonly BenchStage[];

/** The whole of a turn's latency and the part of it no engine explains, reported beside the stages. */
export const BENCH_TOTALS = [
  { name: 'endOfSpeechToFirstAudio', label: 'end of speech → first audio' },
  { name: 'glue', label: 'glue (not engine compute)' },
] as const;

/** The marks a bench turn keeps, relative to the end of speech. */
export const BENCH_MARKS = ['speechStart', 'speechEnd', 'endpoint', 'asrFinal', 'llmFirstToken', 'firstPhrase', 'ttsFirstAudio', 'playbackStart'] as const;
export type BenchMark = (typeof BENCH_MARKS)[number];
/** Marks of the end-of-turn decision, kept when the turn has them: the verdict's time and a speculative reply's start. */
export const BENCH_ENDPOINTING_MARKS = ['endpointDecision', 'speculationStart'] as const;
export type BenchEndpointingMark = (typeof BENCH_ENDPOINTING_MARKS)[number];

/** A transcript's word errors against its reference. */
export interface WordErrors {
  substitutions: number;
  deletions: number;
  insertions: number;
  referenceWords: number;
}

export interface BenchTurn {
  /** 0-based, in the order the turns happened. */
  index: number;
  /** The corpus file the visitor's words came from, e.g. `opening_hours.wav`. */
  file: string;
  reference: string;
  /** What the recogniser heard. */
  transcript: string;
  reply: string;
  path: 'rule' | 'llm' | 'fallback';
  outcome?: 'answered' | 'interrupted' | 'failed';
  /**
   * The reply waited behind the "I'm an automated assistant" line a new visitor hears first: its
   * playback start (and the total) include that line, which began playing at once.
   */
  disclosure?: true;
  /** Marks in ms relative to the end of speech (speechEnd = 0, speechStart negative); a missing mark is absent. */
  marks: Partial<Record<BenchMark | BenchEndpointingMark, number>>;
  /** How the turn's end was decided (verdict, reason, silence asked for and had); absent with `fixed`. */
  endpoint?: Omit<EndpointDecision, 'decidedAt'>;
  /** Replies started at this turn's pauses: `hits: 1` means the reply that played was made before the end of the turn. */
  speculation?: TurnSpeculation;
  /** BENCH_STAGES and BENCH_TOTALS values in ms; a missing one is absent. */
  latencies: Record<string, number>;
  words: WordErrors;
}

/** CPU heat and the Pi firmware's throttle flags, where the device has them. */
export interface ThermalState {
  cpuTemperatureC?: number;
  throttled?: { raw: string; flags: string[] };
}

export interface DeviceFacts {
  hostname: string;
  /** `/proc/device-tree/model` on a Pi (e.g. "Raspberry Pi 5 Model B Rev 1.0"), the DMI product name elsewhere. */
  board: string;
  kernel: string;
  /** PRETTY_NAME from /etc/os-release. */
  os: string;
  arch: string;
  cpu: string;
  cpus: number;
  memoryMb: number;
  node: string;
}

export interface EngineSpeed {
  /** Recognition compute over audio duration (below 1 is faster than real time). */
  asrRealTimeFactor: number | null;
  /** Synthesis compute over the duration of the audio made. */
  ttsRealTimeFactor: number | null;
  llmPromptTokensPerSecond: number | null;
  llmGenerationTokensPerSecond: number | null;
}

/** Each engine figure per item it was measured on (a corpus file, a phrase, a prompt): the spread a comparison tests against. */
export type EngineSamples = Record<keyof EngineSpeed, number[]>;

export interface FileWordErrorRate {
  file: string;
  reference: string;
  turns: number;
  wer: number | null;
  errors: WordErrors;
}

export interface BudgetCheck {
  metric: string;
  limit: number;
  kind: 'max' | 'min';
  value: number | null;
  ok: boolean;
}

export interface BudgetVerdict {
  file: string;
  name?: string;
  checks: BudgetCheck[];
  passed: boolean;
}

export interface BenchEndpointing {
  backend: EndpointingBackend;
  speculate: boolean;
  summary: EndpointingSummary;
  /** With `bench --compare-endpointing`: the same corpus with a fixed silence and no speculation, in the same run. */
  baseline?: EndpointingSummary;
}

export interface BenchReport {
  schema: typeof BENCH_REPORT_SCHEMA;
  /** The kiosk-voice version that ran the bench. */
  version: string;
  startedAt: string;
  finishedAt: string;
  device: DeviceFacts;
  /** Model ids (vad, asr, llm, tts) and the model set when one was named. */
  models: Record<string, string>;
  /** 12 hex digits of the SHA-256 of the resolved config: two runs with the same hash ran the same settings. */
  configHash: string;
  corpus: { dir: string; files: number };
  options: { turns: number; throughAlsa: boolean };
  turns: BenchTurn[];
  /** BENCH_STAGES and BENCH_TOTALS names → stats over the turns. */
  stages: Record<string, MetricStats>;
  /** Sum of glue over sum of end of speech → first audio, in percent. */
  gluePercent: number | null;
  wer: { overall: number | null; perFile: FileWordErrorRate[] };
  engines: EngineSpeed;
  engineSamples: EngineSamples;
  /** `cpuMsPerQuestion`: CPU time of the kiosk's processes per question, from the first answer on. */
  system: { before: ThermalState; after: ThermalState; rssMb: { start: number; end: number }; cpuMsPerQuestion?: number };
  /** For a corpus with kinds (complete, hesitant questions): how the ends of turns went. */
  endpointing?: BenchEndpointing;
  budget?: BudgetVerdict;
}
