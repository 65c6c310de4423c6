import type { AudioSink } from '../audio/AudioSink.js';
import type { KioskConfig } from '../config/schema.js';
import type { Logger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';
import type { BrainEvent, MouthEvent, MouthRequest, BrainRequest } from '../workers/protocol.js';
import { PhraseChunker } from './PhraseChunker.js';
import type { Turn } from './Turn.js';

export interface TurnRunDeps {
  config: KioskConfig;
  sink: AudioSink;
  logger: Logger;
  postBrain: (request: BrainRequest) => void;
  postMouth: (request: MouthRequest) => void;
  /** A fresh id for a spoken reply; the mouth's audio is routed back by it. */
  nextSpeechId: () => number;
  /** Speak phrases as they come (the product) or the whole reply at once (the baseline bench). */
  streaming: boolean;
}

/**
 * Carries one turn from final transcript to the end of playback: asks the brain, cuts its text
 * into phrases, has the mouth speak them and plays the audio, stamping marks on the way. Whatever
 * fails — a slow or crashed model, a crashed synthesiser — the turn ends; a visitor hears the
 * fallback reply rather than silence whenever the mouth is still able to speak.
 */
export class TurnRun {
  readonly done: Promise<Turn>;
  private finish!: (turn: Turn) => void;
  private readonly chunker: PhraseChunker;
  private phrasesSent = 0;
  private phrasesDone = 0;
  private replyComplete = false;
  private fullText = '';
  /** Brain time of the text chunk that completed the first phrase. */
  private firstPhraseTextAt: number | undefined;
  private firstTokenTimer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private heldAudio: Int16Array[] = [];
  private finished = false;
  /** Id the mouth's audio for this turn comes back under (utterance ids restart with the ears). */
  readonly speechId: number;

  constructor(
    readonly turn: Turn,
    private readonly deps: TurnRunDeps,
  ) {
    this.chunker = new PhraseChunker(deps.config.chunker);
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.speechId = deps.nextSpeechId();
  }

  start(): void {
    const { turn, deps } = this;
    this.deadline = setTimeout(() => {
      deps.logger.error({ turnId: turn.id }, `turn did not finish within ${deps.config.dialog.maxTurnSeconds} s; ending it`);
      deps.postBrain({ type: 'abort', turnId: turn.id });
      deps.postMouth({ type: 'stop', turnId: this.speechId });
      deps.sink.stop();
      turn.problem = `did not finish within ${deps.config.dialog.maxTurnSeconds} s`;
      this.complete();
    }, deps.config.dialog.maxTurnSeconds * 1000);
    if (!turn.transcript.trim()) {
      this.speakFallback(deps.config.dialog.notUnderstoodReply, 'no words recognised');
      return;
    }
    deps.postBrain({ type: 'reply', turnId: turn.id, text: turn.transcript });
    this.firstTokenTimer = setTimeout(() => {
      deps.postBrain({ type: 'abort', turnId: turn.id });
      this.speakFallback(deps.config.dialog.fallbackReply, `no reply within ${deps.config.llm.firstTokenTimeoutMs} ms`);
    }, deps.config.llm.firstTokenTimeoutMs);
  }

  onBrainEvent(event: BrainEvent): void {
    if (this.finished || this.turn.path === 'fallback') return;
    if (event.type === 'text') {
      clearTimeout(this.firstTokenTimer);
      this.turn.marks.llmFirstToken ??= event.at;
      this.fullText += event.text;
      if (this.deps.streaming) {
        const phrases = this.chunker.push(event.text);
        if (phrases.length > 0) this.firstPhraseTextAt ??= event.at;
        for (const phrase of phrases) this.speak(phrase);
      }
    } else if (event.type === 'done') {
      clearTimeout(this.firstTokenTimer);
      this.turn.path = event.path;
      const rest = this.deps.streaming ? this.chunker.flush() : this.fullText.trim();
      if (rest) {
        this.firstPhraseTextAt ??= event.doneAt;
        this.speak(rest);
      }
      this.turn.compute.llm = (this.firstPhraseTextAt ?? event.doneAt) - event.receivedAt;
      this.turn.reply = this.fullText.trim();
      if (this.phrasesSent === 0) {
        this.speakFallback(this.deps.config.dialog.fallbackReply, event.aborted ? 'reply aborted' : 'the model said nothing speakable');
        return;
      }
      this.replyComplete = true;
      void this.maybeFinish();
    } else if (event.type === 'error') {
      clearTimeout(this.firstTokenTimer);
      this.onBrainLost(event.message);
    }
  }

  /** The brain crashed or failed mid-turn. */
  onBrainLost(reason: string): void {
    if (this.finished || this.turn.path === 'fallback') return;
    clearTimeout(this.firstTokenTimer);
    if (this.phrasesSent > 0) {
      // Part of the answer is already spoken; close it instead of starting over.
      this.turn.problem = reason;
      this.turn.reply = this.fullText.trim();
      this.replyComplete = true;
      void this.maybeFinish();
      return;
    }
    this.speakFallback(this.deps.config.dialog.fallbackReply, reason);
  }

  onMouthEvent(event: MouthEvent): void {
    if (this.finished || ('turnId' in event && event.turnId !== this.speechId)) return;
    if (event.type === 'audio') {
      this.turn.marks.ttsFirstAudio ??= event.at;
      if (this.deps.streaming) this.play(event.samples);
      else this.heldAudio.push(event.samples);
    } else if (event.type === 'phraseDone') {
      if (event.phraseIndex === 0 && event.firstAudioAt !== undefined) this.turn.compute.tts = event.firstAudioAt - event.startedAt;
      this.phrasesDone++;
      if (!this.deps.streaming && this.phrasesDone === this.phrasesSent) {
        for (const samples of this.heldAudio) this.play(samples);
        this.heldAudio = [];
      }
      void this.maybeFinish();
    } else if (event.type === 'error') {
      this.turn.problem = event.message;
    }
  }

  /** The mouth crashed: nothing more can be spoken in this turn. */
  onMouthLost(reason: string): void {
    if (this.finished) return;
    this.turn.problem = reason;
    this.complete();
  }

  private speak(text: string): void {
    if (this.phrasesSent === 0) this.turn.marks.firstPhrase = monotonicMs();
    this.deps.postMouth({ type: 'speak', turnId: this.speechId, phraseIndex: this.phrasesSent++, text });
  }

  /** Speaks `reply` instead of the model's; only ever before any of the model's text was spoken. */
  private speakFallback(reply: string, reason: string): void {
    const { turn } = this;
    this.deps.logger.warn({ turnId: turn.id, reason }, 'speaking the fallback reply');
    clearTimeout(this.firstTokenTimer);
    turn.path = 'fallback';
    turn.problem = reason;
    turn.reply = reply;
    turn.marks.llmFirstToken = monotonicMs();
    turn.compute.llm = 0;
    this.speak(reply);
    this.replyComplete = true;
  }

  private play(samples: Int16Array): void {
    this.turn.marks.playbackStart ??= monotonicMs();
    this.deps.sink.write(samples);
  }

  private async maybeFinish(): Promise<void> {
    if (!this.replyComplete || this.phrasesDone < this.phrasesSent || this.finished) return;
    try {
      await this.deps.sink.drain();
    } catch (error) {
      // The player died mid-reply; the sink starts a new one for the next turn.
      this.turn.problem = `playback failed: ${(error as Error).message}`;
      this.deps.logger.error({ turnId: this.turn.id }, this.turn.problem);
    }
    this.complete();
  }

  private complete(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.firstTokenTimer);
    clearTimeout(this.deadline);
    this.turn.marks.playbackEnd = monotonicMs();
    this.finish(this.turn);
  }
}
