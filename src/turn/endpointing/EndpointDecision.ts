import type { KioskConfig } from '../../config/schema.js';
import type { EndOfTurnCompleteness, EndOfTurnVerdict } from './EndOfTurnVerdict.js';

export type EndpointingConfig = KioskConfig['turn']['endpointing'];
export type EndpointingBackend = EndpointingConfig['backend'];

/** How a turn's end was decided: by whom, what they made of the words, and the silence that took. */
export interface EndpointDecision {
  backend: EndpointingBackend;
  /** The detector's verdict on the words at the last pause; `timeout` when it had none by `maxSilenceMs`. */
  verdict: EndOfTurnCompleteness | 'timeout' | 'released';
  reason: string;
  probability?: number;
  /** The silence the verdict asked for, and the silence there was when the turn ended (ms). */
  requiredSilenceMs: number;
  silenceMs: number;
  /** Pauses the visitor went on speaking after, within this turn. */
  resumedPauses: number;
  /** When the verdict on the last pause was known (monotonic clock), if it was. */
  decidedAt?: number;
}

/** The silence (ms) a verdict asks for before the turn ends. */
export function requiredSilenceMs(completeness: EndOfTurnCompleteness, config: EndpointingConfig): number {
  switch (completeness) {
    case 'complete':
      return config.completeSilenceMs;
    case 'unsure':
      return config.unsureSilenceMs;
    case 'unfinished':
      return config.unfinishedSilenceMs;
  }
}

/** The `llm` backend's probability of the end-of-turn token, as a verdict under the configured thresholds. */
export function verdictFromProbability(probability: number, config: EndpointingConfig): EndOfTurnVerdict {
  const shown = probability.toFixed(3);
  if (probability >= config.llmCompleteAbove) return { completeness: 'complete', probability, reason: `end-of-turn probability ${shown}` };
  if (probability < config.llmUnfinishedBelow) return { completeness: 'unfinished', probability, reason: `end-of-turn probability ${shown}` };
  return { completeness: 'unsure', probability, reason: `end-of-turn probability ${shown}` };
}
