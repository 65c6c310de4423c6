import { EventEmitter } from 'node:events';
import type { AudioSink } from '../audio/AudioSink.js';
import type { PcmFrame } from '../audio/pcm.js';
import type { KioskConfig } from '../config/schema.js';
import type { Logger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';
import { EngineWorker } from '../workers/EngineWorker.js';
import type {
  BrainEvent,
  BrainInit,
  BrainRequest,
  EarsEvent,
  EarsInit,
  EarsRequest,
  MouthEvent,
  MouthInit,
  MouthRequest,
} from '../workers/protocol.js';
import type { Turn } from './Turn.js';
import { TurnRun } from './TurnRun.js';

export interface VoicePipelineOptions {
  config: KioskConfig;
  /** Absolute models directory. */
  modelsDir: string;
  logger: Logger;
  /** Built once the mouth reports its sample rate. */
  createSink: (sampleRate: number) => AudioSink | Promise<AudioSink>;
  /** Speak while the reply is still being generated (default), or only once it is complete. */
  streaming?: boolean;
}

export interface PipelineEvents {
  speechStart: [{ utteranceId: number }];
  partial: [{ utteranceId: number; text: string }];
  turn: [Turn];
  /** A worker crashed too often and was given up on: the pipeline cannot serve any more. */
  fatal: [Error];
}

/** How long each worker took to load its engine, in ms. */
export interface LoadTimes {
  ears: number;
  brain: number;
  mouth: number;
}

type Pending = Pick<Turn, 'id' | 'marks' | 'compute' | 'speechSamples'>;

/**
 * The voice turn on the main thread: audio frames go to the ears, finished utterances become
 * turns that run one after another through brain, mouth and the sink. The main thread only
 * coordinates; every engine runs in its worker.
 */
export class VoicePipeline extends EventEmitter<PipelineEvents> {
  readonly ears: EngineWorker<EarsInit, EarsRequest, EarsEvent>;
  readonly brain: EngineWorker<BrainInit, BrainRequest, BrainEvent>;
  readonly mouth: EngineWorker<MouthInit, MouthRequest, MouthEvent>;
  private sinkInstance: AudioSink | undefined;
  private readonly pending = new Map<number, Pending>();
  private activeRun: TurnRun | undefined;
  private turnQueue: Promise<void> = Promise.resolve();
  private openTurns = 0;
  private idleWaiters: (() => void)[] = [];
  private consumed = 0;
  private consumedWaiters: { sampleIndex: number; resolve: () => void }[] = [];
  private flushed: (() => void) | undefined;
  private lastPreload = '';
  private speechIds = 0;
  private lastTurnEndedAt: number | undefined;

  constructor(private readonly options: VoicePipelineOptions) {
    super();
    const { config, modelsDir, logger } = options;
    const logLevel = config.logLevel;
    this.ears = new EngineWorker({ name: 'ears', init: { vad: config.vad, asr: config.asr, modelsDir, logLevel }, logger });
    this.brain = new EngineWorker({ name: 'brain', init: { llm: config.llm, dialog: config.dialog, modelsDir, logLevel }, logger });
    this.mouth = new EngineWorker({ name: 'mouth', init: { tts: config.tts, modelsDir, logLevel }, logger });
    this.ears.on('event', (event) => this.onEars(event));
    this.brain.on('event', (event) => this.activeRun?.onBrainEvent(event));
    this.mouth.on('event', (event) => this.activeRun?.onMouthEvent(event));
    this.brain.on('crash', (error) => this.activeRun?.onBrainLost(error.message));
    this.mouth.on('crash', (error) => this.activeRun?.onMouthLost(error.message));
    this.ears.on('crash', () => {
      // Utterances in flight in the dead worker will never finish; audio resumes after restart.
      for (let i = 0; i < this.pending.size; i++) this.closeTurn();
      this.pending.clear();
    });
    for (const worker of [this.ears, this.brain, this.mouth]) {
      worker.on('gaveUp', (error) => {
        logger.fatal({ worker: worker.name }, error.toUserLine());
        this.emit('fatal', error);
      });
    }
  }

  get sink(): AudioSink {
    if (!this.sinkInstance) throw new Error('pipeline not started');
    return this.sinkInstance;
  }

  /** Loads every engine, in parallel; rejects with the first worker's start error. */
  async start(): Promise<LoadTimes> {
    const results = await Promise.allSettled([this.ears.start(), this.brain.start(), this.mouth.start()]);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await this.stop();
      throw failure.reason;
    }
    const [ears, brain, mouth] = results as PromiseFulfilledResult<{ loadMs: number }>[];
    try {
      this.sinkInstance = await this.options.createSink((this.mouth.ready as { sampleRate: number }).sampleRate);
    } catch (error) {
      await this.stop();
      throw error;
    }
    return { ears: ears!.value.loadMs, brain: brain!.value.loadMs, mouth: mouth!.value.loadMs };
  }

  /** Hands one frame to the ears. `arrivedAt` is when it was captured (default: now). */
  feed(frame: PcmFrame, arrivedAt = monotonicMs()): void {
    const { samples, sampleIndex } = frame;
    this.ears.post({ type: 'audio', samples, sampleIndex, arrivedAt }, [samples.buffer as ArrayBuffer]);
  }

  /** Resolves once the ears have run every sample before `sampleIndex` through the VAD. */
  whenConsumed(sampleIndex: number): Promise<void> {
    if (this.consumed >= sampleIndex) return Promise.resolve();
    return new Promise((resolve) => this.consumedWaiters.push({ sampleIndex, resolve }));
  }

  /** True while the agent's voice is playing (from the first audio of a reply to its end). */
  get speaking(): boolean {
    return this.activeRun?.turn.marks.playbackStart !== undefined;
  }

  /** Resolves when no utterance is being recognised and no turn is running or queued. */
  whenIdle(): Promise<void> {
    if (this.openTurns === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** End of input: closes an utterance in progress and waits until every turn is done. */
  async finish(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.flushed = resolve;
      this.ears.post({ type: 'flush' });
    });
    await this.whenIdle();
  }

  /** Ends the workers and closes the sink. */
  async stop(): Promise<void> {
    await Promise.all([this.ears.stop(), this.brain.stop(), this.mouth.stop(), this.sinkInstance?.close()]);
  }

  private onEars(event: EarsEvent): void {
    switch (event.type) {
      case 'consumed':
        this.consumed = event.sampleIndex;
        this.consumedWaiters = this.consumedWaiters.filter((w) => (w.sampleIndex <= this.consumed ? (w.resolve(), false) : true));
        return;
      case 'speechStart':
        this.lastPreload = '';
        this.emit('speechStart', { utteranceId: event.utteranceId });
        return;
      case 'partial':
        this.emit('partial', { utteranceId: event.utteranceId, text: event.text });
        this.preload(event.text);
        return;
      case 'speechEnd':
        this.openTurns++;
        this.pending.set(event.utteranceId, {
          id: event.utteranceId,
          marks: { speechStart: event.speechStartAt, speechEnd: event.speechEndAt, endpoint: event.endpointAt },
          compute: { vadHangover: event.endpointAt - event.speechEndAt },
          speechSamples: [event.startSampleIndex, event.endSampleIndex],
        });
        return;
      case 'final': {
        const pending = this.pending.get(event.utteranceId);
        if (!pending) return;
        this.pending.delete(event.utteranceId);
        pending.marks.asrFinal = event.at;
        pending.compute.asr = event.asrComputeMs;
        const turn: Turn = { ...pending, trigger: 'vad', transcript: event.text, reply: '', path: 'llm' };
        this.turnQueue = this.turnQueue.then(() => this.runTurn(turn));
        return;
      }
      case 'flushed':
        this.flushed?.();
        return;
      case 'error':
        this.options.logger.error({ hint: event.hint }, `ears: ${event.message}`);
        return;
    }
  }

  /** Sends the words of a partial that are unlikely to change (all but the last) to the brain. */
  private preload(partial: string): void {
    const stable = partial.trim().split(/\s+/).slice(0, -1).join(' ');
    if (!stable || stable === this.lastPreload) return;
    this.lastPreload = stable;
    this.brain.post({ type: 'preload', text: stable });
  }

  private async runTurn(turn: Turn): Promise<void> {
    const { config, logger, streaming = true } = this.options;
    turn.compute.queued = monotonicMs() - (turn.marks.asrFinal ?? monotonicMs());
    const run = new TurnRun(turn, {
      config,
      logger,
      sink: this.sink,
      streaming,
      postBrain: (request) => this.brain.post(request),
      postMouth: (request) => this.mouth.post(request),
      nextSpeechId: () => ++this.speechIds,
    });
    this.activeRun = run;
    const idleMs = this.lastTurnEndedAt === undefined ? 0 : monotonicMs() - this.lastTurnEndedAt;
    if (idleMs > config.dialog.newConversationAfterSeconds * 1000) this.brain.post({ type: 'newConversation' });
    run.start();
    const finished = await run.done;
    this.activeRun = undefined;
    this.lastTurnEndedAt = monotonicMs();
    this.emit('turn', finished);
    this.closeTurn();
  }

  private closeTurn(): void {
    this.openTurns = Math.max(0, this.openTurns - 1);
    if (this.openTurns > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
