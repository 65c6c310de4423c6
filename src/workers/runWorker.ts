import { parentPort, workerData } from 'node:worker_threads';
import { KioskVoiceError } from '../errors.js';
import { createLogger, type Logger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';
import type { WorkerError } from './protocol.js';

export interface WorkerSession<Request> {
  /** Sent as `{ type: 'ready', loadMs, ...readyInfo }` once setup is done. */
  readyInfo?: Record<string, unknown>;
  handle(request: Request): void | Promise<void>;
}

type Send<Event> = (event: Event, transfer?: ArrayBuffer[]) => void;

export function toWorkerError(error: unknown, turnId?: number): WorkerError {
  if (error instanceof KioskVoiceError) return { type: 'error', message: error.message, hint: error.hint, turnId };
  return { type: 'error', message: error instanceof Error ? error.message : String(error), turnId };
}

/**
 * The worker side of an engine worker: builds the engine from `workerData`, reports `ready`, then
 * hands each request to the session. A setup failure is reported and ends the worker with code 2,
 * which tells the supervisor not to restart it (the config or model is wrong, not the process).
 */
export function runWorker<Init extends { logLevel: Parameters<typeof createLogger>[0] }, Request, Event>(
  name: string,
  setup: (init: Init, send: Send<Event>, logger: Logger) => Promise<WorkerSession<Request>>,
): void {
  const port = parentPort;
  if (!port) throw new Error(`${name} must run as a worker thread`);
  const init = workerData as Init;
  const logger = createLogger(init.logLevel, { worker: name });
  const send: Send<Event> = (event, transfer) => port.postMessage(event, transfer ?? []);
  const started = monotonicMs();
  setup(init, send, logger).then(
    (session) => {
      port.on('message', (request: Request) => {
        try {
          const pending = session.handle(request);
          if (pending) pending.catch((error: unknown) => port.postMessage(toWorkerError(error)));
        } catch (error) {
          port.postMessage(toWorkerError(error));
        }
      });
      port.postMessage({ type: 'ready', loadMs: monotonicMs() - started, ...session.readyInfo });
    },
    (error: unknown) => {
      port.postMessage(toWorkerError(error));
      process.exit(2);
    },
  );
}
