import type { KioskConfig } from '../config/schema.js';

/**
 * The messages between the main thread and the engine workers. Every time (`at`, `…At`) is on the
 * shared monotonic clock (src/system/clock.ts), stamped where the thing happened.
 */

export type ReplyPath = 'rule' | 'llm' | 'fallback';

/** Sent by a worker when its setup failed or a request could not be served. */
export interface WorkerError {
  type: 'error';
  message: string;
  hint?: string | undefined;
  /** Set when the error belongs to one turn. */
  turnId?: number | undefined;
}

// ── ears: VAD + ASR ─────────────────────────────────────────────────────────────────────────────

export interface EarsInit {
  vad: KioskConfig['vad'];
  asr: KioskConfig['asr'];
  modelsDir: string;
  logLevel: KioskConfig['logLevel'];
}

export type EarsRequest =
  /** 16 kHz mono samples; `arrivedAt` is when the audio reached the main thread. */
  | { type: 'audio'; samples: Int16Array; sampleIndex: number; arrivedAt: number }
  /** End of input: close any utterance in progress. Answered with `flushed`. */
  | { type: 'flush' };

export type EarsEvent =
  | { type: 'ready'; loadMs: number }
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
    }
  | { type: 'final'; utteranceId: number; text: string; at: number; asrComputeMs: number }
  | { type: 'flushed' }
  | WorkerError;

// ── brain: rules fast path + LLM ───────────────────────────────────────────────────────────────

export interface BrainInit {
  llm: KioskConfig['llm'];
  dialog: KioskConfig['dialog'];
  modelsDir: string;
  logLevel: KioskConfig['logLevel'];
}

export type BrainRequest =
  | { type: 'reply'; turnId: number; text: string }
  /** Start of the visitor's words, to evaluate ahead of the final transcript. */
  | { type: 'preload'; text: string }
  | { type: 'abort'; turnId: number }
  | { type: 'newConversation' };

export type BrainEvent =
  | { type: 'ready'; loadMs: number }
  | { type: 'text'; turnId: number; text: string; at: number }
  | {
      type: 'done';
      turnId: number;
      path: Exclude<ReplyPath, 'fallback'>;
      /** When the request reached the worker, and when generation ended. */
      receivedAt: number;
      doneAt: number;
      aborted: boolean;
    }
  | WorkerError;

// ── mouth: TTS ────────────────────────────────────────────────────────────────────────────────

export interface MouthInit {
  tts: KioskConfig['tts'];
  modelsDir: string;
  logLevel: KioskConfig['logLevel'];
}

export type MouthRequest =
  | { type: 'speak'; turnId: number; phraseIndex: number; text: string }
  /** Drop every queued and playing phrase of the turn. */
  | { type: 'stop'; turnId: number };

export type MouthEvent =
  | { type: 'ready'; loadMs: number; sampleRate: number }
  | { type: 'audio'; turnId: number; phraseIndex: number; samples: Int16Array; at: number }
  | {
      type: 'phraseDone';
      turnId: number;
      phraseIndex: number;
      /** When synthesis of the phrase began (it may have waited in the queue before). */
      startedAt: number;
      firstAudioAt: number | undefined;
      doneAt: number;
      aborted: boolean;
    }
  | WorkerError;
