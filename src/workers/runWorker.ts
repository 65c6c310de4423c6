import { parentPort, workerData } from 'node:worker_threads';
import { KioskVoiceError } from '../errors.js';
import { createLogger, type Logger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';
import { isControl, type ControlError, type ControlRequest, type FromWorker, type ToWorker, type WorkerLogInit } from './control.js';

/** What a worker's setup returns: the engine, ready to serve. */
export interface WorkerSession<Request, ReadyInfo> {
  /** Sent as `ready.info` once setup is done. */
  readyInfo: ReadyInfo;
  handle(request: Request): void | Promise<void>;
  /** Frees the engine (native memory, child processes) on a graceful shutdown. */
  dispose?(): Promise<void>;
}

/** Sends a domain event, or the control error of a request that failed. */
type Send<Event> = (message: Event | ControlError, transfer?: ArrayBuffer[]) => void;

export function toWorkerError(error: unknown, turnId?: number): ControlError {
  if (error instanceof KioskVoiceError) return { kind: 'control', type: 'error', message: error.message, hint: error.hint, turnId };
  return { kind: 'control', type: 'error', message: error instanceof Error ? error.message : String(error), turnId };
}

/**
 * The worker side of an engine worker: builds the engine from `workerData`, reports `ready`, then
 * hands each request to the session. Pings are answered from this same loop, so a thread stuck in
 * a request (a native call, a busy loop) goes silent and the supervisor sees it. On `shutdown` it
 * stops taking requests, disposes the session, says `exiting` and exits 0. A setup failure is
 * reported and ends the worker with code 2 (the config or model is wrong, not the process).
 */
export function runWorker<Init extends WorkerLogInit, Request, Event, ReadyInfo>(
  name: string,
  setup: (init: Init, send: Send<Event>, logger: Logger) => Promise<WorkerSession<Request, ReadyInfo>>,
): void {
  const port = parentPort;
  if (!port) throw new Error(`${name} must run as a worker thread`);
  const init = workerData as Init;
  const logger = createLogger(init.logLevel, { format: init.logFormat, bindings: { worker: name } });
  const post = (message: FromWorker<Event, ReadyInfo>, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const started = monotonicMs();

  async function shutDown(session: WorkerSession<Request, ReadyInfo>): Promise<void> {
    const disposeStarted = monotonicMs();
    try {
      await session.dispose?.();
      logger.debug({ ms: Math.round(monotonicMs() - disposeStarted) }, 'engine disposed');
    } catch (error) {
      // Exit anyway: the process is going away and a half-freed engine is no use to anyone.
      logger.error({ err: error }, 'disposing the engine failed');
    }
    post({ kind: 'control', type: 'exiting' });
    process.exit(0);
  }

  setup(init, post, logger).then(
    (session) => {
      let shuttingDown = false;
      port.on('message', (message: ToWorker<Request>) => {
        if (isControl<ControlRequest>(message)) {
          if (message.type === 'ping') post({ kind: 'control', type: 'pong', seq: message.seq, at: monotonicMs() });
          else if (message.type === 'logLevel') logger.level = message.level;
          else if (!shuttingDown) {
            shuttingDown = true;
            void shutDown(session);
          }
          return;
        }
        if (shuttingDown) return;
        try {
          const pending = session.handle(message);
          if (pending) pending.catch((error: unknown) => post(toWorkerError(error)));
        } catch (error) {
          post(toWorkerError(error));
        }
      });
      post({ kind: 'control', type: 'ready', loadMs: monotonicMs() - started, info: session.readyInfo });
    },
    (error: unknown) => {
      post(toWorkerError(error));
      process.exit(2);
    },
  );
}
