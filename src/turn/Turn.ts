import type { EndpointDecision } from './endpointing/EndpointDecision.js';

/** How the reply was made: an operator's rule, the model, or a fixed reply when the model could not answer. */
export type ReplyPath = 'rule' | 'llm' | 'fallback';

/** The moments of a turn, in the order they must happen. */
export const MARK_ORDER = [
  'speechStart',
  'speechEnd',
  'endpoint',
  'asrFinal',
  'llmFirstToken',
  'firstPhrase',
  'ttsFirstAudio',
  'playbackStart',
  'playbackEnd',
] as const;

export type MarkName = (typeof MARK_ORDER)[number];
/** What started a turn: the button, the wake phrase, the VAD (open mic), a follow-up question, or MQTT. */
export type TurnTrigger = 'button' | 'wake' | 'vad' | 'followUp' | 'mqtt';

/** Time each engine spent computing on the way to the first audio, in ms. */
export interface EngineCompute {
  /** Silence the VAD waited for before it was sure the visitor had finished. */
  vadHangover: number;
  asr: number;
  /** From the request reaching the brain to the text that completed the first phrase. */
  llm: number;
  /** Synthesis of the first phrase up to its first audio. */
  tts: number;
  /** Not compute: time the turn waited for the previous one to finish playing. */
  queued: number;
}

/**
 * One visitor utterance and the agent's answer. Marks are on the shared monotonic clock (ms);
 * for the rule and fallback paths `llmFirstToken` marks when the reply text was chosen.
 * Latencies are derived from the marks, never measured separately.
 */
export interface Turn {
  id: number;
  trigger: TurnTrigger;
  transcript: string;
  reply: string;
  path: ReplyPath;
  /**
   * `bargeIn`: when the reply was cut; `acknowledged`: when the slow-reply acknowledgement played;
   * `disclosed`: when the session's "I'm an automated assistant" line started playing;
   * `endpointDecision`: when the end-of-turn detector's verdict on the last pause was known;
   * `speculationStart`: when the reply that played was started, at a pause before the end of the turn.
   */
  marks: Partial<Record<MarkName | 'bargeIn' | 'acknowledged' | 'disclosed' | 'endpointDecision' | 'speculationStart', number>>;
  /** How the end of the turn was decided (not with `turn.endpointing.backend: fixed`). */
  endpoint?: EndpointDecision;
  /** Replies started at pauses of this turn, and what became of them. */
  speculation?: TurnSpeculation;
  /** Where the utterance lies in the audio stream, in samples at 16 kHz: [start, end). */
  speechSamples?: [number, number];
  compute: Partial<EngineCompute>;
  /** Why the turn fell back or failed, when it did. */
  problem?: string;
  /** How the turn ended: the reply was played, cut off by the visitor, or a stage failed. */
  outcome?: 'answered' | 'interrupted' | 'failed';
  /** After an interruption: the part of the reply the visitor heard. */
  heard?: string;
}

/**
 * Speculative replies of one turn: `hits` (0 or 1) played the reply made at the last pause;
 * `misses` were thrown away because the visitor went on speaking; `restarts` because the final
 * words differed; `declined` were not made (the dialog would have acted on the words).
 */
export interface TurnSpeculation {
  hits: number;
  misses: number;
  restarts: number;
  declined: number;
  /** Time the engines spent on replies that were thrown away, ms. */
  wastedMs: number;
}

export interface TurnLatencies {
  endOfSpeechToAsrFinal: number;
  asrFinalToLlmFirstToken: number;
  llmFirstTokenToTtsFirstAudio: number;
  endOfSpeechToFirstAudio: number;
  /** End of speech → first audio, less every engine's own compute and any queueing: what our plumbing costs. */
  glue: number;
}

/**
 * A stage's duration from its marks. A reply made at a pause (`speculationStart`) may have its
 * first token before the final transcript: that stage then took no time on the way to the audio.
 */
export function markSpan(turn: Pick<Turn, 'marks'>, from: MarkName, to: MarkName): number {
  const { marks } = turn;
  const a = marks[from];
  const b = marks[to];
  if (a === undefined || b === undefined) return Number.NaN;
  return marks.speculationStart === undefined ? b - a : Math.max(0, b - a);
}

export function turnLatencies(turn: Turn): TurnLatencies {
  const { compute } = turn;
  const endOfSpeechToFirstAudio = markSpan(turn, 'speechEnd', 'playbackStart');
  const engines = (compute.vadHangover ?? 0) + (compute.asr ?? 0) + (compute.llm ?? 0) + (compute.tts ?? 0) + (compute.queued ?? 0);
  return {
    endOfSpeechToAsrFinal: markSpan(turn, 'speechEnd', 'asrFinal'),
    asrFinalToLlmFirstToken: markSpan(turn, 'asrFinal', 'llmFirstToken'),
    llmFirstTokenToTtsFirstAudio: markSpan(turn, 'llmFirstToken', 'ttsFirstAudio'),
    endOfSpeechToFirstAudio,
    glue: endOfSpeechToFirstAudio - engines,
  };
}

type OrderedMark = MarkName | 'speculationStart';

/**
 * A reply started at a pause was made while the visitor was silent: its marks run alongside the
 * end of the turn and meet it where the audio plays.
 */
const SPECULATED_ORDERS: readonly (readonly OrderedMark[])[] = [
  ['speechStart', 'speechEnd', 'speculationStart', 'llmFirstToken', 'firstPhrase', 'ttsFirstAudio', 'playbackStart', 'playbackEnd'],
  ['speechEnd', 'endpoint', 'asrFinal', 'playbackStart'],
];

/** Names of marks that are missing or earlier than the mark before them; empty when all is well. */
export function markProblems(turn: Turn): string[] {
  const orders = turn.marks.speculationStart === undefined ? [MARK_ORDER] : SPECULATED_ORDERS;
  const problems = new Set<string>();
  for (const order of orders) {
    let previous: { name: OrderedMark; at: number } | undefined;
    for (const name of order) {
      const at = turn.marks[name];
      if (at === undefined) {
        problems.add(`${name} missing`);
        continue;
      }
      if (previous && at < previous.at) problems.add(`${name} before ${previous.name}`);
      previous = { name, at };
    }
  }
  return [...problems];
}
