/**
 * The control envelope between the main thread and every engine worker, kept apart from each
 * worker's domain protocol (protocol.ts): starting, liveness, failures and shutdown are the same
 * for all workers, so one supervisor (EngineWorker) and one worker loop (runWorker) handle them.
 * Control messages carry `kind: 'control'`; domain messages have no `kind`.
 * Shape after livekit/agents-js `ipc/message.ts` (ping/pong, shutdown, exiting as one union).
 */
import type { LevelWithSilent } from 'pino';
import type { LogFormat } from '../logging/createLogger.js';

/** Part of every worker's init: how it logs (so all workers log alike), and which run it is. */
export interface WorkerBaseInit {
  logLevel: LevelWithSilent;
  /** Defaults to `auto`. */
  logFormat?: LogFormat;
  /** Set by the supervisor: 0 for the first run, then one more per restart. */
  restarts?: number;
}

/** Main → worker: are you alive? Answered with `pong` from the worker's message loop. */
export interface Ping {
  kind: 'control';
  type: 'ping';
  seq: number;
}

/** Main → worker: log at this level from now on (the operator raised or lowered it at run time). */
export interface SetLogLevel {
  kind: 'control';
  type: 'logLevel';
  level: LevelWithSilent;
}

/** Main → worker: stop taking requests, dispose the engine, say `exiting` and exit 0. */
export interface Shutdown {
  kind: 'control';
  type: 'shutdown';
}

/** Worker → main: the engine is loaded. `info` is what the worker tells about it (e.g. the mouth's sample rate). */
export interface Ready<Info> {
  kind: 'control';
  type: 'ready';
  loadMs: number;
  info: Info;
}

/** Worker → main: the answer to `ping` with the same `seq`; `at` is on the shared monotonic clock. */
export interface Pong {
  kind: 'control';
  type: 'pong';
  seq: number;
  at: number;
}

/** A failed request as the main thread's listeners see it: among the domain events, in order with them. */
export interface WorkerError {
  type: 'error';
  message: string;
  hint?: string | undefined;
  /** Set when the error belongs to one turn. */
  turnId?: number | undefined;
}

/** Worker → main: setup failed (before `ready`) or a request could not be served (after). */
export interface ControlError extends WorkerError {
  kind: 'control';
}

/** Worker → main: the engine is disposed; the thread exits next. */
export interface Exiting {
  kind: 'control';
  type: 'exiting';
}

export type ControlRequest = Ping | SetLogLevel | Shutdown;

export type ControlReport<Info> = Ready<Info> | Pong | ControlError | Exiting;

/** Everything a worker may receive: a domain request or a control message. */
export type ToWorker<Request> = Request | ControlRequest;

/** Everything a worker may send: a domain event or a control message. */
export type FromWorker<Event, Info> = Event | ControlReport<Info>;

/**
 * Tells control messages from domain messages; `Control` names which side's control messages
 * (`ControlRequest` in a worker, `ControlReport<Info>` on the main thread).
 */
export function isControl<Control extends ControlRequest | ControlReport<unknown>>(message: unknown): message is Control {
  return typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'control';
}
