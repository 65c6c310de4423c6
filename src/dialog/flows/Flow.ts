import type { FrontDeskEvent } from '../FrontDeskEvent.js';
import type { IntentMatch } from '../IntentMatcher.js';

/** The conversations that take more than one turn. */
export type FlowName = 'booking' | 'lead' | 'troubleshooting' | 'message';

/** What a flow says for one utterance, and who holds the conversation afterwards. */
export interface FlowTurn {
  text: string;
  events: FrontDeskEvent[];
  /**
   * The flow that owns the next utterance: the same one (it asked a question), another one (a failed
   * guide became a message) or none (finished).
   */
  next: Flow | undefined;
}

/**
 * A small explicit state machine for one visitor session: the slots it has, the question it asked,
 * the confirmation pending. It never writes anything the visitor has not confirmed.
 */
export interface Flow {
  readonly name: FlowName;
  /**
   * The visitor's next words. `match` is what the IntentMatcher made of them, so that a flow can tell
   * an answer from a change of topic. Undefined: the words are not for this flow (the dialog manager
   * answers them some other way and the flow keeps waiting).
   */
  handle(text: string, match: IntentMatch | undefined): FlowTurn | undefined;
  /** The pending question again, for silence or "sorry?". */
  reprompt(): string;
  /** The pending question after something else was answered ("So, what day would suit you?"). */
  resume(): string;
}
