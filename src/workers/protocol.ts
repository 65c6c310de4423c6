import type { KioskConfig } from '../config/schema.js';
import type { FrontDeskEvent } from '../dialog/FrontDeskEvent.js';
import type { EndOfTurnVerdict } from '../turn/endpointing/EndOfTurnVerdict.js';
import type { EndpointDecision } from '../turn/endpointing/EndpointDecision.js';
import type { WorkerBaseInit } from './control.js';

/**
 * The domain messages between the main thread and the engine workers: the work itself. Starting,
 * liveness, failures and shutdown travel in the control envelope (control.ts). Every time (`at`,
 * `…At`) is on the shared monotonic clock (src/system/clock.ts), stamped where the thing happened.
 */

import type { ReplyPath } from '../turn/Turn.js';

// ── ears: VAD + ASR ─────────────────────────────────────────────────────────────────────────────

export interface EarsInit extends WorkerBaseInit {
  vad: KioskConfig['vad'];
  asr: KioskConfig['asr'];
  /** The wake phrase; off while no keyword-spotter files are configured. */
  wake: KioskConfig['turn']['wake'];
  /** How the silence that ends a turn is chosen. */
  endpointing: KioskConfig['turn']['endpointing'];
  /** The site and the operator's rules: the lexical detector counts a matched intent with its slots as finished. */
  site: KioskConfig['site'];
  rules: KioskConfig['dialog']['rules'];
  modelsDir: string;
}

export type EarsRequest =
  /**
   * 16 kHz mono samples; `arrivedAt` is when the audio reached the main thread. With
   * `reportConsumed` the ears answer `consumed` once the frame is through the VAD (the file demo
   * waits on it; a live mic does not ask, so no message goes back 50 times a second).
   */
  | { type: 'audio'; samples: Int16Array; sampleIndex: number; arrivedAt: number; reportConsumed?: boolean }
  /** Recognise utterances (a turn is open) or only look for the wake phrase. */
  | { type: 'arm'; armed: boolean }
  /** Close any utterance in progress now (end of input, push-to-talk released). Answered with `flushed`. */
  | { type: 'flush' }
  /** The `llm` backend's verdict on the words of pause `pauseId` (asked with `judge`); undefined: the lexical one decides. */
  | { type: 'verdict'; pauseId: number; verdict: EndOfTurnVerdict | undefined };

export type EarsEvent =
  /** Every sample before `sampleIndex` has been through the VAD. */
  | { type: 'consumed'; sampleIndex: number }
  | { type: 'speechStart'; utteranceId: number; sampleIndex: number; at: number }
  | { type: 'partial'; utteranceId: number; text: string; at: number }
  | {
      type: 'speechEnd';
      utteranceId: number;
      startSampleIndex: number;
      endSampleIndex: number;
      /** When the first and last voiced samples were captured (audio clock). */
      speechStartAt: number;
      speechEndAt: number;
      /** When the VAD was sure the utterance was over. */
      endpointAt: number;
      /** How the end was decided (not with the `fixed` backend). */
      endpoint?: EndpointDecision;
    }
  /**
   * The visitor paused (`turn.endpointing.pauseMs` of silence): the words so far, as the final
   * transcript would be if the turn ended here.
   */
  | { type: 'pause'; utteranceId: number; text: string; at: number }
  /** The words at pause `pauseId` need the brain's verdict (the `llm` backend); answer with `verdict`. */
  | { type: 'judge'; pauseId: number; text: string }
  /** The visitor spoke again after a pause: the utterance goes on. */
  | { type: 'resume'; utteranceId: number; at: number }
  | { type: 'final'; utteranceId: number; text: string; at: number; asrComputeMs: number }
  /** The wake phrase was spotted in the frame starting at `sampleIndex`. */
  | { type: 'wake'; phrase: string; sampleIndex: number; at: number }
  | { type: 'flushed' };

/** The ears' `ready` says nothing beyond the load time. */
export type EarsReadyInfo = Record<string, never>;

// ── brain: front-desk dialog + LLM ─────────────────────────────────────────────────────────────

export interface BrainInit extends WorkerBaseInit {
  llm: KioskConfig['llm'];
  dialog: KioskConfig['dialog'];
  site: KioskConfig['site'];
  /** The `llm` backend asks the brain's model for end-of-turn probabilities. */
  endpointing: KioskConfig['turn']['endpointing'];
  /** The front desk's SQLite file (absolute), or `:memory:`; the brain is its one writer. */
  storagePath: string;
  modelsDir: string;
}

export type BrainRequest =
  /**
   * `requestId` routes the reply's events (a turn may ask more than once: a speculation, then the
   * final words). A `speculative` reply has no side effects until `settleSpeculation` commits it.
   */
  | { type: 'reply'; requestId: number; turnId: number; text: string; speculative?: boolean }
  /** The turn's speculative reply is kept (the final words matched) or thrown away with what it did to the model's context. */
  | { type: 'settleSpeculation'; turnId: number; keep: boolean }
  /** The `llm` end-of-turn detector: the probability that `text` is the visitor's whole turn. */
  | { type: 'endOfTurn'; queryId: number; text: string }
  /** Start of the visitor's words, to evaluate ahead of the final transcript. */
  | { type: 'preload'; text: string }
  | { type: 'abort'; requestId: number }
  /** The visitor cut the reply off after hearing `heardText` (barge-in): the history keeps only that. */
  | { type: 'truncateReply'; turnId: number; heardText: string }
  | { type: 'newConversation' };

export type BrainEvent =
  | { type: 'text'; requestId: number; text: string; at: number }
  | {
      type: 'done';
      requestId: number;
      path: Exclude<ReplyPath, 'fallback'>;
      /** When the request reached the worker, and when generation ended. */
      receivedAt: number;
      doneAt: number;
      aborted: boolean;
      /** A speculative reply the brain would not make ahead (it would change the dialog or call a tool). */
      declined?: boolean;
    }
  | { type: 'endOfTurn'; queryId: number; verdict: EndOfTurnVerdict | undefined; computeMs: number }
  /** A business event of the dialog (a handoff, a booking…), for the main thread to act on. */
  | { type: 'frontDesk'; turnId: number; event: FrontDeskEvent };

/** The brain's `ready` says nothing beyond the load time. */
export type BrainReadyInfo = Record<string, never>;

// ── mouth: TTS ────────────────────────────────────────────────────────────────────────────────

export interface MouthInit extends WorkerBaseInit {
  tts: KioskConfig['tts'];
  modelsDir: string;
}

/** One phrase per request; the id is issued by the main thread and routes the audio back. */
export type MouthRequest =
  | { type: 'speak'; speechId: number; text: string }
  /** Drop the phrase, whether it is queued or being synthesised. */
  | { type: 'stop'; speechId: number };

export type MouthEvent =
  | { type: 'audio'; speechId: number; samples: Int16Array; at: number }
  | {
      type: 'phraseDone';
      speechId: number;
      /** When synthesis of the phrase began (it may have waited in the queue before). */
      startedAt: number;
      firstAudioAt: number | undefined;
      doneAt: number;
      aborted: boolean;
    };

export interface MouthReadyInfo {
  /** Rate of the PCM in `audio` events; the sink is built for it. */
  sampleRate: number;
}
