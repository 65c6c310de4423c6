import { EventEmitter } from 'node:events';
import type { LevelWithSilent } from 'pino';
import { KioskVoiceError } from '../errors.js';
import type { Logger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';
import { startEngineHost, type EngineHost, type EngineIsolation } from './EngineHost.js';
import { isControl, type ControlError, type ControlReport, type FromWorker, type Ready, type ToWorker, type WorkerError, type WorkerBaseInit } from './control.js';

/** A worker could not start its engine (bad config or model); restarting would not help. */
export class WorkerStartError extends KioskVoiceError {}

/** A worker kept crashing and the supervisor gave up on it. */
export class WorkerGaveUpError extends KioskVoiceError {}

/** A worker stopped answering pings: its thread is stuck in a native call or a loop. */
export class WorkerHungError extends KioskVoiceError {}

export type WorkerName = 'ears' | 'brain' | 'mouth';

/** Which file a worker runs. */
export type WorkerEntry =
  /** An engine worker: `./<name>Worker.js` beside this file (`.ts` when running from source). */
  | { name: WorkerName; entry?: undefined }
  /** Any other file that calls `runWorker` (a test fixture); `name` only labels logs and errors. */
  | { name: string; entry: URL };

export interface EngineWorkerSettings<Init> {
  /** Handed to the worker as `workerData`; it rebuilds its engine from it after a restart. */
  init: Init;
  /** For the supervisor's own lines (crashes, hangs, terminations); the worker logs on its own. */
  logger: Logger;
  /** Restarts allowed within `restartWindowMs` before giving up. Defaults to 5. */
  maxRestarts?: number;
  /** The window in which restarts count toward `maxRestarts`. Defaults to 60 000 ms. */
  restartWindowMs?: number;
  /** How often a ready worker is pinged. Defaults to 1000 ms. */
  heartbeatIntervalMs?: number;
  /**
   * How long a worker may go without answering a ping before it counts as hung and is restarted.
   * Longer than any one synchronous engine call (a VAD frame, an offline ASR decode), since a
   * worker answers between calls. Defaults to 5000 ms.
   */
  heartbeatTimeoutMs?: number;
  /** A thread (default) or a child process; see {@link EngineIsolation}. */
  isolation?: EngineIsolation;
}

export type EngineWorkerOptions<Init> = WorkerEntry & EngineWorkerSettings<Init>;

/** What a worker said when it became ready: its load time and what it tells about its engine. */
export type WorkerReady<ReadyInfo> = ReadyInfo & { loadMs: number };

export type WorkerState = 'starting' | 'ready' | 'restarting' | 'hung' | 'stopped' | 'gaveUp';

export interface WorkerHealth {
  name: string;
  state: WorkerState;
  /** Restarts so far, after crashes and hangs alike. */
  restarts: number;
  /** Time since the worker last proved alive (ready or pong); undefined while no worker is up. */
  lastPongAgoMs: number | undefined;
  lastError: string | undefined;
}

interface EngineWorkerEvents<Event> {
  /** A domain event, or a request that failed in the worker (which lives on), in the order sent. */
  event: [Event | WorkerError];
  /** The worker died unexpectedly; in-flight work is lost. A restart follows unless it gave up. */
  crash: [Error];
  /** The worker stopped answering pings; it is terminated, and `crash` and a restart follow. */
  hung: [WorkerHungError];
  restarted: [];
  gaveUp: [WorkerGaveUpError];
}

/**
 * Starts a worker's entry file. A TypeScript entry (under vitest or tsx) can only load after the
 * worker registers tsx's loader.
 */
/** Resolves after `ms`, or as soon as `done` settles; true when it timed out. */
function timesOut(done: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(true), ms);
    void done.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/**
 * The main thread's handle on one engine worker: typed messages in and out, and supervision.
 * A ready worker is pinged; one that stops answering counts as hung and is terminated. An
 * unexpected exit (or a hang) is reported as `crash` and the worker is started again with backoff,
 * until it fails too often and the supervisor gives up. `stop()` asks the worker to dispose its
 * engine and exit, and terminates it only if it does not.
 *
 * A thread stuck inside native code cannot be terminated until the call returns; it then stays
 * `hung` in `health()`, which is what the systemd watchdog should be fed from.
 */
export class EngineWorker<
  Init extends WorkerBaseInit,
  Request extends { type: string },
  Event extends { type: string },
  ReadyInfo = Record<string, never>,
> extends EventEmitter<EngineWorkerEvents<Event>> {
  readonly name: string;
  private readonly entry: URL;
  private worker: EngineHost | undefined;
  private state: WorkerState = 'stopped';
  private stopping = false;
  /** Start times of the restarts within the window, for the give-up limit. */
  private recentRestarts: number[] = [];
  private restarts = 0;
  private readyInfo: WorkerReady<ReadyInfo> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastPongAt: number | undefined;
  private lastError: string | undefined;
  /** Set when the current worker was terminated for hanging: the cause of its exit. */
  private hang: WorkerHungError | undefined;

  constructor(private readonly options: EngineWorkerOptions<Init>) {
    super();
    this.name = options.name;
    this.entry = options.entry ?? new URL(`./${options.name}Worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);
  }

  /** What the worker said when it became ready (load time, and e.g. the mouth's sample rate). */
  get ready(): WorkerReady<ReadyInfo> {
    if (!this.readyInfo) throw new Error(`${this.name} worker is not ready`);
    return this.readyInfo;
  }

  /** Starts the worker and waits until its engine is loaded. */
  async start(): Promise<WorkerReady<ReadyInfo>> {
    this.stopping = false;
    this.state = 'starting';
    return this.launch();
  }

  post(request: Request, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(request satisfies ToWorker<Request>, transfer);
  }

  /** Changes the worker's log level now and for every restart after. */
  setLogLevel(level: LevelWithSilent): void {
    this.options.init.logLevel = level;
    this.worker?.postMessage({ kind: 'control', type: 'logLevel', level } satisfies ToWorker<Request>);
  }

  health(): WorkerHealth {
    return {
      name: this.name,
      state: this.state,
      restarts: this.restarts,
      lastPongAgoMs: this.lastPongAt === undefined ? undefined : monotonicMs() - this.lastPongAt,
      lastError: this.lastError,
    };
  }

  /**
   * Ends the worker for good: asks it to dispose its engine and exit, and terminates it if it has
   * not exited within `timeoutMs`.
   */
  async stop(timeoutMs = 3000): Promise<void> {
    this.stopping = true;
    this.state = 'stopped';
    this.stopHeartbeat();
    this.lastPongAt = undefined;
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    let disposed = false;
    worker.on('message', (message) => {
      if (isControl<ControlReport<ReadyInfo>>(message) && message.type === 'exiting') disposed = true;
    });
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    worker.postMessage({ kind: 'control', type: 'shutdown' } satisfies ToWorker<Request>);
    if (await timesOut(exited, timeoutMs)) {
      this.options.logger.warn(
        { worker: this.name, timeoutMs, disposed },
        disposed ? 'worker disposed its engine but did not exit; terminating it' : 'worker did not shut down in time; terminating it',
      );
      await worker.terminate();
      return;
    }
    this.options.logger.debug({ worker: this.name, code: await exited }, 'worker stopped');
  }

  /** Kills the worker as a crash would, to exercise supervision. */
  async crashForTesting(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Spawns the worker and resolves once it is ready; wires its messages and exit for supervision. */
  private launch(): Promise<WorkerReady<ReadyInfo>> {
    const worker = startEngineHost(this.entry, { ...this.options.init, restarts: this.restarts }, this.options.isolation ?? 'thread');
    this.worker = worker;
    this.lastPongAt = undefined;
    return new Promise((resolve, reject) => {
      let setupError: ControlError | undefined;
      let ready = false;
      worker.on('message', (raw) => {
        const message = raw as FromWorker<Event, ReadyInfo>;
        if (worker !== this.worker) return;
        if (!isControl<ControlReport<ReadyInfo>>(message)) {
          this.emit('event', message);
          return;
        }
        switch (message.type) {
          case 'ready':
            ready = true;
            resolve(this.onReady(worker, message));
            return;
          case 'pong':
            this.lastPongAt = monotonicMs();
            return;
          case 'error':
            if (!ready) {
              setupError = message;
              return;
            }
            this.lastError = message.message;
            this.emit('event', { type: 'error', message: message.message, hint: message.hint, turnId: message.turnId });
            return;
        }
      });
      worker.on('error', (error) => {
        if (!ready) setupError ??= { kind: 'control', type: 'error', message: error.message };
        else this.options.logger.error({ err: error, worker: this.name }, 'worker error');
      });
      worker.once('exit', (code) => {
        if (ready) {
          void this.onExit(worker, code);
          return;
        }
        const error = this.stopping
          ? new WorkerStartError(`${this.name} worker was stopped while starting`)
          : setupError
            ? new WorkerStartError(`${this.name}: ${setupError.message}`, setupError.hint)
            : new WorkerStartError(`${this.name} worker exited with code ${code} while starting`, 'run with --log-level debug for details');
        // Nothing left to stop: stop() must not wait for this worker to answer.
        if (worker === this.worker) this.worker = undefined;
        this.state = 'stopped';
        this.lastError = error.message;
        reject(error);
      });
    });
  }

  private onReady(worker: EngineHost, message: Ready<ReadyInfo>): WorkerReady<ReadyInfo> {
    this.readyInfo = { ...message.info, loadMs: message.loadMs };
    this.state = 'ready';
    this.lastPongAt = monotonicMs();
    this.startHeartbeat(worker);
    return this.readyInfo;
  }

  private startHeartbeat(worker: EngineHost): void {
    const { heartbeatIntervalMs = 1000, heartbeatTimeoutMs = 5000 } = this.options;
    let seq = 0;
    let lastTickAt = monotonicMs();
    this.heartbeat = setInterval(() => {
      const now = monotonicMs();
      // A tick this late means the main thread itself was blocked, and pongs that came meanwhile
      // still wait behind this timer: judge the worker on the next tick, once they are read.
      const late = now - lastTickAt > 2 * heartbeatIntervalMs;
      lastTickAt = now;
      const silentMs = now - (this.lastPongAt ?? now);
      if (!late && silentMs > heartbeatTimeoutMs) {
        this.onHung(worker, silentMs);
        return;
      }
      worker.postMessage({ kind: 'control', type: 'ping', seq: ++seq } satisfies ToWorker<Request>);
    }, heartbeatIntervalMs);
    // Supervision alone must not keep the process alive.
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private onHung(worker: EngineHost, silentMs: number): void {
    this.stopHeartbeat();
    const seconds = (silentMs / 1000).toFixed(1);
    this.hang = new WorkerHungError(`${this.name} worker did not answer for ${seconds} s`, 'it was terminated and is restarted');
    this.state = 'hung';
    this.lastError = this.hang.message;
    this.options.logger.warn({ worker: this.name, silentMs: Math.round(silentMs) }, `${this.hang.message}; terminating it`);
    this.emit('hung', this.hang);
    // The exit that follows takes the crash path, which restarts the worker.
    void worker.terminate();
  }

  private async onExit(worker: EngineHost, code: number): Promise<void> {
    if (this.stopping || worker !== this.worker) return;
    this.stopHeartbeat();
    this.worker = undefined;
    this.lastPongAt = undefined;
    const { logger, maxRestarts = 5, restartWindowMs = 60_000 } = this.options;
    const crash = this.hang ?? new Error(`${this.name} worker exited with code ${code}`);
    this.hang = undefined;
    this.lastError = crash.message;
    this.emit('crash', crash);
    const now = Date.now();
    this.recentRestarts = this.recentRestarts.filter((t) => now - t < restartWindowMs);
    if (this.recentRestarts.length >= maxRestarts) {
      this.giveUp(
        new WorkerGaveUpError(
          `${this.name} worker crashed ${this.recentRestarts.length + 1} times within ${restartWindowMs / 1000} s`,
          'see the log above for the cause; the service needs a restart once it is fixed',
        ),
      );
      return;
    }
    const delay = 100 * 2 ** this.recentRestarts.length;
    this.recentRestarts.push(now);
    this.restarts++;
    this.state = 'restarting';
    logger.warn({ worker: this.name, code, delayMs: delay }, 'worker crashed; restarting');
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (this.stopping) return;
    try {
      const ready = await this.launch();
      logger.info({ worker: this.name, restarts: this.restarts, loadMs: Math.round(ready.loadMs) }, 'worker restarted');
      this.emit('restarted');
    } catch (error) {
      if (this.stopping) return;
      this.giveUp(new WorkerGaveUpError(`${this.name} worker could not be restarted: ${(error as Error).message}`, 'see the log'));
    }
  }

  private giveUp(error: WorkerGaveUpError): void {
    this.state = 'gaveUp';
    this.lastError = error.message;
    this.emit('gaveUp', error);
  }
}
