import type { LevelWithSilent } from 'pino';
import { EventEmitter } from 'node:events';
import type { KioskConfig } from '../config/schema.js';
import type { Logger } from '../logging/createLogger.js';
import { EngineWorker, type WorkerHealth } from './EngineWorker.js';
import type { BrainEvent, BrainInit, BrainReadyInfo, BrainRequest, EarsEvent, EarsInit, EarsReadyInfo, EarsRequest, MouthEvent, MouthInit, MouthReadyInfo, MouthRequest } from './protocol.js';
import { WorkerBrain } from './WorkerBrain.js';
import { WorkerEars } from './WorkerEars.js';
import { WorkerMouth } from './WorkerMouth.js';

/** How long each worker took to load its engine, in ms. */
export interface LoadTimes {
  ears: number;
  brain: number;
  mouth: number;
}

export interface EnginesOptions {
  config: KioskConfig;
  /** Absolute models directory. */
  modelsDir: string;
  /** The front desk's database file (absolute) or `:memory:`. */
  storagePath: string;
  logger: Logger;
}

interface EnginesEvents {
  /** A worker crashed too often and was given up on: the engines cannot serve any more. */
  fatal: [Error];
}

/**
 * The three engine workers (ears, brain, mouth) behind the turn ports. Loads them in parallel,
 * supervises them (see EngineWorker) and stops them in an orderly way so every engine disposes.
 */
export class Engines extends EventEmitter<EnginesEvents> {
  readonly earsWorker: EngineWorker<EarsInit, EarsRequest, EarsEvent, EarsReadyInfo>;
  readonly brainWorker: EngineWorker<BrainInit, BrainRequest, BrainEvent, BrainReadyInfo>;
  readonly mouthWorker: EngineWorker<MouthInit, MouthRequest, MouthEvent, MouthReadyInfo>;
  readonly ears: WorkerEars;
  readonly brain: WorkerBrain;
  readonly mouth: WorkerMouth;

  constructor(options: EnginesOptions) {
    super();
    const { config, modelsDir, storagePath, logger } = options;
    const log = { logLevel: config.logLevel, logFormat: config.logFormat };
    this.earsWorker = new EngineWorker({
      name: 'ears',
      init: {
        vad: config.vad,
        asr: config.asr,
        wake: config.turn.wake,
        endpointing: config.turn.endpointing,
        site: config.site,
        rules: config.dialog.rules,
        modelsDir,
        ...log,
      },
      logger,
    });
    // The brain and the mouth run native async work (llama.cpp, sherpa's generateAsync) that would
    // abort the daemon if their thread were terminated mid-call; as processes they can be killed.
    this.brainWorker = new EngineWorker({ name: 'brain', init: { llm: config.llm, dialog: config.dialog, site: config.site, endpointing: config.turn.endpointing, storagePath, modelsDir, ...log }, logger, isolation: 'process' });
    this.mouthWorker = new EngineWorker({ name: 'mouth', init: { tts: config.tts, modelsDir, ...log }, logger, isolation: 'process' });
    this.brain = new WorkerBrain(this.brainWorker);
    // The `llm` end-of-turn backend: the ears ask, the brain's model answers.
    this.ears = new WorkerEars(this.earsWorker, logger, (text) => this.brain.endOfTurn(text));
    this.mouth = new WorkerMouth(this.mouthWorker);
    for (const worker of this.workers()) {
      worker.on('gaveUp', (error) => {
        logger.fatal({ worker: worker.name }, error.toUserLine());
        this.emit('fatal', error);
      });
    }
  }

  /** Loads every engine in parallel; rejects with the first worker's start error (and stops the others). */
  async start(): Promise<LoadTimes> {
    const results = await Promise.allSettled(this.workers().map((w) => w.start()));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await this.stop();
      throw failure.reason;
    }
    return { ears: this.earsWorker.ready.loadMs, brain: this.brainWorker.ready.loadMs, mouth: this.mouthWorker.ready.loadMs };
  }

  health(): WorkerHealth[] {
    return this.workers().map((w) => w.health());
  }

  /** Every worker logs at `level` from now on, restarted ones included. */
  setLogLevel(level: LevelWithSilent): void {
    for (const worker of this.workers()) worker.setLogLevel(level);
  }

  /** Asks every worker to dispose its engine and exit; terminates those that do not in time. */
  async stop(): Promise<void> {
    this.ears.close();
    await Promise.all(this.workers().map((w) => w.stop()));
  }

  private workers() {
    return [this.earsWorker, this.brainWorker, this.mouthWorker] as const;
  }
}
