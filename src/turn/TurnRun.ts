import type { KioskConfig } from '../config/schema.js';
import type { Logger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';
import { AsyncQueue } from '../util/AsyncQueue.js';
import { heardText, type SpokenPhrase } from './heardText.js';
import { PhraseChunker } from './PhraseChunker.js';
import type { PlaybackLedger } from './PlaybackLedger.js';
import type { Brain, Mouth } from './ports.js';
import type { FixedPrompts } from './FixedPrompts.js';
import type { Turn } from './Turn.js';

export interface TurnRunOptions {
  config: Pick<KioskConfig, 'turn' | 'chunker' | 'dialog'>;
  brain: Brain;
  mouth: Mouth;
  /** The speaker; every write goes through it so the heard share of a reply is known. */
  speaker: PlaybackLedger;
  /** Pre-synthesised fixed replies (acknowledgement, not understood, …): no TTS time at run time. */
  prompts: FixedPrompts;
  logger: Logger;
  /**
   * The first turn of a visitor session: the pre-synthesised disclosure (`site.disclosure`, "I'm the
   * automated assistant…") plays at once, before the reply. It is not part of the reply: not in
   * `reply` or `heard`, not repeated by a double tap.
   */
  disclose?: boolean;
  /** Speak phrases as they come (the product) or the whole reply at once (the baseline bench). Defaults to true. */
  streaming?: boolean;
  /**
   * A speculative run (made at a pause, before the turn has ended): its audio is held, not played,
   * and nothing is said (no disclosure, no acknowledgement) until `release()`; `discard()` drops it.
   * The brain is asked with `speculative`, so the dialog does nothing it implies until then.
   */
  held?: boolean;
  /** Called once, when the reply's first audio starts playing (as the speaker reports it). */
  onPlaybackStart?: () => void;
  /** The clock marks are stamped with. Defaults to the shared monotonic clock. */
  now?: () => number;
}

/**
 * Carries one turn from the final transcript to the end of playback: asks the brain, cuts its
 * text into phrases, has the mouth speak them and plays the audio, stamping marks on the way.
 * Budgets: if no audio has started after `turn.acknowledgeAfterMs` a short acknowledgement plays;
 * no first token within `turn.firstTokenTimeoutMs`, a failed stage, or a turn longer than
 * `turn.maxTurnSeconds` ends the run as `failed` (the controller then apologises). `interrupt()`
 * cuts the reply at once (barge-in) and tells the brain what the visitor actually heard.
 */
export class TurnRun {
  readonly done: Promise<Turn>;
  private resolveDone!: (turn: Turn) => void;
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private readonly phrases: SpokenPhrase[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private finished = false;
  /** Reply audio has gone to the speaker (it may not be playing yet: a new player may be opening). */
  private replyWritten = false;
  /** The disclosure went to the speaker: the visitor hears something, so no acknowledgement is needed. */
  private disclosing = false;
  /** Where this turn's audio begins in what the speaker was given: a loss after it is this turn's. */
  private speakerFrom = 0;
  /** The reply's audio as played, kept so a double tap can repeat it. */
  readonly replyAudio: Int16Array[] = [];
  /** Held (speculative) and not yet released: audio waits here. */
  private holding: boolean;
  private readonly heldAudio: { phrase: SpokenPhrase; samples: Int16Array }[] = [];
  private resolveReleased!: () => void;
  private readonly released: Promise<void>;
  /** Compute before this time overlapped the visitor's silence (a released speculation): it is not on the way to the first audio. */
  private criticalFrom = Number.NEGATIVE_INFINITY;
  private llmSpan: [number, number] | undefined;
  private ttsSpan: [number, number] | undefined;
  /** The brain would not make this reply ahead (speculative runs only): it ended without a word. */
  declined = false;
  /** When the brain and the mouth were done with this run (its compute ended), if they are. */
  workEndedAt: number | undefined;
  private firstTokenTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly turn: Turn,
    private readonly options: TurnRunOptions,
  ) {
    this.now = options.now ?? monotonicMs;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.holding = options.held === true;
    this.released = new Promise((resolve) => (this.resolveReleased = resolve));
    if (!this.holding) this.resolveReleased();
  }

  /** True until the run ended (answered, interrupted, failed, discarded or declined). */
  get active(): boolean {
    return !this.finished;
  }

  /** True once the reply's audio has started playing. */
  get playing(): boolean {
    return this.turn.marks.playbackStart !== undefined;
  }

  start(): void {
    const { config } = this.options;
    this.after(config.turn.maxTurnSeconds * 1000, () => this.fail(`did not finish within ${config.turn.maxTurnSeconds} s`));
    if (!this.holding) this.beginSpeaking();
    void this.run().catch((error: unknown) => this.fail((error as Error).message));
  }

  /**
   * A held run becomes the turn's reply (the visitor finished with the words it answers): what
   * was made plays now, the rest as it comes. Latency budgets count from here.
   */
  release(): void {
    if (!this.holding || this.finished) return;
    this.holding = false;
    this.criticalFrom = this.now();
    this.beginSpeaking();
    for (const { phrase, samples } of this.heldAudio.splice(0)) this.play(phrase, samples);
    this.updateCompute();
    this.resolveReleased();
  }

  /** Drops a held run: generation and synthesis stop, nothing was or will be played. */
  discard(): void {
    if (this.finished) return;
    this.abort.abort();
    this.heldAudio.length = 0;
    this.workEndedAt ??= this.now();
    this.finish();
  }

  /** What the visitor hears from here: the disclosure for a new visitor, and an acknowledgement if the reply is slow. */
  private beginSpeaking(): void {
    const { config } = this.options;
    this.speakerFrom = this.options.speaker.mark();
    if (this.options.disclose) this.disclose();
    if (this.turn.marks.llmFirstToken === undefined) this.armFirstTokenTimeout();
    this.after(config.turn.acknowledgeAfterMs, () => this.acknowledge());
  }

  private armFirstTokenTimeout(): void {
    const ms = this.options.config.turn.firstTokenTimeoutMs;
    this.firstTokenTimer = this.after(ms, () => this.fail(`no reply within ${ms} ms`));
  }

  /** Engine time on the way to the first audio; for a released speculation only what came after the release. */
  private updateCompute(): void {
    const part = (span: [number, number] | undefined) => (span === undefined ? undefined : Math.max(0, span[1] - Math.max(span[0], this.criticalFrom)));
    const llm = part(this.llmSpan);
    const tts = part(this.ttsSpan);
    if (llm !== undefined) this.turn.compute.llm = llm;
    if (tts !== undefined) this.turn.compute.tts = tts;
  }

  /** Cuts the reply now (barge-in, cancel): playback stops, generation and synthesis are aborted. */
  interrupt(reason: string): void {
    if (this.finished) return;
    const { turn } = this;
    turn.marks.bargeIn = this.now();
    const heard = this.options.speaker.stop();
    this.abort.abort();
    turn.heard = heardText(this.phrases, heard);
    turn.outcome = 'interrupted';
    turn.problem ??= `interrupted: ${reason}`;
    if (turn.path === 'llm') this.options.brain.truncateReply(turn.id, turn.heard);
    this.options.logger.info({ turnId: turn.id, reason, heard: turn.heard }, 'reply interrupted');
    this.finish();
  }

  private async run(): Promise<void> {
    const { turn, options } = this;
    if (!turn.transcript.trim()) {
      turn.path = 'fallback';
      turn.problem = 'no words recognised';
      this.markReplyChosen(options.config.dialog.notUnderstoodReply);
      this.playPrompt('notUnderstood');
      await this.drainAndFinish();
      return;
    }
    const queue = new AsyncQueue<string>();
    // A failing mouth ends the turn at once, even while the brain is still generating.
    const speaking = this.speakAll(queue).catch((error: unknown) => this.fail((error as Error).message));
    let chunker = new PhraseChunker(options.config.chunker);
    const streaming = options.streaming ?? true;
    let text = '';
    let firstPhraseTextAt: number | undefined;
    try {
      let speculative = options.held === true;
      for (;;) {
        let declined = false;
        for await (const chunk of options.brain.reply(turn.id, turn.transcript, this.abort.signal, speculative ? { speculative: true } : {})) {
          if (this.finished) return;
          if (chunk.type === 'text') {
            // Whitespace is not an answer: a model that sends a newline and stalls still times out.
            if (chunk.text.trim()) {
              clearTimeout(this.firstTokenTimer);
              turn.marks.llmFirstToken ??= chunk.at;
            }
            text += chunk.text;
            if (!streaming) continue;
            const ready = chunker.push(chunk.text);
            if (ready.length > 0) firstPhraseTextAt ??= chunk.at;
            for (const phrase of ready) queue.push(phrase);
            continue;
          }
          if (chunk.declined) {
            declined = true;
            break;
          }
          clearTimeout(this.firstTokenTimer);
          turn.path = chunk.path;
          const rest = streaming ? chunker.flush() : text.trim();
          if (rest) {
            firstPhraseTextAt ??= chunk.doneAt;
            queue.push(rest);
          }
          this.llmSpan = [chunk.receivedAt, firstPhraseTextAt ?? chunk.doneAt];
          this.updateCompute();
        }
        if (!declined) break;
        if (this.holding || this.phrases.length > 0) {
          this.declined = true;
          this.workEndedAt = this.now();
          this.finish();
          return;
        }
        // Released before the brain said it would not answer ahead: the visitor has finished, ask for real.
        speculative = false;
        text = '';
        chunker = new PhraseChunker(options.config.chunker);
        delete turn.marks.llmFirstToken;
      }
    } catch (error) {
      if (this.finished) return;
      if (this.phrases.length === 0) throw error;
      // Part of the answer is already on its way; finish saying it rather than start over.
      turn.problem = (error as Error).message;
    } finally {
      queue.end();
    }
    if (this.finished) return;
    turn.reply = text.trim();
    await speaking;
    this.workEndedAt = this.now();
    if (this.finished) return;
    if (this.phrases.length === 0) {
      turn.path = 'fallback';
      turn.problem ??= 'the model said nothing speakable';
      this.markReplyChosen(options.config.dialog.fallbackReply);
      this.playPrompt('fallback');
    }
    await this.drainAndFinish();
  }

  /** Speaks the phrases in order; in baseline mode the audio is held until all of it is made. */
  private async speakAll(queue: AsyncQueue<string>): Promise<void> {
    const { turn, options } = this;
    const streaming = options.streaming ?? true;
    const held: Int16Array[] = [];
    let first = true;
    for await (const phrase of queue) {
      if (this.finished) return;
      if (first) turn.marks.firstPhrase = this.now();
      const startedAt = this.now();
      const spoken: SpokenPhrase = { text: phrase, span: { start: Number.NaN, end: Number.NaN } };
      this.phrases.push(spoken);
      for await (const audio of options.mouth.speak(phrase, this.abort.signal)) {
        if (this.finished) return;
        if (turn.marks.ttsFirstAudio === undefined) {
          turn.marks.ttsFirstAudio = audio.at;
          this.ttsSpan = [startedAt, audio.at];
          this.updateCompute();
        }
        if (streaming) this.play(spoken, audio.samples);
        else held.push(audio.samples);
      }
      first = false;
    }
    if (!streaming && !this.finished) {
      const all = this.phrases[0];
      for (const samples of held) if (all) this.play(all, samples);
    }
  }

  private play(phrase: SpokenPhrase, samples: Int16Array): void {
    if (this.holding) {
      this.heldAudio.push({ phrase, samples });
      return;
    }
    this.replyWritten = true;
    this.replyAudio.push(samples);
    const onStart = this.turn.marks.playbackStart === undefined ? (at: number | undefined) => this.playbackStarted(at) : undefined;
    const span = this.options.speaker.write(samples, onStart);
    if (Number.isNaN(phrase.span.start)) phrase.span.start = span.start;
    phrase.span.end = span.end;
  }

  /** The first reply audio is playing: marked when the speaker says it started, which after a player restart is later than the write. */
  private playbackStarted(at: number | undefined): void {
    if (this.finished || this.turn.marks.playbackStart !== undefined) return;
    this.turn.marks.playbackStart = at ?? this.now();
    this.options.onPlaybackStart?.();
  }

  /** Plays a fixed prompt as the reply (rule-free paths: not understood, nothing speakable). */
  private playPrompt(name: 'notUnderstood' | 'fallback'): void {
    const prompt = this.options.prompts.get(name);
    const phrase: SpokenPhrase = { text: prompt.text, span: { start: Number.NaN, end: Number.NaN } };
    this.phrases.push(phrase);
    this.turn.marks.firstPhrase ??= this.now();
    this.turn.marks.ttsFirstAudio ??= this.now();
    this.turn.compute.tts ??= 0;
    this.play(phrase, prompt.samples);
  }

  private markReplyChosen(reply: string): void {
    this.turn.reply = reply;
    this.turn.marks.llmFirstToken ??= this.now();
    this.turn.compute.llm ??= 0;
  }

  /**
   * A new visitor hears first that this is an automated assistant, while the reply is made. Its
   * start counts as the kiosk speaking (the controller's state), not as the reply's first audio.
   */
  private disclose(): void {
    this.disclosing = true;
    this.options.speaker.write(this.options.prompts.get('disclosure').samples, (at) => {
      if (this.finished) return;
      this.turn.marks.disclosed = at ?? this.now();
      this.options.onPlaybackStart?.();
    });
  }

  /** The reply is slow to start: say so, so the visitor knows the kiosk heard them. */
  private acknowledge(): void {
    if (this.finished || this.replyWritten || this.disclosing) return;
    const prompt = this.options.prompts.get('acknowledgement');
    this.turn.marks.acknowledged = this.now();
    this.options.speaker.write(prompt.samples);
    this.options.logger.info({ turnId: this.turn.id }, 'reply is slow; acknowledgement played');
  }

  private async drainAndFinish(): Promise<void> {
    await this.released;
    if (this.finished) return;
    try {
      // Only a loss of this turn's audio is its problem, not a player that died before it.
      await this.options.speaker.drain(this.speakerFrom);
    } catch (error) {
      // Some of the reply could not be played, even by a new player.
      this.turn.problem = `playback failed: ${(error as Error).message}`;
      this.options.logger.error({ turnId: this.turn.id }, this.turn.problem);
    }
    if (this.finished) return;
    this.turn.outcome ??= 'answered';
    this.finish();
  }

  private fail(reason: string): void {
    if (this.finished) return;
    const { turn } = this;
    this.options.logger.warn({ turnId: turn.id, reason }, 'turn failed');
    this.abort.abort();
    // A held run has nothing playing: the speaker is not its own yet.
    if (!this.holding) this.options.speaker.stop();
    turn.problem = reason;
    turn.outcome = 'failed';
    turn.path = 'fallback';
    if (turn.marks.llmFirstToken === undefined) turn.compute.llm = 0;
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    // A discarded or failed held run must not leave drainAndFinish waiting.
    this.resolveReleased();
    for (const timer of this.timers) clearTimeout(timer);
    this.turn.marks.playbackEnd = this.now();
    this.resolveDone(this.turn);
  }

  private after(ms: number, action: () => void): NodeJS.Timeout {
    const timer = setTimeout(action, ms);
    this.timers.push(timer);
    return timer;
  }
}
