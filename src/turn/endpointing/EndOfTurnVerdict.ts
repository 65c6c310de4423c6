/** How finished the visitor's words so far look, as an end-of-turn detector judges them. */
export type EndOfTurnCompleteness = 'complete' | 'unfinished' | 'unsure';

/** One end-of-turn detector's judgement of a transcript at a pause. */
export interface EndOfTurnVerdict {
  completeness: EndOfTurnCompleteness;
  /** The probability that the visitor has finished (0..1), for backends that give one. */
  probability?: number;
  /** Why, in a few words, for logs, telemetry and tests: `trailing preposition "on"`, `intent book with its time`. */
  reason: string;
}
