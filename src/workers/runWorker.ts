import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { KioskVoiceError } from '../errors.js';
import { createLogger, type Logger } from '../logging/createLogger.js';
import { monotonicMs } from '../system/clock.js';
import { setFailpointRun } from '../system/failpoints.js';
import { isHostInit } from './EngineHost.js';
import { isControl, type ControlError, type ControlRequest, type FromWorker, type ToWorker, type WorkerBaseInit } from './control.js';

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

/** The worker's line to the supervisor: a thread's parentPort, or a child process's IPC channel. */
interface ParentChannel {
  init: Promise<unknown>;
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Exits once what was posted has left (an IPC send is asynchronous). */
  exit(code: number): void;
}

function threadChannel(port: MessagePort): ParentChannel {
  return {
    init: Promise.resolve(workerData),
    post: (message, transfer = []) => port.postMessage(message, transfer),
    onMessage: (listener) => port.on('message', listener),
    exit: (code) => process.exit(code),
  };
}

function processChannel(send: NonNullable<typeof process.send>): ParentChannel {
  let sent: Promise<unknown> = Promise.resolve();
  const listeners: ((message: unknown) => void)[] = [];
  const init = new Promise<unknown>((resolve) => {
    process.on('message', (message: unknown) => {
      if (isHostInit(message)) resolve(message.init);
      else for (const listener of listeners) listener(message);
    });
  });
  // The daemon went away (crashed, was killed): nobody is left to serve.
  process.on('disconnect', () => process.exit(0));
  // Ctrl-C in a terminal signals the whole group; the daemon stops its engines itself, in order.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  return {
    init,
    post: (message) => {
      if (process.connected) sent = new Promise((resolve) => send.call(process, message as object, undefined, {}, resolve));
    },
    onMessage: (listener) => void listeners.push(listener),
    exit: (code) => void sent.then(() => process.exit(code)),
  };
}

/** The turn or speech a request belongs to, so that its failure reaches that turn at once. */
function requestId(message: unknown): number | undefined {
  const ids = message as { requestId?: unknown; turnId?: unknown; speechId?: unknown };
  for (const id of [ids.requestId, ids.turnId, ids.speechId]) if (typeof id === 'number') return id;
  return undefined;
}

/**
 * The worker side of an engine worker: builds the engine from `workerData`, reports `ready`, then
 * hands each request to the session. Pings are answered from this same loop, so a thread stuck in
 * a request (a native call, a busy loop) goes silent and the supervisor sees it. On `shutdown` it
 * stops taking requests, disposes the session, says `exiting` and exits 0. A setup failure is
 * reported and ends the worker with code 2 (the config or model is wrong, not the process).
 */
export function runWorker<Init extends WorkerBaseInit, Request, Event, ReadyInfo>(
  name: string,
  setup: (init: Init, send: Send<Event>, logger: Logger) => Promise<WorkerSession<Request, ReadyInfo>>,
): void {
  const channel = parentPort ? threadChannel(parentPort) : process.send ? processChannel(process.send) : undefined;
  if (!channel) throw new Error(`${name} must run as a worker thread or a child process with IPC`);
  void channel.init.then((init) => serve(name, init as Init, channel, setup));
}

function serve<Init extends WorkerBaseInit, Request, Event, ReadyInfo>(
  name: string,
  init: Init,
  channel: ParentChannel,
  setup: (init: Init, send: Send<Event>, logger: Logger) => Promise<WorkerSession<Request, ReadyInfo>>,
): void {
  const logger = createLogger(init.logLevel, { format: init.logFormat, bindings: { worker: name } });
  setFailpointRun(init.restarts ?? 0);
  const post = (message: FromWorker<Event, ReadyInfo>, transfer: ArrayBuffer[] = []) => channel.post(message, transfer);
  const started = monotonicMs();
  if (!parentPort) {
    // In a process an uncaught error would print a raw stack and end it; say it in the log first.
    process.on('uncaughtException', (error) => {
      logger.fatal({ err: error }, `${name} process failed`);
      channel.exit(1);
    });
  }

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
    channel.exit(0);
  }

  setup(init, post, logger).then(
    (session) => {
      let shuttingDown = false;
      channel.onMessage((raw) => {
        const message = raw as ToWorker<Request>;
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
          const pending = session.handle(message as Request);
          if (pending) pending.catch((error: unknown) => post(toWorkerError(error, requestId(message))));
        } catch (error) {
          post(toWorkerError(error, requestId(message)));
        }
      });
      post({ kind: 'control', type: 'ready', loadMs: monotonicMs() - started, info: session.readyInfo });
    },
    (error: unknown) => {
      post(toWorkerError(error));
      channel.exit(2);
    },
  );
}
