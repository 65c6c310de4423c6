import { markSpan, turnLatencies, type MarkName, type Turn } from '../turn/Turn.js';

/** One latency of a turn, in ms, derived from its marks or its engines' compute times. */
export interface TurnStage {
  name: string;
  /** The stage's value for this turn; undefined when a mark or compute time it needs is missing. */
  of(turn: Turn): number | undefined;
}

const defined = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? value : undefined);

const span = (turn: Turn, from: MarkName, to: MarkName) => defined(markSpan(turn, from, to));

/**
 * The one list of per-stage latencies that the bench, the MQTT turn telemetry and the rolling
 * summary all report, so that a stage means the same thing in each of them.
 */
export const TURN_STAGES: readonly TurnStage[] = [
  { name: 'endOfSpeechToAsrFinal', of: (turn) => defined(turnLatencies(turn).endOfSpeechToAsrFinal) },
  { name: 'vadHangover', of: (turn) => defined(turn.compute.vadHangover) },
  { name: 'asrCompute', of: (turn) => defined(turn.compute.asr) },
  { name: 'asrFinalToLlmFirstToken', of: (turn) => defined(turnLatencies(turn).asrFinalToLlmFirstToken) },
  { name: 'llmComputeToFirstPhrase', of: (turn) => defined(turn.compute.llm) },
  { name: 'llmFirstTokenToTtsFirstAudio', of: (turn) => defined(turnLatencies(turn).llmFirstTokenToTtsFirstAudio) },
  { name: 'ttsComputeFirstAudio', of: (turn) => defined(turn.compute.tts) },
  { name: 'asrFinalToFirstAudio', of: (turn) => span(turn, 'asrFinal', 'playbackStart') },
  { name: 'endOfSpeechToFirstAudio', of: (turn) => defined(turnLatencies(turn).endOfSpeechToFirstAudio) },
  { name: 'glue', of: (turn) => defined(turnLatencies(turn).glue) },
  // The front desk's fast path (target ≤ 20 ms): final transcript → first phrase handed to TTS.
  { name: 'ruleFinalToFirstPhrase', of: (turn) => (turn.path === 'rule' ? span(turn, 'asrFinal', 'firstPhrase') : undefined) },
];

/** Every stage this turn has a value for, by stage name, in TURN_STAGES order. */
export function turnStageValues(turn: Turn): Record<string, number> {
  const values: Record<string, number> = {};
  for (const stage of TURN_STAGES) {
    const value = stage.of(turn);
    if (value !== undefined) values[stage.name] = value;
  }
  return values;
}
