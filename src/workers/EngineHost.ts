import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { Worker } from 'node:worker_threads';
import { spawnNodeEntry } from '../audio/spawnNodeChild.js';

/**
 * Where an engine runs:
 * - `thread`: a worker thread — cheapest, and audio buffers move without a copy;
 * - `process`: a child process — for engines whose native code does async work on libuv's pool
 *   (node-llama-cpp, sherpa-onnx's `generateAsync`). Terminating a thread while such work is in
 *   flight aborts the whole daemon (`terminate called … Napi::Error`), and a thread stuck in a
 *   native call cannot be stopped at all; a process can always be killed, and only it dies.
 */
export type EngineIsolation = 'thread' | 'process';

/** What the supervisor needs from a thread or a process running an engine. */
export interface EngineHost {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  on(event: 'message', listener: (message: unknown) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  once(event: 'exit', listener: (code: number) => void): this;
  /** Ends it now, whatever it is doing; resolves once it is gone. */
  terminate(): Promise<unknown>;
}

/** How the process side learns its init: the first IPC message, before anything else. */
export interface HostInit {
  kind: 'control';
  type: 'init';
  init: unknown;
}

export function isHostInit(message: unknown): message is HostInit {
  const { kind, type } = (message ?? {}) as { kind?: unknown; type?: unknown };
  return kind === 'control' && type === 'init';
}

/** Starts `entry` as a thread or a process, with `init` as its workerData. */
export function startEngineHost(entry: URL, init: unknown, isolation: EngineIsolation): EngineHost {
  return isolation === 'process' ? new ProcessHost(entry, init) : startThread(entry, init);
}

function startThread(entry: URL, workerData: unknown): Worker {
  const options = { workerData, stdout: false, stderr: false };
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** An engine in a child process, behind the same surface as a Worker. */
class ProcessHost extends EventEmitter implements EngineHost {
  private readonly child: ChildProcess;
  private readonly exited: Promise<number>;

  constructor(entry: URL, init: unknown) {
    super();
    // The child logs to the same stdout/stderr as the daemon (the journal under systemd).
    this.child = spawnNodeEntry(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    this.child.on('message', (message) => this.emit('message', message));
    this.child.on('error', (error) => this.emit('error', error));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        const status = code ?? 128 + (signal ? constants.signals[signal] : 0);
        resolve(status);
        this.emit('exit', status);
      });
    });
    this.postMessage({ kind: 'control', type: 'init', init } satisfies HostInit);
  }

  postMessage(message: unknown): void {
    // A child that just died cannot take it; its exit is reported on its own.
    if (this.child.connected) this.child.send(message as object, () => undefined);
  }

  terminate(): Promise<number> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}
