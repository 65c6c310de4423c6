import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { KioskVoiceError } from '../errors.js';
import type { Logger } from '../logging/createLogger.js';
import type { WorkerError } from './protocol.js';

/** A worker could not start its engine (bad config or model); restarting would not help. */
export class WorkerStartError extends KioskVoiceError {}

/** A worker kept crashing and the supervisor gave up on it. */
export class WorkerGaveUpError extends KioskVoiceError {}

export type WorkerName = 'ears' | 'brain' | 'mouth';

export interface EngineWorkerOptions<Init> {
  name: WorkerName;
  /** Handed to the worker as `workerData`; it rebuilds its engine from it after a restart. */
  init: Init;
  logger: Logger;
  /** Restarts allowed within `restartWindowMs` before giving up. */
  maxRestarts?: number;
  restartWindowMs?: number;
}

interface ReadyEvent {
  type: 'ready';
  loadMs: number;
}

interface EngineWorkerEvents<Event> {
  event: [Event];
  /** The worker died unexpectedly; in-flight work is lost. A restart follows unless it gave up. */
  crash: [Error];
  restarted: [];
  gaveUp: [WorkerGaveUpError];
}

/**
 * Starts a worker's entry file. Built code runs `dist/workers/<name>Worker.js`; under vitest or
 * tsx the sources are TypeScript, which a worker can only load after registering tsx's loader.
 */
function spawnWorker(name: WorkerName, workerData: unknown): Worker {
  const options = { workerData, stdout: false, stderr: false };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}Worker.js`, import.meta.url), options);
  const entry = new URL(`./${name}Worker.ts`, import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/**
 * The main thread's handle on one engine worker: typed messages in and out, and supervision —
 * an unexpected exit is reported as `crash` and the worker is started again with backoff, until
 * it crashes too often and the supervisor gives up.
 */
export class EngineWorker<Init, Request extends { type: string }, Event extends { type: string }> extends EventEmitter<
  EngineWorkerEvents<Event>
> {
  readonly name: WorkerName;
  private worker: Worker | undefined;
  private stopping = false;
  private restarts: number[] = [];
  private readyInfo: (Event & ReadyEvent) | undefined;

  constructor(private readonly options: EngineWorkerOptions<Init>) {
    super();
    this.name = options.name;
  }

  /** What the worker said when it became ready (load time, sample rate…). */
  get ready(): Event & ReadyEvent {
    if (!this.readyInfo) throw new Error(`${this.name} worker is not ready`);
    return this.readyInfo;
  }

  /** Starts the worker and waits until its engine is loaded. */
  async start(): Promise<Event & ReadyEvent> {
    this.stopping = false;
    const worker = spawnWorker(this.name, this.options.init);
    this.worker = worker;
    const ready = await new Promise<Event & ReadyEvent>((resolve, reject) => {
      let setupError: WorkerError | undefined;
      const onMessage = (message: Event | WorkerError) => {
        if (message.type === 'ready') {
          worker.off('message', onMessage);
          worker.off('exit', onExit);
          resolve(message as Event & ReadyEvent);
        } else if (message.type === 'error') {
          setupError = message as WorkerError;
        }
      };
      const onExit = (code: number) => {
        worker.off('message', onMessage);
        reject(
          setupError
            ? new WorkerStartError(`${this.name}: ${setupError.message}`, setupError.hint)
            : new WorkerStartError(`${this.name} worker exited with code ${code} while starting`, 'run with --log-level debug for details'),
        );
      };
      worker.on('message', onMessage);
      worker.once('error', (error) => (setupError ??= { type: 'error', message: error.message }));
      worker.once('exit', onExit);
    });
    this.readyInfo = ready;
    worker.on('message', (message: Event) => this.emit('event', message));
    worker.on('error', (error) => this.options.logger.error({ err: error, worker: this.name }, 'worker error'));
    worker.once('exit', (code) => void this.onExit(worker, code));
    return ready;
  }

  post(request: Request, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(request, transfer);
  }

  /** Ends the worker for good. */
  async stop(): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  /** Kills the worker as a crash would, to exercise supervision. */
  async crashForTesting(): Promise<void> {
    await this.worker?.terminate();
  }

  private async onExit(worker: Worker, code: number): Promise<void> {
    if (this.stopping || worker !== this.worker) return;
    const { logger, maxRestarts = 5, restartWindowMs = 60_000 } = this.options;
    this.emit('crash', new Error(`${this.name} worker exited with code ${code}`));
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < restartWindowMs);
    if (this.restarts.length >= maxRestarts) {
      const error = new WorkerGaveUpError(
        `${this.name} worker crashed ${this.restarts.length + 1} times within ${restartWindowMs / 1000} s`,
        'see the log above for the cause; the service needs a restart once it is fixed',
      );
      this.emit('gaveUp', error);
      return;
    }
    const delay = 100 * 2 ** this.restarts.length;
    this.restarts.push(now);
    logger.warn({ worker: this.name, code, delayMs: delay }, 'worker crashed; restarting');
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (this.stopping) return;
    try {
      await this.start();
      this.emit('restarted');
    } catch (error) {
      this.emit('gaveUp', new WorkerGaveUpError(`${this.name} worker could not be restarted: ${(error as Error).message}`, 'see the log'));
    }
  }
}
