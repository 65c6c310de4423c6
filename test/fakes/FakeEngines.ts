import type { AudioSink } from '../../src/audio/AudioSink.js';
import type { PcmFrame } from '../../src/audio/pcm.js';
import type { Brain, Ears, HeardEvent, Mouth, ReplyChunk, ReplyOptions, SpeechAudio } from '../../src/turn/ports.js';
import { AsyncQueue } from '../../src/util/AsyncQueue.js';

/** Ears a test drives by hand: `hear()` pushes what the VAD/ASR would have reported. */
export class FakeEars implements Ears {
  readonly events = new AsyncQueue<HeardEvent>();
  readonly armedLog: boolean[] = [];
  armed = false;
  frames = 0;
  endUtteranceCalls = 0;
  private utterance = 0;

  feed(_frame: PcmFrame, _capturedAt: number): void {
    this.frames++;
  }
  arm(armed: boolean): void {
    this.armed = armed;
    this.armedLog.push(armed);
  }
  async endUtterance(): Promise<void> {
    this.endUtteranceCalls++;
  }
  hear(event: HeardEvent): void {
    this.events.push(event);
  }
  /** A whole utterance: speech start, end and final transcript, at `now`. */
  say(text: string, now: number): number {
    const id = ++this.utterance;
    this.hear({ type: 'speechStart', utteranceId: id, at: now });
    this.hear({ type: 'speechEnd', utteranceId: id, samples: [0, 16000], speechStartAt: now - 1000, speechEndAt: now, endpointAt: now });
    this.hear({ type: 'final', utteranceId: id, text, at: now, asrComputeMs: 5 });
    return id;
  }
  startSpeech(now: number): number {
    const id = ++this.utterance;
    this.hear({ type: 'speechStart', utteranceId: id, at: now });
    return id;
  }
  close(): void {
    this.events.end();
  }
}

/** How a fake brain answers one request. */
export type FakeReply =
  | { kind: 'text'; chunks: string[]; path?: 'rule' | 'llm' }
  /** Never yields anything (a hung model); ends only when aborted. */
  | { kind: 'hang' }
  | { kind: 'fail'; message: string }
  /** The test drives the reply by hand with `send()`, `end()` and `crash()`. */
  | { kind: 'manual'; path?: 'rule' | 'llm' };

/** The reply in flight of a `manual` script. */
interface LiveReply {
  queue: AsyncQueue<ReplyChunk>;
  done: () => void;
}

/** A brain whose replies a test scripts; records every call. */
export class FakeBrain implements Brain {
  readonly calls: { turnId: number; text: string }[] = [];
  /** Speculative replies asked for (made at a pause), in order; `calls` holds the others. */
  readonly speculations: { turnId: number; text: string }[] = [];
  /** Every settleSpeculation call, in order. */
  readonly settlements: { turnId: number; keep: boolean }[] = [];
  /** Speculative replies end declined (as the real brain does for words that would start a flow). */
  declineSpeculation = false;
  /** How long a declined speculation takes to say so (a model that calls a tool partway): 0 = at once. */
  declineAfterMs = 0;
  readonly preloads: string[] = [];
  readonly truncations: { turnId: number; heardText: string }[] = [];
  newConversations = 0;
  aborted = 0;
  next: FakeReply = { kind: 'text', chunks: ['Hello there.'] };
  /** The last reply started from a `manual` script. */
  private live: LiveReply | undefined;

  reply(turnId: number, text: string, signal: AbortSignal, options: ReplyOptions = {}): AsyncIterable<ReplyChunk> {
    const speculative = options.speculative === true;
    (speculative ? this.speculations : this.calls).push({ turnId, text });
    const queue = new AsyncQueue<ReplyChunk>();
    const receivedAt = Date.now();
    if (speculative && this.declineSpeculation) {
      const decline = () => {
        queue.push({ type: 'done', path: 'rule', receivedAt, doneAt: Date.now(), aborted: false, declined: true });
        queue.end();
      };
      if (this.declineAfterMs > 0) setTimeout(decline, this.declineAfterMs);
      else queueMicrotask(decline);
      return queue;
    }
    const script = this.next;
    const done = () => queue.push({ type: 'done', path: 'path' in script ? (script.path ?? 'llm') : 'llm', receivedAt, doneAt: Date.now(), aborted: signal.aborted });
    signal.addEventListener('abort', () => {
      this.aborted++;
      done();
      queue.end();
    });
    if (script.kind === 'manual') this.live = { queue, done };
    queueMicrotask(() => {
      if (signal.aborted) return;
      if (script.kind === 'manual') return;
      if (script.kind === 'fail') return queue.fail(new Error(script.message));
      if (script.kind === 'hang') return;
      for (const chunk of script.chunks) queue.push({ type: 'text', text: chunk, at: Date.now() });
      done();
      queue.end();
    });
    return queue;
  }
  /** `manual` script: streams one more piece of text. */
  send(text: string): void {
    this.live?.queue.push({ type: 'text', text, at: Date.now() });
  }
  /** `manual` script: the reply is complete. */
  end(): void {
    this.live?.done();
    this.live?.queue.end();
  }
  /** `manual` script: the reply fails mid-stream (a crashed model or worker). */
  crash(message: string): void {
    this.live?.queue.fail(new Error(message));
  }
  preload(text: string): void {
    this.preloads.push(text);
  }
  settleSpeculation(turnId: number, keep: boolean): void {
    this.settlements.push({ turnId, keep });
  }
  truncateReply(turnId: number, heardText: string): void {
    this.truncations.push({ turnId, heardText });
  }
  newConversation(): void {
    this.newConversations++;
  }
}

