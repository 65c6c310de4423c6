import type { PcmFrame } from '../audio/pcm.js';
import type { EndpointDecision } from './endpointing/EndpointDecision.js';
import type { ReplyPath } from './Turn.js';

/**
 * What the turn controller and `TurnRun` need from the engines, as plain async interfaces.
 * `src/workers/` adapts them to the worker threads; `test/fakes/` fakes them. Every long call
 * takes an `AbortSignal`: a barge-in must be able to stop all of them at once.
 */

/** What the ears report while audio flows. Times are on the shared monotonic clock. */
export type HeardEvent =
  | { type: 'speechStart'; utteranceId: number; at: number }
  | { type: 'partial'; utteranceId: number; text: string; at: number }
  | {
      type: 'speechEnd';
      utteranceId: number;
      /** Where the utterance lies in the audio stream, in samples at 16 kHz: [start, end). */
      samples: [number, number];
      /** When the first and last voiced samples were captured, and when the VAD was sure it was over. */
      speechStartAt: number;
      speechEndAt: number;
      endpointAt: number;
      /** How the end was decided (not with the `fixed` backend). */
      endpoint?: EndpointDecision;
    }
  | { type: 'final'; utteranceId: number; text: string; at: number; asrComputeMs: number }
  /** The visitor paused: `text` is what the final transcript would be if the turn ended here. */
  | { type: 'pause'; utteranceId: number; text: string; at: number }
  /** The visitor went on speaking after a pause. */
  | { type: 'resume'; utteranceId: number; at: number }
  /** The wake phrase was spotted. */
  | { type: 'wake'; phrase: string; at: number };

export interface Ears {
  /** Every event the ears produce, for as long as they run (across worker restarts). */
  readonly events: AsyncIterable<HeardEvent>;
  /** Audio for the VAD, the wake phrase and ASR. */
  feed(frame: PcmFrame, capturedAt: number): void;
  /**
   * Whether utterances are recognised. Disarmed, the ears only look for the wake phrase: no one's
   * words are transcribed unless a turn is open.
   */
  arm(armed: boolean): void;
  /** Closes the utterance in progress now (push-to-talk released); resolves when its final is out. */
  endUtterance(): Promise<void>;
}

/** A piece of the reply as the brain produces it. */
export type ReplyChunk =
  | { type: 'text'; text: string; at: number }
  /**
   * The last item: how the reply was made, when the request reached the brain, when it ended.
   * `declined`: a speculative reply the brain would not make ahead (it would change the dialog or call a tool).
   */
  | { type: 'done'; path: Exclude<ReplyPath, 'fallback'>; receivedAt: number; doneAt: number; aborted: boolean; declined?: boolean };

export interface ReplyOptions {
  /**
   * Made at a pause, before the visitor is known to have finished: nothing it implies happens
   * until `settleSpeculation(turnId, true)`, and `settleSpeculation(turnId, false)` leaves the
   * conversation as if it had never been asked.
   */
  speculative?: boolean;
}

export interface Brain {
  /** Streams the reply to the visitor's words. Aborting ends the stream quietly with `done`. */
  reply(turnId: number, text: string, signal: AbortSignal, options?: ReplyOptions): AsyncIterable<ReplyChunk>;
  /** Keeps (the final words matched) or throws away the turn's speculative reply. */
  settleSpeculation(turnId: number, keep: boolean): void;
  /** The start of the visitor's words, to evaluate ahead of the final transcript. */
  preload(text: string): void;
  /** The visitor heard only `heardText` of the last reply (barge-in): the history keeps just that. */
  truncateReply(turnId: number, heardText: string): void;
  /** Forgets the conversation; the system prompt stays evaluated. */
  newConversation(): void;
}

/** One chunk of synthesised speech. */
export interface SpeechAudio {
  samples: Int16Array;
  at: number;
}

export interface Mouth {
  readonly sampleRate: number;
  /** Synthesises one phrase. Aborting stops synthesis and ends the stream. */
  speak(text: string, signal: AbortSignal): AsyncIterable<SpeechAudio>;
}