/** A mouth that turns each word into `samplesPerWord` samples of a constant level, at once. */
export class FakeMouth implements Mouth {
  readonly sampleRate = 16000;
  readonly spoken: string[] = [];
  failNext: string | undefined;
  /** The next phrase never produces audio nor ends, until aborted (a hung synthesiser). */
  hangNext = false;
  /** When above 0, each word is synthesised separately, this many ms (fake clock) apart: a paced synthesiser. */
  wordDelayMs = 0;

  constructor(private readonly samplesPerWord = 1600) {}

  async *speak(text: string, signal: AbortSignal): AsyncIterable<SpeechAudio> {
    this.spoken.push(text);
    if (this.failNext) {
      const message = this.failNext;
      this.failNext = undefined;
      throw new Error(message);
    }
    if (this.hangNext) {
      this.hangNext = false;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      return;
    }
    if (this.wordDelayMs > 0) {
      const words = text.trim().split(/\s+/).length;
      for (let i = 0; i < words; i++) {
        await new Promise<void>((resolve) => setTimeout(resolve, this.wordDelayMs));
        if (signal.aborted) return;
        yield { samples: new Int16Array(this.samplesPerWord).fill(1000), at: Date.now() };
      }
      return;
    }
    await Promise.resolve();
    if (signal.aborted) return;
    const words = text.trim().split(/\s+/).length;
    yield { samples: new Int16Array(words * this.samplesPerWord).fill(1000), at: Date.now() };
  }
}

/**
 * A speaker on a fake clock: it plays at its sample rate from the moment audio arrives, so
 * `position()` and `drain()` behave like a device under vitest's fake timers.
 */
export class FakeSpeaker implements AudioSink {
  readonly writes: { at: number; samples: number }[] = [];
  stops: number[] = [];
  /** When set, `drain()` rejects with it, like a player process that died. */
  drainError: Error | undefined;
  private written = 0;
  private playedUntil = 0;
  private startedAt = 0;
  private base = 0;
  private drains: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly sampleRate = 16000) {}

  write(samples: Int16Array): void {
    const now = Date.now();
    if (now >= this.playedUntil) {
      this.base = this.position();
      this.startedAt = now;
      this.playedUntil = now;
    }
    this.writes.push({ at: now, samples: samples.length });
    this.written += samples.length;
    this.playedUntil += (samples.length * 1000) / this.sampleRate;
    this.schedule();
  }
  position(): number {
    const now = Date.now();
    if (now >= this.playedUntil) return this.written;
    return Math.min(this.written, this.base + Math.floor(((now - this.startedAt) * this.sampleRate) / 1000));
  }
  drain(): Promise<void> {
    if (this.drainError) return Promise.reject(this.drainError);
    if (Date.now() >= this.playedUntil) return Promise.resolve();
    return new Promise((resolve) => this.drains.push(resolve));
  }
  stop(): void {
    const heard = this.position();
    this.stops.push(Date.now());
    this.written = heard;
    this.base = heard;
    this.playedUntil = Date.now();
    this.startedAt = Date.now();
    this.flush();
  }
  async close(): Promise<void> {
    this.stop();
  }
  /** Seconds of audio written so far that are still to play. */
  get pendingSeconds(): number {
    return Math.max(0, this.playedUntil - Date.now()) / 1000;
  }
  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), Math.max(0, this.playedUntil - Date.now()));
  }
  private flush(): void {
    clearTimeout(this.timer);
    const drains = this.drains;
    this.drains = [];
    for (const resolve of drains) resolve();
  }
}
